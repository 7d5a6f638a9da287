from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Site"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms import signals  # noqa: F401  (connects the receivers)
        from cms.admin_input import harden_wagtail_admin_input
        from cms.exports import escape_wagtail_spreadsheet_exports
        from cms.platform import personal_data  # noqa: F401  (registers the system check)

        # Wagtail writes its listing exports and reports unescaped: see the function's docstring.
        escape_wagtail_spreadsheet_exports()
        # Wagtail's choosers and rich text answered a tampered form with a 500: see the module.
        harden_wagtail_admin_input()
