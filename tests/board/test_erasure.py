"""An engagement manager erases a former board member (UK GDPR, Article 17)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from board import selectors, services
from board.models import (
    Attendance,
    BoardAsk,
    ExpenseClaim,
    Membership,
    MemberSupportNeeds,
    Recommendation,
)
from board.models.expenses import receipt_storage
from board.models.recommendations import FORMER_MEMBER
from cms import roles
from cms.models import Invitation, User
from cms.models.invitations import hash_token
from cms.platform import personal_data
from cms.platform.audit import PERSONAL_DATA_VIEW
from engagement.models import NewsletterSubscriber
from tests.board.factories import (
    BoardMemberFactory,
    CouncilResponseFactory,
    MeetingFactory,
    MembershipFactory,
    RecommendationFactory,
    publish_response,
)
from tests.conftest import enrol_totp
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NAME_PARTS = ("Ada", "Lovelace", "ada@example.org")


def ended_term(member, *, years_ago: int = 1) -> Membership:
    today = timezone.localdate()
    return MembershipFactory(
        member=member,
        term_starts=today - timedelta(days=365 * (years_ago + 2)),
        term_ends=today - timedelta(days=365 * years_ago),
    )


@pytest.fixture
def manager(make_user):
    return make_user(roles.ENGAGEMENT_MANAGERS)


@pytest.fixture
def former():
    """A former member with every kind of record the platform holds."""
    person = BoardMemberFactory(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    ended_term(person, years_ago=3)
    ended_term(person, years_ago=1)
    MemberSupportNeeds.objects.create(member=person, access_needs="Step-free access")
    BoardAsk.objects.create(member=person, kind="panel", description="Ada sat on a panel")
    meeting = MeetingFactory()
    Attendance.objects.create(meeting=meeting, member=person)
    approved = ExpenseClaim.objects.create(
        claimant=person,
        meeting=meeting,
        kind="travel",
        amount=Decimal("12.50"),
        description="Taxi from Ada's home",
        status=ExpenseClaim.Status.APPROVED,
        decided_at=timezone.now(),
    )
    approved.receipt.save("taxi.pdf", ContentFile(b"%PDF-1.4 taxi"), save=True)
    rejected = ExpenseClaim.objects.create(
        claimant=person,
        kind="care",
        amount=Decimal("40.00"),
        description="Childcare",
        status=ExpenseClaim.Status.REJECTED,
        decision_reason="Ada's childminder is not registered",
    )
    rejected.receipt.save("care.png", ContentFile(b"\x89PNG care"), save=True)
    log(instance=approved, action="wagtail.create", user=person)
    named = RecommendationFactory(author=person, author_named=True, title="Named idea")
    publish_response(CouncilResponseFactory(recommendation=named))
    RecommendationFactory(author=person, author_named=False, title="Unnamed idea")
    enrol_totp(person)
    Invitation.objects.create(
        email="ada@example.org",
        role=person.groups.get(),
        token_hash=hash_token("ada"),
        expires_at=timezone.now() - timedelta(days=700),
        accepted_at=timezone.now() - timedelta(days=1000),
        accepted_by=person,
    )
    return person


def receipt_names(member) -> list[str]:
    return list(
        ExpenseClaim.objects.filter(claimant=member)
        .exclude(receipt="")
        .values_list("receipt", flat=True)
    )


def erase(member, by, django_capture_on_commit_callbacks, **kwargs) -> dict:
    with django_capture_on_commit_callbacks(execute=True):
        return services.former_member_erase(member=member, by=by, **kwargs)


# --- The erasure itself -----------------------------------------------------------------------


def test_erasure_anonymises_the_account_and_deletes_the_personal_records(
    former, manager, django_capture_on_commit_callbacks
):
    receipts = receipt_names(former)
    assert len(receipts) == 2 and all(receipt_storage().exists(name) for name in receipts)

    counts = erase(former, manager, django_capture_on_commit_callbacks)

    account = User.objects.get(pk=former.pk)
    assert (account.first_name, account.last_name) == ("", "")
    assert account.email == f"erased-{former.pk}@erased.invalid"
    assert not account.has_usable_password()
    assert not account.is_active
    assert not account.groups.exists()
    assert account.last_login is None
    assert not EmailAddress.objects.filter(user=account).exists()
    assert not Authenticator.objects.filter(user=account).exists()
    assert not Membership.objects.filter(member=account).exists()
    assert not MemberSupportNeeds.objects.filter(member=account).exists()
    assert not BoardAsk.objects.filter(member=account).exists()
    assert not Invitation.objects.exists()

    # The receipt files are gone from storage; the claims stay, with their amounts.
    assert not any(receipt_storage().exists(name) for name in receipts)
    claims = ExpenseClaim.objects.filter(claimant=account).order_by("amount")
    assert [(c.amount, c.status, c.receipt.name) for c in claims] == [
        (Decimal("12.50"), ExpenseClaim.Status.APPROVED, ""),
        (Decimal("40.00"), ExpenseClaim.Status.REJECTED, ""),
    ]
    assert {c.description for c in claims} == {services.ERASED_TEXT}
    assert {c.decision_reason for c in claims} == {""}
    # Attendance stays with the anonymised account, so meeting counts hold.
    assert Attendance.objects.filter(member=account).count() == 1

    assert counts["recommendations_kept"] == 2
    assert counts["receipts_deleted"] == 2
    assert counts["memberships_deleted"] == 2


def test_recommendations_are_kept_and_attributed_to_a_former_member(
    former, manager, django_capture_on_commit_callbacks, client, you_said_page
):
    erase(former, manager, django_capture_on_commit_callbacks)

    named = Recommendation.objects.get(title="Named idea")
    unnamed = Recommendation.objects.get(title="Unnamed idea")
    assert named.author is None and unnamed.author is None
    assert named.public_author == FORMER_MEMBER
    assert unnamed.public_author == "the board"

    listing = client.get(you_said_page.url).content.decode()
    assert "Named idea" in listing
    assert FORMER_MEMBER in listing.lower()
    detail = client.get(f"{you_said_page.url}{named.reference}/").content.decode()
    assert FORMER_MEMBER in detail
    for part in NAME_PARTS:
        assert part not in listing and part not in detail


def test_erased_member_cannot_sign_in_and_their_sessions_end(
    former, manager, django_capture_on_commit_callbacks
):
    former.set_password(PASSWORD)
    former.save()
    browser = Client()
    browser.force_login(former)
    assert browser.get(reverse("board:dashboard")).status_code == 200
    assert Session.objects.count() == 1

    counts = erase(former, manager, django_capture_on_commit_callbacks)

    assert counts["sessions_ended"] == 1
    assert not Session.objects.exists()
    response = browser.get(reverse("board:dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    for login in ("ada@example.org", f"erased-{former.pk}@erased.invalid"):
        assert not Client().login(email=login, password=PASSWORD)


def test_erasure_touches_no_one_else(former, manager, django_capture_on_commit_callbacks):
    other = BoardMemberFactory(first_name="Zeb", email="zeb@example.org")
    ended_term(other)
    MemberSupportNeeds.objects.create(member=other, access_needs="Large print")
    claim = ExpenseClaim.objects.create(
        claimant=other, kind="travel", amount=Decimal("3.00"), description="Bus"
    )
    claim.receipt.save("bus.pdf", ContentFile(b"%PDF bus"), save=True)
    RecommendationFactory(author=other)

    erase(former, manager, django_capture_on_commit_callbacks)

    other.refresh_from_db()
    assert (other.first_name, other.email, other.is_active) == ("Zeb", "zeb@example.org", True)
    assert Membership.objects.filter(member=other).exists()
    assert MemberSupportNeeds.objects.filter(member=other).exists()
    assert receipt_storage().exists(ExpenseClaim.objects.get(claimant=other).receipt.name)
    assert Recommendation.objects.filter(author=other).count() == 1


def test_erasure_is_audited_without_the_persons_data(
    former, manager, django_capture_on_commit_callbacks
):
    erase(former, manager, django_capture_on_commit_callbacks)

    entry = ModelLogEntry.objects.get(action="board.member.erase")
    assert entry.user == manager
    assert entry.object_id == str(former.pk)
    assert entry.data["recommendations_kept"] == 2
    # Neither the new entry nor any earlier one (labelled with str(object)) names them.
    for logged in ModelLogEntry.objects.all():
        text = f"{logged.label} {logged.data}"
        for part in NAME_PARTS:
            assert part not in text, (logged.action, text)


def test_newsletter_subscription_is_kept_unless_removed_too(
    manager, django_capture_on_commit_callbacks
):
    keep = BoardMemberFactory(email="keep@example.org")
    ended_term(keep)
    NewsletterSubscriber.objects.create(email="keep@example.org", unsubscribe_token_hash="k" * 64)
    drop = BoardMemberFactory(email="drop@example.org")
    ended_term(drop)
    NewsletterSubscriber.objects.create(email="DROP@example.org", unsubscribe_token_hash="d" * 64)

    erase(keep, manager, django_capture_on_commit_callbacks)
    erase(
        drop,
        manager,
        django_capture_on_commit_callbacks,
        options={"remove_newsletter_subscription"},
    )

    assert list(NewsletterSubscriber.objects.values_list("email", flat=True)) == [
        "keep@example.org"
    ]


# --- Refusals ---------------------------------------------------------------------------------


def test_a_current_or_future_term_is_refused(former, manager):
    today = timezone.localdate()
    future = MembershipFactory(
        member=former,
        term_starts=today + timedelta(days=30),
        term_ends=today + timedelta(days=400),
    )
    with pytest.raises(ValidationError, match="current or future term"):
        services.former_member_erase(member=former, by=manager)
    future.delete()
    MembershipFactory(member=former)  # current
    with pytest.raises(ValidationError, match="current or future term"):
        services.former_member_erase(member=former, by=manager)
    former.refresh_from_db()
    assert former.email == "ada@example.org"


@pytest.mark.parametrize("role", roles.STAFF_ROLES)
def test_staff_accounts_are_refused(manager, role):
    officer = UserFactory(roles=[role, roles.BOARD_MEMBERS])
    ended_term(officer)
    with pytest.raises(ValidationError, match="staff account"):
        services.former_member_erase(member=officer, by=manager)


@pytest.mark.parametrize("flags", [{"is_staff": True}, {"is_superuser": True}])
def test_django_staff_and_superusers_are_refused(manager, flags):
    account = BoardMemberFactory(**flags)
    ended_term(account)
    with pytest.raises(ValidationError, match="staff account"):
        services.former_member_erase(member=account, by=manager)


def test_someone_who_was_never_a_member_is_refused(manager):
    with pytest.raises(ValidationError, match="never been a board member"):
        services.former_member_erase(member=UserFactory(), by=manager)


def test_an_erased_account_is_not_erased_twice(former, manager, django_capture_on_commit_callbacks):
    erase(former, manager, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="already been erased"):
        services.former_member_erase(member=User.objects.get(pk=former.pk), by=manager)
    assert ModelLogEntry.objects.filter(action="board.member.erase").count() == 1


@pytest.mark.parametrize("role", [roles.APPROVERS, roles.INCLUSION_ANALYSTS, roles.BOARD_MEMBERS])
def test_only_holders_of_the_erase_permission_may_erase(former, make_user, role):
    with pytest.raises(PermissionDenied):
        services.former_member_erase(member=former, by=make_user(role))
    former.refresh_from_db()
    assert former.is_active


# --- The admin pages --------------------------------------------------------------------------


@pytest.fixture
def manager_client(client, manager, signed_in):
    signed_in(manager)
    return client


def erase_url(member) -> str:
    return reverse("board_member_erase", args=[member.pk])


def test_confirmation_page_says_what_will_happen_and_is_logged(former, manager_client, manager):
    response = manager_client.get(erase_url(former))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ada Lovelace" in body
    assert "2 terms of membership" in body
    assert "2 receipt files" in body
    assert FORMER_MEMBER in body
    assert "cannot be undone" in body
    entry = ModelLogEntry.objects.get(action=PERSONAL_DATA_VIEW)
    assert (entry.user, entry.object_id) == (manager, str(former.pk))
    # Looking is not erasing.
    former.refresh_from_db()
    assert former.is_active


def test_erasing_needs_the_confirmation_box(former, manager_client):
    response = manager_client.post(erase_url(former), {})
    assert response.status_code == 200
    former.refresh_from_db()
    assert former.email == "ada@example.org"


def test_manager_erases_from_the_admin(
    former, manager_client, manager, django_capture_on_commit_callbacks
):
    receipts = receipt_names(former)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(erase_url(former), {"confirm": "on"})
    assert response.status_code == 302
    assert response.url == reverse("board_former_members")
    former.refresh_from_db()
    assert former.email.endswith("@erased.invalid")
    assert not any(receipt_storage().exists(name) for name in receipts)
    assert ModelLogEntry.objects.filter(action="board.member.erase", user=manager).exists()


def test_the_page_refuses_a_current_member(manager_client):
    current = MembershipFactory().member
    body = manager_client.get(erase_url(current)).content.decode()
    assert "current or future term" in body
    assert "Erase this former member</button>" not in body
    manager_client.post(erase_url(current), {"confirm": "on"})
    current.refresh_from_db()
    assert current.is_active


def test_former_members_lists_only_those_who_may_be_erased(former, manager_client):
    current = MembershipFactory(member=BoardMemberFactory(last_name="Currentmember")).member
    officer = UserFactory(last_name="Officerperson", roles=[roles.ENGAGEMENT_MANAGERS])
    ended_term(officer)
    body = manager_client.get(reverse("board_former_members")).content.decode()
    assert "Ada Lovelace" in body
    assert erase_url(former) in body
    assert current.last_name not in body
    assert "Officerperson" not in body
    assert [m.pk for m in selectors.former_members()] == [former.pk]


def test_membership_listing_offers_erasure_for_an_ended_term(former, manager_client):
    MembershipFactory(member=BoardMemberFactory())
    body = manager_client.get(reverse("board_membership:index")).content.decode()
    assert body.count("Erase this former member") == 2  # Ada's two ended terms only
    assert erase_url(former) in body


@pytest.mark.parametrize("role", [roles.APPROVERS, roles.INCLUSION_ANALYSTS])
def test_other_staff_cannot_reach_the_erasure_pages(former, signed_in, make_user, role):
    client = signed_in(make_user(role))
    for url in (reverse("board_former_members"), erase_url(former)):
        assert client.get(url).status_code in (302, 403)
    client.post(erase_url(former), {"confirm": "on"})
    former.refresh_from_db()
    assert former.is_active


# --- Other apps' parts, reached through the personal-data registry -----------------------------


def test_erasure_removes_their_address_from_unused_survey_links_and_the_download_lists_them(
    former, manager, client, django_capture_on_commit_callbacks
):
    from surveys.models import SurveyInvitation
    from tests.surveys.factories import WaveFactory

    wave = WaveFactory()
    unused = SurveyInvitation.objects.create(wave=wave, email=former.email, token_hash="u" * 64)
    someone_else = SurveyInvitation.objects.create(
        wave=wave, email="zeb@example.org", token_hash="z" * 64
    )
    sections = {s.key: s.data for s in personal_data.sections(user=former)}
    assert sections["survey_links"] == [
        {"survey": wave.survey.name, "year": wave.year, "sent": unused.created_on}
    ]
    preview = personal_data.erasure_preview(user=former)
    assert any("1 survey link not yet used" in line for line in preview.deletes)

    counts = erase(former, manager, django_capture_on_commit_callbacks)

    assert counts["survey_link_addresses_erased"] == 1
    unused.refresh_from_db()
    someone_else.refresh_from_db()
    # The link stays, so the wave's invited count and response rate do not change.
    assert (unused.email, unused.used) == ("", False)
    assert someone_else.email == "zeb@example.org"


def rows_holding(text: str) -> list[str]:
    """Every row of every table whose text, JSON or decoded session holds ``text``."""
    from django.apps import apps
    from django.db import models as m
    from django.db.models.functions import Cast

    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        query = m.Q()
        annotations = {}
        for field in model._meta.concrete_fields:
            if isinstance(field, m.JSONField):
                annotations[f"_{field.name}_text"] = Cast(field.name, m.TextField())
                query |= m.Q(**{f"_{field.name}_text__icontains": text})
            elif isinstance(field, m.CharField | m.TextField):
                query |= m.Q(**{f"{field.name}__icontains": text})
        if query:
            rows = model._default_manager.annotate(**annotations).filter(query)
            found += [f"{model._meta.label} {pk}" for pk in rows.values_list("pk", flat=True)]
    found += [
        f"django_session {session.pk}"
        for session in Session.objects.all()
        if text in str(session.get_decoded())
    ]
    return found


def test_after_erasure_no_table_holds_their_address(
    former, manager, database_tasks, django_capture_on_commit_callbacks
):
    from board.tasks import send_notification_email

    email = former.email
    recommendation = RecommendationFactory(author=former, title="Late idea")
    with django_capture_on_commit_callbacks(execute=True):
        services.recommendation_acknowledge(recommendation=recommendation, by=manager)
    # A notification queued before tasks took ids: its row held the address and the body.
    send_notification_email.enqueue(to=[email], subject="Hello", body=f"Dear Ada <{email}>")
    NewsletterSubscriber.objects.get_or_create(
        email=email, defaults={"unsubscribe_token_hash": "a" * 64, "confirmed": True}
    )
    assert rows_holding(email)  # the scan finds what is there

    erase(
        former,
        manager,
        django_capture_on_commit_callbacks,
        options={"remove_newsletter_subscription"},
    )

    assert rows_holding(email) == []
    assert rows_holding("Lovelace") == []


def test_the_notification_queued_for_a_member_holds_ids_not_their_address(
    former, manager, database_tasks, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    recommendation = RecommendationFactory(author=former, title="Another idea")
    with django_capture_on_commit_callbacks(execute=True):
        services.recommendation_acknowledge(recommendation=recommendation, by=manager)
    task = DBTaskResult.objects.get(task_path__endswith="send_recommendation_email")
    assert task.args_kwargs["kwargs"]["recipient_ids"] == [former.pk]
    assert former.email not in str(task.args_kwargs)
    assert "Ada" not in str(task.args_kwargs)
