"""Background work for engagement: newsletter emails, sent by the task worker after commit."""

from __future__ import annotations

from django_tasks import task

from django.conf import settings
from django.core.mail import EmailMessage

# Messages handed to the mail server per batch.
SEND_BATCH = 100


@task()
def send_subscriber_email(*, subscriber_id: int, subject: str, template: str, context: dict) -> int:
    """Ids only in the task's arguments: the worker renders the email and its links."""
    from engagement import notifications

    return notifications.deliver(
        subscriber_id=subscriber_id, subject=subject, template=template, context=context
    )


@task()
def send_engagement_email(*, to: str, subject: str, body: str, headers: dict | None = None) -> int:
    """Kept only for emails queued before the upgrade (they held the address, the body and the
    raw confirmation link in the task table); nothing queues it now."""
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers=headers)
    return message.send(fail_silently=False)


@task()
def send_newsletter_issue(*, issue_id: int) -> int:
    """Email a newsletter issue to every confirmed subscriber, each with their own one-click
    unsubscribe link (in the text and in the List-Unsubscribe headers, RFC 8058)."""
    from engagement import notifications

    return notifications.send_issue_to_subscribers(issue_id=issue_id, batch=SEND_BATCH)
