"""The platform core: what every feature app plugs into, importing none of them.

Registries through which each app contributes its duties (personal data, audiences, demo data),
the shared upload and import toolkit, and the one disclosure rule. Import contracts in CI
(`[tool.importlinter]` in pyproject.toml) keep this package free of the feature apps. See
cms/docs/architecture.md.
"""
