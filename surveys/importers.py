"""Import past survey results: individual responses in bulk, and aggregated counts.

Individual responses (one row per response, one column per question key) are imported in two
passes over the file, with memory flat in the file's size:

1. **Check.** Every row is read (streamed: the file is never held) and every cell checked with the
   widgets of ``surveys.resources.ResponseColumnsResource`` - the same rules as an answer given
   online (``services.clean_answers``), against sets of valid values made once per column.
   Problems are collected as (row, column, message); after ``MAX_REPORTED_ERRORS`` only counted.
   Nothing is written.
2. **Write**, only if no row had a problem: the file is read again and the rows are written in
   bulk, in one transaction, so the import is all or nothing. Responses get random keys
   (``uuid4``) and only a date; free text goes to ``FreeTextAnswer`` with no link to its response,
   in a random order.

The files are checked and read by the platform's upload toolkit (``cms.platform.uploads``) within
this module's ``RESPONSE_LIMITS`` and ``COUNT_LIMITS``.

Why not django-import-export's ``import_data`` for the rows: it builds and ``full_clean()``s a
model instance per row and saves row by row. Measured for 100,000 responses x 10 answers on this
kind of machine (DESIGN.md) it took 128.5 s on SQLite (353.7 s on PostgreSQL), and 47.2 s even
with ``use_bulk``, against 5.7 s for the database's raw bulk load (executemany; COPY on
PostgreSQL 11.9 s). A national survey has up to 700,000 respondents a year, so the rows are
written here with the same raw bulk load - executemany on SQLite, COPY on PostgreSQL - in the
same column order as that baseline, and import-export is used for what it is good at: describing
and checking columns, and the whole flow for the small aggregated-count files.
``python manage.py bench_import`` measures both paths in one run.
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Any, NamedTuple

import tablib

from django.db import connection, transaction

from wagtail.log_actions import log

from cms.platform import uploads
from cms.platform.imports import RowError, import_all_or_nothing
from cms.platform.uploads import MEGABYTE, Opener, UploadLimits, UploadRefused
from surveys.models import (
    AggregatedCount,
    Answer,
    CountImportBatch,
    FreeTextAnswer,
    Question,
    Response,
    Survey,
    Wave,
)
from surveys.resources import (
    COUNT_COLUMNS,
    REQUIRED_ANSWER,
    SUBMITTED_ON,
    AggregatedCountResource,
    ResponseColumnsResource,
)

logger = logging.getLogger(__name__)

#: Individual responses: a wave's file of up to 700,000 rows, streamed (never held) twice. A
#: workbook of 700,000 responses unpacks to a few hundred MB of XML, which openpyxl streams; its
#: text (the shared strings) it reads whole.
RESPONSE_LIMITS = UploadLimits(
    max_upload_bytes=200 * MEGABYTE,
    max_rows=None,
    max_columns=500,
    max_unpacked_bytes=1024 * MEGABYTE,
    ratio_checked_from=50 * MEGABYTE,
    max_shared_strings_bytes=100 * MEGABYTE,
    csv_checked_bytes=64 * 1024,
    wording=uploads.STREAMED_WORDING,
)
#: Aggregated counts go through import-export row by row: small files, read whole.
COUNT_LIMITS = UploadLimits(max_upload_bytes=5 * MEGABYTE, max_rows=5000)

#: Problems listed in full; past this many they are only counted.
MAX_REPORTED_ERRORS = 200
#: Responses written per round trip (their answers go with them).
WRITE_BATCH = 10_000
#: Progress is reported every this many rows.
PROGRESS_EVERY = 5_000
#: Free text is shuffled in memory in pieces of about this size (see ``_ShuffledSpool``).
SHUFFLE_CHUNK_ROWS = 20_000
SHUFFLE_CHUNK_CHARS = 8_000_000

Progress = Callable[[str, int, int | None], None]


# --- Reading a file, row by row, as often as needed ----------------------------------------------


class CsvRows(uploads.CsvRows):
    """The rows of a response file in CSV, within ``RESPONSE_LIMITS``."""

    def __init__(self, opener: Opener):
        super().__init__(opener, RESPONSE_LIMITS)


class XlsxRows(uploads.XlsxRows):
    """The rows of a response workbook, within ``RESPONSE_LIMITS``: check it first with
    ``cms.platform.uploads.check_upload``, which bounds its text."""

    def __init__(self, opener: Opener):
        super().__init__(opener, RESPONSE_LIMITS)


def rows_for(opener: Opener, extension: str) -> CsvRows | XlsxRows:
    return XlsxRows(opener) if extension == "xlsx" else CsvRows(opener)


def path_opener(path) -> Opener:
    return lambda: open(path, "rb")


def storage_opener(name: str, storage=None) -> Opener:
    from django.core.files.storage import default_storage

    return lambda: (storage or default_storage).open(name, "rb")


def upload_opener(upload) -> Opener:
    """Read an uploaded file from its start each time, leaving it open for the next read."""

    @contextmanager
    def reopened():
        upload.seek(0)
        yield upload

    return reopened


def count_rows(rows: Iterable[dict], *, limit: int) -> int:
    """The data rows in a file, counting no further than ``limit + 1``."""
    return sum(1 for _ in islice(rows, limit + 1))


# --- Results -------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    rows: int = 0
    imported: int = 0
    answers: int = 0
    free_text: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    waves_created: list[int] = field(default_factory=list)
    #: The import batch aggregated counts went into.
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def errors_not_listed(self) -> int:
        return self.error_count - len(self.errors)

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, message))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [[e.row, e.column, e.message] for e in self.errors]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportResult:
        data = dict(data)
        data["errors"] = [RowError(*error) for error in data.get("errors", [])]
        return cls(**data)


class _FileChangedError(Exception):
    """The second read of the file did not match the first; the transaction is rolled back."""


# --- Individual responses ------------------------------------------------------------------------

_CODED, _MULTIPLE, _TEXT = 0, 1, 2


def wave_problems(wave: Wave) -> list[str]:
    """Why responses cannot be imported into this wave at all (empty if they can)."""
    problems = []
    if not wave.has_closed():
        problems.append(
            f"The {wave.year} wave has not closed yet (it closes on {wave.closes_on:%d/%m/%Y}). "
            "Past results are imported into a wave that has closed."
        )
    responses = wave.responses.count()
    if responses:
        problems.append(
            f"The {wave.year} wave already has {responses:,} responses. A file is imported all "
            "at once into a wave without responses, so nothing is counted twice."
        )
    if wave.aggregated_counts.exists():
        problems.append(
            f"The {wave.year} wave holds aggregated counts from an earlier provider, so "
            "individual responses cannot be imported into it as well."
        )
    if not wave.questions.exists():
        problems.append(f"The {wave.year} wave has no questions yet: add them first.")
    return problems


def _check_headings(result: ImportResult, headers: list[str], resource) -> None:
    known = set(resource.columns())
    for heading, count in Counter(headers).items():
        if heading and count > 1:
            result.error(1, heading, "This column heading appears more than once.")
    for heading in headers:
        if heading and heading not in known:
            result.error(
                1,
                heading,
                "No question in this wave has this key. Rename the column to a question key "
                "(listed on this page) or delete it.",
            )
    if any(not heading for heading in headers):
        result.error(1, "", "A column has no heading. Give it a question key, or delete it.")
    for question in resource.questions:
        if question.required and question.key not in headers:
            result.error(
                1, question.key, "This question must be answered, but the file has no column."
            )


class PlannedColumn(NamedTuple):
    """How one question's column is read: unpacked per cell, so kept a plain (named) tuple."""

    column: str
    clean: Callable
    required: bool
    question_id: int
    kind: int


