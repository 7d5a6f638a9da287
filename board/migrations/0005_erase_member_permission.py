"""Engagement managers may erase a former board member's personal data (UK GDPR, Article 17).

A permission of its own rather than ``delete_membership``: removing a term is routine, erasing a
person is not, and a superuser can take it away from the role without touching the rest.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGERS = "Engagement managers"
CODENAME = "erase_member"


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=MANAGERS)
    group.permissions.add(
        Permission.objects.get(content_type__app_label="board", codename=CODENAME)
    )


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=MANAGERS).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="board", codename=CODENAME)
        )


class Migration(migrations.Migration):
    dependencies = [("board", "0004_body_blocks")]

    operations = [
        migrations.AlterModelOptions(
            name="membership",
            options={
                "ordering": ["term_ends", "member__last_name"],
                "permissions": [
                    ("erase_member", "Can erase a former board member's personal data")
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
