"""A permission of its own to download a wave's responses in full.

The export every holder of ``surveys.view_response`` gets is minimised (high-level ethnic groups,
no dates, no rare combinations: ``surveys.exports``). The full one - detailed ethnic groups,
dates, every combination as it is - is microdata that can name a respondent, so it needs this
permission and a stated reason, and no role has it: a superuser does, and can give it to a
named analyst through a group for as long as a piece of work needs it.

It sits on the wave (the thing exported), so Wagtail's group editor, which lists a viewset
model's permissions, offers it beside the wave's other permissions.
"""

from django.db import migrations

CODENAME = "export_full_responses"
NAME = "Can download a wave's responses in full (detailed ethnic groups, dates)"


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    wave, _ = ContentType.objects.get_or_create(app_label="surveys", model="wave")
    Permission.objects.get_or_create(content_type=wave, codename=CODENAME, defaults={"name": NAME})


def backwards(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="surveys", codename=CODENAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0006_pending_response"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
