"""Retention: `apply_retention` deletes exactly what is past its period, and nothing twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from board.models import ExpenseClaim
from board.models.expenses import receipt_storage
from cms import roles
from cms.models import Invitation
from cms.models.invitations import hash_token
from cms.platform.personal_data import apply_retention as retention_apply
from engagement.models import NewsletterSubscriber
from surveys.models import SurveyInvitation
from surveys.selectors import wave_response_rate
from tests.board.factories import BoardMemberFactory
from tests.surveys.factories import WaveFactory

pytestmark = pytest.mark.django_db

RETENTION = {
    "USED_SURVEY_INVITATION_RETENTION_DAYS": 365,
    "UNAPPROVED_RECEIPT_RETENTION_DAYS": 180,
    "EXPIRED_ACCOUNT_INVITATION_RETENTION_DAYS": 90,
}


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def survey_invitation(wave, *, used: bool, age_days: int) -> SurveyInvitation:
    return SurveyInvitation.objects.create(
        wave=wave,
        email="" if used else f"staff{SurveyInvitation.objects.count()}@example.org",
        token_hash=hash_token(f"survey-{SurveyInvitation.objects.count()}"),
        used=used,
        created_on=timezone.localdate() - timedelta(days=age_days),
    )


def claim(member, *, status: str, age_days: int) -> ExpenseClaim:
    made = ExpenseClaim.objects.create(
        claimant=member,
        kind=ExpenseClaim.Kind.TRAVEL,
        amount=Decimal("5.00"),
        description=f"{status}, {age_days} days",
        status=status,
        submitted_at=days_ago(age_days),
    )
    made.receipt.save("receipt.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return made


def account_invitation(*, expired_days_ago: int, accepted: bool = False) -> Invitation:
    return Invitation.objects.create(
        email=f"invitee{Invitation.objects.count()}@example.org",
        role=Group.objects.get(name=roles.BOARD_MEMBERS),
        token_hash=hash_token(f"account-{Invitation.objects.count()}"),
        created_at=days_ago(expired_days_ago + 14),
        expires_at=days_ago(expired_days_ago),
        accepted_at=days_ago(expired_days_ago + 10) if accepted else None,
    )


@pytest.fixture
def records():
    wave = WaveFactory(
        opens_on=timezone.localdate() - timedelta(days=500),
        closes_on=timezone.localdate() - timedelta(days=400),
        year=timezone.localdate().year - 1,
    )
    member = BoardMemberFactory()
    made = {
        "wave": wave,
        "old_used": [survey_invitation(wave, used=True, age_days=400) for _ in range(3)],
        "recent_used": survey_invitation(wave, used=True, age_days=100),
        "old_unused": survey_invitation(wave, used=False, age_days=400),
        "old_pending": claim(member, status=ExpenseClaim.Status.SUBMITTED, age_days=200),
        "old_rejected": claim(member, status=ExpenseClaim.Status.REJECTED, age_days=181),
        "old_approved": claim(member, status=ExpenseClaim.Status.APPROVED, age_days=900),
        "recent_rejected": claim(member, status=ExpenseClaim.Status.REJECTED, age_days=179),
        "long_expired": account_invitation(expired_days_ago=91),
        "recently_expired": account_invitation(expired_days_ago=89),
        "long_accepted": account_invitation(expired_days_ago=900, accepted=True),
        "pending": account_invitation(expired_days_ago=-7),
    }
    NewsletterSubscriber.objects.create(
        email="lapsed@example.org",
        unsubscribe_token_hash="l" * 64,
        confirmation_expires_at=days_ago(1),
    )
    NewsletterSubscriber.objects.create(
        email="waiting@example.org",
        unsubscribe_token_hash="w" * 64,
        confirmation_expires_at=timezone.now() + timedelta(days=1),
    )
    return made


@override_settings(**RETENTION)
def test_retention_deletes_exactly_what_is_past_its_period(records):
    wave = records["wave"]
    rate_before = wave_response_rate(wave=wave)
    old_receipts = [records[k].receipt.name for k in ("old_pending", "old_rejected")]
    kept_receipts = [records[k].receipt.name for k in ("old_approved", "recent_rejected")]

    deleted = retention_apply()

    assert deleted == {
        "used survey invitations": 3,
        "receipts of claims never approved": 2,
        "account invitations never accepted": 1,
        "newsletter sign-ups never confirmed": 1,
        "finished background tasks": 0,
    }
    assert set(SurveyInvitation.objects.all()) == {records["recent_used"], records["old_unused"]}
    # The receipt files are gone from storage and the fields cleared; the claims stay.
    assert not any(receipt_storage().exists(name) for name in old_receipts)
    assert all(receipt_storage().exists(name) for name in kept_receipts)
    assert ExpenseClaim.objects.count() == 4
    for key in ("old_pending", "old_rejected"):
        records[key].refresh_from_db()
        assert records[key].receipt.name == ""
        assert records[key].amount == Decimal("5.00")
    for key in ("old_approved", "recent_rejected"):
        assert ExpenseClaim.objects.get(pk=records[key].pk).receipt.name
    assert set(Invitation.objects.all()) == {
        records["recently_expired"],
        records["long_accepted"],
        records["pending"],
    }
    assert list(NewsletterSubscriber.objects.values_list("email", flat=True)) == [
        "waiting@example.org"
    ]
    # The wave's response rate is what it was: the deleted links are still counted.
    wave.refresh_from_db()
    assert wave.used_invitations_deleted == 3
    assert wave_response_rate(wave=wave) == rate_before


@override_settings(**RETENTION)
def test_retention_is_idempotent(records):
    retention_apply()
    assert set(retention_apply().values()) == {0}


@override_settings(**RETENTION)
def test_a_receipt_already_missing_from_storage_is_not_an_error(records):
    receipt_storage().delete(records["old_pending"].receipt.name)
    assert retention_apply()["receipts of claims never approved"] == 2


@override_settings(**{**RETENTION, "USED_SURVEY_INVITATION_RETENTION_DAYS": 50})
def test_the_period_comes_from_settings(records):
    assert retention_apply()["used survey invitations"] == 4


@override_settings(**RETENTION)
def test_command_prints_counts_only(records, capsys):
    call_command("apply_retention")
    out = capsys.readouterr().out
    assert "Deleted 3 used survey invitations." in out
    assert "Deleted 2 receipts of claims never approved." in out
    assert "Deleted 1 account invitations never accepted." in out
    assert "7 deleted in all." in out
    assert "@" not in out and "receipts/" not in out

    call_command("apply_retention")
    assert "0 deleted in all." in capsys.readouterr().out


@override_settings(**RETENTION)
def test_command_can_run_on_the_task_worker(records, capsys):
    call_command("apply_retention", "--enqueue")
    assert "Enqueued task" in capsys.readouterr().out
    # Tests run tasks at once (ImmediateBackend): the work is done.
    assert SurveyInvitation.objects.filter(used=True).count() == 1
