"""Engagement activities: we asked, who we heard from (with small-number suppression), you said,
we did, documents, and the listing's status and year filters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import wagtail_factories

from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from board.models import CouncilResponse
from engagement import selectors
from engagement.models import (
    ActivityAction,
    ActivityPage,
    ActivityRespondentGroup,
    ActivityTheme,
)
from tests.board.factories import (
    BoardIndexPageFactory,
    CouncilResponseFactory,
    RecommendationFactory,
    YouSaidWeDidPageFactory,
    publish_response,
)
from tests.engagement.factories import ActivityPageFactory

pytestmark = pytest.mark.django_db

RESIDENTS = ActivityRespondentGroup.RespondentType.RESIDENTS
STAFF = ActivityRespondentGroup.RespondentType.STAFF
GROUPS = ActivityRespondentGroup.RespondentType.COMMUNITY_GROUPS


def body_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def with_children(page: ActivityPage, *, groups=(), themes=(), actions=()) -> ActivityPage:
    page.respondent_groups = [
        ActivityRespondentGroup(respondent_type=kind, count=count) for kind, count in groups
    ]
    page.themes = [ActivityTheme(title=t, description=f"About {t}.") for t in themes]
    page.actions = list(actions)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


# --- Who we heard from ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "shown", "total"),
    [
        # Nothing small: every count and the total are shown.
        ([120, 45], ["120", "45"], "165"),
        # One small count: it shows as "fewer than 10", and the smallest other count is
        # withheld so it cannot be worked out from the total.
        ([120, 45, 6], ["120", "withheld", "fewer than 10"], "171"),
        # Two small counts protect each other only if their sum is not exposed.
        ([50, 3, 4], ["50", "fewer than 10", "fewer than 10"], "57"),
        # Every count small: the total is small too.
        ([2, 3], ["fewer than 10", "fewer than 10"], "fewer than 10"),
        # Zero is not suppressed: it reveals nobody.
        ([25, 0], ["25", "0"], "25"),
    ],
)
def test_heard_from_suppresses_small_counts_and_what_would_reveal_them(counts, shown, total):
    result = selectors.heard_from_counts([(f"Group {i}", n) for i, n in enumerate(counts)])
    assert [row.shown for row in result.rows] == shown
    assert result.total.shown == total
    assert result.any_suppressed == any(s != str(n) for s, n in zip(shown, counts, strict=True))


def test_no_shown_figure_lets_a_small_count_be_worked_out():
    """Whatever is shown, a count from 1 to 9 can never be recovered by subtraction."""
    from cms.platform.suppression import Relation, recoverable

    for counts in ([120, 45, 6], [9, 10, 11], [1, 100], [30, 30, 2, 2], [15, 8, 8, 40]):
        result = selectors.heard_from_counts([(str(i), n) for i, n in enumerate(counts)])
        cells = {str(i): n for i, n in enumerate(counts)} | {"total": sum(counts)}
        hidden = {str(i) for i, row in enumerate(result.rows) if row.suppressed}
        if result.total.suppressed:
            hidden.add("total")
        relation = Relation(total="total", parts=tuple(str(i) for i in range(len(counts))))
        assert not recoverable(cells, [relation], hidden), counts
        for row in result.rows:
            if 0 < row.count < 10:
                assert row.shown == "fewer than 10"


def test_activity_page_shows_who_we_heard_from_with_suppression(client, activity_index):
    page = with_children(
        ActivityPageFactory(parent=activity_index),
        groups=[(RESIDENTS, 143), (GROUPS, 27), (STAFF, 6)],
    )
    body = body_of(client, page.url)
    assert "Who we heard from" in body
    assert ">143<" in body
    assert ">withheld<" in body  # 27: it and the total would give away the 6
    assert ">fewer than 10<" in body
    assert ">6<" not in body and ">27<" not in body
    assert "<strong>176</strong>" in body
    assert "we do not show a number smaller than 10" in body


@override_settings(DISCLOSURE_THRESHOLD=20)
def test_a_council_that_raises_the_threshold_hides_counts_below_it(client, activity_index):
    """The page once kept its own threshold of 10 and published 15 when the council set 20."""
    page = with_children(
        ActivityPageFactory(parent=activity_index),
        groups=[(RESIDENTS, 143), (GROUPS, 40), (STAFF, 15)],
    )
    body = body_of(client, page.url)
    assert ">fewer than 20<" in body
    assert ">15<" not in body
    assert ">withheld<" in body  # 40, or 15 would follow from the total
    assert ">40<" not in body and ">143<" in body
    assert "we do not show a number smaller than 20" in body


def test_other_respondents_need_a_description():
    group = ActivityRespondentGroup(respondent_type="other", count=12, description=" ")
    with pytest.raises(ValidationError) as error:
        group.clean()
    assert "description" in error.value.message_dict
    group.description = "Faith leaders"
    group.clean()
    assert group.label == "Faith leaders"


# --- We asked, you said, we did ---------------------------------------------------------------


def test_open_activity_shows_how_to_take_part_until_it_closes(client, activity_index):
    page = ActivityPageFactory(
        parent=activity_index,
        how_to_take_part="<p>Fill in the survey or come to a drop-in.</p>",
        take_part_url="https://example.org/survey",
        what_we_asked="<p>WHAT-WE-ASKED: how should libraries serve you?</p>",
    )
    body = body_of(client, page.url)
    assert "WHAT-WE-ASKED" in body
    assert "How to take part" in body
    assert 'href="https://example.org/survey"' in body
    assert "We will publish what people told us after the activity closes" in body

    ActivityPage.objects.filter(pk=page.pk).update(ends_on=timezone.localdate() - timedelta(days=1))
    body = body_of(client, page.url)
    assert "How to take part" not in body
    # Still "open" in the database, but past its end date: shown as closed.
    assert 'govuk-tag govuk-tag--grey">Closed<' in body


def test_reported_activity_shows_you_said_and_we_did_with_links(client, activity_index):
    board = BoardIndexPageFactory(parent=activity_index.get_parent().get_parent())
    you_said = YouSaidWeDidPageFactory(parent=board)
    published = RecommendationFactory(status="response_drafted", title="Books in our languages")
    publish_response(CouncilResponseFactory(recommendation=published))
    unpublished = RecommendationFactory(title="Not yet answered")
    CouncilResponseFactory(recommendation=unpublished)  # a draft response: not public
    # Any published page can be the survey summary an action points to.
    survey_summary = wagtail_factories.PageFactory(
        parent=activity_index.get_parent().get_parent(), title="Staff survey 2026", slug="survey"
    )

    page = ActivityPageFactory(
        parent=activity_index,
        status=ActivityPage.Status.REPORTED,
        reported_on=date(2026, 5, 1),
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 3, 1),
    )
    page = with_children(
        page,
        themes=["Books in other languages", "A warmer welcome"],
        actions=[
            ActivityAction(description="We bought books.", recommendation=published),
            ActivityAction(
                description="We will train staff.",
                progress=ActivityAction.Progress.PLANNED,
                recommendation=unpublished,
                survey_summary=survey_summary,
            ),
        ],
    )
    body = body_of(client, page.url)
    assert '<h3 class="govuk-heading-m">Books in other languages</h3>' in body
    assert "About A warmer welcome." in body
    assert "We bought books." in body and "We will train staff." in body
    assert f'href="{you_said.url}{published.reference}/"' in body
    assert published.title in body
    # A recommendation whose response is not public is never linked or named.
    assert unpublished.reference not in body and "Not yet answered" not in body
    assert f'href="{survey_summary.url}"' in body
    assert "Reported back" in body and "1 May 2026" in body

    # A survey summary taken down is no longer linked.
    survey_summary.unpublish()
    assert f'href="{survey_summary.url}"' not in body_of(client, page.url)
    assert CouncilResponse.objects.filter(live=True).count() == 1


def test_reported_needs_the_date_reported_back(activity_index):
    with pytest.raises(ValidationError) as error:
        ActivityPageFactory(parent=activity_index, status=ActivityPage.Status.REPORTED)
    assert "reported_on" in error.value.message_dict


def test_dates_must_be_in_order(activity_index):
    with pytest.raises(ValidationError) as error:
        ActivityPageFactory(
            parent=activity_index, starts_on=date(2026, 3, 1), ends_on=date(2026, 2, 1)
        )
    assert "ends_on" in error.value.message_dict


def test_documents_show_their_format_and_size(client, activity_index):
    document = wagtail_factories.DocumentFactory(title="Full report")
    page = ActivityPageFactory(
        parent=activity_index,
        documents=[("document", {"document": document, "title": "", "description": ""})],
    )
    body = body_of(client, page.url)
    assert '<h2 class="govuk-heading-l">Documents</h2>' in body
    assert f'href="{document.url}"' in body
    assert "Full report" in body


# --- The listing ------------------------------------------------------------------------------


def test_listing_filters_by_status_and_year(client, activity_index):
    today = timezone.localdate()
    ActivityPageFactory(parent=activity_index, title="Open now")
    ActivityPageFactory(
        parent=activity_index,
        title="Past its end date",
        starts_on=today - timedelta(days=30),
        ends_on=today - timedelta(days=1),
    )
    ActivityPageFactory(
        parent=activity_index,
        title="Being analysed",
        status=ActivityPage.Status.ANALYSING,
        starts_on=date(2024, 3, 1),
        ends_on=date(2024, 4, 1),
    )
    ActivityPageFactory(
        parent=activity_index,
        title="Reported across years",
        status=ActivityPage.Status.REPORTED,
        reported_on=date(2025, 2, 1),
        starts_on=date(2023, 11, 1),
        ends_on=date(2024, 1, 31),
    )

    def titles(query: str) -> set[str]:
        body = body_of(client, f"{activity_index.url}?{query}")
        names = ["Open now", "Past its end date", "Being analysed", "Reported across years"]
        return {name for name in names if f">{name}</a>" in body}

    assert titles("") == {
        "Open now",
        "Past its end date",
        "Being analysed",
        "Reported across years",
    }
    assert titles("status=open") == {"Open now"}
    assert titles("status=closed") == {"Past its end date"}
    assert titles("status=analysing") == {"Being analysed"}
    assert titles("status=reported") == {"Reported across years"}
    assert titles("year=2024") == {"Being analysed", "Reported across years"}
    assert titles("year=2023") == {"Reported across years"}
    assert titles("status=reported&year=2024") == {"Reported across years"}
    body = body_of(client, f"{activity_index.url}?year=1999")  # not a choice: ignored
    assert "4 activities" in body
    assert '<option value="2023">2023</option>' in body
