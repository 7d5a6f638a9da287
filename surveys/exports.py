"""Downloads of a wave's results: responses (CSV or XLSX) and, apart, its free text.

* **Responses**: one row per response - ``submitted_on`` and a column per question key holding
  coded values (multiple choice joined by ";"). Never anything from an invitation (no address, no
  token, not even whether someone was invited) and never free text: free text is stored with no
  link to its response, by design, so it cannot sit on the same row as someone's ethnic group.
* **Free text**: one row per answer - the question key and the text - in a random order, with no
  date and no id.

Rows are streamed: responses are read a page at a time in key order (the keys are random, so
that order says nothing about when anyone answered), so memory does not grow with the wave.
Every text cell goes through ``cms.exports.escape_cell`` against formula injection, in CSV and
XLSX alike (a CSV opened in a spreadsheet would run ``=HYPERLINK(...)``, and openpyxl writes a
string that starts with "=" as a formula).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from datetime import date

from django.utils import timezone
from django.utils.text import slugify

from cms.exports import escape_cell
from surveys.models import Answer, FreeTextAnswer, Question, Response, Wave
from surveys.resources import MULTIPLE_SEPARATOR, SUBMITTED_ON

#: Responses read per query.
PAGE_SIZE = 2000
FREE_TEXT_CHUNK = 2000


def export_questions(wave: Wave) -> list[Question]:
    """The questions with a column in the responses export: every one but free text."""
    return list(
        wave.questions.exclude(kind=Question.Kind.FREE_TEXT).order_by("page", "order", "pk")
    )


def response_headers(questions: list[Question]) -> list[str]:
    return [SUBMITTED_ON, *[question.key for question in questions]]


def iter_response_rows(wave: Wave, questions: list[Question]) -> Iterator[list]:
    """One list per response: its date, then each question's coded value(s), unescaped.

    Keyset pagination on the response key: one query for a page of responses and one for their
    answers (a range of keys, so no long IN list), whatever the size of the wave.
    """
    question_ids = [question.pk for question in questions]
    column_of = {question_id: index for index, question_id in enumerate(question_ids)}
    last = None
    while True:
        page = Response.objects.filter(wave=wave).order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        responses = list(page.values_list("pk", "submitted_on")[:PAGE_SIZE])
        if not responses:
            return
        first_key, last = responses[0][0], responses[-1][0]
        values: dict = {}
        answers = (
            Answer.objects.filter(
                response_id__gte=first_key, response_id__lte=last, question_id__in=question_ids
            )
            .order_by("response_id", "pk")
            .values_list("response_id", "question_id", "value")
        )
        for response_id, question_id, value in answers:
            cells = values.get(response_id)
            if cells is None:
                cells = values[response_id] = [[] for _ in question_ids]
            cells[column_of[question_id]].append(value)
        empty = [[] for _ in question_ids]
        for key, submitted_on in responses:
            cells = values.get(key, empty)
            yield [submitted_on, *[MULTIPLE_SEPARATOR.join(chosen) for chosen in cells]]
        if len(responses) < PAGE_SIZE:
            return


def iter_free_text_rows(wave: Wave) -> Iterator[list[str]]:
    """(question key, text) for every free-text answer of the wave, in a random order."""
    answers = (
        FreeTextAnswer.objects.filter(question__wave=wave)
        .order_by("?")
        .values_list("question__key", "text")
    )
    for key, text in answers.iterator(chunk_size=FREE_TEXT_CHUNK):
        yield [key, text]


def escaped(row: list) -> list:
    return [escape_cell(value) for value in row]


class _Echo:
    """A file-like object that hands back what is written: csv.writer's line, to stream it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headers: list[str], rows: Iterator[list]) -> Iterator[str]:
    """The CSV text, a line at a time, every cell escaped (dates written as YYYY-MM-DD)."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # So Excel reads the file as UTF-8.
    yield writer.writerow(escaped(headers))
    for row in rows:
        yield writer.writerow(
            escaped([value.isoformat() if isinstance(value, date) else value for value in row])
        )


def responses_csv(wave: Wave) -> Iterator[str]:
    questions = export_questions(wave)
    return csv_lines(response_headers(questions), iter_response_rows(wave, questions))


def free_text_csv(wave: Wave) -> Iterator[str]:
    return csv_lines(["question_key", "text"], iter_free_text_rows(wave))


def _workbook_file(sheets) -> tempfile.SpooledTemporaryFile:
    """An .xlsx written row by row (openpyxl's write-only mode keeps no rows in memory) to a
    temporary file, returned at its start."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title=title)
        if headers:
            sheet.append([_bold_cell(sheet, escape_cell(h), bold) for h in headers])
        for row in rows:
            sheet.append(escaped(row))
    output = tempfile.SpooledTemporaryFile(max_size=10 * 1024 * 1024)  # noqa: SIM115
    book.save(output)
    output.seek(0)
    return output


def _bold_cell(sheet, value, font):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell


def _about_rows(wave: Wave, what: str, count: int) -> list[list]:
    return [
        ["Survey", wave.survey.name],
        ["Year", wave.year],
        ["Contents", what],
        ["Rows", count],
        ["Downloaded on", timezone.localdate().isoformat()],
        [
            "Note",
            "Responses are anonymous: no invitation data is ever exported, and free text is "
            "kept apart from the other answers so it cannot be linked to them.",
        ],
    ]


def _codebook_rows(questions: list[Question]) -> Iterator[list]:
    for question in questions:
        for value, label in question.choice_pairs():
            yield [question.key, question.text, question.get_kind_display(), value, label]


def responses_xlsx(wave: Wave):
    questions = export_questions(wave)
    count = wave.responses.count()
    return _workbook_file(
        [
            ("Responses", response_headers(questions), iter_response_rows(wave, questions)),
            (
                "Codebook",
                ["question_key", "question", "kind", "value", "label"],
                _codebook_rows(questions),
            ),
            ("About", None, _about_rows(wave, "One row per response, coded values", count)),
        ]
    )


def free_text_xlsx(wave: Wave):
    count = FreeTextAnswer.objects.filter(question__wave=wave).count()
    return _workbook_file(
        [
            ("Free text", ["question_key", "text"], iter_free_text_rows(wave)),
            ("About", None, _about_rows(wave, "Free-text answers, in a random order", count)),
        ]
    )


def filename(wave: Wave, what: str, extension: str) -> str:
    return f"{slugify(wave.survey.name)[:60] or 'survey'}-{wave.year}-{what}.{extension}"
