from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "board"
    verbose_name = "Lived Experience Advisory Board"
    default_auto_field = "django.db.models.BigAutoField"
