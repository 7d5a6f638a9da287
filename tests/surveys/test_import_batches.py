"""Reversible imports of aggregated counts: every upload a batch, previewed before it is written,
replaced or removed from the admin in one transaction, in the audit log, and published annual
summaries that keep their figures but say the data under them changed."""

from __future__ import annotations

import hashlib
import importlib
import io
import json
from datetime import timedelta
from unittest import mock

import pytest
from bs4 import BeautifulSoup

from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from wagtail.models import ModelLogEntry

from cms import roles
from cms.models import HomePage
from surveys import count_imports, selectors
from surveys.count_imports import BatchChanged
from surveys.models import (
    AggregatedCount,
    AnnualSummaryPage,
    CountImportBatch,
    EqualityDataIndexPage,
    Measure,
    Wave,
)
from tests.surveys.count_import_helpers import (
    confirm_preview,
    counts_csv,
    import_counts_through_admin,
    text_of,
    upload_counts,
)
from tests.surveys.factories import SurveyFactory

pytestmark = pytest.mark.django_db

KEY = "equal_opportunity"
# The earlier provider's tables for 2019 and 2020.
FIRST = counts_csv(
    [
        [2019, KEY, "white_british", 400, 240],
        [2019, KEY, "asian_indian", 100, 48],
        [2020, KEY, "white_british", 420, 210],
        [2020, KEY, "asian_indian", 110, 66],
    ]
)
# The corrected file: 2020's White British figure fixed, Asian Indian 2019 dropped, Black
# African 2019 added.
CORRECTED = counts_csv(
    [
        [2019, KEY, "white_british", 400, 240],
        [2019, KEY, "black_african", 80, 40],
        [2020, KEY, "white_british", 420, 294],
        [2020, KEY, "asian_indian", 110, 66],
    ]
)
# Another provider's year, imported separately: it stays when the others are removed.
EARLIER = counts_csv([[2018, KEY, "white_british", 300, 150], [2018, KEY, "asian_indian", 90, 45]])


@pytest.fixture
def analyst(make_user):
    return make_user(roles.INCLUSION_ANALYSTS)


@pytest.fixture
def client_as_analyst(signed_in, analyst):
    return signed_in(analyst)


@pytest.fixture
def survey():
    return SurveyFactory(name="Old staff survey", slug="old-staff-survey")


@pytest.fixture
def measure(survey) -> Measure:
    return Measure.objects.create(
        key="equal-opportunity",
        name="Equality of opportunity",
        survey=survey,
        question_key=KEY,
        priority=True,
    )


