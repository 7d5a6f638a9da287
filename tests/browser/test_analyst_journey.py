"""Journey 5: an inclusion analyst imports a wave, reads its report and publishes the summary.

The analyst signs in with a second factor, imports the 2025 staff survey's responses from a CSV
file through the admin, opens the measure's dashboard from the Surveys menu (text summary, the
figures wave by wave, "[c]" where a group is too small, an SVG chart that is an image to
assistive technology), downloads the figures as CSV and checks they are the ones on the page,
then creates and publishes the 2025 annual summary under "Equality data". A resident then reads
the published summary. Every page on the way is checked with axe-core.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date

import pytest

from cms import roles
from cms.models import HomePage
from cms.platform.suppression import SUPPRESSED
from surveys import selectors
from surveys.models import (
    AnnualSummaryPage,
    Answer,
    EqualityDataIndexPage,
    Measure,
    Response,
    Wave,
)
from tests.browser.conftest import CHECKED_PAGES, axe_violations
from tests.browser.test_journeys import sign_in
from tests.conftest import enrol_totp
from tests.factories import PASSWORD, UserFactory
from tests.surveys.factories import staff_survey_wave

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BASELINE, YEAR = 2024, 2025
MIXED = "Mixed or Multiple ethnic groups"
OTHER = "Other ethnic group"
MINORITIES = "Ethnic minorities (all other ethnic groups combined)"
# {ethnic group code: (answers, of which "Strongly agree")}; the rest answer "Neither".
BASELINE_COUNTS = {
    "white_british": (40, 22), "asian_indian": (22, 9), "black_african": (18, 8),
    "mixed_other": (12, 5), "other_arab": (12, 5), "prefer_not_to_say": (11, 5),
}  # fmt: skip
# The wave imported from the file: only 4 Mixed answers, too few to show ("[c]").
IMPORTED_COUNTS = {
    "white_british": (40, 24), "asian_indian": (25, 13), "black_african": (20, 11),
    "mixed_other": (4, 2), "other_arab": (12, 6), "prefer_not_to_say": (11, 5),
}  # fmt: skip
IMPORTED_ROWS = sum(n for n, _ in IMPORTED_COUNTS.values())


def closed_wave(year: int, **fields) -> Wave:
    return staff_survey_wave(
        year=year, opens_on=date(year, 3, 1), closes_on=date(year, 3, 31), **fields
    )


def answered(wave: Wave, counts: dict[str, tuple[int, int]]) -> None:
    """Responses given online: per group, ``k`` strongly agree and the rest neither."""
    questions = {q.key: q for q in wave.questions.all()}
    responses, answers = [], []
    for code, (n, k) in counts.items():
        for index in range(n):
            response = Response(id=uuid.uuid4(), wave=wave, submitted_on=wave.opens_on)
            responses.append(response)
            answers += [
                Answer(
                    response=response,
                    question=questions["equal_opportunity"],
                    value="5" if index < k else "3",
                ),
                Answer(response=response, question=questions["ethnicity"], value=code),
            ]
    Response.objects.bulk_create(responses)
    Answer.objects.bulk_create(answers)


def responses_file(path) -> None:
    """The provider's file for the imported wave: a row per response, coded answers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["equal_opportunity", "directorate", "improve", "ethnicity", "submitted_on"])
    for code, (n, k) in IMPORTED_COUNTS.items():
        for index in range(n):
            writer.writerow(
                [
                    "5" if index < k else "3",
                    ("place", "people", "corporate")[index % 3],
                    "More flexible working" if index == 0 else "",
                    code,
                    f"{YEAR}-03-{1 + index % 28:02d}",
                ]
            )
    path.write_text(buffer.getvalue(), encoding="utf-8")


@pytest.fixture
def survey_data():
    """The 2024 wave answered online (the baseline), the 2025 wave closed and empty."""
    baseline = closed_wave(BASELINE)
    answered(baseline, BASELINE_COUNTS)
    imported = closed_wave(YEAR, survey=baseline.survey)
    measure = Measure.objects.create(
        key="equal-opportunity",
        name="Equality of opportunity",
        description="The action plan's measure of success.",
        survey=baseline.survey,
        question_key="equal_opportunity",
        baseline=baseline,
        priority=True,
    )
    return {"wave": imported, "measure": measure}


@pytest.fixture
def equality_data() -> EqualityDataIndexPage:
    """The "Equality data" index page; creating it grants analysts its subtree."""
    page = EqualityDataIndexPage(title="Equality data", slug="equality-data")
    HomePage.objects.get().add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def analyst():
    user = UserFactory(roles=[roles.INCLUSION_ANALYSTS])
    enrol_totp(user)
    return user


