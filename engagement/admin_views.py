"""Wagtail admin views a generic viewset does not cover: the subscriber download and sending a
newsletter issue."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from cms.exports import escape_cell
from cms.platform import audit
from engagement import selectors, services
from engagement.models import NewsletterIssuePage, NewsletterSubscriber

EXPORT_PERMISSION = "engagement.export_newslettersubscriber"
SEND_PERMISSION = "engagement.send_newsletter"


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


@require_GET
def subscribers_csv(request: HttpRequest) -> HttpResponse:
    """Confirmed subscribers only: an unconfirmed address never agreed to anything."""
    _require(request, EXPORT_PERMISSION)
    audit.personal_data_exported(
        model=NewsletterSubscriber,
        by=request.user,
        export="newsletter-subscribers",
        file_format="csv",
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Email", "Signed up", "Confirmed"])
    for subscriber in selectors.confirmed_subscribers().iterator(chunk_size=2000):
        writer.writerow(
            [
                escape_cell(subscriber.email),
                timezone.localtime(subscriber.created_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(subscriber.confirmed_at).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="newsletter-subscribers-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def newsletter_send(request: HttpRequest, page_id: int) -> HttpResponse:
    _require(request, SEND_PERMISSION)
    issue = get_object_or_404(NewsletterIssuePage, pk=page_id)
    edit_url = reverse("wagtailadmin_pages:edit", args=[issue.pk])
    if request.method == "POST":
        try:
            recipients = services.newsletter_issue_send(issue=issue, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(edit_url)
        plural = "" if recipients == 1 else "s"
        messages.success(
            request, f"'{issue.title}' is being sent to {recipients} subscriber{plural}."
        )
        return redirect(edit_url)
    return TemplateResponse(
        request,
        "engagement/admin/newsletter_send.html",
        {
            "header_title": f"Send '{issue.title}' to subscribers",
            "issue": issue,
            "counts": selectors.subscriber_counts(),
            "edit_url": edit_url,
        },
    )
