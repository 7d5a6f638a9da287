"""Imported counts at whatever level the provider published, end to end: uploaded through the
admin's import page, then read in every place a report is presented (the dashboard, its CSV,
``survey_report --format json`` and the annual summary), which must agree with each other and
with the true figures. Totals and their parts are reconciled, never added."""

from __future__ import annotations

import csv
import io
import json

import pytest
from bs4 import BeautifulSoup

from django.core.management import call_command
from django.urls import reverse

from cms.models import HomePage
from surveys import selectors
from surveys.analysis.groups import DEFAULT_GROUPS, GROUP_LABELS
from surveys.models import AggregatedCount, AnnualSummaryPage, EqualityDataIndexPage, Measure
from surveys.resources import counts_template_rows
from surveys.templatetags import survey_reports
from tests.surveys.count_import_helpers import confirm_preview
from tests.surveys.factories import SurveyFactory
from tests.surveys.test_dashboard import csv_sections
from tests.surveys.test_import import COUNT_HEADINGS, counts_url, csv_bytes, text_of, upload

pytestmark = pytest.mark.django_db

KEY = "equal_opportunity"
#: A national survey's detailed table (answering, positive): White 268,798, ethnic minorities
#: 83,251, so 352,049 who gave an ethnic group, and 1,000 who preferred not to say.
DETAILED = {
    "white_british": (200_000, 120_000), "white_irish": (20_000, 11_000),
    "white_gypsy_traveller": (798, 400), "white_roma": (1_000, 500),
    "white_other": (47_000, 26_000),
    "mixed_white_black_caribbean": (3_000, 1_500), "mixed_white_black_african": (2_000, 1_000),
    "mixed_white_asian": (3_000, 1_600), "mixed_other": (2_000, 1_000),
    "asian_indian": (20_000, 10_000), "asian_pakistani": (15_000, 7_000),
    "asian_bangladeshi": (8_000, 3_600), "asian_chinese": (5_000, 2_600),
    "asian_other": (7_000, 3_300),
    "black_caribbean": (6_000, 2_700), "black_african": (9_000, 4_300),
    "black_other": (2_000, 900),
    "other_arab": (500, 240), "other_any": (751, 360),
}  # fmt: skip
PNTS = (1_000, 450)


def total(*codes: str) -> tuple[int, int]:
    return (sum(DETAILED[c][0] for c in codes), sum(DETAILED[c][1] for c in codes))


def of(high: str) -> tuple[str, ...]:
    return tuple(code for code in DETAILED if code.startswith(high + "_"))


WHITE = total(*of("white"))
MINORITIES = total(*of("mixed"), *of("asian"), *of("black"), *of("other"))
HIGH = {high: total(*of(high)) for high in ("white", "mixed", "asian", "black", "other")}
assert WHITE == (268_798, 157_900) and MINORITIES == (83_251, 40_100)

#: The layouts providers publish: {layout: {group: (answering, positive)}}.
LAYOUTS = {
    "detailed": {**DETAILED, "prefer_not_to_say": PNTS},
    "high_level": {**HIGH, "prefer_not_to_say": PNTS},
    "two_way": {"white": WHITE, "ethnic_minorities": MINORITIES},
    # What most providers publish: the White total beside its detailed White groups.
    "white_total_and_detailed_white": {
        "all": (WHITE[0] + MINORITIES[0], WHITE[1] + MINORITIES[1]),
        "white": WHITE,
        **{code: DETAILED[code] for code in of("white")},
        **{high: HIGH[high] for high in ("mixed", "asian", "black", "other")},
    },
}
#: Answering by group label, as every presentation must show it, for each layout.
NOT_COLLECTED = "not collected"
EXPECTED_ANSWERING = {
    "detailed": {
        "White": 268_798, "White British": 200_000, "White other than White British": 68_798,
        "Ethnic minorities (all other ethnic groups combined)": 83_251,
        "Asian, Asian British or Asian Welsh": 55_000, "Prefer not to say": 1_000,
        "All answers": 353_049,
    },
    "high_level": {
        "White": 268_798, "White British": NOT_COLLECTED,
        "White other than White British": NOT_COLLECTED,
        "Ethnic minorities (all other ethnic groups combined)": 83_251,
        "Asian, Asian British or Asian Welsh": 55_000, "Prefer not to say": 1_000,
        "All answers": 353_049,
    },
    "two_way": {
        "White": 268_798, "White British": NOT_COLLECTED,
        "Ethnic minorities (all other ethnic groups combined)": 83_251,
        "Asian, Asian British or Asian Welsh": NOT_COLLECTED,
        # A table without a total lists every group anyone is in.
        "Prefer not to say": 0, "All answers": 352_049,
    },
    "white_total_and_detailed_white": {
        "White": 268_798, "White British": 200_000, "White other than White British": 68_798,
        "Ethnic minorities (all other ethnic groups combined)": 83_251,
        # All answers is exactly the groups: nobody preferred not to say.
        "Prefer not to say": 0, "All answers": 352_049,
    },
}  # fmt: skip