# Wagtail 8.0's rich text editor (Draftail) renders its editing area as a contenteditable
# role="textbox" with no accessible name: the field's <label for> points at the hidden input it
# replaces. Upstream bug wagtail/wagtail#14205 (fix proposed in #14210); the project's templates
# play no part in it. Only on the page editor, and only that exact violation, is set aside.
DRAFTAIL_UNNAMED = "aria-input-field-name"
DRAFTAIL_EDITOR = "public-DraftEditor-content"

# No CSS transition still running: axe reads colours as they are drawn at that moment.
SETTLED_JS = """
() => !document.getAnimations().some(
  (a) => a instanceof CSSTransition && a.playState === 'running'
)
"""


def settled(visitor) -> None:
    """Wait until an admin page has loaded and settled before axe reads it.

    Checked too early (straight after the sign-in's redirect) axe once reported Wagtail's
    "Successfully signed in" message for colour contrast, which it passes once drawn.
    """
    visitor.page.wait_for_load_state("load")
    visitor.page.wait_for_function(SETTLED_JS)


def check(visitor) -> None:
    settled(visitor)
    visitor.check()


def check_page_editor(visitor) -> None:
    """``Visitor.check`` for Wagtail's page editor, less Wagtail's own Draftail bug (above).

    Every other axe rule, and the console check, still apply; and the Draftail violation must
    still be there, so this exception is noticed and removed once Wagtail fixes it.
    """
    settled(visitor)
    page = visitor.page
    violations = axe_violations(page)
    known = [
        v
        for v in violations
        if v["id"] == DRAFTAIL_UNNAMED
        and all(DRAFTAIL_EDITOR in node["html"] for node in v["nodes"])
    ]
    url = page.url.removeprefix(visitor.base_url)
    others = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v not in known
    ]
    assert not others, f"axe violations on {url}:\n" + "\n".join(others)
    assert known, "Wagtail's Draftail editor now has an accessible name: drop check_page_editor"
    errors = [e for e in visitor.console_errors if "favicon" not in e]
    visitor.console_errors.clear()
    assert not errors, f"console errors on {url}: {errors}"
    CHECKED_PAGES.append(f"{visitor.name}: {url} (less wagtail/wagtail#14205)")


def figures_of(page, year: int) -> dict[str, list[str]]:
    """The dashboard's table of figures for one wave: {group: [answers, positive, %, low, high]}."""
    rows = page.locator(f"table.measure-figures[data-year='{year}'] tbody tr")
    return {
        row.locator("th").inner_text().strip(): [
            cell.strip() for cell in row.locator("td").all_inner_texts()
        ]
        for row in rows.all()
    }


