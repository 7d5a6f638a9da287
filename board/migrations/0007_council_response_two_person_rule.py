"""Approvers read council responses and decide on them; they no longer hold ``change``.

Wagtail gives a workflow's reviewers the editor, and a reviewer holding ``change`` and
``publish`` could rewrite the text and publish it alone. Now the text an Approver approves is
the text an engagement manager wrote: approvers keep ``view`` (and ``publish``, which Wagtail
checks when the approval it records publishes the response), and the board's views refuse them
every write (``board.viewsets``).
"""

from django.db import migrations

APPROVERS = "Approvers"


def _permission(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.get(
        content_type__app_label="board", codename="change_councilresponse"
    )


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=APPROVERS).first()
    if group is not None:
        group.permissions.remove(_permission(apps))


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=APPROVERS).first()
    if group is not None:
        group.permissions.add(_permission(apps))


class Migration(migrations.Migration):
    dependencies = [("board", "0006_private_receipts")]

    operations = [migrations.RunPython(forwards, backwards)]
