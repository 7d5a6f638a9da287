"""Figures as every surface shows them: "<0.001", one decimal where whole numbers would hide an
interval, a direction in every sentence, the groups the test across groups used, and the
methods note, on the dashboard, its CSV and XLSX, ``survey_report`` and the annual summary.

Imported counts, large enough that White's interval is narrower than a point: 60,000 of 100,000
(60.0%, 59.7 to 60.3) in 2026, down from 60,600 (60.6%), a significant change of -0.6 points
(-1.0 to -0.2) that whole numbers would show as "-1 (-1 to 0)". Asian 40% is 20 points below
White, p far below 0.001. Mixed has no answers in 2026 and is left out of the chi-square.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from django.core.management import call_command

from cms import roles
from cms.models import HomePage
from surveys import report_tables, selectors
from surveys.analysis.report import MeasureSpec, WaveInfo, build_report
from surveys.models import AggregatedCount, AnnualSummaryPage, EqualityDataIndexPage, Measure
from surveys.templatetags import survey_reports
from tests.surveys.factories import SurveyFactory, WaveFactory

pytestmark = pytest.mark.django_db

YEAR = 2026
COUNTS = {
    2025: {"white": (100_000, 60_600), "asian": (5_000, 2_100), "black": (400, 200),
           "mixed": (50, 25)},
    2026: {"white": (100_000, 60_000), "asian": (5_000, 2_000), "black": (400, 180)},
}  # fmt: skip
ASIAN = "Asian, Asian British or Asian Welsh"
BLACK = "Black, Black British, Black Welsh, Caribbean or African"
MIXED = "Mixed or Multiple ethnic groups"


@pytest.fixture
def measure() -> Measure:
    survey = SurveyFactory(name="Staff survey", slug="staff-survey")
    waves = {
        year: WaveFactory(
            survey=survey, year=year, opens_on=date(year, 10, 1), closes_on=date(year, 10, 31)
        )
        for year in COUNTS
    }
    for year, groups in COUNTS.items():
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
        survey=survey,
        question_key="equal_opportunity",
        priority=True,
        baseline=waves[2025],
    )


@pytest.fixture
def analyst(client, make_user, signed_in):
    signed_in(make_user(roles.INCLUSION_ANALYSTS))
    return client


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


def _dashboard(client, measure) -> BeautifulSoup:
    response = client.get(f"/admin/surveys/measures/{measure.pk}/report/")
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def _rows(soup, key) -> list[list[str]]:
    table = soup.find("table", attrs={"data-table": key})
    return [
        [cell.get_text(strip=True) for cell in row.find_all(["th", "td"])]
        for row in table.find("tbody").find_all("tr")
    ]


def _methods_note_is_there(soup) -> None:
    note = soup.find(id="methods")
    assert note is not None
    words = _text(note)
    assert "Each year is treated as a separate sample." in words
    assert "many of the same people every year" in words
    assert "no finite-population correction" in words
    assert "Different measures are not adjusted together." in words
    link = note.find("a", href="#methods-detail")
    assert link is not None
    detail = soup.find(id="methods-detail")
    assert detail.name == "details"
    assert "Monte-Carlo test" in _text(detail)


# -- the dashboard -----------------------------------------------------------------------------


def test_the_dashboard_shows_small_p_values_hidden_intervals_and_directions(analyst, measure):
    soup = _dashboard(analyst, measure)
    assert _text(soup.find(class_="measure-summary")) == (
        "2026: Ethnic minorities 40% (39-42), White 60.0% (59.7-60.3): "
        "Ethnic minorities 20 points below White, significant."
    )
    figures = soup.find("table", attrs={"data-year": "2026"})
    rows = {
        row.th.get_text(strip=True): [cell.get_text(strip=True) for cell in row.find_all("td")]
        for row in figures.tbody.find_all("tr")
    }
    assert rows["White"] == ["100000", "60000", "60.0", "59.7", "60.3"]
    assert rows[ASIAN] == ["5000", "2000", "40", "39", "41"]
    gaps = {(row[0], row[1]): row for row in _rows(soup, "gaps")}
    asian_gap = gaps[("2026", ASIAN)]
    assert asian_gap[2:5] == ["-20", "-21", "-19"]
    assert asian_gap[7:9] == ["<0.001", "<0.001"]
    changes = {(row[0], row[1]): row for row in _rows(soup, "changes")}
    white_change = changes[("2026", "White")]
    assert white_change[4:7] == ["-0.6", "-1.0", "-0.2"]
    assert white_change[10] == "significant"
    _methods_note_is_there(soup)


def test_the_dashboard_names_the_groups_the_chi_square_tested(analyst, measure):
    soup = _dashboard(analyst, measure)
    headers = [th.get_text(strip=True) for th in
               soup.find("table", attrs={"data-table": "across"}).thead.find_all("th")]  # fmt: skip
    assert headers[2] == "Groups tested"
    across = {row[0]: row for row in _rows(soup, "across")}
    assert across["2026"][2] == f"White; {ASIAN}; {BLACK}"
    assert across["2026"][4] == "chi-square"
    assert across["2026"][5] == "<0.001"
    assert MIXED in across["2026"][8] and "no answers" in across["2026"][8]
    assert across["2025"][2] == f"White; {MIXED}; {ASIAN}; {BLACK}"


# -- the downloads and the command line --------------------------------------------------------


def test_the_csv_and_xlsx_show_less_than_0_001_and_one_decimal(analyst, measure):
    report = selectors.measure_report(measure=measure)
    text = report_tables.csv_text(measure, report, positive=["Strongly agree"], bom=False)
    assert ",<0.001,<0.001,significant," in text
    assert "2026,White,100000,60000,60.0,59.7,60.3" in text
    assert "2026,White,2025,Year on year,-0.6,-1.0,-0.2,z-test" in text
    assert f'"White; {ASIAN}; {BLACK}"' in text
    assert "Ethnic minorities 20 points below White, significant." in text
    book = load_workbook(report_tables.xlsx_file(measure, report, positive=["Strongly agree"]))
    gap_cells = [cell for row in book["Gaps"].iter_rows(values_only=True) for cell in row]
    assert "<0.001" in gap_cells
    figures = list(book["Percent positive"].iter_rows(values_only=True))
    white = next(row for row in figures if row[:2] == (2026, "White"))
    assert white[4:7] == (60.0, 59.7, 60.3)


def test_survey_report_prints_less_than_0_001_but_json_keeps_the_float(measure):
    out = io.StringIO()
    call_command("survey_report", measure="equal-opportunity", stdout=out)
    text = out.getvalue()
    assert "<0.001" in text
    assert "Ethnic minorities 20 points below White, significant." in text
    assert "60.0% (59.7-60.3)" in text
    out = io.StringIO()
    call_command("survey_report", measure="equal-opportunity", format="json", stdout=out)
    assert "<0.001" not in out.getvalue()


# -- the annual summary ------------------------------------------------------------------------


@pytest.fixture
def summary_page(measure) -> AnnualSummaryPage:
    index = EqualityDataIndexPage(title="Equality data", slug="equality-data")
    HomePage.objects.get().add_child(instance=index)
    index.save_revision().publish()
    page = AnnualSummaryPage(title=f"Equality summary {YEAR}", slug=str(YEAR), year=YEAR)
    index.add_child(instance=page)
    page.save_revision().publish()
    return AnnualSummaryPage.objects.get(pk=page.pk)


def test_the_annual_summary_shows_one_decimal_directions_and_the_methods_note(client, summary_page):
    response = client.get(summary_page.url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    words = _text(soup)
    assert (
        "White staff 60.0% (59.7 to 60.3) agreed, down 1 point since 2025, "
        "a significant change for the worse."
    ) in words
    assert (
        "In 2026, ethnic minorities were 20 points below White staff, a significant difference."
    ) in words
    table = next(t for t in soup.find_all("table") if _text(t.caption).startswith("Equality"))
    cells = {
        _text(row.th): [_text(cell) for cell in row.find_all("td")]
        for row in table.tbody.find_all("tr")
    }
    assert cells["White"][0] == "60.0% (59.7 to 60.3)"
    # 60.6% (60.3 to 60.9) in whole numbers still shows a range.
    assert cells["White"][2] == "61% (60 to 61)"
    assert cells["White"][3] == "Down 1 point, significant change for the worse"
    _methods_note_is_there(soup)


def test_a_gap_under_a_point_still_says_which_way():
    spec = MeasureSpec(key="m", name="M", groups=("white", "ethnic_minorities", "asian"))
    counts = {(YEAR, "white"): (100_000, 60_000), (YEAR, "asian"): (100_000, 59_700)}
    report = build_report(spec, [WaveInfo(YEAR)], counts)
    assert survey_reports.gap_sentence(report, YEAR) == (
        "In 2026, ethnic minorities were less than 1 point below White staff, "
        "not a significant difference."
    )
    assert report.summary().endswith(
        ": Ethnic minorities less than 1 point below White, not significant."
    )
