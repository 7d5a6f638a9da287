"""Downloads of a wave's results: responses (CSV or XLSX) and, apart, its free text.

* **Responses, minimised** (the default, for anyone who may download results): one row per
  response, a column per question key holding coded values (multiple choice joined by ";"), and
  nothing more than analysis needs (UK GDPR, Article 5(1)(c)). The ethnic group is one of the
  five ONS high-level groups or Prefer not to say, never the 19 detailed groups; there is no
  date; and no combination of the identifying answers (the ethnic group and every single or
  multiple choice question, such as directorate and pay band) is shared by fewer than
  ``disclosure_threshold()`` rows: values are withheld, written ``[c]``, until none is
  (``surveys.analysis.microdata`` has the rule and the order). A wave of fewer responses than
  the threshold has no rows. The opinion answers (agreement scales) are never withheld.
* **Responses in full** (``full=True``): the detailed ethnic group, the date each response
  entered the results, every combination as it is. Only for holders of
  ``surveys.export_full_responses`` who give a reason, which the audit log keeps
  (``surveys.import_views``).
* **Free text**: one row per answer - the question key and the text - in a random order, with no
  date and no id.

Never anything from an invitation (no address, no token, not even whether someone was invited)
and never free text beside other answers: free text is stored with no link to its response, by
design, so it cannot sit on the same row as someone's ethnic group.

Rows are streamed: responses are read a page at a time in key order (the keys are random, so
that order says nothing about when anyone answered), so memory does not grow with the wave; the
minimised export reads the identifying answers once before, to count their combinations.
Every text cell goes through ``cms.exports.escape_cell`` against formula injection, in CSV and
XLSX alike (a CSV opened in a spreadsheet would run ``=HYPERLINK(...)``, and openpyxl writes a
string that starts with "=" as a formula).
"""

from __future__ import annotations

import csv
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import date

from django.utils import timezone
from django.utils.text import slugify

from cms.exports import escape_cell
from cms.platform.disclosure import disclosure_threshold
from surveys import classifications
from surveys.analysis import microdata
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


def response_headers(questions: list[Question], *, full: bool = True) -> list[str]:
    keys = [question.key for question in questions]
    return [SUBMITTED_ON, *keys] if full else keys


# --- Minimising ------------------------------------------------------------------------------

#: Kinds of question whose answers a colleague could know, withheld in this order (the ethnic
#: group last: the analysis is by ethnic group).
KEY_KINDS = (Question.Kind.MULTIPLE, Question.Kind.SINGLE, Question.Kind.ETHNICITY)


def _recoded(values: list[str], ethnic: set[int]) -> list[str]:
    """Detailed ethnic groups (at the ``ethnic`` positions) as their high-level groups; Prefer
    not to say and blanks as they are."""
    return [
        (classifications.high_level_of(value) or value) if i in ethnic else value
        for i, value in enumerate(values)
    ]


class Minimiser:
    """The minimised export of one wave: which columns are identifying, and what each row's
    combination of identifying values is written as."""

    def __init__(self, wave: Wave, questions: list[Question], *, threshold: int):
        self.columns = [i for i, q in enumerate(questions) if q.kind in KEY_KINDS]
        self.ethnicity = {i for i, q in enumerate(questions) if q.kind == Question.Kind.ETHNICITY}
        # Withheld first: the kinds in KEY_KINDS order, later questions first within a kind.
        rank = {kind: index for index, kind in enumerate(KEY_KINDS)}
        self.order = sorted(
            range(len(self.columns)),
            key=lambda p: (rank[questions[self.columns[p]].kind], -self.columns[p]),
        )
        counts = _combination_counts(wave, [questions[i] for i in self.columns])
        self.mapping = microdata.minimise(counts, threshold=threshold, order=self.order)

    def combination(self, values: list[str]) -> tuple[str, ...]:
        return tuple(values[i] for i in self.columns)

    def row(self, values: list[str]) -> list[str]:
        """A full row's answers (no date) as the minimised export writes them."""
        values = _recoded(values, self.ethnicity)
        written = list(values)
        for i, value in zip(self.columns, self.mapping[self.combination(values)], strict=True):
            written[i] = value
        return written


