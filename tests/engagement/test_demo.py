"""engagement/demo.py builds every page type under the home page, and can run twice."""

from __future__ import annotations

import io

import pytest

from wagtail.models import Page, Site

from cms import demo as cms_demo
from cms.models import AccessibilityStatementPage, SiteSettings
from engagement import demo
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

pytestmark = pytest.mark.django_db

PAGE_TYPES = [
    EngagementHubPage,
    ActivityIndexPage,
    ActivityPage,
    EventIndexPage,
    EventPage,
    CulturalCalendarPage,
    StoryIndexPage,
    StoryPage,
    NewsIndexPage,
    NewsPage,
    NewsletterIndexPage,
    NewsletterIssuePage,
    AccessibilityStatementPage,
]


def test_demo_builds_every_engagement_page_type_and_runs_twice(client):
    cms_demo.build(stdout=io.StringIO())
    lines = demo.build(stdout=io.StringIO())
    assert "Engagement: pages built" in lines[0]
    counts = {
        model: model.objects.count()
        for model in [*PAGE_TYPES, CalendarDate, Venue, EventOrganiser, NewsletterSubscriber]
    }
    pages = Page.objects.count()

    again = demo.build(stdout=io.StringIO())
    assert "already present" in again[0]
    assert counts == {model: model.objects.count() for model in counts}
    assert Page.objects.count() == pages

    for model in PAGE_TYPES:
        assert counts[model] >= 1, model
        for page in model.objects.live():
            assert client.get(page.url).status_code == 200, page.url
    hub = EngagementHubPage.objects.get()
    assert hub.show_in_menus
    assert hub.get_parent().specific_class.__name__ == "HomePage"
    assert CalendarDate.objects.filter(title="Black History Month").exists()
    assert CalendarDate.objects.filter(title="Race Equality Week").exists()
    assert ActivityPage.objects.filter(status="reported").exists()
    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    assert (
        site_settings.accessibility_statement_page_id == AccessibilityStatementPage.objects.get().pk
    )
    assert f'href="{hub.url}"' in client.get("/").content.decode()  # in the site's menu
