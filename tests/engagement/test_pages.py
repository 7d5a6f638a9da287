"""Every engagement page type: created with its factory, rendered, and placed only where it
belongs in the page tree."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django.utils import timezone

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from board.models import BoardIndexPage
from cms.models import AccessibilityStatementPage, HomePage
from engagement.models import (
    ActivityIndexPage,
    ActivityPage,
    CulturalCalendarPage,
    EngagementHubPage,
    EventIndexPage,
    EventPage,
    NewsIndexPage,
    NewsletterIndexPage,
    NewsletterIssuePage,
    NewsPage,
    StoryIndexPage,
    StoryPage,
)
from tests.engagement.factories import (
    ActivityIndexPageFactory,
    ActivityPageFactory,
    CalendarDateFactory,
    CulturalCalendarPageFactory,
    EngagementHubPageFactory,
    EventIndexPageFactory,
    EventPageFactory,
    NewsIndexPageFactory,
    NewsletterIndexPageFactory,
    NewsletterIssuePageFactory,
    NewsPageFactory,
    StoryIndexPageFactory,
    StoryPageFactory,
)

pytestmark = pytest.mark.django_db

HUB_SECTIONS = {
    ActivityIndexPage,
    EventIndexPage,
    CulturalCalendarPage,
    StoryIndexPage,
    NewsIndexPage,
    NewsletterIndexPage,
}
INDEX_CHILDREN = {
    ActivityIndexPage: ActivityPage,
    EventIndexPage: EventPage,
    StoryIndexPage: StoryPage,
    NewsIndexPage: NewsPage,
    NewsletterIndexPage: NewsletterIssuePage,
}
LEAF_PAGES = {
    ActivityPage,
    EventPage,
    CulturalCalendarPage,
    StoryPage,
    NewsPage,
    NewsletterIssuePage,
    AccessibilityStatementPage,
}


def body_of(client, page_or_url) -> str:
    url = page_or_url if isinstance(page_or_url, str) else page_or_url.url
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


# --- Where each page may go -------------------------------------------------------------------


class TestEngagementPageRules(WagtailPageTestCase):
    def test_hub_sits_under_the_home_page_and_holds_the_sections(self):
        self.assertCanCreateAt(HomePage, EngagementHubPage)
        self.assertAllowedParentPageTypes(EngagementHubPage, {HomePage})
        self.assertAllowedSubpageTypes(EngagementHubPage, HUB_SECTIONS)
        for section in HUB_SECTIONS:
            self.assertCanCreateAt(EngagementHubPage, section)
            self.assertAllowedParentPageTypes(section, {EngagementHubPage})
            self.assertCanNotCreateAt(HomePage, section)
            self.assertCanNotCreateAt(Page, section)

    def test_each_index_holds_only_its_own_items(self):
        for index, child in INDEX_CHILDREN.items():
            self.assertAllowedSubpageTypes(index, {child})
            self.assertAllowedParentPageTypes(child, {index})
            self.assertCanCreateAt(index, child)
            self.assertCanNotCreateAt(EngagementHubPage, child)
            self.assertCanNotCreateAt(HomePage, child)
            for other_index in INDEX_CHILDREN:
                if other_index is not index:
                    self.assertCanNotCreateAt(other_index, child)

    def test_leaf_pages_have_no_children(self):
        for page_type in LEAF_PAGES:
            self.assertAllowedSubpageTypes(page_type, set())

    def test_accessibility_statement_sits_under_the_home_page(self):
        self.assertCanCreateAt(HomePage, AccessibilityStatementPage)
        self.assertAllowedParentPageTypes(AccessibilityStatementPage, {HomePage})
        self.assertCanNotCreateAt(EngagementHubPage, AccessibilityStatementPage)
        self.assertCanNotCreateAt(BoardIndexPage, EngagementHubPage)


def test_one_hub_per_home_and_one_of_each_section_per_hub(home):
    hub = EngagementHubPageFactory(parent=home)
    assert not EngagementHubPage.can_create_at(home)
    factories = [
        ActivityIndexPageFactory,
        EventIndexPageFactory,
        CulturalCalendarPageFactory,
        StoryIndexPageFactory,
        NewsIndexPageFactory,
        NewsletterIndexPageFactory,
    ]
    for factory_class in factories:
        model = factory_class._meta.model
        assert model.can_create_at(hub), model
        factory_class(parent=hub)
        hub.refresh_from_db()
        assert not model.can_create_at(hub), model
    # News and newsletters share a base but are counted apart.
    assert NewsIndexPage.objects.count() == 1
    assert NewsletterIndexPage.objects.count() == 1


# --- Every page renders -----------------------------------------------------------------------


def test_hub_lists_open_activities_upcoming_events_stories_and_news(
    client, hub, activity_index, event_index, calendar_page, story_index, news_index
):
    ActivityPageFactory(parent=activity_index, title="Open consultation")
    ActivityPageFactory(
        parent=activity_index,
        title="Finished research",
        status=ActivityPage.Status.REPORTED,
        reported_on=timezone.localdate(),
    )
    EventPageFactory(parent=event_index, title="Coming event")
    EventPageFactory(
        parent=event_index,
        title="Finished event",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=1),
    )
    StoryPageFactory(parent=story_index, title="A story told")
    NewsPageFactory(parent=news_index, title="Latest news")

    body = body_of(client, hub)
    assert "Open consultation" in body
    assert "Finished research" not in body
    assert "Coming event" in body
    assert "Finished event" not in body
    assert "A story told" in body
    assert "Latest news" in body
    for section in (activity_index, event_index, calendar_page, story_index, news_index):
        assert f'href="{section.url}"' in body


def test_every_engagement_page_renders(
    client,
    hub,
    activity_index,
    event_index,
    calendar_page,
    story_index,
    news_index,
    newsletter_index,
):
    pages = [
        hub,
        activity_index,
        ActivityPageFactory(parent=activity_index),
        event_index,
        EventPageFactory(parent=event_index),
        calendar_page,
        story_index,
        StoryPageFactory(parent=story_index),
        news_index,
        NewsPageFactory(parent=news_index),
        newsletter_index,
        NewsletterIssuePageFactory(parent=newsletter_index),
    ]
    CalendarDateFactory()
    for page in pages:
        body = body_of(client, page)
        assert f'<h1 class="govuk-heading-xl">{page.title}' in body, page
        assert "govuk-template" in body


def test_draft_pages_are_not_served_or_listed(client, news_index):
    draft = NewsPageFactory(parent=news_index, title="Embargoed news", live=False)
    assert "Embargoed news" not in body_of(client, news_index)
    assert client.get(f"{news_index.url}{draft.slug}/").status_code == 404


def test_breadcrumbs_lead_back_through_the_hub(client, story_index, hub):
    story = StoryPageFactory(parent=story_index)
    body = body_of(client, story)
    crumbs = body.split('class="govuk-breadcrumbs"')[1].split("</nav>")[0]
    assert f'href="{hub.url}"' in crumbs
    assert f'href="{story_index.url}"' in crumbs


def test_pages_carry_social_and_search_metadata(client, news_index):
    item = NewsPageFactory(
        parent=news_index,
        title="Reporting centres open",
        seo_title="Hate crime reporting centres",
        search_description="Three libraries are now reporting centres.",
    )
    body = body_of(client, item)
    assert "<title>Hate crime reporting centres - " in body
    assert '<meta name="description" content="Three libraries are now reporting centres.">' in body
    assert '<meta property="og:title" content="Hate crime reporting centres">' in body
    assert f'<link rel="canonical" href="{item.full_url}">' in body


def test_engagement_pages_are_in_the_sitemap(client, news_index):
    item = NewsPageFactory(parent=news_index, slug="in-the-sitemap")
    sitemap = client.get("/sitemap.xml").content.decode()
    assert item.full_url in sitemap
    assert news_index.full_url in sitemap
