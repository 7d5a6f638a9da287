"""The roles and exactly the permissions each holds. Changing a role must change this table."""

from __future__ import annotations

import pytest

from django.contrib.auth.models import Group, Permission

from wagtail.models import GroupCollectionPermission, GroupPagePermission

from cms import roles
from cms.models import HomePage
from surveys.models import EqualityDataIndexPage

pytestmark = pytest.mark.django_db

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
MANAGER_BOARD_PERMISSIONS = {
    f"board.{action}_{model}"
    for model in BOARD_MODELS
    for action in ("add", "change", "delete", "view")
} | {
    "board.add_councilresponse",
    "board.change_councilresponse",
    "board.view_councilresponse",
    "board.lock_councilresponse",
    "board.unlock_councilresponse",
    "board.change_boardsettings",
    # Erasing a former member's personal data (UK GDPR, Article 17): its own permission.
    "board.erase_member",
}

ENGAGEMENT_SNIPPET_MODELS = ["calendardate", "eventorganiser", "venue"]
ENGAGEMENT_PERMISSIONS = {
    f"engagement.{action}_{model}"
    for model in ENGAGEMENT_SNIPPET_MODELS
    for action in ("add", "change", "delete", "view")
} | {
    # Subscribers sign themselves up: managers see, download (confirmed only) and delete them.
    "engagement.view_newslettersubscriber",
    "engagement.delete_newslettersubscriber",
    "engagement.export_newslettersubscriber",
    "engagement.send_newsletter",
}

SURVEY_DESIGN_MODELS = [
    "survey",
    "wave",
    "question",
    "invitationbatch",
    "aggregatedcount",
    "measure",
]
ANALYST_SURVEY_PERMISSIONS = {
    f"surveys.{action}_{model}"
    for model in SURVEY_DESIGN_MODELS
    for action in ("add", "change", "delete", "view")
} | {
    # Responses are read (for exports and analysis) and imported, never changed or deleted.
    "surveys.view_response",
    "surveys.view_answer",
    "surveys.add_response",
}

EXPECTED_MODEL_PERMISSIONS = {
    roles.BOARD_MEMBERS: set(),
    roles.ENGAGEMENT_MANAGERS: {
        "wagtailadmin.access_admin",
        "cms.add_invitation",
        "cms.delete_invitation",
        "cms.view_invitation",
        "cms.change_sitesettings",
        *MANAGER_BOARD_PERMISSIONS,
        *ENGAGEMENT_PERMISSIONS,
    },
    roles.APPROVERS: {
        "wagtailadmin.access_admin",
        # Approvers read and decide; they never write the text (no "change"). Wagtail checks
        # "publish" when the approval it records publishes the response.
        "board.publish_councilresponse",
        "board.view_councilresponse",
        "board.view_recommendation",
    },
    roles.INCLUSION_ANALYSTS: {
        "wagtailadmin.access_admin",
        *ANALYST_SURVEY_PERMISSIONS,
    },
}

# Images and documents: Wagtail reads only collection permissions for them, so they are granted
# on the root collection (and so on every collection). "change" also lets a role delete anyone's
# upload (managers curate the library); "add" lets one edit and delete only one's own.
EXPECTED_COLLECTION_PERMISSIONS = {
    roles.ENGAGEMENT_MANAGERS: {
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
    },
    roles.INCLUSION_ANALYSTS: {
        "wagtailimages.choose_image",
        "wagtaildocs.add_document",
        "wagtaildocs.choose_document",
    },
}

EXPECTED_PAGE_PERMISSIONS = {
    roles.ENGAGEMENT_MANAGERS: {
        "add_page",
        "change_page",
        "publish_page",
        "lock_page",
        "unlock_page",
    },
}
# Granted on the equality data index (and so its annual summaries) when the index is created.
EXPECTED_EQUALITY_DATA_PAGE_PERMISSIONS = {
    roles.INCLUSION_ANALYSTS: {"add_page", "change_page", "publish_page"},
}


def test_only_approvers_publish_council_responses():
    """Engagement managers draft; a response goes public only through an Approver."""
    for role, permissions in EXPECTED_MODEL_PERMISSIONS.items():
        assert ("board.publish_councilresponse" in permissions) == (role == roles.APPROVERS)


def test_only_engagement_managers_write_council_responses():
    """The text an Approver approves is the text an engagement manager wrote."""
    for role, permissions in EXPECTED_MODEL_PERMISSIONS.items():
        assert ("board.change_councilresponse" in permissions) == (
            role == roles.ENGAGEMENT_MANAGERS
        )


def test_nobody_holds_a_permission_on_invitations_or_free_text():
    """Who was invited, and what they wrote, are reached only through the survey views."""
    for permissions in EXPECTED_MODEL_PERMISSIONS.values():
        assert not {p for p in permissions if p.endswith(("_surveyinvitation", "_freetextanswer"))}
    for model in ("response", "answer"):
        for action in ("change", "delete"):
            assert (
                f"surveys.{action}_{model}"
                not in EXPECTED_MODEL_PERMISSIONS[roles.INCLUSION_ANALYSTS]
            )


