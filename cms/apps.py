from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Site"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms import signals  # noqa: F401  (connects the receivers)
        from cms.exports import escape_wagtail_spreadsheet_exports

        # Wagtail writes its listing exports and reports unescaped: see the function's docstring.
        escape_wagtail_spreadsheet_exports()
