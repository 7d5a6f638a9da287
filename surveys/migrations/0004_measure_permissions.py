"""Inclusion analysts define, change and remove measures."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ANALYSTS = "Inclusion analysts"
CODENAMES = [f"{action}_measure" for action in ("add", "change", "delete", "view")]


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=ANALYSTS)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="surveys", codename__in=CODENAMES)
    )


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=ANALYSTS).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="surveys", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0003_measures_and_annual_summary")]

    operations = [migrations.RunPython(forwards, backwards)]
