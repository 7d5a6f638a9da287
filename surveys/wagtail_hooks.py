from surveys import import_hooks  # noqa: F401  (registers the import/export admin hooks)
