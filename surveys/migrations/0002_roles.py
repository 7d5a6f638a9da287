"""Grant inclusion analysts the survey permissions they need.

Analysts design surveys, waves and questions, send invitations (batches), import results
(``add_response`` and aggregated counts) and read responses for exports and analysis. Nobody
holds a permission on ``SurveyInvitation`` or ``FreeTextAnswer``: they are reached only through
the survey views, which never show who was invited or who has responded.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

DESIGN_MODELS = ["survey", "wave", "question", "invitationbatch", "aggregatedcount"]

ROLE_PERMISSIONS = {
    "Inclusion analysts": [
        *[
            f"surveys.{action}_{model}"
            for model in DESIGN_MODELS
            for action in ("add", "change", "delete", "view")
        ],
        "surveys.view_response",
        "surveys.view_answer",
        "surveys.add_response",
    ],
}


def forwards(apps, schema_editor):
    # Model permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, dotted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for item in dotted:
            app_label, codename = item.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, dotted in ROLE_PERMISSIONS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        codenames = [item.split(".")[1] for item in dotted]
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="surveys", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("cms", "0003_roles"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
