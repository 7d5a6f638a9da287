from surveys import import_hooks  # noqa: F401  (registers the import/export admin hooks)

# isort: split

from django.urls import path, reverse

from wagtail import hooks

from cms.viewsets import PermissionMenuItem
from surveys import admin_views, analysis_views
from surveys.viewsets import (
    SURVEYS_MENU_HOOK,
    SurveysViewSetGroup,
)


@hooks.register("register_admin_viewset")
def register_survey_viewsets():
    return SurveysViewSetGroup()


@hooks.register("register_admin_urls")
def register_survey_admin_urls():
    return [
        path(
            "surveys/waves/<int:pk>/questions/",
            admin_views.wave_questions,
            name="surveys_wave_questions",
        ),
        path(
            "surveys/waves/<int:pk>/invitations/",
            admin_views.wave_invitations,
            name="surveys_wave_invitations",
        ),
        path(
            "surveys/waves/<int:pk>/reminders/",
            admin_views.wave_reminders,
            name="surveys_wave_reminders",
        ),
        path(
            "surveys/invitation-batches/<int:pk>/",
            admin_views.batch_progress,
            name="surveys_batch_progress",
        ),
        path(
            "surveys/board-evaluation/new/",
            admin_views.board_evaluation_new,
            name="surveys_board_evaluation_new",
        ),
        path(
            "surveys/measures/<int:pk>/report/",
            analysis_views.measure_report,
            name="surveys_measure_report",
        ),
        path(
            "surveys/measures/<int:pk>/report.<str:fmt>",
            analysis_views.measure_report_download,
            name="surveys_measure_report_download",
        ),
    ]


@hooks.register(SURVEYS_MENU_HOOK)
def register_board_evaluation_menu_item():
    return PermissionMenuItem(
        "New board evaluation",
        reverse("surveys_board_evaluation_new"),
        icon_name="group",
        order=50,
        permissions=("surveys.add_wave", "surveys.add_question"),
    )


@hooks.register("register_log_actions")
def register_survey_log_actions(actions):
    actions.register_action(
        "surveys.wave.copy_questions", "Copy questions", "Questions copied from an earlier wave"
    )
    actions.register_action("surveys.invitations.queue", "Queue invitations", "Invitations queued")
    actions.register_action("surveys.reminders.queue", "Queue reminders", "Reminders queued")
