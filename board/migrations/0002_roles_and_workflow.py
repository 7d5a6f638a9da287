"""Grant the board's permissions to the roles, and set up the council response workflow.

Engagement managers run the board but cannot publish a council response themselves: only an
Approver can, by approving it in the "Council response approval" workflow (Wagtail publishes a
snippet on approval as the approving user, so Approvers hold the publish permission).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

BOARD_MODELS = [
    "servicearea",
    "recommendation",
    "membership",
    "membersupportneeds",
    "boardask",
    "meeting",
    "attendance",
    "expenseclaim",
    "progressupdate",
    "implementedchange",
]

ROLE_PERMISSIONS = {
    "Engagement managers": [
        *[
            f"board.{action}_{model}"
            for model in BOARD_MODELS
            for action in ("add", "change", "delete", "view")
        ],
        "board.add_councilresponse",
        "board.change_councilresponse",
        "board.view_councilresponse",
        "board.lock_councilresponse",
        "board.unlock_councilresponse",
        "board.change_boardsettings",
    ],
    "Approvers": [
        "board.change_councilresponse",
        "board.publish_councilresponse",
        "board.view_councilresponse",
        "board.view_recommendation",
    ],
}


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    # Wagtail adds these snippet permissions after migrating; they are needed now.
    response_type, _ = ContentType.objects.get_or_create(app_label="board", model="councilresponse")
    for action in ("publish", "lock", "unlock"):
        Permission.objects.get_or_create(
            content_type=response_type,
            codename=f"{action}_councilresponse",
            defaults={"name": f"Can {action} council response"},
        )
    for name, dotted in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        for item in dotted:
            app_label, codename = item.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )

    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")

    task_content_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task = GroupApprovalTask.objects.create(
        name="Approver sign-off", content_type=task_content_type, active=True
    )
    task.groups.set([Group.objects.get(name="Approvers")])
    workflow = Workflow.objects.create(name="Council response approval", active=True)
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    response_type, _ = ContentType.objects.get_or_create(app_label="board", model="councilresponse")
    WorkflowContentType.objects.create(content_type=response_type, workflow=workflow)


def backwards(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    Workflow.objects.filter(name="Council response approval").delete()
    Task.objects.filter(name="Approver sign-off").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("board", "0001_initial"),
        ("cms", "0004_home_page"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
