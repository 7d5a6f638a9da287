"""Listings run the same number of SQL queries for 5 children as for 100."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import wagtail_factories

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engagement.models import ActivityPage
from tests.engagement.factories import (
    ActivityPageFactory,
    CalendarDateFactory,
    EventOrganiserFactory,
    EventPageFactory,
    NewsletterIssuePageFactory,
    NewsPageFactory,
    StoryPageFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db

SMALL, LARGE = 5, 100


def queries(client, url: str) -> tuple[int, str]:
    client.get(url)  # warm up: image renditions are made on the first view only
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries), "\n".join(q["sql"] for q in context.captured_queries)


def assert_fixed(client, urls, add_children) -> None:
    add_children(SMALL)
    counts = {url: queries(client, url) for url in urls}
    add_children(LARGE - SMALL)
    for url in urls:
        small, _ = counts[url]
        large, sql = queries(client, url)
        assert large == small, f"{url}: {small} queries for {SMALL}, {large} for {LARGE}\n{sql}"


def test_activity_listing(client, activity_index, hub):
    def add(count):
        for number in range(count):
            status = [ActivityPage.Status.OPEN, ActivityPage.Status.ANALYSING][number % 2]
            ActivityPageFactory(
                parent=activity_index,
                status=status,
                starts_on=date(2020 + number % 5, 1, 1),
                ends_on=timezone.localdate() + timedelta(days=number),
            )

    assert_fixed(
        client,
        [activity_index.url, f"{activity_index.url}?status=open&year=2022", hub.url],
        add,
    )


def test_event_listings(client, event_index, hub):
    venue, organiser = VenueFactory(), EventOrganiserFactory()
    now = timezone.now()

    def add(count):
        for number in range(count):
            starts = now + timedelta(days=number - count // 2)
            EventPageFactory(
                parent=event_index,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                venue=venue if number % 2 else VenueFactory(),
                organiser=organiser if number % 3 else EventOrganiserFactory(),
            )

    assert_fixed(
        client,
        [event_index.url, f"{event_index.url}past/", f"{event_index.url}ical/", hub.url],
        add,
    )


def test_story_listing_with_images(client, story_index, hub):
    images = [wagtail_factories.ImageFactory() for _ in range(3)]

    def add(count):
        for number in range(count):
            StoryPageFactory(
                parent=story_index,
                image=images[number % 3],
                image_alt="A pattern of circles.",
            )

    assert_fixed(client, [story_index.url, hub.url], add)


def test_news_and_newsletter_listings_and_feeds(client, news_index, newsletter_index, hub):
    def add(count):
        for number in range(count):
            day = date(2022 + number % 4, 1 + number % 12, 1)
            NewsPageFactory(parent=news_index, date=day)
            NewsletterIssuePageFactory(parent=newsletter_index, date=day)

    assert_fixed(
        client,
        [
            news_index.url,
            f"{news_index.url}2023/",
            f"{news_index.url}feed/",
            newsletter_index.url,
            f"{newsletter_index.url}feed/",
            hub.url,
        ],
        add,
    )


def test_calendar_of_dates_and_its_feed(client, calendar_page):
    today = timezone.localdate()

    def add(count):
        for number in range(count):
            CalendarDateFactory(starts_on=today + timedelta(days=number * 3))

    assert_fixed(client, [calendar_page.url, f"{calendar_page.url}ical/"], add)


def test_search_results(client, news_index):
    def add(count):
        for _ in range(count):
            NewsPageFactory(parent=news_index, intro="Quince jam for everyone.")

    assert_fixed(client, ["/search/?q=quince"], add)
