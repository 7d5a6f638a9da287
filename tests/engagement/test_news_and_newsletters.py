"""News and newsletter issues: the archive by year and the RSS feeds (checked with feedparser)."""

from __future__ import annotations

from datetime import date

import feedparser
import pytest

from tests.engagement.factories import NewsletterIssuePageFactory, NewsPageFactory

pytestmark = pytest.mark.django_db


def body_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_news_archive_by_year(client, news_index):
    NewsPageFactory(parent=news_index, title="January news", date=date(2026, 1, 10))
    NewsPageFactory(parent=news_index, title="Last year's news", date=date(2025, 6, 1))
    NewsPageFactory(parent=news_index, title="October news", date=date(2026, 10, 1))

    latest = body_of(client, news_index.url)
    assert latest.index("October news") < latest.index("January news")
    assert latest.index("January news") < latest.index("Last year&#x27;s news")
    assert f'href="{news_index.url}2025/"' in latest
    assert f'href="{news_index.url}2026/"' in latest

    archive = body_of(client, f"{news_index.url}2025/")
    assert "Last year&#x27;s news" in archive
    assert "January news" not in archive and "October news" not in archive
    assert f"{news_index.title}: 2025" in archive
    assert 'aria-current="page">2025<' in archive

    assert client.get(f"{news_index.url}1999/").status_code == 404


def test_news_feed_is_valid_rss(client, news_index):
    first = NewsPageFactory(
        parent=news_index,
        title="Reporting centres & libraries",
        date=date(2026, 3, 2),
        intro="Three <libraries> are now reporting centres.",
    )
    second = NewsPageFactory(parent=news_index, title="Board recruits", date=date(2026, 5, 1))
    NewsPageFactory(parent=news_index, title="Draft", live=False)

    response = client.get(f"{news_index.url}feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "rss20"
    assert feed.feed.title == news_index.title
    assert feed.feed.link == news_index.full_url
    assert [entry.title for entry in feed.entries] == [
        "Board recruits",
        "Reporting centres & libraries",
    ]
    entry = feed.entries[1]
    assert entry.link == first.full_url
    assert entry.id == first.full_url
    # Plain text, escaped so a reader shows it as written rather than as markup.
    assert entry.summary == "Three &lt;libraries&gt; are now reporting centres."
    assert entry.published_parsed[:3] == (2026, 3, 2)
    assert feed.entries[0].link == second.full_url


def test_news_index_links_its_feed(client, news_index):
    body = body_of(client, news_index.url)
    feed_url = f"{news_index.url}feed/"
    assert (
        f'<link rel="alternate" type="application/rss+xml" title="{news_index.title}" '
        f'href="{feed_url}">' in body
    )
    assert f'href="{news_index.url}feed/"' in body


def test_newsletter_archive_feed_and_sign_up_form(client, newsletter_index):
    issue = NewsletterIssuePageFactory(
        parent=newsletter_index, title="Spring newsletter", date=date(2026, 4, 1)
    )
    NewsletterIssuePageFactory(parent=newsletter_index, title="Winter", date=date(2025, 12, 1))

    body = body_of(client, newsletter_index.url)
    assert "Spring newsletter" in body and "Winter" in body
    assert 'action="/newsletter/sign-up/"' in body
    assert '<label class="govuk-label govuk-label--s" for="id_email">Email address' in body
    assert "Winter" not in body_of(client, f"{newsletter_index.url}2026/")

    feed = feedparser.parse(client.get(f"{newsletter_index.url}feed/").content)
    assert not feed.bozo
    assert [entry.title for entry in feed.entries] == ["Spring newsletter", "Winter"]
    assert feed.entries[0].link == issue.full_url

    issue_body = body_of(client, issue.url)
    assert "This month: what you told us." in issue_body
    assert 'action="/newsletter/sign-up/"' in issue_body
    assert f'href="{newsletter_index.url}"' in issue_body


def test_news_image_needs_alt_text(news_index):
    import wagtail_factories

    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        NewsPageFactory(parent=news_index, image=wagtail_factories.ImageFactory(), image_alt="")
    assert "image_alt" in error.value.message_dict
