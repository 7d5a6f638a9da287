"""Grant engagement managers the engagement snippets and the newsletter's personal data.

They already add, edit and publish pages (cms 0003_roles). Here: calendar dates, event
organisers and venues; newsletter subscribers, which they may see, download (confirmed only) and
delete but never add or edit; and sending a newsletter issue to subscribers.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SNIPPET_MODELS = ["calendardate", "eventorganiser", "venue"]

ENGAGEMENT_MANAGER_PERMISSIONS = [
    *[
        f"{action}_{model}"
        for model in SNIPPET_MODELS
        for action in ("add", "change", "delete", "view")
    ],
    "view_newslettersubscriber",
    "delete_newslettersubscriber",
    "export_newslettersubscriber",
    "send_newsletter",
]


def forwards(apps, schema_editor):
    # Model permissions are normally made after all migrations; make them now so they can be
    # granted on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.get(name="Engagement managers")
    group.permissions.add(
        *[
            Permission.objects.get(content_type__app_label="engagement", codename=codename)
            for codename in ENGAGEMENT_MANAGER_PERMISSIONS
        ]
    )


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Engagement managers").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="engagement",
                codename__in=ENGAGEMENT_MANAGER_PERMISSIONS,
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0001_initial"),
        ("cms", "0003_roles"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
