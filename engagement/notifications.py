"""Newsletter emails. Rendered now, sent by the task worker after the transaction commits.

Every email to a subscriber carries their one-click unsubscribe link.
"""

from __future__ import annotations

import html
import re

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from engagement import tokens
from engagement.models import NewsletterIssuePage, NewsletterSubscriber
from engagement.tasks import send_subscriber_email


def site_url() -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def council_name() -> str:
    from wagtail.models import Site

    from cms.models import SiteSettings

    site = Site.objects.filter(is_default_site=True).first()
    return SiteSettings.for_site(site).council_name if site else settings.COUNCIL_NAME


def confirm_url(token: str) -> str:
    return site_url() + reverse("engagement:newsletter_confirm", args=[token])


def unsubscribe_url(subscriber: NewsletterSubscriber) -> str:
    return site_url() + reverse(
        "engagement:newsletter_unsubscribe", args=[subscriber.unsubscribe_token()]
    )


def unsubscribe_headers(url: str) -> dict[str, str]:
    # RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs to the link.
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _render(template: str, context: dict) -> str:
    return render_to_string(
        f"emails/engagement/{template}.txt",
        {"site_url": site_url(), "council_name": council_name(), **context},
    )


def _send(*, subscriber: NewsletterSubscriber, subject: str, template: str, context: dict):
    """Queue an email to one subscriber, after commit, by id: the worker renders it
    (``deliver``), so the task table never holds the address, the body or a link's token."""
    subscriber_id = subscriber.pk
    transaction.on_commit(
        lambda: send_subscriber_email.enqueue(
            subscriber_id=subscriber_id, subject=subject, template=template, context=context
        )
    )


def deliver(*, subscriber_id: int, subject: str, template: str, context: dict) -> int:
    """The task's body. A subscriber gone meanwhile (unsubscribed, erased) gets nothing."""
    subscriber = NewsletterSubscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return 0
    url = unsubscribe_url(subscriber)
    extra = {}
    if context.get("confirm"):
        if subscriber.confirmed or not subscriber.confirmation_sent_at:
            return 0
        token = tokens.confirmation_token(
            email=subscriber.email, sent_at=subscriber.confirmation_sent_at
        )
        extra["confirm_url"] = confirm_url(token)
    body = _render(template, {**context, **extra, "subscriber": subscriber, "unsubscribe_url": url})
    message = EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [subscriber.email],
        headers=unsubscribe_headers(url),
    )
    return message.send(fail_silently=False)


def send_confirmation(*, subscriber: NewsletterSubscriber, valid_days: int) -> None:
    _send(
        subscriber=subscriber,
        subject=f"Confirm your subscription to the {council_name()} newsletter",
        template="newsletter_confirm",
        context={"confirm": True, "valid_days": valid_days},
    )


def send_already_subscribed(*, subscriber: NewsletterSubscriber) -> None:
    _send(
        subscriber=subscriber,
        subject=f"You are already subscribed to the {council_name()} newsletter",
        template="newsletter_already_subscribed",
        context={},
    )


def send_welcome(*, subscriber: NewsletterSubscriber) -> None:
    _send(
        subscriber=subscriber,
        subject=f"You are subscribed to the {council_name()} newsletter",
        template="newsletter_welcome",
        context={},
    )


# --- Newsletter issues ------------------------------------------------------------------------

_BLOCK_END = re.compile(r"</(p|h[1-6]|li|ul|ol|blockquote|figure|figcaption|div|section)>", re.I)
_LINK = re.compile(r'<a\s[^>]*href="([^"]+)"[^>]*>(.*?)</a>', re.I | re.S)


def html_to_text(markup: str) -> str:
    """Plain text of rendered blocks for an email: paragraphs, list items and link targets kept."""

    def link(match: re.Match) -> str:
        href, text = match.group(1), re.sub(r"<[^>]+>", "", match.group(2)).strip()
        if href.startswith("/"):
            href = site_url() + href
        if href.startswith("mailto:") or href == text:
            return text
        return f"{text} ({href})"

    text = _LINK.sub(link, markup)
    text = re.sub(r"<li[^>]*>", "- ", text, flags=re.I)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.I)
    text = _BLOCK_END.sub("\n\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = html.unescape(text)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def render_issue(issue: NewsletterIssuePage) -> dict[str, str]:
    return {
        "subject": f"{issue.title} - {council_name()}",
        "body_text": html_to_text(str(issue.body.render_as_block())),
        "issue_url": site_url() + (issue.url or ""),
    }


def send_issue_to_subscribers(*, issue_id: int, batch: int) -> int:
    issue = NewsletterIssuePage.objects.get(pk=issue_id)
    rendered = render_issue(issue)
    sent = 0
    pending: list[EmailMessage] = []
    connection = get_connection(fail_silently=False)
    subscribers = NewsletterSubscriber.objects.confirmed().order_by("pk").iterator(chunk_size=500)
    for subscriber in subscribers:
        url = unsubscribe_url(subscriber)
        body = _render("newsletter_issue", {"issue": issue, **rendered, "unsubscribe_url": url})
        pending.append(
            EmailMessage(
                rendered["subject"],
                body,
                settings.DEFAULT_FROM_EMAIL,
                [subscriber.email],
                headers=unsubscribe_headers(url),
                connection=connection,
            )
        )
        if len(pending) >= batch:
            sent += connection.send_messages(pending) or 0
            pending = []
    if pending:
        sent += connection.send_messages(pending) or 0
    return sent