def _plan(resource, headers: list[str] | None) -> list[PlannedColumn]:
    """A ``PlannedColumn`` for each question with a column (every question when the rows carry
    no headings), in questionnaire order."""
    plan = []
    for question in resource.questions:
        if headers is not None and question.key not in headers:
            continue  # No column: reported once if the question is required, else no answers.
        kind = {Question.Kind.MULTIPLE: _MULTIPLE, Question.Kind.FREE_TEXT: _TEXT}.get(
            question.kind, _CODED
        )
        clean = resource.fields[question.key].widget.clean
        plan.append(PlannedColumn(question.key, clean, question.required, question.pk, kind))
    return plan


def _date_cleaner(resource, headers: list[str] | None):
    if headers is not None and SUBMITTED_ON not in headers:
        return None
    return resource.fields[SUBMITTED_ON].widget.clean


def _headers_of(rows) -> list[str] | None:
    """A file's headings (a reader knows them once iteration has started); None for plain
    dictionaries, whose keys are then checked row by row."""
    headers = getattr(rows, "headers", None)
    return None if headers is None else list(headers)


def import_responses(
    *,
    wave: Wave,
    rows: Iterable[dict],
    source: str = Response.Source.IMPORTED,
    by=None,
    file_name: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Check every row, then - only if none has a problem - write them all in one transaction.

    ``rows`` is iterated twice, so it must be re-iterable: a ``CsvRows`` or ``XlsxRows`` (which
    read the file afresh, streaming, each time) or a list. Each row maps question keys to coded
    values, and may have ``submitted_on``.
    """
    if iter(rows) is rows:
        raise TypeError(
            "rows must be re-iterable (a CsvRows, XlsxRows or a list): the file is read twice."
        )
    result = ImportResult()
    for problem in wave_problems(wave):
        result.error(0, "", problem)
    if not result.ok:
        return result
    questions = list(wave.questions.order_by("page", "order", "pk"))
    resource = ResponseColumnsResource(wave=wave, questions=questions)

    # Pass 1: check every row. Nothing is kept but counts and the first problems.
    try:
        text_count, text_chars = _check_rows(result, rows, resource, progress)
    except UploadRefused as problem:
        result.error(0, "", str(problem))
    if not result.ok:
        return result
    if not result.rows:
        result.error(0, "", "The file has column headings but no rows to import.")
        return result

    # Pass 2: the same rows again, written in bulk.
    try:
        with transaction.atomic():
            locked = Wave.objects.select_for_update().get(pk=wave.pk)
            problems = wave_problems(locked)  # Another import may have finished meanwhile.
            if problems:
                for problem in problems:
                    result.error(0, "", problem)
                return result
            _write_rows(result, rows, resource, wave, source, text_count, text_chars, progress)
            log(
                instance=wave,
                action="surveys.import",
                user=by,
                data={
                    "kind": "responses",
                    "file": file_name[:200],
                    "responses": result.imported,
                    "answers": result.answers,
                    "free_text": result.free_text,
                },
            )
    except (_FileChangedError, UploadRefused):
        logger.exception("The file changed between the check and the import")
        result.imported = result.answers = result.free_text = 0
        result.error(0, "", "The file could not be read the same way twice. Nothing was imported.")
    return result


def _started(rows) -> tuple[Iterator, list[str] | None]:
    """The rows, and their headings (a reader knows them once iteration has started)."""
    iterator = iter(rows)
    first = next(iterator, None)
    headers = _headers_of(rows)
    return (iterator if first is None else _chain(first, iterator)), headers


def _chain(first, rest):
    yield first
    yield from rest


class _RowChecker:
    """Pass 1 for one row at a time: every problem goes to the result; free text is measured
    for the shuffle of pass 2."""

    def __init__(self, result: ImportResult, resource, headers: list[str] | None):
        self.error = result.error
        self.plan = _plan(resource, headers)
        self.clean_date = _date_cleaner(resource, headers)
        self.known = None if headers is not None else set(resource.columns())
        self.text_count = self.text_chars = 0

    def check(self, row, number: int) -> None:
        error = self.error
        if getattr(row, "overflow", False):
            error(number, "", "This row has more cells than there are column headings.")
        if self.known is not None:
            for column in sorted(row.keys() - self.known):
                error(number, column, "No question in this wave has this key.")
        get = row.get
        for key, clean, required, _question_id, kind in self.plan:
            try:
                value = clean(get(key))
            except ValueError as problem:
                error(number, key, str(problem))
                continue
            if value is None:
                if required:
                    error(number, key, REQUIRED_ANSWER)
            elif kind == _TEXT:
                self.text_count += 1
                self.text_chars += len(value)
        if self.clean_date is not None:
            try:
                self.clean_date(get(SUBMITTED_ON))
            except ValueError as problem:
                error(number, SUBMITTED_ON, str(problem))


def _check_rows(result: ImportResult, rows, resource, progress) -> tuple[int, int]:
    """Pass 1: every row checked; returns the number and length of the free-text answers."""
    rows_iter, headers = _started(rows)
    if headers is not None:
        _check_headings(result, headers, resource)
    checker = _RowChecker(result, resource, headers)
    count = 0
    for count, row in enumerate(rows_iter, start=1):
        checker.check(row, getattr(row, "number", count + 1))
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress("checking", count, None)
    result.rows = count
    if progress is not None:
        progress("checking", count, count)
    return checker.text_count, checker.text_chars


class _ResponseBatches:
    """Pass 2's rows, each a response with its answers, written ``WRITE_BATCH`` at a time; free
    text goes to the spool. A row that no longer passes pass 1's checks raises
    ``_FileChangedError``."""

    def __init__(
        self, writer: _BulkWriter, spool: _ShuffledSpool, plan, clean_date, *, wave, source
    ):
        self.writer = writer
        self.spool = spool
        self.plan = plan
        self.clean_date = clean_date
        self.default_day = writer.date_value(wave.closes_on)
        self.wave_id = wave.pk
        self.source = source
        self.responses: list[tuple] = []
        self.answers: list[tuple] = []
        self.keys: list = []
        self.answer_count = 0

    def add(self, row) -> None:
        if not self.keys:
            self.keys = self.writer.new_response_keys(WRITE_BATCH)
        key = self.keys.pop()
        get = row.get
        self._add_answers(key, get)
        self.responses.append((key, self._day(get), self.source, self.wave_id))
        if len(self.responses) >= WRITE_BATCH:
            self.flush()

    def _add_answers(self, key, get) -> None:
        add_answer = self.answers.append
        for column, clean, required, question_id, kind in self.plan:
            try:
                value = clean(get(column))
            except ValueError as problem:
                raise _FileChangedError(str(problem)) from None
            if value is None:
                if required:
                    raise _FileChangedError(column)
            elif kind == _CODED:
                add_answer((key, question_id, value))
            elif kind == _MULTIPLE:
                for choice in value:
                    add_answer((key, question_id, choice))
            else:
                self.spool.add(question_id, value)

    def _day(self, get):
        if self.clean_date is None:
            return self.default_day
        try:
            submitted = self.clean_date(get(SUBMITTED_ON))
        except ValueError as problem:
            raise _FileChangedError(str(problem)) from None
        return self.default_day if submitted is None else self.writer.date_value(submitted)

    def flush(self) -> None:
        self.writer.responses(self.responses)
        self.writer.answers(self.answers)
        self.answer_count += len(self.answers)
        self.responses.clear()
        self.answers.clear()


def _write_rows(result, rows, resource, wave, source, text_count, text_chars, progress) -> None:
    """Pass 2: the rows again, written in bulk, then the free text in a random order."""
    writer = _BulkWriter(connection)
    spool = _ShuffledSpool(expected=text_count, chars=text_chars)
    try:
        rows_iter, headers = _started(rows)
        batches = _ResponseBatches(
            writer,
            spool,
            _plan(resource, headers),
            _date_cleaner(resource, headers),
            wave=wave,
            source=source,
        )
        count = 0
        for count, row in enumerate(rows_iter, start=1):
            batches.add(row)
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress("writing", count, result.rows)
        batches.flush()
        if count != result.rows:
            raise _FileChangedError(f"{count} rows, not {result.rows}")
        free_text = 0
        for chunk in spool.shuffled_chunks():
            writer.free_text(chunk)
            free_text += len(chunk)
    finally:
        spool.close()
    result.imported = count
    result.answers = batches.answer_count
    result.free_text = free_text
    if progress is not None:
        progress("writing", count, result.rows)


class _BulkWriter:
    """Raw bulk inserts: ``executemany`` on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL.

    The column order is the one ``bench_import`` uses for its baseline. Values arrive already in
    the database's own form (``new_response_key``, ``date_value``), so nothing is converted per
    row here.
    """

    def __init__(self, conn):
        self.connection = conn
        self.copy = conn.vendor == "postgresql"
        quote = conn.ops.quote_name

        def statement(model, columns):
            table = quote(model._meta.db_table)
            names = ", ".join(quote(c) for c in columns)
            if self.copy:
                return f"COPY {table} ({names}) FROM STDIN"
            # Table and column names come from the models, never from the file.
            placeholders = ", ".join(["%s"] * len(columns))
            return f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608

        self.response_sql = statement(Response, ["id", "submitted_on", "source", "wave_id"])
        self.answer_sql = statement(Answer, ["response_id", "question_id", "value"])
        self.text_sql = statement(FreeTextAnswer, ["id", "question_id", "text"])
        self.native_uuid = conn.features.has_native_uuid_field
        self._dates: dict = {}

    def new_response_keys(self, count: int) -> list:
        """Random keys (uuid4) for the next batch of responses, in the database's own form.

        Handed out in order (the list is sorted, and popped from the end): inserting a batch in
        key order walks the key indexes once instead of jumping to a random page for every row.
        Nothing is given away by it: the keys stay random, and the batch is written at once.
        """
        if self.native_uuid:
            keys = [uuid.uuid4() for _ in range(count)]
        else:
            keys = [uuid.uuid4().hex for _ in range(count)]
        keys.sort(reverse=True)
        return keys

    def date_value(self, day):
        value = self._dates.get(day)
        if value is None:
            value = self.connection.ops.adapt_datefield_value(day)
            if len(self._dates) < 10_000:
                self._dates[day] = value
        return value

    def _write(self, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        with self.connection.cursor() as cursor:
            if self.copy:
                with cursor.cursor.copy(sql) as copy:
                    write_row = copy.write_row
                    for row in rows:
                        write_row(row)
            else:
                cursor.executemany(sql, rows)

    def responses(self, rows):
        self._write(self.response_sql, rows)

    def answers(self, rows):
        self._write(self.answer_sql, rows)

    def free_text(self, rows):
        # Free text has random keys too (a sequence would line it up with the responses).
        make_key = uuid.uuid4 if self.native_uuid else (lambda: uuid.uuid4().hex)
        self._write(self.text_sql, [(make_key(), *row) for row in rows])


class _ShuffledSpool:
    """Free-text answers, handed back in a uniformly random order with bounded memory.

    Free text must not be stored in file order: its row ids would then line up with the
    responses' answers and could link a comment to someone's ethnic group. Each text goes to one
    of several temporary files chosen at random, then each file is shuffled in memory in turn -
    together a uniform random permutation - so memory holds one piece, not the whole column.
    """

    def __init__(self, *, expected: int, chars: int):
        self.random = random.SystemRandom()
        pieces = max(-(-expected // SHUFFLE_CHUNK_ROWS), -(-chars // SHUFFLE_CHUNK_CHARS), 1)
        self.pieces = min(pieces, 256)
        self.memory: list[tuple[int, str]] | None = [] if self.pieces == 1 else None
        self.files = (
            []
            if self.pieces == 1
            else [
                tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed in close()
                for _ in range(self.pieces)
            ]
        )

    def add(self, question_id: int, text: str) -> None:
        if self.memory is not None:
            self.memory.append((question_id, text))
        else:
            piece = self.files[self.random.randrange(self.pieces)]
            piece.write(json.dumps([question_id, text]) + "\n")

    def shuffled_chunks(self) -> Iterator[list[tuple[int, str]]]:
        if self.memory is not None:
            self.random.shuffle(self.memory)
            yield self.memory
            self.memory = []
            return
        for piece in self.files:
            piece.seek(0)
            chunk = [tuple(json.loads(line)) for line in piece]
            piece.truncate(0)
            self.random.shuffle(chunk)
            yield chunk

    def close(self) -> None:
        for piece in self.files:
            piece.close()
        self.files = []


# --- Aggregated counts ---------------------------------------------------------------------------


class BatchedCountResource(AggregatedCountResource):
    """``AggregatedCountResource`` whose every new count belongs to ``batch``."""

    def __init__(self, *, survey: Survey, batch: CountImportBatch, **kwargs):
        super().__init__(survey=survey, **kwargs)
        self.batch = batch

    def init_instance(self, row=None):
        instance = super().init_instance(row)
        instance.batch = self.batch
        return instance


def _count_dataset(result: ImportResult, rows: Iterable[dict]) -> tuple[tablib.Dataset, list]:
    dataset = tablib.Dataset(headers=list(COUNT_COLUMNS))
    numbers: list[int] = []
    max_rows = COUNT_LIMITS.max_rows
    for index, row in enumerate(rows):
        if len(numbers) >= max_rows:
            result.error(0, "", f"The file has more than {max_rows:,} rows. Split it by year.")
            return dataset, numbers
        dataset.append([row.get(column) for column in COUNT_COLUMNS])
        numbers.append(getattr(row, "number", index + 2))
    if not numbers:
        result.error(0, "", "The file has column headings but no rows to import.")
    return dataset, numbers


def import_aggregated_counts(
    *,
    survey: Survey,
    rows: Iterable[dict],
    by=None,
    file_name: str = "",
    checksum: str = "",
    batch: CountImportBatch | None = None,
) -> ImportResult:
    """Counts from an earlier survey provider: (year, question_key, group, n_answering,
    n_positive) rows, all or nothing, through import-export's dry run then a real run.

    A year without a wave gets one (marked imported). Groups are ethnic group codes (detailed or
    high-level), ``prefer_not_to_say``, ``ethnic_minorities`` or ``all``. Every count belongs to
    ``batch``, or to a new batch for this upload (``result.batch_id``); a refused file leaves no
    batch behind. Removing and replacing batches: ``surveys.count_imports``.
    """
    result = ImportResult()
    dataset, numbers = _count_dataset(result, rows)
    if not result.ok:
        return result

    def log_counts(resource, real) -> tuple[int, list[int]]:
        imported = sum(1 for row in real.valid_rows() if row.is_new())
        waves_created = sorted(resource.created_years)
        target = resource.batch
        target.counts = imported
        target.rows = len(numbers)
        target.years = sorted(
            set(AggregatedCount.objects.filter(batch=target).values_list("wave__year", flat=True))
        )
        target.created_years = sorted(set(target.created_years) | set(waves_created))
        target.save(update_fields=["counts", "rows", "years", "created_years"])
        log(
            instance=survey,
            action="surveys.import",
            user=by,
            data={
                "kind": "aggregated_counts",
                "file": file_name[:200],
                "counts": imported,
                "waves_created": waves_created,
                "batch": target.pk,
                "checksum": checksum,
            },
        )
        return imported, waves_created

    with transaction.atomic():
        if batch is None:
            batch = CountImportBatch.objects.create(
                survey=survey,
                imported_by=by,
                file_name=file_name[:200],
                checksum=checksum,
                rows=len(numbers),
            )
        errors, saved = import_all_or_nothing(
            lambda: BatchedCountResource(survey=survey, batch=batch, row_numbers=numbers),
            dataset,
            numbers,
            unsaved="This row could not be saved. Check it against the column notes.",
            saved=log_counts,
        )
        if saved is None:
            transaction.set_rollback(True)  # Not even the batch stays.
    if saved is not None:
        result.imported, result.waves_created = saved
        result.batch_id = batch.pk
    result.rows = len(numbers)
    for error in errors:
        result.error(error.row, error.column, error.message)
    return result
