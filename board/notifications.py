"""Emails about recommendations. Rendered now, sent by the task worker after commit."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string

from board.tasks import send_recommendation_email


def _site_url() -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def _council_name() -> str:
    from wagtail.models import Site

    from cms.models import SiteSettings

    site = Site.objects.filter(is_default_site=True).first()
    return SiteSettings.for_site(site).council_name if site else settings.COUNCIL_NAME


def _reference(value):
    """A model instance as ("app_label.model", pk), so the task's arguments hold ids only."""
    if isinstance(value, models.Model):
        return {"model": value._meta.label, "pk": value.pk}
    return value


def _resolved(value):
    if isinstance(value, dict) and set(value) == {"model", "pk"}:
        return apps.get_model(value["model"])._default_manager.filter(pk=value["pk"]).first()
    return value


def send(*, to: list, template: str, subject: str, recommendation, extra: dict | None = None):
    """Queue an email about a recommendation to these accounts, after commit.

    The task is handed ids only: the recipients' accounts, the recommendation and any record the
    email mentions. Its row in the task table (django-tasks keeps it until retention) then holds
    no address, no body and no name; the worker renders the email when it sends it.
    """
    recipient_ids = [user.pk for user in to if user is not None and user.email]
    if not recipient_ids:
        return
    payload = {name: _reference(value) for name, value in (extra or {}).items()}
    transaction.on_commit(
        lambda: send_recommendation_email.enqueue(
            template=template,
            subject=subject,
            recommendation_id=recommendation.pk,
            recipient_ids=recipient_ids,
            extra=payload,
        )
    )


def deliver(*, template, subject, recommendation_id, recipient_ids, extra) -> int:
    """The task's body: render the email now and send it to the accounts still active."""
    from board.models import Recommendation
    from cms.models import User

    recommendation = (
        Recommendation.objects.select_related("author", "owner")
        .filter(pk=recommendation_id)
        .first()
    )
    recipients = list(
        User.objects.filter(pk__in=recipient_ids, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if recommendation is None or not recipients:
        return 0
    context = {
        "recommendation": recommendation,
        "author": recommendation.author,
        "owner": recommendation.owner,
        **{name: _resolved(value) for name, value in extra.items()},
        "site_url": _site_url(),
        "council_name": _council_name(),
    }
    body = render_to_string(f"emails/board/{template}.txt", context)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)


def notify_author(recommendation, *, event: str, extra: dict | None = None) -> None:
    """Tell the author what happened to their recommendation: acknowledged, answered, ..."""
    author = recommendation.author
    if author is None or not author.is_active:
        return
    subjects = {
        "acknowledged": "We have received your recommendation",
        "answered": "The council has answered your recommendation",
        "updated": "An update on your recommendation",
        "implemented": "Your recommendation has led to a change",
    }
    send(
        to=[author],
        template=f"author_{event}",
        subject=f"{subjects[event]}: {recommendation.reference}",
        recommendation=recommendation,
        extra=extra,
    )


def notify_owner_overdue(recommendation) -> None:
    owner = recommendation.owner
    if owner is None:
        return
    send(
        to=[owner],
        template="owner_overdue",
        subject=f"Overdue: the council's response to {recommendation.reference}",
        recommendation=recommendation,
    )


def notify_managers_new_recommendation(recommendation, managers) -> None:
    send(
        to=list(managers),
        template="managers_new_recommendation",
        subject=f"New board recommendation: {recommendation.reference}",
        recommendation=recommendation,
    )
