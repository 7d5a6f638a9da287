"""Dates and times in GOV.UK style, and the cache-based rate limit."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from engagement.templatetags.engagement_tags import date_range, event_when, govuk_time

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(12, 0, "midday"), (0, 0, "midnight"), (9, 0, "9am"), (14, 30, "2:30pm"), (0, 15, "12:15am")],
)
def test_govuk_time(hour, minute, expected):
    assert govuk_time(datetime(2027, 1, 4, hour, minute, tzinfo=LONDON)) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2027, 3, 3), None, "3 March 2027"),
        (date(2027, 3, 3), date(2027, 3, 3), "3 March 2027"),
        (date(2027, 3, 3), date(2027, 3, 28), "3 to 28 March 2027"),
        (date(2027, 7, 18), date(2027, 8, 17), "18 July to 17 August 2027"),
        (date(2027, 12, 24), date(2028, 1, 1), "24 December 2027 to 1 January 2028"),
    ],
)
def test_date_range(start, end, expected):
    assert date_range(start, end) == expected


def test_event_when_over_two_days():
    starts = datetime(2027, 6, 5, 18, 0, tzinfo=LONDON)
    ends = datetime(2027, 6, 6, 1, 30, tzinfo=LONDON)
    assert event_when(starts, ends) == "Saturday 5 June 2027, 6pm to Sunday 6 June 2027, 1:30am"
