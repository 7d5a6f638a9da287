"""Emails about recommendations. Rendered now, sent by the task worker after commit."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from board.tasks import send_notification_email


def _site_url() -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def _council_name() -> str:
    from wagtail.models import Site

    from cms.models import SiteSettings

    site = Site.objects.filter(is_default_site=True).first()
    return SiteSettings.for_site(site).council_name if site else settings.COUNCIL_NAME


def send(*, to: list[str], template: str, subject: str, context: dict) -> None:
    recipients = [address for address in to if address]
    if not recipients:
        return
    body = render_to_string(
        f"emails/board/{template}.txt",
        {**context, "site_url": _site_url(), "council_name": _council_name()},
    )
    transaction.on_commit(
        lambda: send_notification_email.enqueue(to=recipients, subject=subject, body=body)
    )


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
        to=[author.email],
        template=f"author_{event}",
        subject=f"{subjects[event]}: {recommendation.reference}",
        context={"recommendation": recommendation, "author": author, **(extra or {})},
    )


def notify_owner_overdue(recommendation) -> None:
    owner = recommendation.owner
    if owner is None:
        return
    send(
        to=[owner.email],
        template="owner_overdue",
        subject=f"Overdue: the council's response to {recommendation.reference}",
        context={"recommendation": recommendation, "owner": owner},
    )


def notify_managers_new_recommendation(recommendation, managers) -> None:
    send(
        to=[manager.email for manager in managers],
        template="managers_new_recommendation",
        subject=f"New board recommendation: {recommendation.reference}",
        context={"recommendation": recommendation},
    )
