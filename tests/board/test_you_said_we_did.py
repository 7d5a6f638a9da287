"""The public "You said, we did" page, its open data, and the changes-per-year headline."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from board import selectors
from board.models import CouncilResponse, Recommendation
from tests.board.factories import (
    BoardMemberFactory,
    CouncilResponseFactory,
    ImplementedChangeFactory,
    RecommendationFactory,
    ServiceAreaFactory,
    publish_response,
)

pytestmark = pytest.mark.django_db


def published(**recommendation_fields) -> Recommendation:
    outcome = recommendation_fields.pop("outcome", CouncilResponse.Outcome.ACCEPTED)
    recommendation = RecommendationFactory(status="response_drafted", **recommendation_fields)
    extra = {}
    if outcome in CouncilResponse.NEEDS_EXPLANATION:
        extra = {"reasons": "Because.", "alternatives_explored": "Others.", "next_steps": "Next."}
    if outcome == CouncilResponse.Outcome.DEFERRED:
        extra = {"review_date": timezone.localdate() + timedelta(days=90)}
    publish_response(
        CouncilResponseFactory(recommendation=recommendation, outcome=outcome, **extra)
    )
    recommendation.refresh_from_db()
    return recommendation


def _csv_rows(client, page):
    response = client.get(f"{page.url}open-data/csv/")
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_author_named_only_if_they_chose(client, you_said_page):
    anonymous_author = BoardMemberFactory(first_name="Zainab", last_name="Quietly")
    named_author = BoardMemberFactory(first_name="Kwame", last_name="Proudly")
    published(author=anonymous_author, author_named=False, title="Unnamed idea")
    named = published(author=named_author, author_named=True, title="Named idea")

    listing = client.get(you_said_page.url).content.decode()
    assert "Kwame Proudly" in listing
    assert "Zainab" not in listing and "Quietly" not in listing
    for recommendation in Recommendation.objects.all():
        detail = client.get(f"{you_said_page.url}{recommendation.reference}/").content.decode()
        assert "Quietly" not in detail
    rows = _csv_rows(client, you_said_page)
    assert {row["title"]: row["from"] for row in rows} == {
        "Unnamed idea": "the board",
        "Named idea": "Kwame Proudly",
    }
    data = client.get(f"{you_said_page.url}open-data/json/").json()["recommendations"]
    assert "Quietly" not in str(data) and "Zainab" not in str(data)
    assert "quietly" not in str(data).lower()
    assert {row["reference"]: row["from"] for row in data}[named.reference] == "Kwame Proudly"
    # The author's email is never published either.
    assert anonymous_author.email not in str(data) and named_author.email not in str(data)


def test_erased_author_who_chose_to_be_named_shows_as_former_member(client, you_said_page):
    recommendation = published(author_named=True)
    Recommendation.objects.filter(pk=recommendation.pk).update(author=None)
    data = client.get(f"{you_said_page.url}open-data/json/").json()["recommendations"]
    assert data[0]["from"] == "a former board member"


def test_lived_experience_text_is_not_published(client, you_said_page):
    published(lived_experience="A very personal story about my neighbour.")
    assert "very personal story" not in client.get(you_said_page.url).content.decode()
    assert "very personal story" not in str(
        client.get(f"{you_said_page.url}open-data/json/").json()
    )


def test_unpublished_draft_response_is_not_shown(client, you_said_page):
    recommendation = RecommendationFactory(title="Still in draft", status="response_drafted")
    CouncilResponseFactory(recommendation=recommendation)
    assert "Still in draft" not in client.get(you_said_page.url).content.decode()
    assert _csv_rows(client, you_said_page) == []


def test_filters_by_outcome_service_and_year(client, you_said_page):
    housing = ServiceAreaFactory(name="Housing")
    libraries = ServiceAreaFactory(name="Libraries")
    published(title="Accepted housing", service_area=housing)
    published(
        title="Declined library",
        service_area=libraries,
        outcome=CouncilResponse.Outcome.NOT_ACCEPTED,
    )
    old = published(title="Old one", service_area=housing)
    Recommendation.objects.filter(pk=old.pk).update(published_at=timezone.now().replace(year=2024))

    def titles(query: str) -> set[str]:
        body = client.get(f"{you_said_page.url}?{query}").content.decode()
        return {t for t in ("Accepted housing", "Declined library", "Old one") if t in body}

    assert titles("") == {"Accepted housing", "Declined library", "Old one"}
    assert titles("outcome=not_accepted") == {"Declined library"}
    assert titles(f"service_area={housing.pk}") == {"Accepted housing", "Old one"}
    assert titles("year=2024") == {"Old one"}
    # Nonsense filters are ignored, never an error.
    assert client.get(f"{you_said_page.url}?year=abc&service_area=x").status_code == 200


def test_not_accepted_detail_shows_reasons_alternatives_and_next_steps(client, you_said_page):
    recommendation = published(outcome=CouncilResponse.Outcome.NOT_ACCEPTED)
    body = client.get(f"{you_said_page.url}{recommendation.reference}/").content.decode()
    assert "Why we could not do everything asked" in body
    assert "Alternatives we explored" in body
    assert "Agreed next steps" in body


def test_changes_per_year_counts_only_implemented_changes_of_that_year():
    this_year = timezone.localdate().year
    accepted = published()
    # Two changes this year on a published response: counted.
    ImplementedChangeFactory(recommendation=accepted, implemented_on=date(this_year, 1, 15))
    ImplementedChangeFactory(
        recommendation=accepted, kind="policy", implemented_on=date(this_year, 1, 20)
    )
    # One last year: counted for last year only.
    ImplementedChangeFactory(recommendation=accepted, implemented_on=date(this_year - 1, 6, 1))
    # A change on a recommendation whose response is not public: not counted.
    draft = RecommendationFactory(status="response_drafted")
    CouncilResponseFactory(recommendation=draft)
    ImplementedChangeFactory(recommendation=draft, implemented_on=date(this_year, 2, 1))
    # Accepted and published, progress only, no change made: not counted.
    published()

    by_year = {
        row["year"]: row["count"] for row in selectors.changes_by_year(years=3, this_year=this_year)
    }
    assert by_year == {this_year: 2, this_year - 1: 1, this_year - 2: 0}


def test_headline_shows_target_and_count(client, you_said_page):
    this_year = timezone.localdate().year
    ImplementedChangeFactory(recommendation=published(), implemented_on=date(this_year, 1, 2))
    body = client.get(you_said_page.url).content.decode()
    assert "at least 2 changes a year" in body
    assert "2 needed, 1 so far" in body


def test_csv_escapes_formulas(client, you_said_page):
    published(title='=HYPERLINK("http://evil.example","click")', what_should_change="+1+1")
    row = _csv_rows(client, you_said_page)[0]
    assert row["title"].startswith("'=")
    assert row["what_should_change"] == "'+1+1"


def _queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def bulk_published(count: int, start: int) -> None:
    """Many published recommendations at once (rows as the workflow leaves them), for scale."""
    from board.models import ImplementedChange, ProgressUpdate

    area = ServiceAreaFactory(name="Bulk service")
    author = BoardMemberFactory()
    recommendations = Recommendation.objects.bulk_create(
        RecommendationFactory.build(
            reference=f"R-2025-{start + i:04d}",
            service_area=area,
            author=author,
            author_named=bool(i % 2),
            status="published",
            published_at=timezone.now(),
        )
        for i in range(count)
    )
    CouncilResponse.objects.bulk_create(
        CouncilResponse(recommendation=r, outcome="accepted", response="Yes.", live=True)
        for r in recommendations
    )
    ImplementedChange.objects.bulk_create(
        ImplementedChange(
            recommendation=r,
            kind="service",
            description="Done.",
            service_area=area,
            implemented_on=timezone.localdate(),
        )
        for r in recommendations
    )
    ProgressUpdate.objects.bulk_create(
        ProgressUpdate(recommendation=r, update="Under way.") for r in recommendations
    )


@pytest.mark.parametrize("suffix", ["", "open-data/csv/", "open-data/json/"])
def test_public_page_query_count_does_not_grow(client, you_said_page, suffix):
    bulk_published(5, start=0)
    you_said_page.per_page = 500
    you_said_page.save()
    client.get(you_said_page.url)  # first visit creates the site's board settings row
    small = _queries_for(client, f"{you_said_page.url}{suffix}")
    bulk_published(195, start=5)
    assert Recommendation.objects.published().count() == 200
    large = _queries_for(client, f"{you_said_page.url}{suffix}")
    assert small == large