def test_no_role_downloads_survey_responses_in_full():
    """The minimised export is the analysts'; the full one (detailed ethnic groups, dates, rare
    combinations) is a superuser's to give to a named person for a piece of work, never a
    role's by default."""
    assert Permission.objects.filter(
        content_type__app_label="surveys", codename="export_full_responses"
    ).exists()
    for permissions in EXPECTED_MODEL_PERMISSIONS.values():
        assert "surveys.export_full_responses" not in permissions
    assert not Group.objects.filter(permissions__codename="export_full_responses").exists()


def test_only_engagement_managers_erase_former_members():
    for role, permissions in EXPECTED_MODEL_PERMISSIONS.items():
        assert ("board.erase_member" in permissions) == (role == roles.ENGAGEMENT_MANAGERS)


def test_exactly_the_platform_roles_exist():
    assert set(Group.objects.values_list("name", flat=True)) == set(roles.ALL_ROLES)


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_role_has_exactly_its_model_permissions(role):
    group = Group.objects.get(name=role)
    granted = {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
    assert granted == EXPECTED_MODEL_PERMISSIONS[role]


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_role_has_exactly_its_collection_permissions(role):
    granted = {
        f"{app_label}.{codename}"
        for app_label, codename in GroupCollectionPermission.objects.filter(
            group__name=role, collection__depth=1
        ).values_list("permission__content_type__app_label", "permission__codename")
    }
    assert granted == EXPECTED_COLLECTION_PERMISSIONS.get(role, set())
    assert not GroupCollectionPermission.objects.filter(
        group__name=role, collection__depth__gt=1
    ).exists()


@pytest.mark.parametrize("role", [roles.ENGAGEMENT_MANAGERS, roles.INCLUSION_ANALYSTS])
def test_roles_reach_images_and_documents_through_wagtail(role, make_user):
    """Wagtail's own permission policies (what its views ask) agree with the table above."""
    import wagtail_factories

    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import Collection
    from wagtail.permissions import policy_registry

    images = policy_registry.get_by_type(get_image_model())
    documents = policy_registry.get_by_type(get_document_model())

    user = make_user(role)
    someone_else = make_user(roles.ENGAGEMENT_MANAGERS)
    collection = Collection.get_first_root_node().add_child(name="Library")
    cases = (
        (images, "wagtailimages.%s_image", wagtail_factories.ImageFactory),
        (documents, "wagtaildocs.%s_document", wagtail_factories.DocumentFactory),
    )
    for policy, name, factory in cases:
        granted = EXPECTED_COLLECTION_PERMISSIONS[role]
        # ("change" at large is true for any uploader: they may change their own.)
        for action in ("add", "choose"):
            assert policy.user_has_permission(user, action) is (name % action in granted), name
        theirs = factory(collection=collection, uploaded_by_user=someone_else)
        for action in ("change", "delete"):
            allowed = policy.user_has_permission_for_instance(user, action, theirs)
            assert allowed is (name % "change" in granted), (name, action)
        if name % "add" in granted:
            mine = factory(collection=collection, uploaded_by_user=user)
            assert policy.user_has_permission_for_instance(user, "delete", mine), name


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_role_has_exactly_its_page_permissions(role):
    granted = set(
        GroupPagePermission.objects.filter(group__name=role, page__depth=1).values_list(
            "permission__codename", flat=True
        )
    )
    assert granted == EXPECTED_PAGE_PERMISSIONS.get(role, set())
    # No page permissions anywhere but the root.
    assert not GroupPagePermission.objects.filter(group__name=role, page__depth__gt=1).exists()


def test_who_needs_a_second_factor(make_user):
    assert not roles.requires_second_factor(make_user(roles.BOARD_MEMBERS))
    for role in roles.STAFF_ROLES:
        assert roles.requires_second_factor(make_user(role))
    assert roles.requires_second_factor(make_user(is_superuser=True))
    assert roles.requires_second_factor(make_user(is_staff=True))
    assert not roles.requires_second_factor(make_user())


def test_who_may_invite_whom(make_user):
    assert roles.roles_user_may_invite(make_user(roles.ENGAGEMENT_MANAGERS)) == (
        roles.BOARD_MEMBERS,
    )
    assert roles.roles_user_may_invite(make_user(is_superuser=True)) == roles.ALL_ROLES
    for role in (roles.BOARD_MEMBERS, roles.APPROVERS, roles.INCLUSION_ANALYSTS):
        assert roles.roles_user_may_invite(make_user(role)) == ()


def test_the_equality_data_index_is_the_only_other_place_with_page_permissions():
    index = EqualityDataIndexPage(title="Equality data", slug="equality-data")
    HomePage.objects.get().add_child(instance=index)
    for role in roles.ALL_ROLES:
        granted = set(
            GroupPagePermission.objects.filter(group__name=role, page=index).values_list(
                "permission__codename", flat=True
            )
        )
        assert granted == EXPECTED_EQUALITY_DATA_PAGE_PERMISSIONS.get(role, set())
        assert (
            not GroupPagePermission.objects.filter(group__name=role, page__depth__gt=1)
            .exclude(page=index)
            .exists()
        )
