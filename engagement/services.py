"""Writes for engagement: newsletter sign-up (double opt-in), unsubscribing, sending an issue."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateformat import format as date_format

from wagtail.log_actions import log

from engagement import notifications, tokens
from engagement.models import NewsletterIssuePage, NewsletterSubscriber

# How long a confirmation link works; unconfirmed addresses are deleted after it.
CONFIRMATION_VALID_DAYS = 7
# At most one email to an address in this time, however often it is signed up: the form cannot
# be used to flood someone's inbox.
RESEND_AFTER = timedelta(minutes=10)


class SignupOutcome(enum.Enum):
    """For tests and logs only: the person signing up sees the same message for all three."""

    CONFIRMATION_SENT = "confirmation_sent"
    ALREADY_SUBSCRIBED = "already_subscribed"
    NOT_SENT_RECENTLY_EMAILED = "recently_emailed"


def normalise_email(email: str) -> str:
    return email.strip().lower()


@transaction.atomic
def newsletter_subscribe(*, email: str, now: datetime | None = None) -> SignupOutcome:
    """Ask an address to confirm its subscription, or tell a subscriber they already are.

    Nothing in the result reaches the person signing up: whether an address is on the list is
    told only to that address, by email.
    """
    now = now or timezone.now()
    email = normalise_email(email)
    NewsletterSubscriber.objects.confirmation_expired(now).delete()

    subscriber = NewsletterSubscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is None:
        subscriber = NewsletterSubscriber(
            email=email,
            created_at=now,
            unsubscribe_token_hash=tokens.hash_token(
                tokens.unsubscribe_token(email=email, created_at=now)
            ),
        )
        try:
            with transaction.atomic():
                subscriber.save()
        except IntegrityError:
            # Signed up at the same moment by another request, which sends the email.
            return SignupOutcome.NOT_SENT_RECENTLY_EMAILED
    elif subscriber.confirmation_sent_at and now - subscriber.confirmation_sent_at < RESEND_AFTER:
        return SignupOutcome.NOT_SENT_RECENTLY_EMAILED

    subscriber.confirmation_sent_at = now
    if subscriber.confirmed:
        subscriber.save(update_fields=["confirmation_sent_at"])
        notifications.send_already_subscribed(subscriber=subscriber)
        return SignupOutcome.ALREADY_SUBSCRIBED

    token = tokens.confirmation_token(email=email, sent_at=now)
    subscriber.confirmation_token_hash = tokens.hash_token(token)
    subscriber.confirmation_expires_at = now + timedelta(days=CONFIRMATION_VALID_DAYS)
    subscriber.save(
        update_fields=[
            "confirmation_sent_at",
            "confirmation_token_hash",
            "confirmation_expires_at",
        ]
    )
    notifications.send_confirmation(subscriber=subscriber, valid_days=CONFIRMATION_VALID_DAYS)
    return SignupOutcome.CONFIRMATION_SENT


def subscriber_for_confirmation(
    *, token: str, now: datetime | None = None
) -> NewsletterSubscriber | None:
    """The unconfirmed subscriber a confirmation link belongs to, while it still works."""
    if not token:
        return None
    return NewsletterSubscriber.objects.filter(
        confirmed=False,
        confirmation_token_hash=tokens.hash_token(token),
        confirmation_expires_at__gte=now or timezone.now(),
    ).first()


@transaction.atomic
def newsletter_confirm(*, token: str, now: datetime | None = None) -> NewsletterSubscriber | None:
    """Confirm a subscription with the emailed link. The link works once."""
    now = now or timezone.now()
    found = subscriber_for_confirmation(token=token, now=now)
    if found is None:
        return None
    subscriber = NewsletterSubscriber.objects.select_for_update().get(pk=found.pk)
    if subscriber.confirmed or subscriber.confirmation_token_hash != found.confirmation_token_hash:
        return None
    subscriber.confirmed = True
    subscriber.confirmed_at = now
    subscriber.confirmation_token_hash = ""
    subscriber.confirmation_expires_at = None
    subscriber.save(
        update_fields=[
            "confirmed",
            "confirmed_at",
            "confirmation_token_hash",
            "confirmation_expires_at",
        ]
    )
    notifications.send_welcome(subscriber=subscriber)
    return subscriber


def subscriber_for_unsubscribe(*, token: str) -> NewsletterSubscriber | None:
    if not token:
        return None
    return NewsletterSubscriber.objects.filter(
        unsubscribe_token_hash=tokens.hash_token(token)
    ).first()


@transaction.atomic
def newsletter_unsubscribe(*, token: str) -> bool:
    """Remove the address the link belongs to. Nothing about it is kept."""
    if not token:
        return False
    deleted, _ = NewsletterSubscriber.objects.filter(
        unsubscribe_token_hash=tokens.hash_token(token)
    ).delete()
    return bool(deleted)


@transaction.atomic
def newsletter_issue_send(*, issue: NewsletterIssuePage, by) -> int:
    """Send a published issue to every confirmed subscriber, once. Returns how many."""
    locked = NewsletterIssuePage.objects.select_for_update().get(pk=issue.pk)
    if not locked.live:
        raise ValidationError("Publish the issue before sending it.")
    if locked.sent_at is not None:
        sent_on = date_format(timezone.localtime(locked.sent_at), "j F Y")
        raise ValidationError(f"This issue was already sent, on {sent_on}.")
    now = timezone.now()
    recipients = NewsletterSubscriber.objects.confirmed().count()
    # A queryset update: sending changes no content, so it makes no revision.
    NewsletterIssuePage.objects.filter(pk=locked.pk).update(sent_at=now, sent_to=recipients)
    issue.sent_at, issue.sent_to = now, recipients
    log(
        instance=locked,
        action="engagement.newsletter.send",
        user=by,
        data={"recipients": recipients},
    )
    from engagement.tasks import send_newsletter_issue

    issue_id = locked.pk
    transaction.on_commit(lambda: send_newsletter_issue.enqueue(issue_id=issue_id))
    return recipients
