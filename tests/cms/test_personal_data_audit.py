"""Who viewed or exported personal data is written to Wagtail's audit log."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from wagtail.log_actions import registry
from wagtail.models import ModelLogEntry

from board.models import BoardAsk, ExpenseClaim, Membership, MemberSupportNeeds
from cms import roles
from cms.platform.audit import PERSONAL_DATA_DOWNLOAD, PERSONAL_DATA_EXPORT, PERSONAL_DATA_VIEW
from engagement.models import NewsletterSubscriber
from tests.board.factories import BoardMemberFactory, MeetingFactory, MembershipFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user):
    return make_user(roles.ENGAGEMENT_MANAGERS)


@pytest.fixture
def manager_client(client, manager, signed_in):
    signed_in(manager)
    return client


@pytest.fixture
def member():
    return BoardMemberFactory(first_name="Ada", last_name="Lovelace")


def entries(action: str):
    return ModelLogEntry.objects.filter(action=action).order_by("pk")


def views_of(member) -> list[str]:
    return [
        entry.data["what"]
        for entry in entries(PERSONAL_DATA_VIEW).filter(object_id=str(member.pk))
        if entry.content_type.model_class() is type(member)
    ]


def test_the_actions_are_registered():
    registry.scan_for_actions()
    for action in (
        PERSONAL_DATA_VIEW,
        PERSONAL_DATA_EXPORT,
        PERSONAL_DATA_DOWNLOAD,
        "board.member.erase",
    ):
        assert registry.get_action_label(action) != action


def test_opening_a_members_support_needs_is_logged(manager_client, manager, member):
    needs = MemberSupportNeeds.objects.create(member=member, access_needs="Hearing loop")
    url = reverse("board_supportneeds:edit", args=[needs.pk])
    assert manager_client.get(url).status_code == 200
    assert views_of(member) == ["support needs"]
    entry = entries(PERSONAL_DATA_VIEW).get()
    assert entry.user == manager
    assert "Lovelace" not in entry.label


def test_the_support_needs_list_logs_whose_needs_were_shown(manager_client, manager, member):
    other = BoardMemberFactory()
    MemberSupportNeeds.objects.create(member=member, preferred_language="Welsh")
    MemberSupportNeeds.objects.create(member=other, preferred_language="Urdu")
    assert manager_client.get(reverse("board_supportneeds:index")).status_code == 200
    entry = entries(PERSONAL_DATA_VIEW).get()
    assert entry.content_type == ContentType.objects.get_for_model(ContentType)
    assert entry.object_id == str(ContentType.objects.get_for_model(MemberSupportNeeds).pk)
    assert entry.data["accounts"] == sorted([member.pk, other.pk])
    assert entry.user == manager


def test_opening_a_membership_is_logged(manager_client, member):
    membership = MembershipFactory(member=member)
    assert manager_client.get(reverse("board_membership:edit", args=[membership.pk])).status_code
    assert views_of(member) == ["membership"]


def test_opening_an_expense_claim_is_logged(manager_client, member):
    claim = ExpenseClaim.objects.create(
        claimant=member, kind="travel", amount=Decimal("3.00"), description="Bus"
    )
    assert manager_client.get(reverse("board_expense_decide", args=[claim.pk])).status_code == 200
    assert views_of(member) == ["expense claim"]


def test_a_superuser_opening_an_account_is_logged(client, signed_in, member):
    signed_in(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("wagtailusers_users:edit", args=[member.pk])).status_code == 200
    assert views_of(member) == ["account"]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_expense_totals_downloads_are_logged(manager_client, manager, member, file_format):
    ExpenseClaim.objects.create(
        claimant=member, kind="travel", amount=Decimal("3.00"), description="Bus", status="approved"
    )
    assert manager_client.get(reverse("board_expense_totals")).status_code == 200
    assert not entries(PERSONAL_DATA_EXPORT).exists()  # reading the page is not an export
    url = f"{reverse('board_expense_totals')}?export={file_format}"
    assert manager_client.get(url).status_code == 200
    entry = entries(PERSONAL_DATA_EXPORT).get()
    assert entry.user == manager
    assert entry.data["format"] == file_format
    assert entry.label == "expenses-by-member"


@pytest.mark.parametrize(
    ("url", "model", "file_format"),
    [
        ("/admin/board_membership/?export=csv", Membership, "csv"),
        ("/admin/board_membership/?export=xlsx&role=chair", Membership, "xlsx"),
        ("/admin/board_expenseclaim/?export=csv", ExpenseClaim, "csv"),
        ("/admin/board_ask/?export=xlsx", BoardAsk, "xlsx"),
    ],
)
def test_listing_exports_with_personal_data_are_logged(
    manager_client, manager, member, url, model, file_format
):
    MembershipFactory(member=member)
    ExpenseClaim.objects.create(
        claimant=member, kind="travel", amount=Decimal("3.00"), description="Bus"
    )
    BoardAsk.objects.create(member=member, kind="panel", description="Panel")
    response = manager_client.get(url)
    assert response.status_code == 200
    entry = entries(PERSONAL_DATA_EXPORT).get()
    assert entry.object_id == str(ContentType.objects.get_for_model(model).pk)
    assert entry.data["format"] == file_format
    assert entry.user == manager
    if "role=chair" in url:
        assert entry.data["filters"] == {"role": "chair"}


def test_an_export_without_personal_data_is_not_logged(manager_client):
    MeetingFactory()
    response = manager_client.get("/admin/board_meeting/?export=csv")
    assert response.status_code == 200
    assert not entries(PERSONAL_DATA_EXPORT).exists()


def test_newsletter_subscriber_download_is_logged(manager_client, manager):
    NewsletterSubscriber.objects.create(
        email="reader@example.org", confirmed=True, unsubscribe_token_hash="r" * 64
    )
    assert manager_client.get(reverse("engagement_subscribers_csv")).status_code == 200
    entry = entries(PERSONAL_DATA_EXPORT).get()
    assert (entry.user, entry.label) == (manager, "newsletter-subscribers")
    assert entry.object_id == str(ContentType.objects.get_for_model(NewsletterSubscriber).pk)


def test_a_refused_request_logs_nothing(signed_in, make_user, member):
    client = signed_in(make_user(roles.APPROVERS))
    needs = MemberSupportNeeds.objects.create(member=member)
    client.get(reverse("board_supportneeds:edit", args=[needs.pk]))
    client.get(f"{reverse('board_expense_totals')}?export=csv")
    assert not ModelLogEntry.objects.filter(
        action__in=[PERSONAL_DATA_VIEW, PERSONAL_DATA_EXPORT]
    ).exists()
