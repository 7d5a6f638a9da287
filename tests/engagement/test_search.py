"""Site search over every live, public page, engagement content included."""

from __future__ import annotations

import pytest
from modelsearch.index import insert_or_update_object

from wagtail.models import PageViewRestriction

from engagement.models import ActivityPage, ActivityTheme
from tests.engagement.factories import (
    ActivityPageFactory,
    EventPageFactory,
    NewsPageFactory,
    StoryPageFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db


def search(client, query: str, page: int | None = None) -> str:
    params = {"q": query} | ({"page": page} if page else {})
    response = client.get("/search/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_search_page_without_a_query_shows_the_form(client):
    body = search(client, "")
    assert 'role="search"' in body
    assert (
        '<label class="govuk-label govuk-label--s" for="search-q">Search this site</label>' in body
    )
    assert "Results" not in body
    assert '<meta name="robots" content="noindex">' in body


def test_search_finds_engagement_content(client, activity_index, event_index, story_index):
    activity = ActivityPageFactory(parent=activity_index, title="Library consultation")
    activity.themes = [ActivityTheme(title="Bilingual storytime", description="Wanted weekly.")]
    activity.save_revision().publish()
    # The index task runs on the worker after the commit, when the themes are saved; tests run
    # tasks at once, before the page's child rows are written, so run it again as it would.
    insert_or_update_object(ActivityPage.objects.get(pk=activity.pk))
    EventPageFactory(
        parent=event_index, title="Supper club", venue=VenueFactory(name="Kewstoke Pavilion")
    )
    StoryPageFactory(parent=story_index, title="My journey", summary="Arriving from Harare.")

    assert "Library consultation" in search(client, "storytime")
    assert "Supper club" in search(client, "Kewstoke")
    body = search(client, "Harare")
    assert "My journey" in body
    assert "Story" in body  # the kind of page
    assert "1 result for" in body


def test_search_leaves_out_drafts_private_pages_and_unnamed_tellers(
    client, news_index, story_index
):
    NewsPageFactory(parent=news_index, title="Draft zebra news", live=False)
    private = NewsPageFactory(parent=news_index, title="Private zebra news")
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    StoryPageFactory(
        parent=story_index,
        title="Unnamed teller story",
        name_teller=False,
        teller_name="Quietlyhidden",
        teller_description="a resident",
    )
    StoryPageFactory(
        parent=story_index,
        title="Named teller story",
        name_teller=True,
        teller_name="Openlynamed",
    )
    body = search(client, "zebra")
    assert "Draft zebra news" not in body and "Private zebra news" not in body
    assert "0 results for" in body
    assert "Unnamed teller story" not in search(client, "Quietlyhidden")
    assert "Named teller story" in search(client, "Openlynamed")


def test_search_results_are_paginated(client, news_index):
    for number in range(13):
        NewsPageFactory(parent=news_index, title=f"Marmalade item {number}", intro="Marmalade.")
    first = search(client, "marmalade")
    assert "13 results for" in first
    assert first.count('<h3 class="govuk-heading-s') == 10
    assert 'href="?q=marmalade&amp;page=2"' in first
    second = search(client, "marmalade", page=2)
    assert second.count('<h3 class="govuk-heading-s') == 3
    assert 'start="11"' in second
