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

import csv
import io
import json
import logging
import random
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import IO, Any

import tablib

from django.db import connection, transaction

from wagtail.log_actions import log

from board.resources import cell_text
from cms.exports import FORMULA_PREFIXES
from surveys.models import (
    Answer,
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

#: Problems listed in full; past this many they are only counted.
MAX_REPORTED_ERRORS = 200
#: Responses written per round trip (their answers go with them).
WRITE_BATCH = 10_000
#: Progress is reported every this many rows.
PROGRESS_EVERY = 5_000
#: A workbook has at most this many rows; a CSV file is bounded by the upload size.
EXCEL_MAX_ROWS = 1_048_576
MAX_COLUMNS = 500
#: Free text is shuffled in memory in pieces of about this size (see ``_ShuffledSpool``).
SHUFFLE_CHUNK_ROWS = 20_000
SHUFFLE_CHUNK_CHARS = 8_000_000
#: Aggregated counts go through import-export row by row: small files only.
MAX_COUNT_ROWS = 5_000

Opener = Callable[[], AbstractContextManager[IO[bytes]]]
Progress = Callable[[str, int, int | None], None]


class FileProblem(Exception):
    """The file cannot be read at all (not UTF-8, damaged, no headings): nothing was imported."""


# --- Reading a file, row by row, as often as needed ----------------------------------------------


class Row(dict):
    """A data row: column heading -> cell. ``number`` is the spreadsheet row (headings = row 1);
    ``overflow`` is set when the row has filled cells beyond the last heading."""

    __slots__ = ("number", "overflow")

    def __init__(self, items=(), number: int = 0, overflow: bool = False):
        super().__init__(items)
        self.number = number
        self.overflow = overflow


class CsvRows:
    """The rows of a CSV file (UTF-8, with or without a byte order mark), read afresh - and
    streamed - each time they are iterated. ``headers`` is set once iteration has started."""

    def __init__(self, opener: Opener):
        self.opener = opener
        self.headers: list[str] | None = None

    def __iter__(self) -> Iterator[Row]:
        with self.opener() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            number = 1
            try:
                reader = csv.reader(text)
                headers = next(reader, None)
                if headers is None or not any(h.strip() for h in headers):
                    raise FileProblem("The first row must hold the column headings; it is empty.")
                if len(headers) > MAX_COLUMNS:
                    raise FileProblem(f"The file has more than {MAX_COLUMNS} columns.")
                headers = [_heading(h) for h in headers]
                width = len(headers)
                self.headers = headers
                for number, record in enumerate(reader, start=2):
                    if not any(record) or not "".join(record).strip():
                        continue  # A blank line, or a row of empty cells.
                    if len(record) > width:
                        yield Row(
                            zip(headers, record, strict=False),
                            number,
                            any(cell.strip() for cell in record[width:]),
                        )
                    else:
                        yield Row(zip(headers, record, strict=False), number)
            except UnicodeDecodeError:
                raise FileProblem(
                    f"The file is not UTF-8 text (at about row {number + 1}), so it is not a CSV "
                    "file this page can read. In Excel choose Save as, then CSV UTF-8."
                ) from None
            except csv.Error as error:
                raise FileProblem(
                    f"The CSV file could not be read at row {number + 1}: {error}."
                ) from None
            finally:
                text.detach()  # The stream belongs to whoever opened it.


class XlsxRows:
    """The rows of the first worksheet of an .xlsx workbook, streamed by openpyxl in read-only
    mode (values, not formulas), afresh each time they are iterated.

    Check the file with ``check_xlsx_archive`` first: openpyxl reads the shared strings table
    whole, so its size is bounded there.
    """

    def __init__(self, opener: Opener):
        self.opener = opener
        self.headers: list[str] | None = None

    def __iter__(self) -> Iterator[Row]:
        import openpyxl

        with self.opener() as raw:
            try:
                book = openpyxl.load_workbook(raw, read_only=True, data_only=True)
            except Exception:  # Any failure to open a workbook is the file's problem.
                logger.info("A workbook could not be opened", exc_info=True)
                raise FileProblem(
                    "This workbook could not be read. Open it in your spreadsheet, save it again "
                    "as .xlsx, or save it as CSV UTF-8."
                ) from None
            try:
                yield from self._rows(book)
            finally:
                book.close()

    def _rows(self, book) -> Iterator[Row]:
        sheet = book.active
        if sheet is None or not hasattr(sheet, "iter_rows"):
            raise FileProblem("The workbook has no worksheet.")
        number = 1
        try:
            # A worksheet may claim any size: the rows read stop at Excel's own limit.
            values = sheet.iter_rows(max_col=MAX_COLUMNS, max_row=EXCEL_MAX_ROWS, values_only=True)
            headers = [_heading(value) for value in next(values, ())]
            width = max((i + 1 for i, heading in enumerate(headers) if heading), default=0)
            if not width:
                raise FileProblem("The first row must hold the column headings; it is empty.")
            headers = headers[:width]
            self.headers = headers
            for number, cells in enumerate(values, start=2):
                if all(
                    cell is None or (cell.__class__ is str and not cell.strip()) for cell in cells
                ):
                    continue
                overflow = any(cell_text(cell) for cell in cells[width:])
                yield Row(zip(headers, cells[:width], strict=False), number, overflow)
        except FileProblem:
            raise
        except Exception:
            logger.info("A workbook could not be read at row %s", number + 1, exc_info=True)
            raise FileProblem(
                f"This workbook could not be read at row {number + 1}. Save it again as .xlsx, "
                "or save it as CSV UTF-8."
            ) from None


def _heading(value) -> str:
    """A column heading as text; one our exports escaped ("'-key") loses its apostrophe."""
    text = cell_text(value)
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


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


@dataclass(frozen=True)
class RowError:
    #: The spreadsheet row (headings = row 1); 0 for the file as a whole.
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    imported: int = 0
    answers: int = 0
    free_text: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    waves_created: list[int] = field(default_factory=list)

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


def _plan(resource, headers: list[str] | None) -> list[tuple[str, Callable, bool, int, int]]:
    """(column, clean, required, question id, kind) for each question with a column (every
    question when the rows carry no headings), in questionnaire order."""
    plan = []
    for question in resource.questions:
        if headers is not None and question.key not in headers:
            continue  # No column: reported once if the question is required, else no answers.
        kind = {Question.Kind.MULTIPLE: _MULTIPLE, Question.Kind.FREE_TEXT: _TEXT}.get(
            question.kind, _CODED
        )
        clean = resource.fields[question.key].widget.clean
        plan.append((question.key, clean, question.required, question.pk, kind))
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
    except FileProblem as problem:
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
    except (_FileChangedError, FileProblem):
        logger.exception("The file changed between the check and the import")
        result.imported = result.answers = result.free_text = 0
        result.error(0, "", "The file could not be read the same way twice. Nothing was imported.")
    return result


def _check_rows(result: ImportResult, rows, resource, progress) -> tuple[int, int]:
    iterator = iter(rows)
    first = next(iterator, None)
    headers = _headers_of(rows)
    if headers is not None:
        _check_headings(result, headers, resource)
    plan = _plan(resource, headers)
    clean_date = _date_cleaner(resource, headers)
    known = None if headers is not None else set(resource.columns())
    error = result.error
    text_count = text_chars = 0
    count = 0
    for index, row in enumerate(iterator if first is None else _chain(first, iterator)):
        number = getattr(row, "number", index + 2)
        count += 1
        if getattr(row, "overflow", False):
            error(number, "", "This row has more cells than there are column headings.")
        if known is not None:
            for column in sorted(row.keys() - known):
                error(number, column, "No question in this wave has this key.")
        get = row.get
        for key, clean, required, _question_id, kind in plan:
            try:
                value = clean(get(key))
            except ValueError as problem:
                error(number, key, str(problem))
                continue
            if value is None:
                if required:
                    error(number, key, REQUIRED_ANSWER)
            elif kind == _TEXT:
                text_count += 1
                text_chars += len(value)
        if clean_date is not None:
            try:
                clean_date(get(SUBMITTED_ON))
            except ValueError as problem:
                error(number, SUBMITTED_ON, str(problem))
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress("checking", count, None)
    result.rows = count
    if progress is not None:
        progress("checking", count, count)
    return text_count, text_chars


def _chain(first, rest):
    yield first
    yield from rest


def _write_rows(result, rows, resource, wave, source, text_count, text_chars, progress) -> None:
    writer = _BulkWriter(connection)
    iterator = iter(rows)
    first = next(iterator, None)
    headers = _headers_of(rows)
    plan = _plan(resource, headers)
    clean_date = _date_cleaner(resource, headers)
    new_keys = writer.new_response_keys
    date_value = writer.date_value
    default_day = date_value(wave.closes_on)
    wave_id = wave.pk
    spool = _ShuffledSpool(expected=text_count, chars=text_chars)
    responses: list[tuple] = []
    answers: list[tuple] = []
    add_response = responses.append
    add_answer = answers.append
    count = answer_count = 0
    keys: list = []
    try:
        for index, row in enumerate(iterator if first is None else _chain(first, iterator)):
            if not keys:
                keys = new_keys(WRITE_BATCH)
            key = keys.pop()
            get = row.get
            for column, clean, required, question_id, kind in plan:
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
                    spool.add(question_id, value)
            day = default_day
            if clean_date is not None:
                try:
                    submitted = clean_date(get(SUBMITTED_ON))
                except ValueError as problem:
                    raise _FileChangedError(str(problem)) from None
                if submitted is not None:
                    day = date_value(submitted)
            add_response((key, day, source, wave_id))
            count = index + 1
            if len(responses) >= WRITE_BATCH:
                writer.responses(responses)
                writer.answers(answers)
                answer_count += len(answers)
                responses.clear()
                answers.clear()
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress("writing", count, result.rows)
        writer.responses(responses)
        writer.answers(answers)
        answer_count += len(answers)
        if count != result.rows:
            raise _FileChangedError(f"{count} rows, not {result.rows}")
        free_text = 0
        for chunk in spool.shuffled_chunks():
            writer.free_text(chunk)
            free_text += len(chunk)
    finally:
        spool.close()
    result.imported = count
    result.answers = answer_count
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


class _CountsRolledBackError(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__("The import was rolled back.")
        self.errors = errors


def _resource_errors(result, numbers: list[int]) -> list[RowError]:
    def row_number(index: int) -> int:
        # import-export numbers the data rows from 1.
        return numbers[index - 1] if 0 < index <= len(numbers) else index + 1

    errors: list[RowError] = []
    for base in result.base_errors:
        logger.warning("Counts import failed outside any row: %r", base.error)
        errors.append(RowError(0, "", "The file could not be imported. Nothing was changed."))
    for invalid in result.invalid_rows:
        for name, texts in invalid.error_dict.items():
            for message in texts:
                errors.append(
                    RowError(
                        row_number(invalid.number),
                        AggregatedCountResource.column_for(name),
                        message,
                    )
                )
    for failed in result.error_rows:
        for problem in failed.errors:
            logger.warning("Counts import row %s failed: %r", failed.number, problem.error)
        errors.append(
            RowError(
                row_number(failed.number),
                "",
                "This row could not be saved. Check it against the column notes.",
            )
        )
    return sorted(errors, key=lambda e: (e.row, e.column))


def import_aggregated_counts(
    *, survey: Survey, rows: Iterable[dict], by=None, file_name: str = ""
) -> ImportResult:
    """Counts from an earlier survey provider: (year, question_key, group, n_answering,
    n_positive) rows, all or nothing, through import-export's dry run then a real run.

    A year without a wave gets one (marked imported). Groups are ethnic group codes (detailed or
    high-level), ``prefer_not_to_say``, ``ethnic_minorities`` or ``all``.
    """
    result = ImportResult()
    dataset = tablib.Dataset(headers=list(COUNT_COLUMNS))
    numbers: list[int] = []
    for index, row in enumerate(rows):
        if len(numbers) >= MAX_COUNT_ROWS:
            result.error(
                0, "", f"The file has more than {MAX_COUNT_ROWS:,} rows. Split it by year."
            )
            return result
        dataset.append([row.get(column) for column in COUNT_COLUMNS])
        numbers.append(getattr(row, "number", index + 2))
    if not numbers:
        result.error(0, "", "The file has column headings but no rows to import.")
        return result

    dry = AggregatedCountResource(survey=survey).import_data(
        dataset, dry_run=True, raise_errors=False, use_transactions=True
    )
    errors = _resource_errors(dry, numbers)
    if not errors:
        try:
            with transaction.atomic():
                resource = AggregatedCountResource(survey=survey)
                real = resource.import_data(
                    dataset, dry_run=False, raise_errors=False, use_transactions=True
                )
                errors = _resource_errors(real, numbers)
                if errors:
                    raise _CountsRolledBackError(errors)
                result.imported = sum(1 for row in real.valid_rows() if row.is_new())
                result.waves_created = sorted(resource.created_years)
                log(
                    instance=survey,
                    action="surveys.import",
                    user=by,
                    data={
                        "kind": "aggregated_counts",
                        "file": file_name[:200],
                        "counts": result.imported,
                        "waves_created": result.waves_created,
                    },
                )
        except _CountsRolledBackError as rolled_back:
            errors = rolled_back.errors
            result.imported = 0
            result.waves_created = []
    result.rows = len(numbers)
    for error in errors:
        result.error(error.row, error.column, error.message)
    return result
