"""Create the platform's roles as groups, with the site-wide permissions each needs.

Apps grant permissions on their own models in their own migrations. Wagtail's default
"Editors" and "Moderators" groups and its default page workflow are removed: the platform's
roles replace them (documented in the README).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_MODEL_PERMISSIONS = {
    "Board members": [],
    "Engagement managers": [
        "wagtailadmin.access_admin",
        "cms.add_invitation",
        "cms.delete_invitation",
        "cms.view_invitation",
        "cms.change_sitesettings",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
    ],
    "Approvers": ["wagtailadmin.access_admin"],
    "Inclusion analysts": [
        "wagtailadmin.access_admin",
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
    ],
}

# Page permissions on the root of the page tree (so on every site).
ROLE_PAGE_PERMISSIONS = {
    "Engagement managers": ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}


def _ensure_permissions(apps):
    # Model permissions are normally made after all migrations; make them now so they can be
    # granted on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def _permission(apps, dotted):
    Permission = apps.get_model("auth", "Permission")
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def create_roles(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")

    for name, permissions in ROLE_MODEL_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*[_permission(apps, p) for p in permissions])

    root = Page.objects.filter(depth=1).first()
    for name, codenames in ROLE_PAGE_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        for codename in codenames:
            GroupPagePermission.objects.get_or_create(
                group=group, page=root, permission=_permission(apps, f"wagtailcore.{codename}")
            )

    Workflow.objects.filter(name="Moderators approval").delete()
    Task.objects.filter(name="Moderators approval").delete()
    Group.objects.filter(name__in=["Editors", "Moderators"]).delete()


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=list(ROLE_MODEL_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_site_models"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
