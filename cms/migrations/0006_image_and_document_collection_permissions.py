"""Grant the roles' image and document permissions on the root collection.

0003 granted them as model permissions, which Wagtail's image and document views ignore: they read
collection permissions (GroupCollectionPermission), so engagement managers could not upload or
edit images and documents, and neither they nor analysts could pick one in a chooser (found by the
access matrix, tests/security). Granted on the root collection they reach every collection. The
model-level grants are removed so the roles hold each permission in one place only, and analysts
lose "change document", which on a collection means editing and deleting everyone's documents.
"""

from django.db import migrations

ROLE_COLLECTION_PERMISSIONS = {
    "Engagement managers": [
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
    ],
    # Analysts add documents (methods notes for the annual summary) and, as Wagtail lets an
    # uploader, edit and delete their own; "change" would let them edit and delete everyone's.
    "Inclusion analysts": [
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.choose_document",
    ],
}


def _permission(apps, dotted):
    Permission = apps.get_model("auth", "Permission")
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def grant_on_root_collection(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    root = Collection.objects.filter(depth=1).first()
    for name, permissions in ROLE_COLLECTION_PERMISSIONS.items():
        group = Group.objects.filter(name=name).first()
        if group is None or root is None:
            continue
        for dotted in permissions:
            permission = _permission(apps, dotted)
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=root, permission=permission
            )
            group.permissions.remove(permission)
    analysts = Group.objects.filter(name="Inclusion analysts").first()
    if analysts is not None:
        analysts.permissions.remove(_permission(apps, "wagtaildocs.change_document"))


def back_to_model_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    root = Collection.objects.filter(depth=1).first()
    for name, permissions in ROLE_COLLECTION_PERMISSIONS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for dotted in permissions:
            permission = _permission(apps, dotted)
            GroupCollectionPermission.objects.filter(
                group=group, collection=root, permission=permission
            ).delete()
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0005_accessibility_statement_and_body_blocks"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(grant_on_root_collection, back_to_model_permissions)]
