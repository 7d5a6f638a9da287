"""The published annual summary: a snapshot on publish, the words and tables, who publishes."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from bs4 import BeautifulSoup

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail.models import GroupPagePermission
from wagtail.test.utils.form_data import nested_form_data, rich_text

from cms import roles
from cms.models import HomePage
from surveys import selectors, signals
from surveys.analysis.report import (
    NOT_SIGNIFICANT,
    NOT_TESTED,
    SIGNIFICANT,
    Comparison,
    MeasureSpec,
    WaveInfo,
    build_report,
)
from surveys.models import (
    AggregatedCount,
    AnnualSummaryPage,
    EqualityDataIndexPage,
    Measure,
    Survey,
)
from surveys.templatetags import survey_reports
from tests.surveys.factories import SurveyFactory, WaveFactory

pytestmark = pytest.mark.django_db

YEAR = 2026
# Imported counts (answering, positive) by high-level group, oldest wave first. Ethnic
# minorities (Asian + Black + Mixed + Other): 120/250 = 48% in 2024, 136/250 = 54.4% in 2025,
# 153/250 = 61.2% in 2026. In 2026 only 6 said "Prefer not to say": too few to show.
STAFF_COUNTS = {
    2024: {"white": (500, 340), "asian": (100, 50), "black": (80, 36), "mixed": (40, 20),
           "other": (30, 14), "prefer_not_to_say": (40, 20)},
    2025: {"white": (500, 350), "asian": (100, 56), "black": (80, 42), "mixed": (40, 22),
           "other": (30, 16), "prefer_not_to_say": (40, 22)},
    2026: {"white": (500, 355), "asian": (100, 62), "black": (80, 48), "mixed": (40, 25),
           "other": (30, 18), "prefer_not_to_say": (6, 3)},
}  # fmt: skip
BOARD_KEYS = {
    "engagement_meaningful": "Board: taking part is meaningful",
    "engagement_safe": "Board: safe to take part",
    "engagement_not_extractive": "Board: not extractive",
}


def _wave(survey: Survey, year: int):
    return WaveFactory(
        survey=survey, year=year, opens_on=date(year, 10, 1), closes_on=date(year, 10, 31)
    )


@pytest.fixture
def staff_measure() -> Measure:
    survey = SurveyFactory(name="Staff survey", slug="staff-survey")
    waves = {year: _wave(survey, year) for year in STAFF_COUNTS}
    for year, groups in STAFF_COUNTS.items():
        AggregatedCount.objects.bulk_create(
            AggregatedCount(
                wave=waves[year],
                question_key="equal_opportunity",
                group=group,
                n_answering=n,
                n_positive=k,
            )
            for group, (n, k) in groups.items()
        )
    return Measure.objects.create(
        key="equal-opportunity",
        name="Equality of opportunity",
        description="The action plan's measure of success.",
        survey=survey,
        question_key="equal_opportunity",
        priority=True,
        baseline=waves[2024],
    )


@pytest.fixture
def board_measures() -> list[Measure]:
    """Last year's evaluation with 8 answers to each question (too few to show), and this
    year's wave with no answers yet."""
    survey = SurveyFactory(
        name="Board annual evaluation", slug="board-evaluation", kind=Survey.Kind.BOARD_EVALUATION
    )
    last = _wave(survey, YEAR - 1)
    _wave(survey, YEAR)
    measures = []
    for key, name in BOARD_KEYS.items():
        AggregatedCount.objects.create(
            wave=last, question_key=key, group="all", n_answering=8, n_positive=5
        )
        measures.append(
            Measure.objects.create(
                key=key.replace("_", "-"),
                name=name,
                survey=survey,
                question_key=key,
                priority=True,
                groups=[],
                baseline=last,
            )
        )
    return measures


@pytest.fixture
def index() -> EqualityDataIndexPage:
    page = EqualityDataIndexPage(title="Equality data", slug="equality-data")
    HomePage.objects.get().add_child(instance=page)
    page.save_revision().publish()
    return page


def _summary(index, year=YEAR, *, publish=True) -> AnnualSummaryPage:
    page = AnnualSummaryPage(
        title=f"Equality summary {year}", slug=str(year), year=year, live=False
    )
    index.add_child(instance=page)
    revision = page.save_revision()
    if publish:
        revision.publish()
    return AnnualSummaryPage.objects.get(pk=page.pk)