def rows_for(year: int, layout: dict, key: str = KEY) -> list[list]:
    return [[year, key, code, n, k] for code, (n, k) in layout.items()]


@pytest.fixture
def survey():
    return SurveyFactory(name="National staff survey")


@pytest.fixture
def measure(survey) -> Measure:
    return Measure.objects.create(
        key="equal-opportunity",
        name="Equality of opportunity",
        survey=survey,
        question_key=KEY,
        groups=[*DEFAULT_GROUPS, "white_not_british"],
        priority=True,
    )


def import_file(client, survey, rows) -> str:
    """Upload, check the preview, confirm: as an analyst imports counts."""
    preview = upload(client, counts_url(survey), "counts.csv", csv_bytes([COUNT_HEADINGS, *rows]))
    assert preview.status_code == 200
    return text_of(confirm_preview(client, preview))


# -- Reading a report everywhere it is presented ----------------------------------------------


def dashboard(client, measure) -> tuple[BeautifulSoup, dict[int, dict[str, str]]]:
    response = client.get(reverse("surveys_measure_report", args=[measure.pk]))
    assert response.status_code == 200
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    figures = {}
    for table in soup.find_all("table", class_="measure-figures"):
        figures[int(table["data-year"])] = {
            row.th.get_text(strip=True): row.find_all("td")[0].get_text(strip=True)
            for row in table.tbody.find_all("tr")
        }
    return soup, figures


def csv_download(client, measure) -> dict[str, list[list[str]]]:
    url = reverse("surveys_measure_report_download", args=[measure.pk, "csv"])
    response = client.get(url)
    assert response.status_code == 200
    return csv_sections(response.content.decode("utf-8"))


def csv_figures(sections) -> dict[int, dict[str, str]]:
    figures: dict[int, dict[str, str]] = {}
    for row in sections["Percent positive by group and wave"]:
        if not row[0].isdigit():
            continue  # the note and the headings
        figures.setdefault(int(row[0]), {})[row[1]] = row[2]
    return figures


