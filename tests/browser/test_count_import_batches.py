"""Journey: an inclusion analyst imports counts, checks the preview, confirms, then removes the
import; the published annual summary keeps its figures and says the data changed.

On a phone-sized screen (390 px wide): every page is checked with axe-core and must not scroll
sideways (wide tables scroll inside their own box).
"""

from __future__ import annotations

import re

import pytest

from cms import roles
from cms.models import HomePage
from surveys.models import AnnualSummaryPage, CountImportBatch, EqualityDataIndexPage, Measure
from tests.browser.test_analyst_journey import check
from tests.browser.test_journeys import sign_in
from tests.conftest import enrol_totp
from tests.factories import PASSWORD, UserFactory
from tests.surveys.count_import_helpers import counts_csv
from tests.surveys.factories import SurveyFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTH = 390
KEY = "equal_opportunity"


def narrow_check(visitor) -> None:
    check(visitor)
    width = visitor.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{visitor.page.url} is {width}px wide at {WIDTH}px"


def test_analyst_previews_confirms_and_removes_an_import_on_a_phone(browser_for, tmp_path):
    analyst = UserFactory(roles=[roles.INCLUSION_ANALYSTS])
    enrol_totp(analyst)
    survey = SurveyFactory(name="Old staff survey", slug="old-staff-survey")
    Measure.objects.create(
        key="equal-opportunity",
        name="Equality of opportunity",
        survey=survey,
        question_key=KEY,
        priority=True,
    )
    path = tmp_path / "provider-2020.csv"
    path.write_bytes(
        counts_csv(
            [
                [2020, KEY, "white_british", 420, 210],
                [2020, KEY, "asian_indian", 110, 66],
                [2020, KEY, "black_african", 90, 40],
            ]
        )
    )

    officer = browser_for("inclusion analyst (390px)")
    page = officer.page
    sign_in(officer, analyst.email, PASSWORD, code=True)
    page.wait_for_url(re.compile(r"/admin/$"))
    page.set_viewport_size({"width": WIDTH, "height": 844})

    officer.visit(f"/admin/survey-data/surveys/{survey.pk}/import-counts/", check=False)
    narrow_check(officer)
    page.get_by_label("CSV or Excel file").set_input_files(path)
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_url(re.compile(r"/admin/survey-data/count-imports/preview/\w+/$"))
    narrow_check(officer)
    assert page.get_by_role("heading", name="Nothing has been imported yet").is_visible()
    officer.screenshot("count-import-preview")
    page.set_viewport_size({"width": WIDTH, "height": 844})  # the screenshots reset it
    assert page.locator("#preview-counts").inner_text() == "3"
    assert page.locator("#preview-waves-created").inner_text() == "2020"

    page.get_by_role("button", name="Confirm and import").click()
    page.wait_for_url(re.compile(rf"/admin/survey-data/surveys/{survey.pk}/count-imports/$"))
    narrow_check(officer)
    batch = CountImportBatch.objects.get(survey=survey)

    # The summary is published while the import is in use.
    index = EqualityDataIndexPage(title="Equality data", slug="equality-data")
    HomePage.objects.get().add_child(instance=index)
    index.save_revision().publish()
    summary = AnnualSummaryPage(title="Equality summary 2020", slug="2020", year=2020)
    index.add_child(instance=summary)
    summary.save_revision().publish()

    page.get_by_role("link", name=f"Remove import {batch.pk}").click()
    page.wait_for_url(re.compile(rf"/admin/survey-data/count-imports/{batch.pk}/remove/$"))
    narrow_check(officer)
    officer.screenshot("count-import-remove")
    page.set_viewport_size({"width": WIDTH, "height": 844})  # the screenshots reset it
    page.get_by_role("button", name=f"Remove import {batch.pk}").click()
    page.wait_for_url(re.compile(rf"/admin/survey-data/surveys/{survey.pk}/count-imports/$"))
    narrow_check(officer)
    batch.refresh_from_db()
    assert batch.state == CountImportBatch.State.REMOVED

    resident = browser_for("resident (390px)")
    resident.page.set_viewport_size({"width": WIDTH, "height": 844})
    resident.visit("/equality-data/2020/", check=False)
    narrow_check(resident)
    notice = resident.page.locator("#figures-data-changed")
    assert "The data they came from has since been changed" in notice.inner_text()