def _html(client, page) -> BeautifulSoup:
    response = client.get(page.url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


def _table(soup: BeautifulSoup, caption_starts: str) -> dict[str, list[str]]:
    """{row header: [cell texts]} of the table whose caption starts with ``caption_starts``."""
    for table in soup.find_all("table"):
        if _text(table.caption).startswith(caption_starts):
            return {
                _text(row.th): [_text(cell) for cell in row.find_all("td")]
                for row in table.tbody.find_all("tr")
            }
    raise AssertionError(f"No table captioned {caption_starts!r}")


def _figures_now(year: int = YEAR) -> dict:
    """The figures as the page would store them (JSON: tuples become lists)."""
    return json.loads(json.dumps(selectors.annual_summary(year=year)))


def _set_count(year: int, group: str, n: int, k: int) -> None:
    AggregatedCount.objects.filter(wave__year=year, group=group).update(n_answering=n, n_positive=k)


# -- Snapshot on publish ---------------------------------------------------------------------


def test_publishing_fixes_the_figures_and_publishing_again_takes_new_ones(
    client, index, staff_measure
):
    page = _summary(index)
    assert page.snapshot == _figures_now()
    assert page.snapshot_taken_at is not None
    first_taken = page.snapshot_taken_at
    assert "Ethnic minorities 61% (" in _text(_html(client, page))

    # More staff answer after publication: 100 more Asian staff, all agreeing.
    _set_count(YEAR, "asian", 200, 162)
    assert _figures_now() != page.snapshot
    body = _text(_html(client, page))
    assert "Ethnic minorities 61% (" in body
    assert "Ethnic minorities 72% (" not in body
    page.refresh_from_db()
    assert page.snapshot_taken_at == first_taken

    # Publishing again takes the figures as they are now.
    page.save_revision().publish()
    page.refresh_from_db()
    assert page.snapshot_taken_at > first_taken
    assert page.snapshot == _figures_now()
    assert "Ethnic minorities 72% (" in _text(_html(client, page))


def test_a_published_page_reads_no_survey_data(client, index, staff_measure, board_measures):
    page = _summary(index)
    with CaptureQueriesContext(connection) as queries:
        _html(client, page)
    read = " ".join(query["sql"] for query in queries.captured_queries)
    for table in ("surveys_answer", "surveys_aggregatedcount", "surveys_measure"):
        assert table not in read


def test_the_snapshot_is_only_written_to_the_published_page(index, staff_measure):
    page = _summary(index)
    other = _summary(index, year=2025, publish=False)
    assert other.snapshot == {} and other.snapshot_taken_at is None
    # Saving a draft of the published page leaves its snapshot alone.
    page.title = "Equality summary 2026 (draft)"
    page.save_revision()
    page.refresh_from_db()
    assert page.snapshot["year"] == YEAR


def test_preview_shows_the_figures_as_they_are_now(client, index, staff_measure):
    page = _summary(index)
    _set_count(YEAR, "asian", 200, 162)
    preview = page.make_preview_request()
    assert preview.status_code == 200
    body = _text(BeautifulSoup(preview.content, "html.parser"))
    assert "Ethnic minorities 72% (" in body
    assert "They will be fixed when this summary is published" in body
    # The live page keeps its snapshot.
    page.refresh_from_db()
    assert page.snapshot["year"] == YEAR
    assert "Ethnic minorities 61% (" in _text(_html(client, page))


def test_a_page_is_dated_with_when_its_figures_were_taken(client, index, staff_measure):
    page = _summary(index)
    body = _text(_html(client, page))
    assert f"taken from the survey results on {page.snapshot_taken_at:%-d %B %Y}" in body
    assert "They do not change if results are added or corrected later" in body


# -- The words and tables --------------------------------------------------------------------


def test_each_measure_in_plain_english(client, index, staff_measure):
    body = _text(_html(client, _summary(index)))
    report = selectors.measure_report(measure=staff_measure)
    minorities = report.row(YEAR, "ethnic_minorities")
    low, high = round(minorities.ci_low), round(minorities.ci_high)
    change = report.comparison("change", YEAR, "ethnic_minorities")
    since_baseline = report.comparison("baseline", YEAR, "ethnic_minorities")
    assert change.outcome == NOT_SIGNIFICANT and since_baseline.outcome == SIGNIFICANT
    assert (
        f"Ethnic minorities 61% ({low} to {high}) agreed, up 7 points since 2025, not a "
        "significant change, and up 13 points since the 2024 baseline, a significant "
        "improvement."
    ) in body
    assert "White staff 71% (" in body
    assert "In 2026, ethnic minorities were 10 points below White staff" in body
    assert "Everyone who answered" in body
    for word in ("BAME", "non-White", "non-white"):
        assert word not in body


def test_the_table_is_accessible_and_withholds_small_groups(client, index, staff_measure):
    soup = _html(client, _summary(index))
    table = next(t for t in soup.find_all("table") if "Equality of opportunity" in _text(t.caption))
    assert table.caption is not None
    headers = table.thead.find_all("th")
    assert all(th.get("scope") == "col" for th in headers)
    assert [_text(th) for th in headers] == [
        "Ethnic group",
        "2026 (95% interval)",
        "Answers in 2026",
        "2025 (95% interval)",
        "Change since 2025",
        "2024 (baseline, 95% interval)",
        "Change since 2024",
    ]
    assert all(row.th.get("scope") == "row" for row in table.tbody.find_all("tr"))

    rows = _table(soup, "Equality of opportunity")
    # Alphabetical, Other last, then Prefer not to say and all answers.
    assert list(rows)[-3:] == ["Other ethnic group", "Prefer not to say", "All answers"]
    assert next(iter(rows)).startswith("Asian")
    minorities = selectors.measure_report(measure=staff_measure).row(YEAR, "ethnic_minorities")
    assert rows["Ethnic minorities (all other ethnic groups combined)"] == [
        f"61% ({round(minorities.ci_low)} to {round(minorities.ci_high)})",
        "250",
        "54% (48 to 60)",
        "Up 7 points, not significant",
        "48% (42 to 54)",
        "Up 13 points, significant improvement",
    ]
    # 6 said "Prefer not to say" in 2026: no figure, no count, no change.
    not_said = rows["Prefer not to say"]
    assert not_said[0] == not_said[1] == "[c]"
    assert not_said[3] == not_said[5] == "[c]"
    body = _text(soup)
    assert "[c] Confidential: fewer than 10 answers" in body


def test_a_withheld_group_cannot_be_worked_out_from_the_total(client, index, staff_measure):
    rows = _table(_html(client, _summary(index)), "Equality of opportunity")
    answers = {label: cells[1] for label, cells in rows.items()}
    assert answers["Prefer not to say"] == "[c]"
    shown = [
        answers["All answers"],
        answers["White"],
        answers["Ethnic minorities (all other ethnic groups combined)"],
    ]
    assert "[c]" in shown, f"Prefer not to say = {shown[0]} - {shown[1]} - {shown[2]}"


def test_board_evaluation_with_too_few_answers_is_withheld_and_says_why(
    client, index, staff_measure, board_measures
):
    soup = _html(client, _summary(index))
    rows = _table(soup, "Board members who agreed")
    assert list(rows) == sorted(BOARD_KEYS.values())
    assert all(cells == ["[c]"] for cells in rows.values())
    body = _text(soup)
    assert "There are no evaluation results for 2026 yet. The latest are from 2025." in body
    assert (
        "In 2025 fewer than 10 members answered, or fewer than 10 answered one way or the other, "
        "so none of that year's results can be shown."
    ) in body
    assert "could show how individual members answered" in body
    # Staff survey measures come first, then the board's evaluation.
    headings = [_text(h) for h in soup.find_all("h2")]
    assert headings.index("Equality of opportunity") < headings.index(
        "The board's annual evaluation"
    )
    assert "62%" not in _text(soup.find(id="board-evaluation").parent)


def test_board_results_are_shown_once_enough_members_answer_each_way(
    index, staff_measure, board_measures
):
    AggregatedCount.objects.filter(question_key="engagement_safe").update(
        n_answering=24, n_positive=14
    )
    # Twelve answered, nine agreed: the three who did not are too few to hide among.
    AggregatedCount.objects.filter(question_key="engagement_not_extractive").update(
        n_answering=12, n_positive=9
    )
    page = _summary(index)
    figures = survey_reports.annual_summary_view(page.figures())
    lines = {line.name: [figure.text for figure in line.figures] for line in figures.board.lines}
    assert lines["Board: safe to take part"][0].startswith("58% (")
    assert lines["Board: taking part is meaningful"] == ["[c]"]
    assert lines["Board: not extractive"] == ["[c]"]


@pytest.mark.parametrize("agreed", [0, 30])
def test_a_board_where_everyone_answered_alike_is_not_published(
    client, index, staff_measure, board_measures, agreed
):
    """30 members, all agreeing (or none): 100% (or 0%) tells anyone who knows a member answered
    how they answered."""
    AggregatedCount.objects.filter(question_key="engagement_safe").update(
        n_answering=30, n_positive=agreed
    )
    page = _summary(index)
    figures = survey_reports.annual_summary_view(page.figures())
    lines = {line.name: [figure.text for figure in line.figures] for line in figures.board.lines}
    assert lines["Board: safe to take part"] == ["[c]"]
    body = _text(_html(client, page))
    assert "100%" not in body and " 0% (" not in body


def test_a_page_with_no_priority_measures_says_so(client, index):
    _wave(SurveyFactory(), YEAR)
    body = _text(_html(client, _summary(index)))
    assert "There are no priority measures with results for 2026." in body


# -- The words, unit by unit -----------------------------------------------------------------


def _comparison(difference, outcome=NOT_SIGNIFICANT, **fields):
    return Comparison(
        kind="change",
        year=YEAR,
        group="ethnic_minorities",
        label="Ethnic minorities",
        versus="2025",
        difference=difference,
        outcome=outcome,
        **fields,
    )


@pytest.mark.parametrize(
    ("difference", "outcome", "higher_is_better", "words"),
    [
        (3.2, NOT_SIGNIFICANT, True, "up 3 points since 2025, not a significant change"),
        (1.0, NOT_SIGNIFICANT, True, "up 1 point since 2025, not a significant change"),
        (2.5, SIGNIFICANT, True, "up 3 points since 2025, a significant improvement"),
        (-4.0, SIGNIFICANT, True, "down 4 points since 2025, a significant change for the worse"),
        (4.0, SIGNIFICANT, False, "up 4 points since 2025, a significant change for the worse"),
        (-0.3, NOT_TESTED, True, "down less than 1 point since 2025, not tested (too few answers)"),
        (0.0, NOT_SIGNIFICANT, True, "no change since 2025, not a significant change"),
    ],
)
def test_change_in_words(difference, outcome, higher_is_better, words):
    comparison = _comparison(difference, outcome)
    assert (
        survey_reports.change_words(comparison, "since 2025", higher_is_better=higher_is_better)
        == words
    )


def test_withheld_and_untested_changes_in_words():
    withheld = Comparison(
        kind="change", year=YEAR, group="other", label="Other", versus="2025", suppressed=True
    )
    assert (
        survey_reports.change_words(withheld, "since 2025", higher_is_better=True)
        == "change since 2025 not shown [c]"
    )
    assert "not tested" in survey_reports.change_words(
        _comparison(None, NOT_TESTED), "since 2025", higher_is_better=True
    )


# -- The index and who publishes -------------------------------------------------------------


def test_index_lists_published_summaries_newest_first(client, index, staff_measure):
    _summary(index, year=2025)
    _summary(index, year=2026)
    _summary(index, year=2024, publish=False)
    soup = _html(client, index)
    links = [_text(a) for a in soup.find("main").find_all("a", class_="govuk-link")]
    summaries = [text for text in links if text.startswith("Equality summary")]
    assert summaries == ["Equality summary 2026", "Equality summary 2025"]
    assert "Survey year 2026" in _text(soup)


def test_creating_the_index_lets_analysts_publish_there_only(index):
    granted = set(
        GroupPagePermission.objects.filter(group__name=roles.INCLUSION_ANALYSTS).values_list(
            "page_id", "permission__codename"
        )
    )
    assert granted == {(index.pk, codename) for codename in signals.ANALYST_INDEX_PAGE_PERMISSIONS}
    # Saving the index again grants nothing more.
    index.save_revision().publish()
    assert GroupPagePermission.objects.filter(group__name=roles.INCLUSION_ANALYSTS).count() == 3


def test_analyst_adds_and_publishes_a_summary_but_cannot_edit_the_home_page(
    client, make_user, signed_in, index, staff_measure
):
    analyst = make_user(roles.INCLUSION_ANALYSTS)
    signed_in(analyst)
    add_url = reverse("wagtailadmin_pages:add", args=("surveys", "annualsummarypage", index.pk))
    assert client.get(add_url).status_code == 200
    response = client.post(
        add_url,
        nested_form_data(
            {
                "title": "Equality summary 2026",
                "slug": "2026",
                "year": "2026",
                "intro": rich_text("<p>What the survey shows.</p>"),
                "action-publish": "publish",
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    page = AnnualSummaryPage.objects.get()
    assert page.live
    assert page.owner == analyst
    assert page.snapshot["year"] == YEAR
    assert page.snapshot["measures"][0]["measure"]["key"] == "equal-opportunity"

    home = HomePage.objects.get()
    edit_home = client.get(reverse("wagtailadmin_pages:edit", args=[home.pk]))
    assert edit_home.status_code in (302, 403)
    if edit_home.status_code == 302:
        assert reverse("wagtailadmin_pages:edit", args=[home.pk]) not in edit_home.url
    add_under_home = reverse(
        "wagtailadmin_pages:add", args=("surveys", "equalitydataindexpage", home.pk)
    )
    assert client.get(add_under_home).status_code in (302, 403)


def _figures(counts, *, waves, groups=("white", "ethnic_minorities", "other"), baseline=None):
    """Figures as ``annual_summary`` makes them, from counts, without the database."""
    spec = MeasureSpec(key="m", name="M", groups=groups, baseline_year=baseline)
    report = build_report(spec, waves, counts)
    section = {
        "measure": {
            "key": "m",
            "name": "M",
            "description": "",
            "survey": "Staff survey",
            "survey_kind": "staff",
        },
        "report": json.loads(json.dumps(report.to_dict())),
    }
    return {"year": YEAR, "threshold": 10, "measures": [section]}


def test_a_group_with_no_answers_this_year_is_marked_not_available():
    counts = {
        (2025, "white"): (100, 60), (2025, "asian"): (50, 25), (2025, "other"): (40, 20),
        (2026, "white"): (100, 65), (2026, "asian"): (60, 33),
    }  # fmt: skip
    view = survey_reports.annual_summary_view(
        _figures(counts, waves=[WaveInfo(2025), WaveInfo(2026)])
    )
    (measure,) = view.measures
    other = next(line for line in measure.lines if line.label == "Other ethnic group")
    assert other.this_year.text == "[x]" and other.answers.text == "0"
    assert other.last_year.text.startswith("50% (")
    assert other.change.text == "Not tested"
    assert measure.footnotes[0].startswith("[x] Not available")


def test_no_change_is_given_across_a_break_in_series():
    counts = {
        (year, group): (200, 120)
        for year in (2024, 2025, 2026)
        for group in ("white", "asian", "black")
    }
    view = survey_reports.annual_summary_view(
        _figures(
            counts,
            waves=[WaveInfo(2024), WaveInfo(2025, break_in_series=True), WaveInfo(2026)],
            baseline=2024,
        )
    )
    (measure,) = view.measures
    # 2025 is in the same series as 2026; the 2024 baseline is not.
    assert measure.last_year == 2025 and measure.baseline_year is None
    assert all("baseline" not in sentence for sentence in measure.sentences)

    counts = {key: value for key, value in counts.items() if key[0] != 2025}
    view = survey_reports.annual_summary_view(
        _figures(counts, waves=[WaveInfo(2024), WaveInfo(2026, break_in_series=True)])
    )
    (measure,) = view.measures
    assert measure.last_year is None
    assert re.fullmatch(r"Ethnic minorities 60% \(\d+ to \d+\) agreed\.", measure.sentences[0])
