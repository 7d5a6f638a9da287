"""Reversible imports of aggregated counts: preview, commit, replace and remove a batch.

An upload is staged first - the file in private storage (no URL serves it), what it is in the
cache under a random token - and previewed: the import is run in full inside a transaction that
is always rolled back, so the preview shows exactly what the import would create (or every
problem) and nothing is written. Confirming runs it again from the staged file, after checking
the file still has the checksum the preview showed. Removing or replacing a batch is one
transaction that locks the batch first, so two analysts cannot remove it twice; a published
annual summary learns of the change from the batch's ``changed_at`` (``summary_data_changes``).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from wagtail.log_actions import log

from cms.platform.imports import ParsedUpload, read_upload
from cms.platform.uploads import Row, UploadRefused
from surveys.importers import COUNT_LIMITS, ImportResult, import_aggregated_counts
from surveys.models import (
    AggregatedCount,
    CountImportBatch,
    Measure,
    Survey,
    Wave,
)
from surveys.resources import AggregatedCountResource

logger = logging.getLogger(__name__)

#: Where staged files wait for confirmation (random names; deleted on commit or cancel).
STAGING_FOLDER = "count-imports"
#: How long a preview can be confirmed.
PREVIEW_SECONDS = 60 * 60

REMOVE_ACTION = "surveys.count_batch.remove"
REPLACE_ACTION = "surveys.count_batch.replace"

Key = tuple[int, str, str]  # (year, question key, group)


class StalePreview(Exception):
    """The preview cannot be confirmed any more; the message says why, for the analyst."""


class BatchChanged(Exception):
    """The batch was removed or replaced meanwhile; the message says when and by whom."""


def staging_storage():
    # The private storage of settings.STORAGES (PRIVATE_MEDIA_ROOT, no URL serves it).
    return storages["receipts"]


def checksum_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def uploaded_bytes(upload) -> bytes:
    upload.seek(0)
    data = upload.read(COUNT_LIMITS.max_upload_bytes + 1)
    upload.seek(0)
    return data


# --- Staging ------------------------------------------------------------------------------------


def _state_key(token: str) -> str:
    return f"surveys:count-preview:{token}"


def _expired_staged_files_delete(storage) -> None:
    """Files of previews nobody confirmed or cancelled: gone once their preview has expired."""
    try:
        _folders, names = storage.listdir(STAGING_FOLDER)
    except (FileNotFoundError, NotImplementedError):
        return
    cutoff = timezone.now() - timedelta(seconds=PREVIEW_SECONDS)
    for name in names:
        stored = f"{STAGING_FOLDER}/{name}"
        try:
            if storage.get_modified_time(stored) < cutoff:
                storage.delete(stored)
        except (FileNotFoundError, NotImplementedError):
            continue


def stage(*, upload, survey: Survey, by, replacing: CountImportBatch | None = None) -> str:
    """Keep an upload (already checked by the form) until it is confirmed or cancelled."""
    _expired_staged_files_delete(staging_storage())
    data = uploaded_bytes(upload)
    token = uuid.uuid4().hex
    extension = "xlsx" if (upload.name or "").lower().endswith(".xlsx") else "csv"
    storage_name = staging_storage().save(
        f"{STAGING_FOLDER}/{token}.{extension}", ContentFile(data)
    )
    state = {
        "survey_id": survey.pk,
        "user_id": by.pk,
        "file_name": (upload.name or "")[:200],
        "checksum": checksum_of(data),
        "storage_name": storage_name,
        "replacing": replacing.pk if replacing is not None else None,
    }
    cache.set(_state_key(token), state, PREVIEW_SECONDS)
    return token


def staged(token: str) -> dict | None:
    if not token.isalnum() or len(token) != 32:
        return None
    return cache.get(_state_key(token))


def discard(token: str, state: dict) -> None:
    cache.delete(_state_key(token))
    try:
        staging_storage().delete(state["storage_name"])
    except Exception:  # pragma: no cover - the staged file is cleared by retention anyway
        logger.exception("Could not delete the staged file %s", state["storage_name"])


def read_staged(state: dict) -> ParsedUpload:
    """The staged file, read as the upload was; ``StalePreview`` if it is gone or changed."""
    storage = staging_storage()
    try:
        with storage.open(state["storage_name"], "rb") as handle:
            data = handle.read(COUNT_LIMITS.max_upload_bytes + 1)
    except (FileNotFoundError, OSError):
        raise StalePreview(
            "The uploaded file is no longer here (previews last an hour). Upload it again."
        ) from None
    if checksum_of(data) != state["checksum"]:
        raise StalePreview("The staged file has changed since the preview. Upload it again.")
    try:
        return read_upload(
            SimpleUploadedFile(state["file_name"] or "counts.csv", data),
            AggregatedCountResource,
            COUNT_LIMITS,
        )
    except UploadRefused as refusal:
        raise StalePreview(str(refusal)) from None


def rows_of(parsed: ParsedUpload) -> list[Row]:
    headers = parsed.dataset.headers
    return [
        Row(zip(headers, values, strict=False), number)
        for values, number in zip(parsed.dataset, parsed.row_numbers, strict=False)
    ]


def same_file_as(*, survey: Survey, checksum: str) -> CountImportBatch | None:
    """An import of this survey still in use that came from exactly these bytes."""
    return (
        CountImportBatch.objects.filter(
            survey=survey, checksum=checksum, state=CountImportBatch.State.ACTIVE
        )
        .order_by("-imported_at")
        .first()
    )


# --- Preview ------------------------------------------------------------------------------------


@dataclass
class PreviewLine:
    year: int
    group: str
    counts: int = 0
    answering: int = 0
    positive: int = 0


@dataclass
class CountPreview:
    """What an upload would do, worked out by importing it in a transaction rolled back."""

    result: ImportResult
    lines: list[PreviewLine] = field(default_factory=list)
    waves_created: list[int] = field(default_factory=list)
    waves_removed: list[int] = field(default_factory=list)
    added: list[tuple[Key, tuple[int, int]]] = field(default_factory=list)
    removed: list[tuple[Key, tuple[int, int]]] = field(default_factory=list)
    changed: list[tuple[Key, tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def counts(self) -> int:
        return sum(line.counts for line in self.lines)

    @property
    def years(self) -> list[int]:
        return sorted({line.year for line in self.lines})


def _counts_of(batch: CountImportBatch) -> dict[Key, tuple[int, int]]:
    return {
        (year, key, group): (n, k)
        for year, key, group, n, k in AggregatedCount.objects.filter(batch=batch).values_list(
            "wave__year", "question_key", "group", "n_answering", "n_positive"
        )
    }


def _lines(counts: dict[Key, tuple[int, int]]) -> list[PreviewLine]:
    lines: dict[tuple[int, str], PreviewLine] = {}
    for (year, _key, group), (n, k) in counts.items():
        line = lines.setdefault((year, group), PreviewLine(year, group))
        line.counts += 1
        line.answering += n
        line.positive += k
    return [lines[key] for key in sorted(lines)]


def _differences(preview: CountPreview, old: dict, new: dict) -> None:
    for key in sorted(new.keys() - old.keys()):
        preview.added.append((key, new[key]))
    for key in sorted(old.keys() - new.keys()):
        preview.removed.append((key, old[key]))
    for key in sorted(old.keys() & new.keys()):
        if old[key] == new[key]:
            preview.unchanged += 1
        else:
            preview.changed.append((key, old[key], new[key]))


def preview_counts(
    *, survey: Survey, parsed: ParsedUpload, by, replacing: CountImportBatch | None = None
) -> CountPreview:
    """Import the file as it would be imported, then roll everything back."""
    with transaction.atomic():
        old: dict = {}
        removed_years: list[int] = []
        if replacing is not None:
            old = _counts_of(replacing)
            AggregatedCount.objects.filter(batch=replacing).delete()
        result = import_aggregated_counts(
            survey=survey, rows=rows_of(parsed), by=by, file_name=parsed.name
        )
        preview = CountPreview(result=result)
        if result.ok:
            new = _counts_of(CountImportBatch.objects.get(pk=result.batch_id))
            preview.lines = _lines(new)
            preview.waves_created = result.waves_created
            if replacing is not None:
                removed_years = _empty_waves_delete(survey, replacing.created_years)
                _differences(preview, old, new)
        preview.waves_removed = removed_years
        transaction.set_rollback(True)
    return preview


# --- Commit, replace, remove --------------------------------------------------------------------


def _locked_active(batch: CountImportBatch) -> CountImportBatch:
    locked = CountImportBatch.objects.select_for_update().get(pk=batch.pk)
    if not locked.is_active:
        when = timezone.localtime(locked.changed_at).strftime("%-d %B %Y at %H:%M")
        raise BatchChanged(
            f"This import was already {locked.get_state_display().lower()} on {when}. "
            "Nothing was changed."
        )
    return locked


def _empty_waves_delete(survey: Survey, years: list[int]) -> list[int]:
    """Delete the imported waves of these years that now hold nothing; the years deleted."""
    deleted = []
    baselines = set(Measure.objects.exclude(baseline=None).values_list("baseline_id", flat=True))
    for wave in Wave.objects.filter(survey=survey, year__in=years, imported=True):
        if (
            wave.pk in baselines
            or wave.aggregated_counts.exists()
            or wave.responses.exists()
            or wave.pending_responses.exists()
            or wave.questions.exists()
            or wave.invitations.exists()
        ):
            continue
        deleted.append(wave.year)
        wave.delete()
    return sorted(deleted)


def _batch_data(batch: CountImportBatch) -> dict:
    return {
        "batch": batch.pk,
        "file": batch.file_name,
        "checksum": batch.checksum,
        "counts": batch.counts,
        "years": batch.years,
        "legacy": batch.legacy,
    }


@transaction.atomic
def count_batch_import(*, survey: Survey, parsed: ParsedUpload, checksum: str, by) -> ImportResult:
    """Import a confirmed preview as a new batch."""
    return import_aggregated_counts(
        survey=survey, rows=rows_of(parsed), by=by, file_name=parsed.name, checksum=checksum
    )


@transaction.atomic
def count_batch_remove(*, batch: CountImportBatch, by) -> list[int]:
    """Take a batch's counts out, and the waves it made that hold nothing else. Returns the
    years whose waves were deleted. ``BatchChanged`` if it was removed or replaced meanwhile."""
    batch = _locked_active(batch)
    removed, _ = AggregatedCount.objects.filter(batch=batch).delete()
    waves_removed = _empty_waves_delete(batch.survey, batch.created_years)
    batch.state = CountImportBatch.State.REMOVED
    batch.changed_at = timezone.now()
    batch.changed_by = by
    batch.save(update_fields=["state", "changed_at", "changed_by"])
    log(
        instance=batch,
        action=REMOVE_ACTION,
        user=by,
        data={**_batch_data(batch), "counts_removed": removed, "waves_removed": waves_removed},
    )
    return waves_removed


def count_batch_replace(
    *, batch: CountImportBatch, parsed: ParsedUpload, checksum: str, by
) -> ImportResult:
    """Replace a batch's counts with a corrected file's, all or nothing."""
    with transaction.atomic():
        old = _locked_active(batch)
        removed, _ = AggregatedCount.objects.filter(batch=old).delete()
        result = import_aggregated_counts(
            survey=old.survey,
            rows=rows_of(parsed),
            by=by,
            file_name=parsed.name,
            checksum=checksum,
        )
        if not result.ok:
            transaction.set_rollback(True)
            return result
        new = CountImportBatch.objects.get(pk=result.batch_id)
        # Waves the old batch made that the new one still uses are now the new one's to remove.
        new.created_years = sorted(
            set(new.created_years) | (set(old.created_years) & set(new.years))
        )
        new.save(update_fields=["created_years"])
        waves_removed = _empty_waves_delete(old.survey, old.created_years)
        old.state = CountImportBatch.State.REPLACED
        old.changed_at = timezone.now()
        old.changed_by = by
        old.replaced_by = new
        old.save(update_fields=["state", "changed_at", "changed_by", "replaced_by"])
        log(
            instance=old,
            action=REPLACE_ACTION,
            user=by,
            data={
                **_batch_data(old),
                "counts_removed": removed,
                "waves_removed": waves_removed,
                "replaced_by": _batch_data(new),
            },
        )
    return result


# --- Reads --------------------------------------------------------------------------------------


def survey_batches(*, survey: Survey):
    return CountImportBatch.objects.filter(survey=survey).select_related(
        "imported_by", "changed_by", "replaced_by"
    )


def _changed_text(batch: CountImportBatch) -> str:
    source = (
        "the counts imported before imports were recorded"
        if batch.legacy
        else f"the counts imported from {batch.file_name or 'a file'}"
    )
    years = ", ".join(str(year) for year in batch.years)
    what = f"{source} for {years}" if years else source
    if batch.state == CountImportBatch.State.REPLACED and batch.replaced_by_id:
        replacement = batch.replaced_by.file_name or "a corrected file"
        return f"{what} were replaced by those in {replacement}"
    return f"{what} were removed"


def summary_data_changes(*, year: int, since, surveys: list[str]) -> list[dict]:
    """What changed, after ``since``, in the imported counts of these surveys (by name, as a
    summary's snapshot names them) for ``year`` or earlier: each {"on": datetime, "what": str},
    oldest first. Reads only the batches: a published page never reads survey data."""
    if not surveys or since is None:
        return []
    batches = (
        CountImportBatch.objects.filter(survey__name__in=surveys, changed_at__gt=since)
        .exclude(state=CountImportBatch.State.ACTIVE)
        .select_related("replaced_by")
        .order_by("changed_at", "pk")
    )
    return [
        {"on": batch.changed_at, "what": _changed_text(batch)}
        for batch in batches
        if any(fed <= year for fed in batch.years)
    ]


def unbatched_counts(*, survey: Survey) -> int:
    """Counts written outside the import page, which no batch can remove."""
    return AggregatedCount.objects.filter(wave__survey=survey, batch=None).count()


def group_totals(preview: CountPreview) -> list[tuple[str, int, int]]:
    """(group, counts, answering) over every year of the preview."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in preview.lines:
        totals[line.group][0] += line.counts
        totals[line.group][1] += line.answering
    return [(group, counts, answering) for group, (counts, answering) in sorted(totals.items())]