def report_json(measure) -> dict:
    out = io.StringIO()
    call_command("survey_report", "--measure", measure.key, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def figure(report: dict, year: int, group: str) -> tuple[int | None, int | None] | None:
    for row in report["rows"]:
        if row["year"] == year and row["group"] == group:
            return row["n"], row["positive"]
    return None


def only_batch(survey, **filters) -> CountImportBatch:
    return CountImportBatch.objects.get(survey=survey, **filters)


def remove_through_admin(client, batch):
    url = reverse("surveys_count_batch_remove", args=[batch.pk])
    confirmation = client.get(url)
    assert confirmation.status_code == 200
    return confirmation, client.post(url, follow=True)


# --- Upload, preview, confirm, remove -------------------------------------------------------


def test_an_upload_is_previewed_confirmed_and_removed_through_the_admin(
    client_as_analyst, analyst, survey, measure
):
    import_counts_through_admin(client_as_analyst, survey, "earlier.csv", EARLIER)
    earlier = only_batch(survey, file_name="earlier.csv")

    preview = upload_counts(client_as_analyst, survey, "provider-2019-2020.csv", FIRST)

    # The preview: what will be created, per wave and group, with totals. Nothing written yet.
    assert preview.status_code == 200
    shown = preview.context["preview"]
    assert preview.context["result"].rows == 4
    assert shown.counts == 4
    assert shown.waves_created == [2019, 2020]
    assert [(ln.year, ln.group, ln.counts, ln.answering, ln.positive) for ln in shown.lines] == [
        (2019, "asian_indian", 1, 100, 48),
        (2019, "white_british", 1, 400, 240),
        (2020, "asian_indian", 1, 110, 66),
        (2020, "white_british", 1, 420, 210),
    ]
    assert preview.context["group_totals"] == [("asian_indian", 2, 210), ("white_british", 2, 820)]
    soup = BeautifulSoup(preview.content, "html.parser")
    assert soup.select_one("#preview-rows").get_text() == "4"
    assert soup.select_one("#preview-waves-created").get_text() == "2019, 2020"
    # Each group by its ONS label and the code it came as, to check against the provider.
    groups = [row.find("td").get_text() for row in soup.select("#preview-groups tbody tr")]
    assert groups == [
        "Asian: Indian (asian_indian)",
        "White British (white_british)",
    ]
    assert "Nothing has been imported yet" in text_of(preview)
    assert not Wave.objects.filter(survey=survey, year__in=[2019, 2020]).exists()
    assert AggregatedCount.objects.filter(wave__year__in=[2019, 2020]).count() == 0
    assert CountImportBatch.objects.filter(survey=survey).count() == 1

    done = confirm_preview(client_as_analyst, preview)

    assert "Imported 4 aggregated counts into Old staff survey from provider-2019-2020.csv" in (
        text_of(done)
    )
    batch = only_batch(survey, file_name="provider-2019-2020.csv")
    assert batch.checksum == hashlib.sha256(FIRST).hexdigest()
    assert (batch.rows, batch.counts, batch.years, batch.created_years) == (
        4,
        4,
        [2019, 2020],
        [2019, 2020],
    )
    assert batch.imported_by == analyst
    assert figure(report_json(measure), 2020, "white_british") == (420, 210)
    imported = ModelLogEntry.objects.get(action="surveys.import", data__batch=batch.pk)
    assert imported.data["checksum"] == batch.checksum

    # The list of imports, then Remove: a confirmation page, then the POST.
    listing = client_as_analyst.get(reverse("surveys_count_batches", args=[survey.pk]))
    assert reverse("surveys_count_batch_remove", args=[batch.pk]) in text_of(listing)
    remove_url = reverse("surveys_count_batch_remove", args=[batch.pk])
    confirmation = client_as_analyst.get(remove_url)
    assert "Remove import" in text_of(confirmation)
    assert "will be taken out of every report" in text_of(confirmation)
    assert AggregatedCount.objects.filter(batch=batch).exists()  # The GET changed nothing.
    removed = client_as_analyst.post(remove_url, follow=True)

    assert f"Removed import {batch.pk}: 4 counts taken out." in text_of(removed)
    assert "The imported waves for 2019, 2020 held nothing else and were deleted." in (
        text_of(removed)
    )
    batch.refresh_from_db()
    assert batch.state == CountImportBatch.State.REMOVED
    assert batch.changed_by == analyst and batch.changed_at is not None
    assert not AggregatedCount.objects.filter(batch=batch).exists()
    assert list(Wave.objects.filter(survey=survey).values_list("year", flat=True)) == [2018]

    # The reports: the removed years are gone; the other import is untouched.
    report = report_json(measure)
    assert report["years"] == [2018]
    assert figure(report, 2019, "white_british") is None
    assert figure(report, 2018, "white_british") == (300, 150)
    assert selectors.measure_report(measure=measure).years == [2018]
    assert only_batch(survey, pk=earlier.pk).is_active

    entry = ModelLogEntry.objects.get(action=count_imports.REMOVE_ACTION)
    assert entry.user_id == analyst.pk
    assert entry.object_id == str(batch.pk)
    assert entry.data["batch"] == batch.pk
    assert entry.data["file"] == "provider-2019-2020.csv"
    assert entry.data["checksum"] == batch.checksum
    assert entry.data["counts_removed"] == 4
    assert entry.data["waves_removed"] == [2019, 2020]


def test_cancelling_a_preview_writes_nothing_and_deletes_the_staged_file(client_as_analyst, survey):
    preview = upload_counts(client_as_analyst, survey, "counts.csv", FIRST)
    state = preview.context["state"]
    storage = count_imports.staging_storage()
    assert storage.exists(state["storage_name"])

    cancelled = confirm_preview(client_as_analyst, preview, action="cancel")

    assert "Cancelled: nothing was imported from counts.csv." in text_of(cancelled)
    assert not AggregatedCount.objects.exists()
    assert not CountImportBatch.objects.exists()
    assert not Wave.objects.filter(survey=survey).exists()
    assert not ModelLogEntry.objects.filter(action="surveys.import").exists()
    assert not storage.exists(state["storage_name"])
    # The preview cannot be confirmed afterwards.
    again = confirm_preview(client_as_analyst, preview, checksum=state["checksum"])
    assert "This preview has expired or was already used" in text_of(again)
    assert not AggregatedCount.objects.exists()


def test_staged_files_of_expired_previews_are_deleted(client_as_analyst, survey):
    preview = upload_counts(client_as_analyst, survey, "counts.csv", FIRST)
    forgotten = preview.context["state"]["storage_name"]
    storage = count_imports.staging_storage()
    later = timezone.now() + timedelta(seconds=count_imports.PREVIEW_SECONDS + 60)

    with mock.patch("surveys.count_imports.timezone.now", return_value=later):
        upload_counts(client_as_analyst, survey, "other.csv", EARLIER)

    assert not storage.exists(forgotten)
    assert not AggregatedCount.objects.exists()


def test_confirming_deletes_the_staged_file_and_the_preview_cannot_be_used_twice(
    client_as_analyst, survey
):
    preview = upload_counts(client_as_analyst, survey, "counts.csv", FIRST)
    name = preview.context["state"]["storage_name"]
    confirm_preview(client_as_analyst, preview)
    assert not count_imports.staging_storage().exists(name)

    twice = confirm_preview(client_as_analyst, preview)

    assert "This preview has expired or was already used" in text_of(twice)
    assert CountImportBatch.objects.filter(survey=survey).count() == 1
    assert AggregatedCount.objects.count() == 4


# --- Replace -----------------------------------------------------------------------------------


def test_a_batch_is_replaced_by_a_corrected_file(client_as_analyst, analyst, survey, measure):
    import_counts_through_admin(client_as_analyst, survey, "provider.csv", FIRST)
    old = only_batch(survey)
    assert figure(report_json(measure), 2020, "white_british") == (420, 210)

    form = client_as_analyst.get(reverse("surveys_count_batch_replace", args=[old.pk]))
    assert "Replace import" in text_of(form)
    preview = upload_counts(client_as_analyst, survey, "corrected.csv", CORRECTED, replacing=old)

    shown = preview.context["preview"]
    assert shown.added == [((2019, KEY, "black_african"), (80, 40))]
    assert shown.removed == [((2019, KEY, "asian_indian"), (100, 48))]
    assert shown.changed == [((2020, KEY, "white_british"), (420, 210), (420, 294))]
    assert shown.unchanged == 2
    assert shown.waves_created == [] and shown.waves_removed == []
    assert "1 count added, 1 removed, 1 changed and 2 unchanged." in text_of(preview)
    # Still the old figures until it is confirmed.
    assert figure(report_json(measure), 2020, "white_british") == (420, 210)
    assert only_batch(survey, pk=old.pk).is_active

    done = confirm_preview(client_as_analyst, preview)

    assert f"Replaced import {old.pk} with 4 counts from corrected.csv." in text_of(done)
    old.refresh_from_db()
    new = old.replaced_by
    assert old.state == CountImportBatch.State.REPLACED
    assert not old.aggregated_counts.exists()
    assert (new.file_name, new.counts, new.checksum) == (
        "corrected.csv",
        4,
        hashlib.sha256(CORRECTED).hexdigest(),
    )
    # The waves the old import made are the new one's now: removing it removes them.
    assert new.created_years == [2019, 2020]
    report = report_json(measure)
    assert figure(report, 2020, "white_british") == (420, 294)
    # The report shows high-level groups: Black African is all of 2019's Black answers.
    assert figure(report, 2019, "black") == (80, 40)
    assert figure(report, 2019, "white_british") == (400, 240)

    entry = ModelLogEntry.objects.get(action=count_imports.REPLACE_ACTION)
    assert entry.user_id == analyst.pk
    assert entry.data["batch"] == old.pk
    assert entry.data["file"] == "provider.csv"
    assert entry.data["checksum"] == hashlib.sha256(FIRST).hexdigest()
    assert entry.data["counts_removed"] == 4
    assert entry.data["replaced_by"]["batch"] == new.pk
    assert entry.data["replaced_by"]["file"] == "corrected.csv"
    assert entry.data["replaced_by"]["checksum"] == new.checksum

    # The replaced import has no actions any more.
    again = client_as_analyst.get(
        reverse("surveys_count_batch_replace", args=[old.pk]), follow=True
    )
    assert f"Import {old.pk} has already been replaced." in text_of(again)


def test_a_replacement_with_problems_changes_nothing(client_as_analyst, survey, measure):
    import_counts_through_admin(client_as_analyst, survey, "provider.csv", FIRST)
    old = only_batch(survey)
    broken = counts_csv([[2019, KEY, "white_british", 10, 11]])

    preview = upload_counts(client_as_analyst, survey, "broken.csv", broken, replacing=old)

    assert "Nothing was imported" in text_of(preview)
    assert "Confirm and replace" not in text_of(preview)
    assert preview.context["result"].errors[0].row == 2
    old.refresh_from_db()
    assert old.is_active and old.aggregated_counts.count() == 4
    assert figure(report_json(measure), 2020, "white_british") == (420, 210)


def test_replacing_with_the_same_file_or_a_bad_file_is_refused(client_as_analyst, survey):
    import_counts_through_admin(client_as_analyst, survey, "provider.csv", FIRST)
    old = only_batch(survey)

    same = upload_counts(client_as_analyst, survey, "again.csv", FIRST, replacing=old)
    assert "same file as the import you are replacing" in same.context["form"].errors["file"][0]
    bad = upload_counts(client_as_analyst, survey, "counts.csv", b"PK\x03\x04zip", replacing=old)
    assert "is an Excel workbook" in bad.context["form"].errors["file"][0]
    assert CountImportBatch.objects.filter(survey=survey).count() == 1


# --- Published annual summaries -------------------------------------------------------------


@pytest.fixture
def index() -> EqualityDataIndexPage:
    page = EqualityDataIndexPage(title="Equality data", slug="equality-data")
    HomePage.objects.get().add_child(instance=page)
    page.save_revision().publish()
    return page


def _published_summary(index, year: int) -> AnnualSummaryPage:
    page = AnnualSummaryPage(title=f"Equality summary {year}", slug=str(year), year=year)
    index.add_child(instance=page)
    page.save_revision().publish()
    return AnnualSummaryPage.objects.get(pk=page.pk)


def test_a_published_summary_keeps_its_figures_and_says_the_data_changed(
    client, client_as_analyst, survey, measure, index
):
    import_counts_through_admin(client_as_analyst, survey, "provider.csv", FIRST)
    batch = only_batch(survey)
    page = _published_summary(index, 2020)
    snapshot = page.snapshot
    before = client.get(page.url)
    assert before.status_code == 200
    assert "figures-data-changed" not in before.content.decode()
    published_table = BeautifulSoup(before.content, "html.parser").find("table")

    remove_through_admin(client_as_analyst, batch)

    page.refresh_from_db()
    assert page.snapshot == snapshot
    after = client.get(page.url)
    soup = BeautifulSoup(after.content, "html.parser")
    notice = " ".join(soup.select_one("#figures-data-changed").get_text(" ").split())
    published_on = page.snapshot_taken_at.strftime("%-d %B %Y")
    batch.refresh_from_db()
    changed_on = batch.changed_at.strftime("%-d %B %Y")
    assert f"The figures below were published on {published_on}." in notice
    assert (
        f"{changed_on}: the counts imported from provider.csv for 2019, 2020 were removed."
    ) in notice
    assert "The current figures are in the council's dashboard" in notice
    # The figures themselves are the published ones.
    assert str(soup.find("table")) == str(published_table)


def test_a_summary_of_an_earlier_year_is_not_told_of_changes_to_later_years(
    client, client_as_analyst, survey, measure, index
):
    import_counts_through_admin(client_as_analyst, survey, "earlier.csv", EARLIER)
    import_counts_through_admin(client_as_analyst, survey, "provider.csv", FIRST)
    page = _published_summary(index, 2018)

    remove_through_admin(client_as_analyst, only_batch(survey, file_name="provider.csv"))

    assert "figures-data-changed" not in client.get(page.url).content.decode()


# --- Refusals ----------------------------------------------------------------------------------


def test_the_identical_file_again_is_detected_and_said_plainly(client_as_analyst, survey):
    import_counts_through_admin(client_as_analyst, survey, "provider.csv", FIRST)
    batch = only_batch(survey)

    again = upload_counts(client_as_analyst, survey, "renamed.csv", FIRST)

    message = again.context["form"].errors["file"][0]
    assert "This file is identical to one already imported on" in message
    assert f"(provider.csv, import {batch.pk})" in message
    assert CountImportBatch.objects.filter(survey=survey).count() == 1


def test_removing_a_batch_twice_or_concurrently_is_refused_plainly(
    client_as_analyst, analyst, survey
):
    import_counts_through_admin(client_as_analyst, survey, "provider.csv", FIRST)
    batch = only_batch(survey)
    url = reverse("surveys_count_batch_remove", args=[batch.pk])
    assert client_as_analyst.get(url).status_code == 200  # The confirmation page is open ...
    count_imports.count_batch_remove(batch=batch, by=analyst)  # ... when someone else removes it.

    late = client_as_analyst.post(url, follow=True)

    assert late.status_code == 200
    assert "This import was already removed on" in text_of(late)
    assert ModelLogEntry.objects.filter(action=count_imports.REMOVE_ACTION).count() == 1
    with pytest.raises(BatchChanged):
        count_imports.count_batch_remove(batch=batch, by=analyst)
    revisit = client_as_analyst.get(url, follow=True)
    assert f"Import {batch.pk} has already been removed." in text_of(revisit)


def test_a_stale_preview_is_refused_and_writes_nothing(client_as_analyst, survey):
    # A checksum that is not the one shown (the file behind the preview changed).
    preview = upload_counts(client_as_analyst, survey, "counts.csv", FIRST)
    changed = confirm_preview(client_as_analyst, preview, checksum="0" * 64)
    assert "The file changed after this preview was shown" in text_of(changed)

    # The staged file gone (expired storage), then the preview itself expired.
    preview = upload_counts(client_as_analyst, survey, "counts.csv", FIRST)
    count_imports.staging_storage().delete(preview.context["state"]["storage_name"])
    gone = confirm_preview(client_as_analyst, preview)
    assert "The uploaded file is no longer here" in text_of(gone)

    preview = upload_counts(client_as_analyst, survey, "counts.csv", FIRST)
    cache.clear()
    expired = client_as_analyst.get(preview.redirect_chain[-1][0], follow=True)
    assert "This preview has expired" in text_of(expired)

    # A checksum that is not even a checksum.
    preview = upload_counts(client_as_analyst, survey, "counts.csv", FIRST)
    junk = confirm_preview(client_as_analyst, preview, checksum="<script>")
    assert "The preview could not be read. Nothing changed." in text_of(junk)

    assert not AggregatedCount.objects.exists()
    assert not CountImportBatch.objects.exists()


def test_a_preview_made_stale_by_another_import_is_not_confirmed(client_as_analyst, survey):
    preview = upload_counts(client_as_analyst, survey, "counts.csv", FIRST)
    overlapping = counts_csv([[2020, KEY, "asian_indian", 5, 1]])
    import_counts_through_admin(client_as_analyst, survey, "other.csv", overlapping)

    late = confirm_preview(client_as_analyst, preview)

    assert "Nothing was imported: the counts no longer import cleanly." in text_of(late)
    assert "already a count for this year" in text_of(late)
    assert AggregatedCount.objects.count() == 1


def test_a_preview_is_its_own_analysts(client_as_analyst, make_user, survey):
    preview = upload_counts(client_as_analyst, survey, "counts.csv", FIRST)
    url = preview.redirect_chain[-1][0]
    token = url.rstrip("/").rsplit("/", 1)[-1]
    state = count_imports.staged(token)
    # The same browser, but the preview was another analyst's.
    cache.set(
        f"surveys:count-preview:{token}",
        {**state, "user_id": make_user(roles.INCLUSION_ANALYSTS).pk},
        60,
    )
    refused = confirm_preview(client_as_analyst, preview)
    assert "This preview has expired" in text_of(refused)
    assert not AggregatedCount.objects.exists()


def test_the_pages_need_the_permission_to_import_counts(signed_in, make_user, survey, analyst):
    batch = CountImportBatch.objects.create(survey=survey, imported_by=analyst, file_name="x.csv")
    manager = signed_in(make_user(roles.ENGAGEMENT_MANAGERS))
    for url in (
        reverse("surveys_count_batches", args=[survey.pk]),
        reverse("surveys_count_batch_remove", args=[batch.pk]),
        reverse("surveys_count_batch_replace", args=[batch.pk]),
        reverse("surveys_import_counts_preview", args=["a" * 32]),
    ):
        assert manager.get(url).status_code == 403, url
        assert manager.post(url).status_code == 403, url
    batch.refresh_from_db()
    assert batch.is_active


# --- Counts imported before batches were recorded -------------------------------------------


def test_counts_from_before_batches_get_a_legacy_batch_that_can_be_removed(
    client_as_analyst, survey, measure
):
    wave = Wave.objects.create(
        survey=survey, year=2017, opens_on="2017-01-01", closes_on="2017-12-31", imported=True
    )
    AggregatedCount.objects.create(
        wave=wave, question_key=KEY, group="white_british", n_answering=50, n_positive=20
    )
    migration = importlib.import_module("surveys.migrations.0009_import_batches")

    migration.legacy_batches(apps, None)

    legacy = only_batch(survey)
    assert (legacy.legacy, legacy.counts, legacy.years, legacy.created_years) == (
        True,
        1,
        [2017],
        [2017],
    )
    listing = client_as_analyst.get(reverse("surveys_count_batches", args=[survey.pk]))
    assert "Imported before imports were recorded" in text_of(listing)
    remove_through_admin(client_as_analyst, legacy)
    assert not AggregatedCount.objects.exists()
    assert not Wave.objects.filter(survey=survey).exists()
    assert report_json(measure)["years"] == []


def test_deleting_the_analysts_account_keeps_the_batch(client_as_analyst, analyst, survey):
    import_counts_through_admin(client_as_analyst, survey, "provider.csv", FIRST)
    batch = only_batch(survey)
    count_imports.count_batch_remove(batch=batch, by=analyst)

    analyst.delete()

    batch.refresh_from_db()
    assert (batch.imported_by, batch.changed_by) == (None, None)
    assert batch.state == CountImportBatch.State.REMOVED
    assert batch.checksum == hashlib.sha256(FIRST).hexdigest()
