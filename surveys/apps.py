from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from surveys import signals  # noqa: F401  (connects the receivers)
