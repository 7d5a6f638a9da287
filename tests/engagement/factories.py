"""Factories for engagement pages and snippets (factory_boy + wagtail-factories)."""

from __future__ import annotations

from datetime import timedelta

import factory
import wagtail_factories

from django.utils import timezone

from engagement import tokens
from engagement.models import (
    ActivityIndexPage,
    ActivityPage,
    CalendarDate,
    CulturalCalendarPage,
    EngagementHubPage,
    EventIndexPage,
    EventOrganiser,
    EventPage,
    NewsIndexPage,
    NewsletterIndexPage,
    NewsletterIssuePage,
    NewsletterSubscriber,
    NewsPage,
    StoryIndexPage,
    StoryPage,
    Venue,
)

RICH_TEXT = [("rich_text", "<p>Some words.</p>")]


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    name = factory.Sequence(lambda n: f"Community Centre {n}")
    address = "1 High Street\nWeston-super-Mare"
    postcode = "BS23 1AA"
    step_free = Venue.StepFree.FULL
    accessible_toilet = True
    hearing_loop = True


class EventOrganiserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventOrganiser
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organiser {n}")
    kind = EventOrganiser.Kind.COMMUNITY_GROUP


class CalendarDateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarDate

    title = factory.Sequence(lambda n: f"Celebration {n}")
    kind = CalendarDate.Kind.CULTURAL
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=10))
    description = "A day to celebrate."


class EngagementHubPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = EngagementHubPage

    title = "Get involved"
    slug = "get-involved"
    intro = "Have your say."


class ActivityIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = ActivityIndexPage

    title = "Activities"
    slug = "activities"


class ActivityPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = ActivityPage

    title = factory.Sequence(lambda n: f"Consultation {n}")
    kind = ActivityPage.Kind.CONSULTATION
    status = ActivityPage.Status.OPEN
    what_we_asked = "<p>How should the library serve you?</p>"
    run_by = "Engagement and Partnerships team"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=20))


class EventIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = EventIndexPage

    title = "Events"
    slug = "events"


class EventPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = EventPage

    title = factory.Sequence(lambda n: f"Event {n}")
    summary = "Food, music and stories."
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    venue = factory.SubFactory(VenueFactory)
    organiser = factory.SubFactory(EventOrganiserFactory)


class CulturalCalendarPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = CulturalCalendarPage

    title = "Calendar of dates"
    slug = "calendar"


class StoryIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = StoryIndexPage

    title = "Stories"
    slug = "stories"


class StoryPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = StoryPage

    title = factory.Sequence(lambda n: f"Story {n}")
    summary = "How I found my community."
    story = RICH_TEXT
    consent_given = True
    consent_recorded_on = factory.LazyFunction(timezone.localdate)
    teller_description = "a resident of Clevedon"


class NewsIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = NewsIndexPage

    title = "News"
    slug = "news"


class NewsPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = NewsPage

    title = factory.Sequence(lambda n: f"News item {n}")
    date = factory.LazyFunction(timezone.localdate)
    intro = "Something happened."
    body = RICH_TEXT


class NewsletterIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = NewsletterIndexPage

    title = "Newsletters"
    slug = "newsletters"


class NewsletterIssuePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = NewsletterIssuePage

    title = factory.Sequence(lambda n: f"Issue {n}")
    date = factory.LazyFunction(timezone.localdate)
    intro = "This month: what you told us."
    body = RICH_TEXT


class NewsletterSubscriberFactory(factory.django.DjangoModelFactory):
    """A confirmed subscriber."""

    class Meta:
        model = NewsletterSubscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    created_at = factory.LazyFunction(timezone.now)
    confirmed = True
    confirmed_at = factory.LazyFunction(timezone.now)
    unsubscribe_token_hash = factory.LazyAttribute(
        lambda o: tokens.hash_token(
            tokens.unsubscribe_token(email=o.email, created_at=o.created_at)
        )
    )
