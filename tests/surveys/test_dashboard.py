"""The analyst dashboard of a measure: figures, chart, downloads, who may see it, the form."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from django.urls import reverse

from cms import roles
from cms.platform.suppression import SUPPRESSED
from surveys import charts, report_tables, selectors
from surveys.models import Answer, Measure, Question, Response, Wave
from tests.surveys.factories import QuestionFactory, WaveFactory, staff_survey_wave

pytestmark = pytest.mark.django_db

ASIAN = "Asian, Asian British or Asian Welsh"
MIXED = "Mixed or Multiple ethnic groups"

# {code: (answers, positive)} per wave; None is "ethnic group not given".
COUNTS = {
    2023: {
        "white_british": (180, 99), "white_irish": (20, 10), "asian_indian": (90, 36),
        "black_african": (50, 20), "mixed_other": (24, 11), "other_arab": (25, 10),
        "prefer_not_to_say": (24, 10),
    },
    2024: {
        "white_british": (190, 110), "white_irish": (20, 12), "asian_indian": (95, 42),
        "black_african": (55, 25), "mixed_other": (15, 7), "other_arab": (28, 11),
        "prefer_not_to_say": (12, 4),
    },
    2025: {
        "white_british": (200, 120), "white_irish": (20, 10), "asian_indian": (100, 48),
        "black_african": (60, 30), "mixed_other": (4, 2), "other_arab": (30, 12),
        "prefer_not_to_say": (15, 5), None: (12, 6),
    },
}  # fmt: skip


def answer(wave: Wave, counts: dict, key: str = "equal_opportunity") -> None:
    """Individual responses: per group, ``k`` answering Strongly agree and the rest neutral."""
    questions = {q.key: q for q in wave.questions.all()}
    responses, answers = [], []
    for code, (n, k) in counts.items():
        for index in range(n):
            response = Response(id=uuid.uuid4(), wave=wave, submitted_on=wave.opens_on)
            responses.append(response)
            value = "5" if index < k else "3"
            answers.append(Answer(response=response, question=questions[key], value=value))
            if code is not None:
                answers.append(
                    Answer(response=response, question=questions["ethnicity"], value=code)
                )
    Response.objects.bulk_create(responses)
    Answer.objects.bulk_create(answers)


@pytest.fixture
def measure() -> Measure:
    first = staff_survey_wave(year=2023)
    answer(first, COUNTS[2023])
    for year in (2024, 2025):
        answer(staff_survey_wave(year=year, survey=first.survey), COUNTS[year])
    return Measure.objects.create(
        key="equal-opportunity",
        name="Equality of opportunity",
        survey=first.survey,
        question_key="equal_opportunity",
        baseline=first,
        priority=True,
        comparison_group="white",  # the figures below were checked against White
    )


@pytest.fixture
def analyst(client, make_user, signed_in):
    signed_in(make_user(roles.INCLUSION_ANALYSTS))
    return client


def report_url(measure: Measure) -> str:
    return f"/admin/surveys/measures/{measure.pk}/report/"


def page(client, measure: Measure) -> BeautifulSoup:
    response = client.get(report_url(measure))
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def table_rows(table) -> list[list[str]]:
    return [
        [cell.get_text(strip=True) for cell in row.find_all(["th", "td"])]
        for row in table.find("tbody").find_all("tr")
    ]


def wave_table(soup: BeautifulSoup, year: int):
    return soup.find("table", attrs={"data-year": str(year)})


def as_cells(rows) -> list[list]:
    """Rows as a spreadsheet holds them: numbers as floats, no value as None."""
    return [
        [float(v) if isinstance(v, int | float | Decimal) else (v or None) for v in row]
        for row in rows
    ]


def csv_sections(text: str) -> dict[str, list[list[str]]]:
    """The CSV download's tables by title: {title: [headers, *rows]}."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    sections, current = {}, None
    for index, row in enumerate(rows):
        if not row:
            current = None
            continue
        if current is None and index and not rows[index - 1]:
            current = sections.setdefault(row[0], [])
            continue
        if current is not None:
            current.append(row)
    return sections


# --- The page ------------------------------------------------------------------------------------


