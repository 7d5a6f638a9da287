"""A board member downloads the personal data the platform holds on them (UK GDPR, Article 15)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from wagtail.models import ModelLogEntry

from board.models import Attendance, BoardAsk, ExpenseClaim, MemberSupportNeeds
from cms import roles
from cms.models import Invitation
from cms.models.invitations import hash_token
from cms.platform.audit import PERSONAL_DATA_DOWNLOAD, personal_data_listed, personal_data_viewed
from engagement.models import NewsletterSubscriber
from tests.board.factories import (
    BoardMemberFactory,
    CouncilResponseFactory,
    MeetingFactory,
    MembershipFactory,
    RecommendationFactory,
    publish_response,
)
from tests.conftest import enrol_totp, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    person = BoardMemberFactory(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    # Signed in through allauth: the download needs a recent sign-in (cms.reauthentication).
    sign_in(client, person)
    return person


@pytest.fixture
def others():
    """Another member and an officer, with records of their own that must never appear."""
    other = BoardMemberFactory(first_name="Zebedee", last_name="Otherperson", email="zeb@x.org")
    officer = UserFactory(first_name="Olivia", last_name="Officer", email="officer@x.org")
    MembershipFactory(member=other)
    MemberSupportNeeds.objects.create(member=other, access_needs="Zebedee needs a hearing loop")
    BoardAsk.objects.create(member=other, kind="panel", description="Zebedee's panel")
    ExpenseClaim.objects.create(
        claimant=other, kind="travel", amount=Decimal("99.99"), description="Zebedee's taxi"
    )
    RecommendationFactory(author=other, title="Zebedee's recommendation", owner=officer)
    NewsletterSubscriber.objects.create(email="zeb@x.org", unsubscribe_token_hash="z" * 64)
    return other, officer


@pytest.fixture
def members_records(member, others):
    other, officer = others
    MembershipFactory(member=member, role="chair")
    MemberSupportNeeds.objects.create(
        member=member,
        access_needs="Step-free access",
        preferred_language="Welsh",
        interpreter_needed=True,
        interpreter_language="British Sign Language",
    )
    BoardAsk.objects.create(member=member, kind="review", description="Read the housing policy")
    meeting = MeetingFactory(title="Spring meeting")
    Attendance.objects.create(meeting=meeting, member=member)
    Attendance.objects.create(meeting=meeting, member=other)
    claim = ExpenseClaim.objects.create(
        claimant=member,
        meeting=meeting,
        kind="travel",
        amount=Decimal("12.50"),
        description="Bus fare",
        status=ExpenseClaim.Status.APPROVED,
        decided_by=officer,
        decided_at=timezone.now(),
    )
    claim.receipt.save("ticket.pdf", ContentFile(b"%PDF-1.4 receipt"), save=True)
    answered = RecommendationFactory(
        author=member, title="Plain letters", author_named=True, owner=officer
    )
    publish_response(
        CouncilResponseFactory(recommendation=answered, response="We will rewrite the letters.")
    )
    draft = RecommendationFactory(author=member, title="Better ramps", status="response_drafted")
    CouncilResponseFactory(recommendation=draft, response="DRAFT not yet approved")
    NewsletterSubscriber.objects.create(
        email="ADA@example.org",
        confirmed=True,
        confirmed_at=timezone.now(),
        unsubscribe_token_hash="a" * 64,
    )
    Invitation.objects.create(
        email="ada@example.org",
        role=member.groups.get(),
        token_hash=hash_token("t"),
        invited_by=officer,
        expires_at=timezone.now() + timedelta(days=3),
        accepted_at=timezone.now(),
        accepted_by=member,
    )
    enrol_totp(member)
    personal_data_viewed(subject=member, by=officer, what="support needs")
    personal_data_viewed(subject=other, by=officer, what="membership")
    return claim


def download(client) -> dict:
    response = client.get(reverse("board:my_data_download"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    return json.loads(response.content)


def test_download_holds_everything_about_the_member(client, member, members_records):
    data = download(client)

    account = data["account"]
    assert (account["first_name"], account["last_name"], account["email"]) == (
        "Ada",
        "Lovelace",
        "ada@example.org",
    )
    assert account["roles"] == [roles.BOARD_MEMBERS]
    assert account["email_addresses"] == [
        {"email": "ada@example.org", "verified": True, "primary": True}
    ]
    assert [factor["type"] for factor in account["second_factors"]] == ["TOTP Authenticator"]
    assert [term["role"] for term in data["memberships"]] == ["Chair"]
    assert data["support_needs"]["access_needs"] == "Step-free access"
    assert data["support_needs"]["interpreter_language"] == "British Sign Language"
    assert [ask["description"] for ask in data["asks"]] == ["Read the housing policy"]
    assert [(row["meeting"], row["attended"]) for row in data["meetings"]] == [
        ("Spring meeting", True)
    ]

    (claim,) = data["expense_claims"]
    assert (claim["amount"], claim["status"], claim["description"]) == (
        "12.50",
        "Approved",
        "Bus fare",
    )
    assert claim["decided_by"] == "an engagement manager"
    # The receipt is named, never copied into the file.
    assert claim["receipt"]["file"] == members_records.receipt.name.rsplit("/", 1)[-1]
    assert "PDF" not in json.dumps(claim)

    by_title = {r["title"]: r for r in data["recommendations"]}
    assert set(by_title) == {"Plain letters", "Better ramps"}
    answered = by_title["Plain letters"]
    assert answered["named_when_published"] is True
    assert answered["shown_in_public_as"] == "Ada Lovelace"
    assert answered["council_response"]["response"] == "We will rewrite the letters."
    assert answered["lived_experience"]
    # A draft response is the council's until it is approved and published.
    assert by_title["Better ramps"]["council_response"] is None

    assert data["newsletter"]["email"] == "ADA@example.org"
    assert data["newsletter"]["status"] == "Confirmed"
    assert [invitation["role"] for invitation in data["invitations"]] == [roles.BOARD_MEMBERS]
    assert [view["what"] for view in data["viewed_by_council_staff"]] == ["support needs"]


def test_download_holds_nothing_about_anyone_else(client, member, members_records):
    text = json.dumps(download(client))
    for foreign in (
        "Zebedee",
        "Otherperson",
        "zeb@x.org",
        "99.99",
        "hearing loop",
        "Olivia",
        "Officer",
        "officer@x.org",
        "DRAFT not yet approved",
    ):
        assert foreign not in text, foreign
    # No secrets of the second factor either.
    secret = Authenticator.objects.get(user=member).data
    assert all(str(value) not in text for value in secret.values())


def test_download_is_in_the_audit_log(client, member):
    download(client)
    entry = ModelLogEntry.objects.get(action=PERSONAL_DATA_DOWNLOAD)
    assert (entry.user_id, entry.object_id) == (member.pk, str(member.pk))
    assert "Lovelace" not in entry.label


def test_a_member_with_no_records_downloads_an_almost_empty_file(client, member):
    data = download(client)
    assert data["account"]["email"] == "ada@example.org"
    for section in ("memberships", "asks", "meetings", "expense_claims", "recommendations"):
        assert data[section] == []
    assert data["support_needs"] is None
    assert data["newsletter"] is None


def test_readable_page_shows_the_data_and_the_download_link(client, member, members_records):
    response = client.get(reverse("board:my_data"))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("board:my_data_download") in body
    for shown in ("Lovelace", "Step-free access", "Read the housing policy", "Plain letters"):
        assert shown in body
    assert "Zebedee" not in body
    # Reading the page is not a download.
    assert not ModelLogEntry.objects.filter(action=PERSONAL_DATA_DOWNLOAD).exists()


def test_the_member_area_links_to_your_data(client, member):
    body = client.get(reverse("board:dashboard")).content.decode()
    assert reverse("board:my_data") in body


@pytest.mark.parametrize("name", ["board:my_data", "board:my_data_download"])
def test_anonymous_visitor_is_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("role", roles.STAFF_ROLES)
def test_council_staff_have_no_member_data_page(signed_in, make_user, role):
    client = signed_in(make_user(role))
    for name in ("board:my_data", "board:my_data_download"):
        assert client.get(reverse(name)).status_code == 403
    assert not ModelLogEntry.objects.filter(action=PERSONAL_DATA_DOWNLOAD).exists()


def test_being_shown_in_the_support_needs_list_is_reported(client, member, others):
    other, officer = others
    personal_data_listed(
        model=MemberSupportNeeds, by=officer, what="support needs list", account_ids=[member.pk]
    )
    personal_data_listed(
        model=MemberSupportNeeds, by=officer, what="support needs list", account_ids=[other.pk]
    )
    views = download(client)["viewed_by_council_staff"]
    assert [view["what"] for view in views] == ["support needs list"]
