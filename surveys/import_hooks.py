"""Wagtail admin hooks for importing and exporting survey results (``surveys.import_views``)."""

from django.urls import reverse

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from surveys import count_import_views, count_imports, import_views
from surveys.viewsets import SURVEYS_MENU_HOOK


class SurveyDataMenuItem(MenuItem):
    """Shown only to someone who may import or download survey results."""

    def is_shown(self, request):
        return import_views.may_use(request.user)


@hooks.register("register_admin_urls")
def register_survey_data_urls():
    return import_views.admin_urls()


@hooks.register("register_admin_urls")
def register_count_import_urls():
    return count_import_views.admin_urls()


# In the "Surveys" menu, which surveys/viewsets.py builds with this submenu hook.
@hooks.register(SURVEYS_MENU_HOOK)
def register_survey_data_menu_item():
    return SurveyDataMenuItem(
        "Import and download results",
        reverse("surveys_data"),
        icon_name="upload",
        order=310,
    )


@hooks.register("register_log_actions")
def register_survey_import_log_actions(actions):
    actions.register_action("surveys.import", "Import", "Survey results imported")
    actions.register_action("surveys.export", "Download", "Survey results downloaded")
    actions.register_action(count_imports.REMOVE_ACTION, "Remove import", "Imported counts removed")
    actions.register_action(
        count_imports.REPLACE_ACTION, "Replace import", "Imported counts replaced"
    )
