"""An iCalendar (RFC 5545) writer for the calendar of dates and the events feeds.

Written here rather than adding a runtime dependency: the feeds need one component (VEVENT),
text escaping (3.3.11), line folding at 75 octets (3.1) and CRLF line ends. Times are written
in UTC, so no VTIMEZONE is needed; all-day dates use VALUE=DATE with an exclusive DTEND.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

PRODID = "-//Lived Experience//Engagement calendar//EN"
LINE_LIMIT = 75  # octets, not counting the CRLF


def escape_text(value: str) -> str:
    """TEXT value escaping: backslash, semicolon, comma and newlines (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, each continuation starting with a
    space, never inside a multi-byte UTF-8 character (RFC 5545 3.1)."""
    if len(line.encode()) <= LINE_LIMIT:
        return line
    pieces: list[str] = []
    current, size, limit = [], 0, LINE_LIMIT
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, LINE_LIMIT - 1  # the leading space is one octet
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _date(day: date) -> str:
    return day.strftime("%Y%m%d")


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    summary: str
    start: date | datetime
    end: date | datetime  # exclusive: the day after the last day for an all-day event
    description: str = ""
    location: str = ""
    url: str = ""
    categories: Sequence[str] = field(default_factory=tuple)
    last_modified: datetime | None = None
    transparent: bool = False

    def lines(self, *, stamp: datetime) -> list[str]:
        lines = ["BEGIN:VEVENT", f"UID:{self.uid}", f"DTSTAMP:{_utc(stamp)}"]
        if isinstance(self.start, datetime):
            lines += [f"DTSTART:{_utc(self.start)}", f"DTEND:{_utc(self.end)}"]
        else:
            lines += [
                f"DTSTART;VALUE=DATE:{_date(self.start)}",
                f"DTEND;VALUE=DATE:{_date(self.end)}",
            ]
        lines.append(f"SUMMARY:{escape_text(self.summary)}")
        if self.description:
            lines.append(f"DESCRIPTION:{escape_text(self.description)}")
        if self.location:
            lines.append(f"LOCATION:{escape_text(self.location)}")
        if self.url:
            lines.append(f"URL:{self.url}")
        if self.categories:
            lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in self.categories))
        if self.last_modified:
            lines.append(f"LAST-MODIFIED:{_utc(self.last_modified)}")
        lines.append(f"TRANSP:{'TRANSPARENT' if self.transparent else 'OPAQUE'}")
        lines.append("END:VEVENT")
        return lines


def calendar(
    *,
    name: str,
    events: Iterable[CalendarEvent],
    description: str = "",
    stamp: datetime | None = None,
) -> str:
    stamp = stamp or timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    if description:
        lines.append(f"X-WR-CALDESC:{escape_text(description)}")
    for event in events:
        lines += event.lines(stamp=stamp)
    lines.append("END:VCALENDAR")
    return "".join(f"{fold(line)}\r\n" for line in lines)


def _host(request: HttpRequest | None) -> str:
    if request is not None:
        return request.get_host().split(":")[0]
    return settings.WAGTAILADMIN_BASE_URL.split("//")[-1].split("/")[0].split(":")[0]


def event_from_calendar_date(item, *, request: HttpRequest | None = None) -> CalendarEvent:
    """A CalendarDate as an all-day event (transparent: it does not make anyone busy)."""
    description = item.description
    if item.date_may_vary:
        description = (description + "\n\n" if description else "") + (
            "The date may vary: it depends on the sighting of the moon or on local custom."
        )
    return CalendarEvent(
        uid=f"calendar-date-{item.pk}@{_host(request)}",
        summary=item.title,
        start=item.starts_on,
        end=item.last_day + timedelta(days=1),
        description=description,
        url=item.more_information_url,
        categories=(item.get_kind_display(),),
        last_modified=item.updated_at,
        transparent=True,
    )


def event_from_event_page(page, *, request: HttpRequest | None = None) -> CalendarEvent:
    location_parts = []
    if page.venue_id:
        location_parts.append(", ".join([page.venue.name, " ".join(page.venue.address.split())]))
        if page.venue.postcode:
            location_parts.append(page.venue.postcode)
    if page.online_url:
        location_parts.append(f"Online: {page.online_url}")
    url = page.get_full_url(request) or ""
    description = page.summary
    if page.booking_required:
        description += "\n\nBooking is required."
    return CalendarEvent(
        uid=f"event-{page.pk}@{_host(request)}",
        summary=page.title,
        start=page.starts_at,
        end=page.ends_at,
        description=description,
        location=", ".join(location_parts),
        url=url,
        categories=(page.organiser.get_kind_display(),) if page.organiser_id else (),
        last_modified=page.last_published_at,
    )