def test_analyst_sees_the_figures_with_intervals(analyst, measure):
    soup = page(analyst, measure)
    rows = {row[0]: row[1:] for row in table_rows(wave_table(soup, 2025))}
    # 48/100: Wilson 95% interval 38.5% to 57.7% (worked by hand).
    assert rows[ASIAN] == ["100", "48", "48", "38", "58"]
    # White = White British + White Irish: 130/220 = 59.1% (52.5 to 65.4).
    assert rows["White"] == ["220", "130", "59", "52", "65"]
    # Everyone, including those who did not give their ethnic group: 233/441 (48.2 to 57.4).
    assert rows["All answers"] == ["441", "233", "53", "48", "57"]
    assert "Ethnic group not given" in rows  # Its own row, never folded into a group.
    # Groups in the report's order: alphabetical, Other last, then the rows that are not groups.
    assert list(rows) == [
        ASIAN,
        "Black, Black British, Black Welsh, Caribbean or African",
        "Ethnic minorities (all other ethnic groups combined)",
        MIXED,
        "White",
        "White British",
        "Other ethnic group",
        "Prefer not to say",
        "Ethnic group not given",
        "All answers",
    ]
    summary = soup.find(class_="measure-summary").get_text()
    assert summary == selectors.measure_report(measure=measure).summary()
    assert summary.startswith("2025: Ethnic minorities ")


def test_a_small_group_is_shown_as_c(analyst, measure):
    soup = page(analyst, measure)
    rows = {row[0]: row[1:] for row in table_rows(wave_table(soup, 2025))}
    # Four Mixed answers in 2025: every figure hidden, and its gap and changes too.
    assert rows[MIXED] == [SUPPRESSED] * 5
    gaps = table_rows(soup.find("table", attrs={"data-table": "gaps"}))
    mixed_gap = next(row for row in gaps if row[:2] == ["2025", MIXED])
    assert mixed_gap[2:6] == [SUPPRESSED] * 4
    assert mixed_gap[-2] == SUPPRESSED
    # Nothing shown lets it be worked out from the ethnic minorities row.
    shown = [row for name, row in rows.items() if name != MIXED and row[0] != SUPPRESSED]
    assert "4" not in [row[0] for row in shown]
    ethnic_minorities = rows["Ethnic minorities (all other ethnic groups combined)"]
    other = rows["Other ethnic group"]
    assert ethnic_minorities[0] == SUPPRESSED or other[0] == SUPPRESSED
    footnotes = soup.find(class_="measure-footnotes").get_text()
    assert "[c] Confidential: fewer than 10 answers" in footnotes
    # In 2023 at least ten Mixed answered each way, so they are shown.
    earlier = {row[0]: row[1:] for row in table_rows(wave_table(soup, 2023))}
    assert earlier[MIXED][:2] == ["24", "11"]
    # In 2024 fifteen answered, but only seven positively: hidden as well.
    assert {row[0]: row[1:] for row in table_rows(wave_table(soup, 2024))}[MIXED][0] == SUPPRESSED


def test_a_group_that_answered_all_one_way_is_shown_as_c(analyst):
    """Twenty-five Black respondents, none positive: 0% would tell anyone who knows a Black
    colleague answered how they answered. Hidden, and so is what would give it away."""
    wave = staff_survey_wave(year=2025)
    answer(wave, {"white_british": (200, 120), "asian_indian": (100, 48),
                  "black_african": (25, 0), "other_arab": (40, 20)})  # fmt: skip
    measure = Measure.objects.create(
        key="eo", name="EO", survey=wave.survey, question_key="equal_opportunity"
    )
    rows = {row[0]: row[1:] for row in table_rows(wave_table(page(analyst, measure), 2025))}
    black = "Black, Black British, Black Welsh, Caribbean or African"
    assert rows[black] == [SUPPRESSED] * 5
    assert rows["Other ethnic group"][0] == SUPPRESSED  # else minorities less Asian and Other
    assert "0" not in [row[2] for row in rows.values()]  # no 0% anywhere


def test_comparisons_gaps_changes_and_trend(analyst, measure):
    soup = page(analyst, measure)
    gaps = table_rows(soup.find("table", attrs={"data-table": "gaps"}))
    asian = next(row for row in gaps if row[:2] == ["2025", ASIAN])
    # 48% against 59.1%: 11 points lower, Newcombe interval -22.5 to +0.6 (worked from the two
    # Wilson intervals); rate ratio 0.48 / 0.5909 = 0.81.
    assert asian[2:5] == ["-11", "-23", "1"]
    assert asian[5] == "0.81"
    assert asian[6] == "z-test"
    assert asian[9] in ("significant", "not significant")
    changes = table_rows(soup.find("table", attrs={"data-table": "changes"}))
    kinds = {(row[0], row[1], row[2], row[3]) for row in changes}
    assert ("2025", ASIAN, "2024", "Year on year") in kinds
    assert ("2025", ASIAN, "2023", "Since the baseline") in kinds
    assert ("2024", ASIAN, "2023", "Year on year") in kinds
    trend = table_rows(soup.find("table", attrs={"data-table": "trend"}))
    assert [row[1] for row in trend] == ["2023-2025"] * len(trend)
    mixed_trend = next(row for row in trend if row[0] == MIXED)
    assert mixed_trend[-2] == SUPPRESSED
    assert soup.find("table", attrs={"data-table": "across"})