def json_report(measure) -> dict:
    out = io.StringIO()
    call_command("survey_report", "--measure", measure.key, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def json_figures(data) -> dict[int, dict[str, str]]:
    figures: dict[int, dict[str, str]] = {}
    for row in data["rows"]:
        shown = NOT_COLLECTED if not row["collected"] else str(row["n"])
        figures.setdefault(row["year"], {})[row["label"]] = shown
    return figures


def annual(year: int):
    figures = json.loads(json.dumps(selectors.annual_summary(year=year)))
    summary = survey_reports.annual_summary_view(figures)
    (section,) = summary.measures
    return section


def annual_figures(section) -> dict[str, str]:
    return {line.label: line.answers.text.replace(",", "") for line in section.lines}


def expected_text(expected: dict) -> dict[str, str]:
    return {
        label: value if isinstance(value, str) else str(value) for label, value in expected.items()
    }


def assert_everywhere(client, measure, year: int, expected: dict) -> dict:
    """The same answering figures (or "not collected") on the dashboard, in its CSV, the JSON
    and the annual summary; returns the JSON report."""
    want = expected_text(expected)
    _, page = dashboard(client, measure)
    from_csv = csv_figures(csv_download(client, measure))
    data = json_report(measure)
    from_json = json_figures(data)
    summary = annual_figures(annual(year))
    for name, figures in (("dashboard", page[year]), ("csv", from_csv[year]),
                          ("json", from_json[year]), ("annual summary", summary)):  # fmt: skip
        got = {label: figures.get(label, "").lower() for label in want}
        assert got == want, name
    return data


# -- Each layout on its own ----------------------------------------------------------------------


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_each_layout_imports_and_reports_everywhere(analyst_client, survey, measure, layout):
    content = import_file(analyst_client, survey, rows_for(2021, LAYOUTS[layout]))
    assert f"Imported {len(LAYOUTS[layout])} aggregated counts" in content

    data = assert_everywhere(analyst_client, measure, 2021, EXPECTED_ANSWERING[layout])

    gaps = {c["group"]: c for c in data["comparisons"] if c["kind"] == "gap"}
    minorities = gaps["ethnic_minorities"]
    if layout in ("detailed", "white_total_and_detailed_white"):
        assert minorities["versus"] == "white_british"
        # 40,100/83,251 against 120,000/200,000.
        assert minorities["difference"] == pytest.approx(100 * (40_100 / 83_251 - 0.6))
        assert "white_not_british" in gaps  # White other than White British, against WB
    else:
        # White British is not collected: the gaps are against White, and the report says so.
        assert minorities["versus"] == "white"
        assert minorities["difference"] == pytest.approx(
            100 * (40_100 / 83_251 - 157_900 / 268_798)
        )
        assert any("against White: White British" in note for note in data["footnotes"])
    section = annual(2021)
    assert any("not collected" in s or "%" in s for s in section.sentences)
    if layout == "two_way":
        assert "ethnic minorities were" in section.gap and "below White staff" in section.gap
    else:
        assert ("White British staff" in section.gap) == (
            layout in ("detailed", "white_total_and_detailed_white")
        )


def test_white_total_and_its_parts_are_not_counted_twice(analyst_client, survey, measure):
    """The issue's file: White 268,798 and All answers 352,049, not 537,596 and 620,847."""
    import_file(analyst_client, survey, rows_for(2021, LAYOUTS["white_total_and_detailed_white"]))
    report = selectors.measure_report(measure=measure)
    assert report.row(2021, "white").n == 268_798
    assert report.row(2021, "all").n == 352_049
    assert AggregatedCount.objects.filter(wave__year=2021, group="white").exists()  # as published


def test_a_mixture_across_years_compares_at_the_finest_common_level(
    analyst_client, survey, measure
):
    rows = [
        *rows_for(2019, LAYOUTS["two_way"]),
        *rows_for(2020, LAYOUTS["high_level"]),
        *rows_for(2021, LAYOUTS["detailed"]),
        *rows_for(2022, LAYOUTS["white_total_and_detailed_white"]),
    ]
    content = import_file(analyst_client, survey, rows)
    assert "new imported waves for 2019, 2020, 2021, 2022" in content

    for year in (2019, 2020, 2021, 2022):
        layout = {2019: "two_way", 2020: "high_level", 2021: "detailed"}.get(
            year, "white_total_and_detailed_white"
        )
        data = assert_everywhere(analyst_client, measure, year, EXPECTED_ANSWERING[layout])

    changes = {(c["year"], c["group"]) for c in data["comparisons"] if c["kind"] == "change"}
    # 2019 has only White and ethnic minorities (and, without a total, nobody else): 2020 is
    # compared with it on those alone.
    assert {g for y, g in changes if y == 2020} == {
        "white", "ethnic_minorities", "prefer_not_to_say", "all",
    }  # fmt: skip
    # 2020 and 2021 share the high-level groups and Prefer not to say.
    assert {g for y, g in changes if y == 2021} == {
        "white", "ethnic_minorities", "asian", "black", "mixed", "other",
        "prefer_not_to_say", "all",
    }  # fmt: skip
    # 2021 and 2022 share White British as well (and 2022's total says nobody preferred not
    # to say), but not the detailed minority groups.
    assert {"white_british", "white_not_british"} <= {g for y, g in changes if y == 2022}
    trends = {c["group"]: c for c in data["comparisons"] if c["kind"] == "trend"}
    assert trends["white"]["p_value"] is not None
    assert trends["ethnic_minorities"]["p_value"] is not None
    assert trends["asian"]["reason"] == "group not collected in every wave of the series"
    no_change = {label for label, value in annual_figures(annual(2020)).items()}
    assert "White British" in no_change  # shown, as "not collected"
    section = annual(2020)
    lines = {line.label: line for line in section.lines}
    assert lines["White British"].this_year.text == "Not collected"
    assert lines["Asian, Asian British or Asian Welsh"].change.text == (
        "Not compared: not collected both years"  # 2019 had only ethnic minorities
    )
    assert lines["White"].change.text != "[x]"


# -- Totals and parts that disagree ---------------------------------------------------------------


def test_a_total_that_disagrees_with_its_parts_is_refused_by_row(analyst_client, survey, measure):
    layout = dict(LAYOUTS["white_total_and_detailed_white"])
    layout["white"] = (WHITE[0] + 5, WHITE[1])  # row 3: the White total, off by 5
    page = upload(
        analyst_client,
        counts_url(survey),
        "counts.csv",
        csv_bytes([COUNT_HEADINGS, *rows_for(2021, layout)]),
    )
    content = text_of(page)
    assert "Nothing was imported" in content
    problems = {(e.row, e.column): e.message for e in page.context["result"].errors}
    assert list(problems) == [(3, "n_answering")]
    message = problems[(3, "n_answering")]
    assert "White (row 3) is 268,803 answering" in message
    assert "rows 4, 5, 6, 7, 8" in message and "268,798 answering" in message
    assert "agree exactly" in message
    assert not AggregatedCount.objects.exists()


def test_a_total_smaller_than_its_parts_is_refused(analyst_client, survey, measure):
    layout = {"all": (1000, 500), "white": (900, 450), "ethnic_minorities": (200, 100)}
    page = upload(
        analyst_client,
        counts_url(survey),
        "c.csv",
        csv_bytes([COUNT_HEADINGS, *rows_for(2021, layout)]),
    )
    problems = {(e.row, e.column): e.message for e in page.context["result"].errors}
    assert list(problems) == [(2, "n_answering")]
    assert "All answers (row 2) is 1,000 answering" in problems[(2, "n_answering")]
    assert "rows 3, 4" in problems[(2, "n_answering")]


def test_a_second_file_is_reconciled_with_the_counts_already_imported(
    analyst_client, survey, measure
):
    import_file(analyst_client, survey, rows_for(2021, {"white": (WHITE[0] + 1, WHITE[1])}))
    page = upload(
        analyst_client,
        counts_url(survey),
        "c.csv",
        csv_bytes([COUNT_HEADINGS, *rows_for(2021, {c: DETAILED[c] for c in of("white")})]),
    )
    problems = page.context["result"].errors
    assert problems and all("already in the site" in e.message for e in problems)
    assert AggregatedCount.objects.count() == 1


# -- Codes and labels ---------------------------------------------------------------------------


def test_labels_are_accepted_in_any_case_and_punctuation(analyst_client, survey, measure):
    rows = [
        [2021, KEY, "WHITE", *WHITE],
        [2021, KEY, "Ethnic minorities", *MINORITIES],
        [2021, KEY, "prefer-not-to-say", *PNTS],
    ]
    content = import_file(analyst_client, survey, rows)
    assert "Imported 3 aggregated counts" in content
    assert set(AggregatedCount.objects.values_list("group", flat=True)) == {
        "white", "ethnic_minorities", "prefer_not_to_say",
    }  # fmt: skip
    rows = [
        [2022, KEY, "Asian, Asian British or Asian Welsh: Indian", 10, 5],
        [2022, KEY, "white british", 10, 5],
        [2022, KEY, "Any other White background", 10, 5],
    ]
    import_file(analyst_client, survey, rows)
    assert set(AggregatedCount.objects.filter(wave__year=2022).values_list("group", flat=True)) == {
        "asian_indian",
        "white_british",
        "white_other",
    }


def test_an_unknown_group_names_the_closest_valid_ones(analyst_client, survey):
    page = upload(
        analyst_client,
        counts_url(survey),
        "c.csv",
        csv_bytes([COUNT_HEADINGS, [2021, KEY, "white britsh", 10, 5], [2021, KEY, "bame", 1, 1]]),
    )
    problems = {(e.row, e.column): e.message for e in page.context["result"].errors}
    assert "“white britsh” is not a group" in problems[(2, "group")]
    assert "The closest: white_british (White British)" in problems[(2, "group")]
    assert "“bame” is not a group" in problems[(3, "group")]


def test_the_import_page_lists_every_code_with_its_label(analyst_client, survey):
    page = analyst_client.get(counts_url(survey))
    soup = BeautifulSoup(page.content.decode(), "html.parser")
    (table,) = [t for t in soup.find_all("table") if "Group codes" in t.caption.get_text()]
    listed = {
        row.find_all("td")[0].get_text(strip=True): row.find_all("td")[1].get_text(strip=True)
        for row in table.tbody.find_all("tr")
    }
    assert len(listed) == 19 + 5 + 4  # detailed, high-level, all, ethnic minorities, WNB, PNTS
    assert listed["asian_indian"] == GROUP_LABELS["asian_indian"] == "Asian: Indian"
    assert listed["white_not_british"] == "White other than White British"
    assert listed["ethnic_minorities"] == GROUP_LABELS["ethnic_minorities"]


def test_the_template_has_every_code_and_layout_and_imports_as_it_is(
    analyst_client, survey, measure
):
    response = analyst_client.get(counts_url(survey) + "?download=template")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [[str(cell) for cell in row] for row in counts_template_rows()]
    assert rows[0][:5] == COUNT_HEADINGS
    codes = {row[2] for row in rows[1:]}
    assert len(codes) == 28
    assert {row[6] for row in rows[1:]} >= {
        "Detailed: the 19 ONS 2021 groups", "High-level: the 5 groups",
        "White and ethnic minorities",
    }  # fmt: skip
    preview = upload(analyst_client, counts_url(survey), "t.csv", response.content)
    page = confirm_preview(analyst_client, preview)
    assert f"Imported {len(rows) - 1} aggregated counts" in text_of(page)
    report = selectors.measure_report(measure=measure)
    assert len({report.row(year, "white").n for year in report.years}) == 1  # all agree


def test_a_published_annual_summary_says_not_collected(analyst_client, client, survey, measure):
    rows = [*rows_for(2021, LAYOUTS["detailed"]), *rows_for(2022, LAYOUTS["two_way"])]
    import_file(analyst_client, survey, rows)
    index = EqualityDataIndexPage(title="Equality data", slug="equality-data")
    HomePage.objects.get().add_child(instance=index)
    index.save_revision().publish()
    page = AnnualSummaryPage(title="Equality summary 2022", slug="2022", year=2022, live=False)
    index.add_child(instance=page)
    page.save_revision().publish()
    client.logout()
    response = client.get(AnnualSummaryPage.objects.get(pk=page.pk).url)
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    rows = {
        " ".join(row.th.get_text(" ").split()): [
            " ".join(td.get_text(" ").split()) for td in row.find_all("td")
        ]
        for table in soup.find_all("table")
        for row in table.tbody.find_all("tr")
        if row.th is not None
    }
    assert rows["White"][:2] == [rows["White"][0], "268,798"]
    assert rows["White British"][:2] == ["Not collected", "Not collected"]
    assert rows["White British"][3] == "Not compared: not collected both years"
    assert rows["Asian, Asian British or Asian Welsh"][0] == "Not collected"
    text = " ".join(soup.get_text(" ").split())
    assert "below White staff" in text  # 2022 has no White British: against White, named
    assert "0 answering" not in text