def _combination_counts(wave: Wave, keys: list[Question]) -> Counter:
    """How many responses have each combination of identifying answers (recoded), read in one
    pass over those answers in the order the rows are written."""
    position = {question.pk: index for index, question in enumerate(keys)}
    counts: Counter = Counter()
    total = wave.responses.count()
    seen = 0
    ethnic = {position[q.pk] for q in keys if q.kind == Question.Kind.ETHNICITY}

    def combination(chosen: list[list[str]]) -> tuple[str, ...]:
        return tuple(_recoded([MULTIPLE_SEPARATOR.join(values) for values in chosen], ethnic))

    answers = (
        Answer.objects.filter(response__wave=wave, question_id__in=list(position))
        .order_by("response_id", "pk")
        .values_list("response_id", "question_id", "value")
    )
    current, chosen = None, None
    for response_id, question_id, value in answers.iterator(chunk_size=PAGE_SIZE):
        if response_id != current:
            if chosen is not None:
                counts[combination(chosen)] += 1
                seen += 1
            current, chosen = response_id, [[] for _ in keys]
        chosen[position[question_id]].append(value)
    if chosen is not None:
        counts[combination(chosen)] += 1
        seen += 1
    if total > seen:  # Responses with none of these answers.
        counts[("",) * len(keys)] += total - seen
    return counts


def minimised_rows(wave: Wave, questions: list[Question]) -> Iterator[list]:
    """The rows of the minimised export: no date, ethnic group high-level, rare combinations
    withheld; none at all for a wave of fewer responses than the threshold."""
    minimiser = Minimiser(wave, questions, threshold=disclosure_threshold())
    # A wave too small to show still reads its few rows, so that every download of the view
    # makes the same queries, whatever the size of the wave.
    for _, *values in iter_response_rows(wave, questions):
        if minimiser.mapping is not None:
            yield minimiser.row(values)


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


def _rows(wave: Wave, questions: list[Question], *, full: bool) -> Iterator[list]:
    return iter_response_rows(wave, questions) if full else minimised_rows(wave, questions)


def responses_csv(wave: Wave, *, full: bool = False) -> Iterator[str]:
    questions = export_questions(wave)
    return csv_lines(response_headers(questions, full=full), _rows(wave, questions, full=full))


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


def _about_rows(wave: Wave, what: str, count: int, notes: tuple[str, ...] = ()) -> list[list]:
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
        *(["Note", note] for note in notes),
    ]


def minimised_notes(threshold: int) -> tuple[str, ...]:
    return (
        "Minimised: ethnic group in the five high-level groups (or Prefer not to say), no "
        "dates, and no combination of answers to the ethnic group and choice questions shared "
        f"by fewer than {threshold} responses: values are withheld, written {microdata.WITHHELD}, "
        "until none is. Agreement answers are never withheld.",
        f"A wave of fewer than {threshold} responses has no rows.",
    )


def _codebook_rows(questions: list[Question], *, full: bool) -> Iterator[list]:
    for question in questions:
        pairs = question.choice_pairs()
        if question.kind == Question.Kind.ETHNICITY and not full:
            pairs = [(g.code, g.label) for g in classifications.HIGH_LEVEL_GROUPS]
            pairs.append(
                (classifications.PREFER_NOT_TO_SAY, classifications.PREFER_NOT_TO_SAY_LABEL)
            )
        if question.kind in KEY_KINDS and not full:
            pairs = [*pairs, (microdata.WITHHELD, "Withheld: a rare combination")]
        for value, label in pairs:
            yield [question.key, question.text, question.get_kind_display(), value, label]


def responses_xlsx(wave: Wave, *, full: bool = False):
    questions = export_questions(wave)
    threshold = disclosure_threshold()
    count = wave.responses.count()
    if full:
        what, notes = "One row per response in full, coded values", ()
    else:
        what, notes = "One row per response, minimised, coded values", minimised_notes(threshold)
        count = count if count >= threshold else 0
    return _workbook_file(
        [
            (
                "Responses",
                response_headers(questions, full=full),
                _rows(wave, questions, full=full),
            ),
            (
                "Codebook",
                ["question_key", "question", "kind", "value", "label"],
                _codebook_rows(questions, full=full),
            ),
            ("About", None, _about_rows(wave, what, count, notes)),
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
