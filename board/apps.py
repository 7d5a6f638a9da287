from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "board"
    verbose_name = "Lived Experience Advisory Board"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from board import signals  # noqa: F401  (connects the receivers)
