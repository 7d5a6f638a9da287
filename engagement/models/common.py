"""What the engagement page modules share: rich-text features, template folder, iCalendar."""

from __future__ import annotations

from django.http import HttpResponse

TEXT_FEATURES = ["h3", "bold", "italic", "ol", "ul", "link", "document-link"]
PAGE_TEMPLATE_DIR = "pages/engagement"
ICALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar_response(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=ICALENDAR_CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
