"""Events (when, where and its access, online, booking, organiser) and the calendar of dates,
with their iCalendar feeds checked by an independent parser (the ``icalendar`` library)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from django.core.exceptions import ValidationError
from django.utils import timezone

from engagement import ical, selectors
from engagement.models import CalendarDate, EventOrganiser, Venue
from tests.engagement.factories import (
    CalendarDateFactory,
    EventOrganiserFactory,
    EventPageFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def body_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def parse_calendar(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    # RFC 5545: CRLF line ends, no line longer than 75 octets.
    lines = raw.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) <= 75 for line in lines), max(lines, key=len)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    calendar = icalendar.Calendar.from_ical(raw)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    return calendar


def events_of(calendar) -> list:
    return list(calendar.walk("VEVENT"))


# --- Events -----------------------------------------------------------------------------------


def test_event_page_shows_when_where_access_booking_and_organiser(client, event_index):
    venue = VenueFactory(
        name="Bournville Community Centre",
        address="Selworthy Road\nWeston-super-Mare",
        postcode="BS23 3ST",
        step_free=Venue.StepFree.PARTIAL,
        accessible_toilet=True,
        hearing_loop=False,
        quiet_space=True,
        accessibility_notes="The upstairs room is not step-free.",
        access_guide_url="https://example.org/access-guide",
    )
    organiser = EventOrganiserFactory(
        name="Weston Women's Circle",
        kind=EventOrganiser.Kind.COMMUNITY_GROUP,
        website="https://example.org/circle",
    )
    starts = datetime(2030, 3, 14, 14, 0, tzinfo=LONDON)
    event = EventPageFactory(
        parent=event_index,
        title="Recipes and stories",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2, minutes=30),
        venue=venue,
        online_url="https://example.org/join",
        organiser=organiser,
        access_at_event="BSL interpreter; prayer room",
        cost="Free",
        booking_required=True,
        booking_url="https://example.org/book",
    )
    body = body_of(client, event.url)
    assert "Thursday 14 March 2030, 2pm to 4:30pm" in body
    assert "Bournville Community Centre<br>Selworthy Road<br>Weston-super-Mare<br>BS23 3ST" in body
    assert 'href="https://example.org/join"' in body
    assert "Step-free to some areas" in body and "Accessible toilet" in body
    assert "Quiet space" in body and "Hearing loop" not in body
    assert "The upstairs room is not step-free." in body
    assert 'href="https://example.org/access-guide"' in body
    assert "BSL interpreter; prayer room" in body
    assert (
        'href="https://example.org/circle">Weston Women&#x27;s Circle</a> (community group)' in body
    )
    assert "Booking is required." in body and 'href="https://example.org/book"' in body
    assert f'href="{event.url}ical/"' in body


def test_online_only_event_and_a_finished_one(client, event_index):
    finished = EventPageFactory(
        parent=event_index,
        venue=None,
        online_url="https://example.org/stream",
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=1),
        booking_url="https://example.org/book",
    )
    body = body_of(client, finished.url)
    assert "This event has finished." in body
    assert "Online: <a" in body
    assert "Book a place" not in body
    assert "This event is online." in body


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"venue": None, "online_url": ""}, "venue"),
        ({"booking_required": True, "booking_url": "", "booking_details": " "}, "booking_url"),
    ],
)
def test_event_needs_a_place_and_a_way_to_book(event_index, fields, error_field):
    with pytest.raises(ValidationError) as error:
        EventPageFactory(parent=event_index, **fields)
    assert error_field in error.value.message_dict


def test_event_must_end_after_it_starts(event_index):
    starts = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        EventPageFactory(parent=event_index, starts_at=starts, ends_at=starts)
    assert "ends_at" in error.value.message_dict


def test_events_listing_splits_upcoming_and_past(client, event_index):
    now = timezone.now()
    EventPageFactory(parent=event_index, title="Next week", starts_at=now + timedelta(days=7))
    EventPageFactory(parent=event_index, title="Tomorrow", starts_at=now + timedelta(days=1))
    EventPageFactory(
        parent=event_index,
        title="Last month",
        starts_at=now - timedelta(days=30),
        ends_at=now - timedelta(days=30) + timedelta(hours=1),
    )
    upcoming = body_of(client, event_index.url)
    assert upcoming.index(">Tomorrow<") < upcoming.index(">Next week<")
    assert "Last month" not in upcoming
    past = body_of(client, f"{event_index.url}past/")
    assert "Last month" in past and "Tomorrow" not in past


def test_events_feed_is_valid_icalendar(client, event_index):
    venue = VenueFactory(name="Town Hall, Committee Room 2", address="1 Walliscote Grove Road")
    starts = datetime(2030, 6, 22, 18, 30, tzinfo=LONDON)  # British Summer Time
    event = EventPageFactory(
        parent=event_index,
        title="Windrush Day: stories; songs, and food",
        summary="Come along.\nAll welcome, bring a friend.",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue=venue,
        online_url="https://example.org/stream",
    )
    calendar = parse_calendar(client.get(f"{event_index.url}ical/"))
    (vevent,) = events_of(calendar)
    assert str(vevent["SUMMARY"]) == "Windrush Day: stories; songs, and food"
    assert str(vevent["DESCRIPTION"]) == "Come along.\nAll welcome, bring a friend."
    assert vevent.decoded("DTSTART") == starts
    assert vevent.decoded("DTSTART").utcoffset() == timedelta(0)  # written in UTC
    assert vevent.decoded("DTEND") == starts + timedelta(hours=2)
    assert "Town Hall, Committee Room 2" in str(vevent["LOCATION"])
    assert "Online: https://example.org/stream" in str(vevent["LOCATION"])
    assert str(vevent["URL"]) == event.full_url
    assert str(vevent["UID"]).startswith(f"event-{event.pk}@")
    assert vevent["DTSTAMP"]

    single = parse_calendar(client.get(f"{event.url}ical/"))
    assert [str(e["UID"]) for e in events_of(single)] == [str(vevent["UID"])]


# --- The calendar of dates --------------------------------------------------------------------


def test_calendar_page_shows_the_year_ahead_by_month(client, calendar_page):
    today = timezone.localdate()
    CalendarDateFactory(
        title="Black History Month",
        kind=CalendarDate.Kind.AWARENESS,
        starts_on=today + timedelta(days=40),
        ends_on=today + timedelta(days=70),
    )
    CalendarDateFactory(
        title="Eid al-Fitr",
        kind=CalendarDate.Kind.FAITH,
        starts_on=today + timedelta(days=5),
        date_may_vary=True,
        more_information_url="https://example.org/eid",
    )
    CalendarDateFactory(
        title="Race Equality Week",
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=3),
    )
    CalendarDateFactory(title="Long past", starts_on=today - timedelta(days=30))
    CalendarDateFactory(title="Too far ahead", starts_on=today + timedelta(days=400))

    body = body_of(client, calendar_page.url)
    for title in ("Black History Month", "Eid al-Fitr", "Race Equality Week"):
        assert f"<strong>{title}</strong>" in body
    assert "Long past" not in body and "Too far ahead" not in body
    assert "Date may vary" in body
    assert 'href="https://example.org/eid"' in body
    # A date still running is shown under this month.
    this_month = f'id="month-{today.year}-{today.month:02d}"'
    assert body.index(this_month) < body.index("Race Equality Week")
    assert body.index("Eid al-Fitr") < body.index("Black History Month")
    assert f'href="{calendar_page.url}ical/"' in body


def test_calendar_months_group_by_the_month_shown():
    today = date(2026, 11, 23)
    CalendarDateFactory(title="Running", starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 30))
    CalendarDateFactory(title="December", starts_on=date(2026, 12, 25))
    CalendarDateFactory(
        title="Next autumn", starts_on=date(2027, 10, 1), ends_on=date(2027, 10, 31)
    )
    CalendarDateFactory(title="After the year", starts_on=date(2027, 11, 24))
    months = selectors.calendar_months(today=today)
    assert [(m.name, [d.title for d in m.dates]) for m in months] == [
        ("November 2026", ["Running"]),
        ("December 2026", ["December"]),
        ("October 2027", ["Next autumn"]),
    ]


def test_calendar_feed_is_valid_icalendar_with_all_day_dates(client, calendar_page):
    today = timezone.localdate()
    month = CalendarDateFactory(
        title="Black History Month",
        kind=CalendarDate.Kind.AWARENESS,
        starts_on=today + timedelta(days=10),
        ends_on=today + timedelta(days=40),
        description="Celebrating Black Britons' history, culture, and contribution; all month.",
    )
    day = CalendarDateFactory(
        title="Diwali",
        kind=CalendarDate.Kind.FAITH,
        starts_on=today + timedelta(days=20),
        date_may_vary=True,
        more_information_url="https://example.org/diwali",
    )
    CalendarDateFactory(title="Gone", starts_on=today - timedelta(days=90))

    calendar = parse_calendar(client.get(f"{calendar_page.url}ical/"))
    assert str(calendar["X-WR-CALNAME"]) == calendar_page.title
    by_title = {str(e["SUMMARY"]): e for e in events_of(calendar)}
    assert set(by_title) == {"Black History Month", "Diwali"}

    bhm = by_title["Black History Month"]
    assert bhm.decoded("DTSTART") == month.starts_on
    assert bhm.decoded("DTEND") == month.ends_on + timedelta(days=1)  # exclusive
    assert str(bhm["DESCRIPTION"]) == month.description
    assert str(bhm["TRANSP"]) == "TRANSPARENT"
    assert bhm["CATEGORIES"].cats == ["Awareness day, week or month"]

    diwali = by_title["Diwali"]
    assert diwali.decoded("DTSTART") == day.starts_on
    assert diwali.decoded("DTEND") == day.starts_on + timedelta(days=1)
    assert "The date may vary" in str(diwali["DESCRIPTION"])
    assert str(diwali["URL"]) == "https://example.org/diwali"
    assert str(diwali["UID"]) == f"calendar-date-{day.pk}@testserver"


def test_calendar_date_end_must_not_be_before_its_start():
    item = CalendarDate(
        title="Backwards", kind="cultural", starts_on=date(2027, 2, 10), ends_on=date(2027, 2, 1)
    )
    with pytest.raises(ValidationError) as error:
        item.full_clean()
    assert "ends_on" in error.value.message_dict


# --- The iCalendar writer ---------------------------------------------------------------------


def test_text_escaping_round_trips_through_an_independent_parser():
    awkward = 'Backslash \\ semicolon ; comma , quote " newline\nand CRLF\r\nend'
    body = ical.calendar(
        name="Test; calendar, with \\ specials",
        events=[
            ical.CalendarEvent(
                uid="a@example.org",
                summary=awkward,
                start=date(2027, 1, 1),
                end=date(2027, 1, 2),
                description=awkward,
                location="Hall 1, Room 2; upstairs",
                categories=("Faith, culture", "Awareness"),
            )
        ],
    )
    parsed = icalendar.Calendar.from_ical(body)
    (event,) = parsed.walk("VEVENT")
    expected = awkward.replace("\r\n", "\n")
    assert str(event["SUMMARY"]) == expected
    assert str(event["DESCRIPTION"]) == expected
    assert str(event["LOCATION"]) == "Hall 1, Room 2; upstairs"
    assert event["CATEGORIES"].cats == ["Faith, culture", "Awareness"]
    # icalendar keeps X- properties as written: RFC 5545 TEXT escaping, as for SUMMARY.
    assert str(parsed["X-WR-CALNAME"]) == r"Test\; calendar\, with \\ specials"


@pytest.mark.parametrize(
    "text",
    [
        "x" * 300,
        "é" * 200,  # two octets each: a fold never splits one
        "🎉" * 100,  # four octets each
        "Diwali: दीपावली " * 20,
        "a" * 74 + "é" + "b" * 80,
    ],
)
def test_long_lines_fold_at_75_octets_without_splitting_characters(text):
    line = f"DESCRIPTION:{text}"
    folded = ical.fold(line)
    physical = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in physical)
    assert all(part.startswith(" ") for part in physical[1:])
    # Unfolding (remove CRLF + one space) gives the line back exactly.
    assert folded.replace("\r\n ", "") == line
    parsed = icalendar.Calendar.from_ical(
        ical.calendar(
            name="Folding",
            events=[
                ical.CalendarEvent(
                    uid="f@example.org",
                    summary="Folding",
                    start=date(2027, 1, 1),
                    end=date(2027, 1, 2),
                    description=text,
                )
            ],
        )
    )
    assert str(parsed.walk("VEVENT")[0]["DESCRIPTION"]) == text


def test_short_lines_are_not_folded():
    assert ical.fold("SUMMARY:Eid") == "SUMMARY:Eid"
    assert ical.fold("X" * 75) == "X" * 75
    assert ical.fold("X" * 76) == "X" * 75 + "\r\n X"