def test_the_page_never_uses_the_words_it_must_not(analyst, measure):
    text = analyst.get(report_url(measure)).content.decode().lower()
    assert "bame" not in text
    assert "non-white" not in text
    assert "ethnic minorities" in text


def test_a_measure_with_no_answers_says_so(analyst):
    wave = staff_survey_wave(year=2025)
    empty = Measure.objects.create(
        key="belonging", name="Belonging", survey=wave.survey, question_key="belonging"
    )
    soup = page(analyst, empty)
    assert "No answers to this question yet" in soup.get_text()
    assert soup.find("svg", class_="measure-chart") is None


@pytest.mark.parametrize("role", [roles.APPROVERS, roles.ENGAGEMENT_MANAGERS])
def test_other_council_roles_get_403(client, make_user, signed_in, measure, role):
    signed_in(make_user(role))
    for url in (
        report_url(measure),
        reverse("surveys_measure_report_download", args=[measure.pk, "csv"]),
        reverse("surveys_measure_report_download", args=[measure.pk, "xlsx"]),
    ):
        assert client.get(url).status_code == 403, url
    # The measure admin itself: Wagtail sends them back to the dashboard.
    response = client.get("/admin/surveys_measure/")
    assert response.status_code == 302
    assert not response.url.startswith("/admin/surveys_measure")


def test_a_board_member_is_told_the_admin_is_for_staff(client, make_user, signed_in, measure):
    signed_in(make_user(roles.BOARD_MEMBERS), enrol=False)
    response = client.get(report_url(measure))
    assert response.status_code == 403
    assert "This part of the site is for council staff" in response.content.decode()
    assert measure.name not in response.content.decode()


# --- The chart -----------------------------------------------------------------------------------


def test_the_chart_has_a_point_for_each_figure_shown_and_none_for_suppressed(analyst, measure):
    soup = page(analyst, measure)
    svg = soup.find("svg", class_="measure-chart")
    assert svg["role"] == "img"
    assert (
        svg.find("title").get_text() == "Equality of opportunity: percent positive by ethnic group"
    )
    assert "95% interval" in svg.find("desc").get_text()
    report = selectors.measure_report(measure=measure)
    shown = [row for row in report.rows if not row.suppressed and row.percent is not None]
    points = svg.find_all(class_="point")
    assert len(points) == len(shown) == charts.point_count(str(svg))
    assert {(p["data-group"], int(p["data-year"])) for p in points} == {
        (row.group, row.year) for row in shown
    }
    assert not svg.find(class_="point", attrs={"data-group": "mixed", "data-year": "2025"})
    # Every suppressed cell of the report is missing from the chart.
    for row in report.rows:
        if row.suppressed:
            assert not svg.find(attrs={"data-group": row.group, "data-year": str(row.year)})
    # The chart is followed by its data table.
    assert svg.find_next("table")["data-year"] == "2023"
    # A group's line joins its shown points; Mixed 2024-2025 has a gap.
    lines = svg.find_all(class_="series-line")
    groups = report.groups
    joined = sum(
        1
        for group in groups
        for before, after in ((2023, 2024), (2024, 2025))
        if (group, before) in {(r.group, r.year) for r in shown}
        and (group, after) in {(r.group, r.year) for r in shown}
    )
    assert len(lines) == joined


def test_a_break_in_series_is_a_gap_in_the_lines():
    wave = staff_survey_wave(year=2024)
    answer(wave, {"white_british": (40, 20), "asian_indian": (40, 10)})
    later = staff_survey_wave(year=2025, survey=wave.survey, break_in_series=True)
    answer(later, {"white_british": (40, 30), "asian_indian": (40, 20)})
    measure = Measure.objects.create(
        key="eo", name="EO", survey=wave.survey, question_key="equal_opportunity"
    )
    report = selectors.measure_report(measure=measure)
    svg = charts.percent_positive_chart(report, title="EO")
    assert charts.point_count(svg) == len([r for r in report.rows if r.percent is not None])
    assert 'class="series-line"' not in svg
    assert "Break in series" in svg


