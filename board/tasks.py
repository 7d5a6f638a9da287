"""Background work for the board: notification emails and escalation of overdue responses."""

from django_tasks import task

from django.conf import settings
from django.core.mail import send_mail


@task()
def send_recommendation_email(
    *, template: str, subject: str, recommendation_id: int, recipient_ids: list[int], extra: dict
) -> int:
    """Ids only in the task's arguments (board.notifications.send): rendered when sent."""
    from board import notifications

    return notifications.deliver(
        template=template,
        subject=subject,
        recommendation_id=recommendation_id,
        recipient_ids=recipient_ids,
        extra=extra,
    )


@task()
def send_notification_email(*, to: list[str], subject: str, body: str) -> int:
    """Kept only for emails queued before the upgrade; nothing queues it now (they held the
    address and the whole body in the task table)."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)


@task()
def escalate_overdue_recommendations() -> int:
    from board import services

    return len(services.recommendations_escalate_overdue())
