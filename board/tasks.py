"""Background work for the board: notification emails and escalation of overdue responses."""

from django_tasks import task

from django.conf import settings
from django.core.mail import send_mail


@task()
def send_notification_email(*, to: list[str], subject: str, body: str) -> int:
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)


@task()
def escalate_overdue_recommendations() -> int:
    from board import services

    return len(services.recommendations_escalate_overdue())