# --- Downloads -----------------------------------------------------------------------------------


def test_the_csv_is_exactly_the_tables_on_the_page(analyst, measure):
    soup = page(analyst, measure)
    response = analyst.get(reverse("surveys_measure_report_download", args=[measure.pk, "csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "equal-opportunity-report.csv" in response["Content-Disposition"]
    sections = csv_sections(response.content.decode("utf-8"))
    note, headers, *figures = sections["Percent positive by group and wave"]
    assert note[0].startswith("Answers: everyone who gave a valid answer")
    assert headers == ["Year"] + [
        th.get_text() for th in wave_table(soup, 2025).find("thead").find_all("th")
    ]
    for year in (2023, 2024, 2025):
        on_page = table_rows(wave_table(soup, year))
        assert [row[1:] for row in figures if row[0] == str(year)] == on_page
    assert next(row[2:] for row in figures if row[:2] == ["2025", MIXED]) == [SUPPRESSED] * 5
    for key, title in (
        ("gaps", "Gaps between each group and White"),
        ("changes", "Changes over time"),
        ("trend", "Trend over the waves"),
        ("across", "Differences across the five high-level ethnic groups"),
    ):
        table = soup.find("table", attrs={"data-table": key})
        # Under the title: the note, the headers, then the rows.
        assert sections[title][2:] == table_rows(table), key
        assert sections[title][1] == [th.get_text() for th in table.find("thead").find_all("th")]
    summaries = [row[1] for row in csv.reader(io.StringIO(response.content.decode()))
                 if row[:1] == ["Summary"]]  # fmt: skip
    assert soup.find(class_="measure-summary").get_text() in summaries


def test_the_xlsx_holds_the_same_figures(analyst, measure):
    response = analyst.get(reverse("surveys_measure_report_download", args=[measure.pk, "xlsx"]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == [
        "About", "Percent positive", "Gaps", "Changes over time", "Trend", "Across groups"
    ]  # fmt: skip
    tables = {
        t.key: t for t in report_tables.report_tables(selectors.measure_report(measure=measure))
    }
    for key, sheet in (("figures", "Percent positive"), ("gaps", "Gaps"), ("trend", "Trend")):
        values = [list(row) for row in book[sheet].iter_rows(values_only=True)]
        assert values[0] == tables[key].headers
        assert as_cells(values[1:]) == as_cells(tables[key].rows)
    figures = [list(row) for row in book["Percent positive"].iter_rows(values_only=True)]
    asian = next(row for row in figures if row[:2] == [2025, ASIAN])
    assert asian[2:] == [100, 48, 48, 38, 58]  # Numbers, not text.
    assert next(row for row in figures if row[:2] == [2025, MIXED])[2:] == [SUPPRESSED] * 5
    # p-values keep their three places: 0.090 is shown as 0.090, not 0.09.
    gaps = book["Gaps"]
    p_cells = [row[8] for row in gaps.iter_rows(min_row=2) if isinstance(row[8].value, float)]
    assert p_cells
    assert {cell.number_format for cell in p_cells} == {"0.000"}


def test_downloads_escape_formulas(analyst, measure):
    measure.name = "=cmd|' /C calc'!A0"
    measure.save()
    text = analyst.get(
        reverse("surveys_measure_report_download", args=[measure.pk, "csv"])
    ).content.decode()
    first = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert first == ["Measure", "'=cmd|' /C calc'!A0"]
    response = analyst.get(reverse("surveys_measure_report_download", args=[measure.pk, "xlsx"]))
    about = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["About"]
    assert about["B1"].value == "'=cmd|' /C calc'!A0"
    assert about["B1"].data_type == "s"
    # Negative differences stay numbers (a number is not a formula).
    assert "-11" in text


def test_an_unknown_download_format_is_404(analyst, measure):
    url = f"/admin/surveys/measures/{measure.pk}/report.pdf"
    assert analyst.get(url).status_code == 404


# --- The measure admin ---------------------------------------------------------------------------


def test_measures_are_in_the_surveys_menu_and_link_to_their_report(analyst, measure):
    home = analyst.get("/admin/").content.decode()
    assert "/admin/surveys_measure/" in home
    listing = analyst.get("/admin/surveys_measure/").content.decode()
    assert report_url(measure) in listing
    edit = analyst.get(f"/admin/surveys_measure/edit/{measure.pk}/").content.decode()
    assert report_url(measure) in edit


def form_data(wave: Wave, **overrides) -> dict:
    data = {
        "name": "Belonging",
        "key": "belonging",
        "description": "",
        "survey": wave.survey_id,
        "question_key": "belonging",
        "positive_values": ["4", "5"],
        "positive_choice_values": "",
        "groups": ["white", "ethnic_minorities"],
        "direction": "higher",
        "baseline": wave.pk,
        "adjustment": "bh",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def errors_of(response) -> dict:
    assert response.status_code == 200, "the form should have been refused"
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_analyst_creates_a_measure_with_ticked_groups_and_answers(analyst):
    wave = staff_survey_wave(year=2025)
    response = analyst.post("/admin/surveys_measure/new/", form_data(wave))
    assert response.status_code == 302
    measure = Measure.objects.get(key="belonging")
    assert measure.positive_values == ["4", "5"]
    assert measure.groups == ["ethnic_minorities", "white"]
    assert measure.baseline == wave
    # None ticked: all answers only.
    response = analyst.post(
        "/admin/surveys_measure/new/", form_data(wave, key="belonging-all", groups=None)
    )
    assert response.status_code == 302
    assert Measure.objects.get(key="belonging-all").groups == []


def test_a_choice_question_takes_typed_values_and_names_the_valid_ones(analyst):
    wave = staff_survey_wave(year=2025)
    data = form_data(wave, question_key="directorate", positive_values=None)
    errors = errors_of(analyst.post("/admin/surveys_measure/new/", data))
    assert errors["positive_choice_values"] == [
        "This is a choice question: type the values that count as positive, from: corporate, "
        "people, place."
    ]
    data["positive_choice_values"] = "place, elsewhere"
    errors = errors_of(analyst.post("/admin/surveys_measure/new/", data))
    assert errors["positive_choice_values"] == [
        "Not an answer to this question: elsewhere. Its values are: corporate, people, place."
    ]
    data["positive_choice_values"] = "place, people"
    assert analyst.post("/admin/surveys_measure/new/", data).status_code == 302
    assert Measure.objects.get(key="belonging").positive_values == ["place", "people"]


def test_the_form_names_what_is_wrong(analyst):
    wave = staff_survey_wave(year=2025)
    other = WaveFactory(year=2024)
    QuestionFactory(wave=other, key="belonging")
    errors = errors_of(
        analyst.post(
            "/admin/surveys_measure/new/",
            form_data(wave, positive_values=None, positive_choice_values="yes", baseline=other.pk),
        )
    )
    assert errors["positive_choice_values"] == [
        "This is an agree/disagree question: tick its positive answers above and leave this empty."
    ]
    assert errors["baseline"] == [f"Choose a wave of {wave.survey}."]
    errors = errors_of(
        analyst.post("/admin/surveys_measure/new/", form_data(wave, question_key="belong"))
    )
    assert errors["question_key"] == [
        f'No wave of {wave.survey} has a question with the key "belong". Its keys are: '
        "belonging, directorate, equal_opportunity."
    ]
    errors = errors_of(
        analyst.post("/admin/surveys_measure/new/", form_data(wave, positive_values=None))
    )
    assert errors["positive_values"] == ["Tick at least one answer that counts as positive."]
    # A baseline wave of the same survey that did not ask the question.
    bare = WaveFactory(survey=wave.survey, year=2022)
    Question.objects.create(wave=bare, key="other", text="Other", kind="likert")
    errors = errors_of(
        analyst.post("/admin/surveys_measure/new/", form_data(wave, baseline=bare.pk))
    )
    assert errors["baseline"] == [
        "The 2022 wave did not ask this question: choose a wave that did."
    ]
    assert not Measure.objects.exists()


def test_editing_offers_only_the_measures_own_waves(analyst, measure):
    WaveFactory(year=2020)  # Another survey's wave.
    response = analyst.get(f"/admin/surveys_measure/edit/{measure.pk}/")
    baseline = response.context["form"].fields["baseline"]
    assert {wave.survey_id for wave in baseline.queryset} == {measure.survey_id}
    assert response.context["form"].initial["positive_values"] == ["4", "5"]


def test_the_measure_name_is_escaped_in_the_page_and_chart(analyst, measure):
    measure.name = "<script>alert(1)</script>"
    measure.save()
    html = analyst.get(report_url(measure)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: percent positive by ethnic group" in html


def test_a_new_measure_starts_from_the_defaults(analyst):
    form = analyst.get("/admin/surveys_measure/new/").context["form"]
    assert form["positive_values"].value() == ["4", "5"]
    assert sorted(form["groups"].value()) == sorted(Measure().groups)
    assert len(form["groups"].value()) == 8