def test_analyst_imports_a_wave_reads_the_report_and_publishes_the_summary(
    browser_for, tmp_path, survey_data, equality_data, analyst
):
    wave, measure = survey_data["wave"], survey_data["measure"]
    officer = browser_for("inclusion analyst")
    page = officer.page
    sign_in(officer, analyst.email, PASSWORD, code=True)
    page.wait_for_url(re.compile(r"/admin/$"))
    check(officer)

    # --- Import the 2025 wave from the provider's CSV file ---------------------------------
    officer.visit("/admin/survey-data/", check=False)
    check(officer)
    assert page.get_by_role("heading", name="Survey results: import and download").is_visible()
    page.get_by_role("link", name=f"Import responses for {wave}").click()
    page.wait_for_url(re.compile(rf"/admin/survey-data/waves/{wave.pk}/import/$"))
    check(officer)
    path = tmp_path / "staff-survey-2025.csv"
    responses_file(path)
    page.get_by_label("CSV or Excel file").set_input_files(path)
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_url(re.compile(r"/admin/survey-data/$"))
    check(officer)
    imported = f"Imported {IMPORTED_ROWS} responses into {wave} from staff-survey-2025.csv"
    assert page.locator(".messages").get_by_text(imported).is_visible()
    wave_row = page.get_by_role("row", name=re.compile(rf"^{YEAR} "))
    assert wave_row.get_by_role("cell", name=str(IMPORTED_ROWS), exact=True).is_visible()
    assert Response.objects.filter(wave=wave).count() == IMPORTED_ROWS

    # --- The measure's dashboard, from the Surveys menu ------------------------------------
    page.get_by_role("button", name="Surveys").click()
    page.get_by_role("link", name="Measures").click()
    page.wait_for_url(re.compile(r"/admin/surveys_measure/$"))
    check(officer)
    page.get_by_role("link", name=f"View report for {measure.name}").click()
    page.wait_for_url(re.compile(rf"/admin/surveys/measures/{measure.pk}/report/$"))
    check(officer)
    # 32 of the 61 ethnic minority answers positive (52%), 24 of the 40 White British (60%):
    # the file's White answers are all White British, the measure's comparison by default.
    summary = (
        f"{YEAR}: Ethnic minorities 52% (40-64), White British 60% (45-74): "
        "Ethnic minorities 8 points below White British, not significant."
    )
    assert page.locator(".measure-summary").inner_text().strip() == summary
    assert selectors.measure_report(measure=measure).summary() == summary
    figures = figures_of(page, YEAR)
    assert figures["White British"] == ["40", "24", "60", "45", "74"]
    assert figures[MINORITIES] == ["61", "32", "52", "40", "64"]
    # Four Mixed answers: too few to show. "Other" is hidden too, or Mixed could be worked out
    # from the ethnic minorities row.
    assert figures[MIXED] == [SUPPRESSED] * 5
    assert figures[OTHER] == [SUPPRESSED] * 5
    # Twelve Mixed answers last year, but only five positive: a count positive under ten is
    # not shown either (nor the seven negative it would give away).
    assert figures_of(page, BASELINE)[MIXED][:2] == [SUPPRESSED, SUPPRESSED]
    this_year = page.locator(f"table.measure-figures[data-year='{YEAR}']")
    assert this_year.get_by_role("cell", name=SUPPRESSED, exact=True).first.is_visible()
    footnotes = page.locator(".measure-footnotes")
    assert footnotes.get_by_text(re.compile(r"^\[c\] Confidential: fewer than 10")).is_visible()
    chart = page.get_by_role("img", name=re.compile(rf"^{measure.name}: percent positive"))
    assert chart.is_visible()
    assert chart.evaluate("node => node.tagName.toLowerCase()") == "svg"
    assert chart.get_attribute("role") == "img"
    officer.screenshot("analyst-measure-dashboard")

    # The download holds the figures the page shows, suppression included.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"CSV of the {measure.name} report").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(download.path().read_text("utf-8-sig"))))
    assert ["Summary", summary] in rows
    assert [str(YEAR), "White British", *figures["White British"]] in rows
    assert [str(YEAR), MINORITIES, *figures[MINORITIES]] in rows
    assert [str(YEAR), MIXED, *[SUPPRESSED] * 5] in rows
    assert any(row[:1] == ["Note"] and row[1].startswith("[c] Confidential") for row in rows)
    check(officer)  # Still on the dashboard, nothing logged by the download.

    # --- Create and publish the annual summary under "Equality data" ----------------------
    officer.visit(f"/admin/pages/{equality_data.pk}/", check=False)
    check(officer)
    page.get_by_role("link", name=re.compile("Add child page")).first.click()
    page.wait_for_url(re.compile(r"/admin/pages/add/surveys/annualsummarypage/"))
    check_page_editor(officer)
    page.locator("#id_title").fill(f"Equality summary {YEAR}")
    page.locator("#id_year").fill(str(YEAR))
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(rf"/admin/pages/{equality_data.pk}/$"))
    check(officer)
    published = re.compile(rf"Page .Equality summary {YEAR}. created and published")
    assert page.locator(".messages").get_by_text(published).is_visible()
    summary_page = AnnualSummaryPage.objects.get(year=YEAR)
    assert summary_page.live
    assert summary_page.snapshot["year"] == YEAR

    # --- A resident reads the published summary --------------------------------------------
    resident = browser_for("resident")
    public = resident.page
    resident.visit(equality_data.url)
    public.get_by_role("link", name=f"Equality summary {YEAR}").click()
    public.wait_for_url(re.compile(rf"{equality_data.url}equality-summary-{YEAR}/$"))
    resident.check()
    assert public.get_by_role("heading", name=f"Equality summary {YEAR}", level=1).is_visible()
    assert public.get_by_text(
        f"Ethnic minorities 52% (40 to 64) agreed, up 10 points since {BASELINE}"
    ).is_visible()
    assert public.get_by_text(
        f"In {YEAR}, ethnic minorities were 8 points below White British staff"
    ).is_visible()
    table = public.get_by_role("table", name=re.compile(rf"^{measure.name}: percentage who agreed"))
    assert cells_of(table, "White British")[:2] == ["60% (45 to 74)", "40"]
    assert cells_of(table, MINORITIES)[:2] == ["52% (40 to 64)", "61"]
    assert cells_of(table, MIXED)[:2] == [SUPPRESSED, SUPPRESSED]
    assert cells_of(table, OTHER)[:2] == [SUPPRESSED, SUPPRESSED]
    assert public.get_by_text(re.compile(r"^\[c\] Confidential: fewer than 10")).is_visible()
    resident.screenshot("analyst-published-summary")


def cells_of(table, group: str) -> list[str]:
    """The data cells of the row headed ``group`` in a public table."""
    row = table.locator("tbody tr").filter(
        has=table.page.get_by_role("rowheader", name=group, exact=True)
    )
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]
