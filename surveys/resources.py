"""django-import-export resources and widgets for survey results.

Two kinds of file come in (see ``surveys.importers``):

* **Aggregated counts** from an earlier survey provider (year, question key, group, number
  answering, number positive). The files are small - a few hundred to a few thousand rows - so
  they go through import-export's own flow, ``AggregatedCountResource``: a dry run of every row,
  row-by-row errors, then the real import in one transaction.

  A group is a code or its label (``group_code``: any case, any punctuation), at whatever level
  the provider published: the 19 detailed ONS 2021 groups, the 5 high-level groups, White and
  ethnic minorities, White British and White other than White British, Prefer not to say, and
  ``all``, mixed as they like across years and even within one (a White total beside its
  detailed White groups). **Totals and parts are reconciled, never added**
  (``reconciliation_problems``): where a year and question give a group and its parts
  (``surveys.analysis.groups.TREE``), the parts must add up to the group within
  ``RECONCILIATION_TOLERANCE`` people, answering and positive alike, or the whole file is
  refused with the rows that disagree; the reports then use the finer figures. The tolerance
  is 0: providers we import from publish exact counts (a table rounded to 5 is not a count,
  and its parts would disagree with its totals by chance), and a total that disagrees with its
  parts is then a mistake in the file. A total of ``all`` may exceed its groups: the rest are
  "ethnic group not given"; a file without one lists every group anyone is in (a group left
  out is 0). Counts already in the site for the same year and question are reconciled with
  the file's.

* **Individual responses**, one row per response and one column per question key.
  ``ResponseColumnsResource`` describes those columns (for the upload page and the template file)
  and its widgets are the validators the importer runs on every cell. But the rows are NOT
  written through ``Resource.import_data``: that path builds a model instance per row, runs
  ``full_clean()`` and saves row by row, and for a response it would have to do that for the
  response and again for each of its answers. Measured on this kind of machine (DESIGN.md,
  100,000 responses x 10 answers on SQLite): import-export's default path 128.5 s and even with
  ``use_bulk`` 47.2 s, against 5.7 s for a raw ``executemany``. A national survey has up to
  700,000 respondents a year, so ``surveys.importers.import_responses`` validates with these
  widgets while streaming the file, then writes the rows in bulk itself (``executemany`` on
  SQLite, ``COPY`` on PostgreSQL): ``python manage.py bench_import`` measures the difference.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from import_export import fields, resources, widgets

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils import timezone

from cms.exports import FORMULA_PREFIXES
from cms.platform.imports import CreateOnlyResource, FlexibleDateWidget, cell_text, quoted
from surveys import classifications
from surveys.analysis.groups import (
    ALL,
    DETAILED_LABELS,
    GROUP_LABELS,
    NOT_ANSWERED,
    TREE,
    WHITE_NOT_BRITISH,
)
from surveys.models import AggregatedCount, Question, Survey, Wave

#: Multiple-choice answers are separated by this in one cell.
MULTIPLE_SEPARATOR = ";"
#: The same limit as an answer typed into the online survey (``services.clean_answers``).
FREE_TEXT_MAX = 5000
SUBMITTED_ON = "submitted_on"

REQUIRED_ANSWER = "This question must be answered, but the cell is empty."


def _unescaped(text: str) -> str | None:
    """A value our own exports escaped ("'=x" for "=x"), so an export can be imported again."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return None


def _listed(values: Iterable[str], limit: int = 8) -> str:
    values = list(values)
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


# --- Response columns ---------------------------------------------------------------------------


class CodedValueWidget(widgets.Widget):
    """One coded value: a Likert point, a choice value or an ethnic group code.

    ``clean`` runs for every cell of a file of up to a million rows, so the common case (the cell
    holds exactly a valid value) is a single set lookup.
    """

    def __init__(self, valid: Iterable[str], *, examples: str):
        super().__init__()
        self.valid = frozenset(valid)
        self.examples = examples

    def clean(self, value, row=None, **kwargs):
        if value in self.valid:
            return value
        text = value.strip() if value.__class__ is str else cell_text(value)
        if text in self.valid:
            return text
        if not text:
            return None
        unescaped = _unescaped(text)
        if unescaped in self.valid:
            return unescaped
        raise ValueError(f"{quoted(text)} is not an answer to this question. Use {self.examples}.")

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)

    def describe(self) -> str:
        return f"One of {self.examples}."


class MultipleChoiceWidget(CodedValueWidget):
    """Any number of choice values in one cell, separated by ";"."""

    def clean(self, value, row=None, **kwargs):
        if value in self.valid:
            return (value,)
        text = value if value.__class__ is str else cell_text(value)
        chosen = []
        for part in text.split(MULTIPLE_SEPARATOR):
            part = part.strip()
            if not part:
                continue
            if part not in self.valid:
                unescaped = _unescaped(part)
                if unescaped not in self.valid:
                    raise ValueError(
                        f"{quoted(part)} is not one of the options. Use {self.examples}, "
                        f"separated by {MULTIPLE_SEPARATOR}"
                    )
                part = unescaped
            if part not in chosen:
                chosen.append(part)
        return tuple(chosen) or None

    def render(self, value, obj=None, **kwargs):
        return MULTIPLE_SEPARATOR.join(value or ())

    def describe(self) -> str:
        return f"Any of {self.examples}, separated by {MULTIPLE_SEPARATOR}; empty for none."


class FreeTextWidget(widgets.Widget):
    """Free text as written (less surrounding spaces and NUL characters), up to 5,000 characters.

    Kept as plain text: a cell such as ``=HYPERLINK(..)`` is stored, never run, and every export
    escapes it.
    """

    def clean(self, value, row=None, **kwargs):
        text = value.strip() if value.__class__ is str else cell_text(value)
        if not text:
            return None
        if len(text) > FREE_TEXT_MAX:
            raise ValueError(
                f"This answer is too long: at most {FREE_TEXT_MAX:,} characters "
                f"(it has {len(text):,})."
            )
        return text.replace("\x00", "")

    def render(self, value, obj=None, **kwargs):
        return value or ""

    def describe(self) -> str:
        return (
            f"Text, up to {FREE_TEXT_MAX:,} characters. Stored apart from the response, in a "
            "random order, so it can never be linked back to the other answers."
        )


class SubmittedOnWidget(FlexibleDateWidget):
    """The date of a response: YYYY-MM-DD or DD/MM/YYYY (or a spreadsheet date), not in the
    future. Parsed dates are remembered, as a file holds a few hundred distinct dates at most."""

    CACHE_LIMIT = 5000

    def __init__(self):
        super().__init__()
        self._seen: dict[str, date] = {}
        self.today = timezone.localdate()

    def clean(self, value, row=None, **kwargs):
        if value.__class__ is str:
            day = self._seen.get(value)
            if day is not None:
                return day
            day = self.parse(value)
            if day is None:
                return None
            self._check(day)
            if len(self._seen) < self.CACHE_LIMIT:
                self._seen[value] = day
            return day
        if isinstance(value, datetime):
            value = value.date()
        day = self.parse(value)
        if day is not None:
            self._check(day)
        return day

    def _check(self, day: date) -> None:
        if day > self.today:
            raise ValueError(f"{day:%d/%m/%Y} is in the future: give the date of the response.")

    def describe(self) -> str:
        return (
            "Optional. The date of the response, YYYY-MM-DD or DD/MM/YYYY; only the date is "
            "kept. Empty (or no such column) means the day the wave closed."
        )


def widget_for(question: Question) -> widgets.Widget:
    kind = question.kind
    if kind == Question.Kind.FREE_TEXT:
        return FreeTextWidget()
    if kind == Question.Kind.LIKERT:
        examples = "1 to 5 (5 = Strongly agree, 1 = Strongly disagree)"
    elif kind == Question.Kind.ETHNICITY:
        examples = (
            "an ethnic group code from the ONS 2021 classification (such as white_british, "
            f"asian_indian or black_african) or {classifications.PREFER_NOT_TO_SAY}"
        )
    else:
        examples = _listed(value for value, _ in question.choice_pairs())
    widget_class = MultipleChoiceWidget if kind == Question.Kind.MULTIPLE else CodedValueWidget
    return widget_class(question.valid_values(), examples=examples)


class ResponseColumnsResource(resources.Resource):
    """The columns of an individual-responses file for one wave: a column per question key
    (coded values) and an optional ``submitted_on``.

    Built per wave (``ResponseColumnsResource(wave=wave)``); ``self.fields`` holds a field per
    column whose widget checks and converts a cell. See the module docstring for why the rows
    themselves are not imported through ``import_data``.
    """

    def __init__(self, *, wave: Wave, questions: list[Question] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.wave = wave
        self.questions = (
            questions
            if questions is not None
            else list(wave.questions.order_by("page", "order", "pk"))
        )
        self.fields = {}
        for question in self.questions:
            self.fields[question.key] = fields.Field(
                attribute=question.key, column_name=question.key, widget=widget_for(question)
            )
        self.fields[SUBMITTED_ON] = fields.Field(
            attribute=SUBMITTED_ON, column_name=SUBMITTED_ON, widget=SubmittedOnWidget()
        )

    def question_for(self, column: str) -> Question | None:
        return next((q for q in self.questions if q.key == column), None)

    def columns(self) -> list[str]:
        return list(self.fields)

    def column_notes(self) -> list[tuple[str, bool, str]]:
        """(column, required, what to put in it), in questionnaire order, for the upload page."""
        notes = [
            (
                question.key,
                question.required,
                f"{question.get_kind_display()}: {question.text} "
                f"{self.fields[question.key].widget.describe()}",
            )
            for question in self.questions
        ]
        notes.append((SUBMITTED_ON, False, self.fields[SUBMITTED_ON].widget.describe()))
        return notes


# --- Aggregated counts --------------------------------------------------------------------------

ALL_GROUPS = "all"
COUNT_COLUMNS = ("year", "question_key", "group", "n_answering", "n_positive")


#: How many people a total may differ from the sum of its parts by (see the module docstring).
RECONCILIATION_TOLERANCE = 0


def aggregated_group_codes() -> set[str]:
    """Groups a count may be for: a detailed or high-level ethnic group, White other than
    White British, "prefer not to say", ethnic minorities (all groups other than White
    combined), or everyone."""
    return {
        *classifications.ETHNIC_GROUPS_BY_CODE,
        *classifications.HIGH_LEVEL_BY_CODE,
        WHITE_NOT_BRITISH,
        classifications.PREFER_NOT_TO_SAY,
        classifications.ETHNIC_MINORITIES,
        ALL_GROUPS,
    }


def group_codes_with_labels() -> list[tuple[str, str, str]]:
    """(code, label, level) of every group a count may be for, in the order of the ONS 2021
    classification: for the import page and the template file."""
    rows = [(ALL_GROUPS, GROUP_LABELS[ALL], "Total")]
    rows += [
        (g.code, g.label, "High-level and two-way" if g.code == "white" else "High-level")
        for g in classifications.HIGH_LEVEL_GROUPS
    ]
    rows += [(classifications.ETHNIC_MINORITIES, GROUP_LABELS["ethnic_minorities"], "Two-way")]
    rows += [(WHITE_NOT_BRITISH, GROUP_LABELS[WHITE_NOT_BRITISH], "White split")]
    rows += [(g.code, DETAILED_LABELS[g.code], "Detailed") for g in classifications.ETHNIC_GROUPS]
    rows += [(classifications.PREFER_NOT_TO_SAY, classifications.PREFER_NOT_TO_SAY_LABEL, "")]
    return rows


def _loose(text: str) -> str:
    """Lower case, letters and digits only, single spaces: "Asian, Asian British: Indian" and
    "asian asian british indian" are the same."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def _group_names() -> dict[str, str]:
    """Every way a group may be written (loosely), and its code."""
    names: dict[str, str] = {}
    for code in aggregated_group_codes():
        names[_loose(code)] = code
        names[_loose(GROUP_LABELS[code])] = code
    for group in classifications.ETHNIC_GROUPS:
        high = classifications.HIGH_LEVEL_BY_CODE[group.high_level].label
        names.setdefault(_loose(group.label), group.code)  # "Indian"
        names[_loose(f"{high}: {group.label}")] = group.code  # as in Census 2021 tables
    names[_loose("Ethnic minorities")] = classifications.ETHNIC_MINORITIES
    for total in ("Total", "All", "Everyone", "All respondents"):
        names[_loose(total)] = ALL_GROUPS
    return names


GROUP_NAMES = _group_names()


def group_code(text: str) -> str:
    """The code of a group written as its code or label; ValueError naming the closest."""
    code = GROUP_NAMES.get(_loose(text))
    if code is not None:
        return code
    close = difflib.get_close_matches(_loose(text), list(GROUP_NAMES), n=6, cutoff=0.6)
    suggestions = list(dict.fromkeys(GROUP_NAMES[name] for name in close))[:3]
    hint = (
        "The closest: " + "; ".join(f"{code} ({GROUP_LABELS[code]})" for code in suggestions) + "."
        if suggestions
        else "The import page lists every group code with its label."
    )
    raise ValueError(
        f"{quoted(text.lower())} is not a group. Use a group code or its ONS 2021 label, such as "
        f"white_british or black_african. {hint}"
    )


def _whole_number(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{quoted(str(value))} is not a whole number.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = cell_text(value).replace(",", "")
    if not text:
        return None
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f"{quoted(text)} is not a whole number.")
    return int(text)


class CountWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        number = _whole_number(value)
        if number is not None and number < 0:
            raise ValueError(f"{number} is negative: a count is 0 or more.")
        return number

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class GroupWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        return group_code(text)

    def render(self, value, obj=None, **kwargs):
        return value or ""


class QuestionKeyWidget(widgets.Widget):
    """A question key; when the survey already has questions, one of their keys (so a typo
    cannot start a measure of its own that never joins the later waves)."""

    def __init__(self, known_keys: set[str]):
        super().__init__()
        self.known_keys = known_keys

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        try:
            validate_slug(text)
        except ValidationError:
            raise ValueError(
                f"{quoted(text)} is not a question key: use letters, numbers, hyphens and "
                "underscores only."
            ) from None
        if len(text) > 60:
            raise ValueError(f"This question key is too long: at most 60 characters ({len(text)}).")
        if self.known_keys and text not in self.known_keys:
            raise ValueError(
                f"No question in this survey has the key {quoted(text)}. Use one of: "
                f"{_listed(sorted(self.known_keys))}."
            )
        return text

    def render(self, value, obj=None, **kwargs):
        return value or ""


class WaveYearWidget(widgets.Widget):
    """The survey's wave for a year, made (as an imported wave) if the survey has none yet.

    A wave that holds individual responses is refused: its results come from those, and counts
    beside them would be counted twice.
    """

    def __init__(self, survey: Survey):
        super().__init__()
        self.survey = survey
        self.created: set[int] = set()
        self._waves: dict[int, Wave] = {}

    def clean(self, value, row=None, **kwargs):
        year = _whole_number(value)
        if year is None:
            return None
        if not 2000 <= year <= 2100:
            raise ValueError(f"{year} is not a survey year: give a year from 2000 to 2100.")
        wave = self._waves.get(year)
        if wave is None:
            wave = Wave.objects.filter(survey=self.survey, year=year).first()
            if wave is None:
                wave = Wave.objects.create(
                    survey=self.survey,
                    year=year,
                    opens_on=date(year, 1, 1),
                    closes_on=date(year, 12, 31),
                    imported=True,
                )
                self.created.add(year)
            elif wave.responses.exists():
                raise ValueError(
                    f"The {year} wave holds individual responses, so its results come from "
                    "them: counts for it cannot be imported as well."
                )
            self._waves[year] = wave
        return wave

    def render(self, value, obj=None, **kwargs):
        return str(value.year) if value else ""


class AggregatedCountResource(CreateOnlyResource):
    """One aggregated count per row, for the survey given: ``AggregatedCountResource(survey=s)``."""

    REQUIRED_COLUMNS = COUNT_COLUMNS
    COLUMN_FOR_FIELD = {"wave": "year"}

    year = fields.Field(attribute="wave", column_name="year", widget=widgets.Widget())
    question_key = fields.Field(
        attribute="question_key", column_name="question_key", widget=widgets.Widget()
    )
    group = fields.Field(attribute="group", column_name="group", widget=GroupWidget())
    n_answering = fields.Field(
        attribute="n_answering", column_name="n_answering", widget=CountWidget()
    )
    n_positive = fields.Field(
        attribute="n_positive", column_name="n_positive", widget=CountWidget()
    )

    class Meta:
        model = AggregatedCount
        fields = COUNT_COLUMNS
        clean_model_instances = True
        use_transactions = True
        skip_diff = True
        store_instance = True

    def __init__(self, *, survey: Survey, row_numbers: list[int] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.survey = survey
        #: The spreadsheet row of each dataset row, to name rows in reconciliation messages.
        self.row_numbers = row_numbers
        self.reconciliation: dict[int, list[str]] = {}
        self.fields["year"].widget = WaveYearWidget(survey)
        known_keys = set(
            Question.objects.filter(wave__survey=survey).values_list("key", flat=True).distinct()
        )
        self.fields["question_key"].widget = QuestionKeyWidget(known_keys)

    @property
    def created_years(self) -> set[int]:
        return self.fields["year"].widget.created

    def _sheet_row(self, index: int) -> int:
        numbers = self.row_numbers
        return numbers[index - 1] if numbers and 0 < index <= len(numbers) else index + 1

    def _readable_counts(self, dataset) -> dict[tuple[int, str], dict[str, _Given]]:
        """The file's rows that read cleanly, by (year, question key) then group, with the
        counts already in the site for the same years and keys. A row that does not read is
        left to the row-by-row checks, and a repeated group to the unique check."""
        counts: dict[tuple[int, str], dict[str, _Given]] = {}
        for index, values in enumerate(dataset.dict, 1):
            try:
                year = _whole_number(values.get("year"))
                key = cell_text(values.get("question_key"))
                group = group_code(cell_text(values.get("group")))
                n = CountWidget().clean(values.get("n_answering"))
                k = CountWidget().clean(values.get("n_positive"))
            except ValueError:
                continue
            if year is None or not key or n is None or k is None or k > n:
                continue
            counts.setdefault((year, key), {}).setdefault(
                group, _Given(n, k, self._sheet_row(index))
            )
        existing = AggregatedCount.objects.filter(
            wave__survey=self.survey,
            wave__year__in={year for year, _ in counts},
            question_key__in={key for _, key in counts},
        ).values_list("wave__year", "question_key", "group", "n_answering", "n_positive")
        for year, key, group, n, k in existing:
            if (year, key) in counts:
                counts[(year, key)].setdefault(group, _Given(n, k, None))
        return counts

    def before_import(self, dataset, **kwargs):
        problems = reconciliation_problems(self._readable_counts(dataset))
        # By dataset row (import-export numbers them from 1), for ``import_instance``.
        by_sheet_row = {self._sheet_row(i): i for i in range(1, len(dataset) + 1)}
        self.reconciliation = {
            by_sheet_row[row]: messages for row, messages in problems.items() if row in by_sheet_row
        }

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        if kwargs.get("row_number") in self.reconciliation:
            errors["n_answering"] = list(self.reconciliation[kwargs["row_number"]])
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if (
            "n_positive" not in errors
            and "n_answering" not in errors
            and instance.n_positive is not None
            and instance.n_answering is not None
            and instance.n_positive > instance.n_answering
        ):
            errors["n_positive"] = [
                f"The number positive ({instance.n_positive}) is more than the number "
                f"answering ({instance.n_answering})."
            ]
        if errors:
            raise ValidationError(errors)

    def plain_message(self, field_name: str, error) -> str:
        code = getattr(error, "code", None)
        if code in ("unique", "unique_together") or (
            isinstance(error, ValidationError)
            and "one_count_per_wave_key_group" in str(error.message)
        ):
            return (
                "There is already a count for this year, question key and group (in the site "
                "or earlier in this file)."
            )
        if isinstance(error, ValidationError) and "positive_not_more_than_answering" in str(
            error.message
        ):
            return "The number positive is more than the number answering."
        return super().plain_message(field_name, error)


# --- Reconciling totals and parts -----------------------------------------------------------


@dataclass
class _Given:
    n: int
    k: int
    #: The spreadsheet row, or None for a count already in the site.
    row: int | None


@dataclass
class _Sum:
    n: int = 0
    k: int = 0
    rows: list[int | None] = field(default_factory=list)
    complete: bool = True


def _rows_text(rows: Iterable[int | None]) -> str:
    numbers = sorted({row for row in rows if row is not None})
    site = any(row is None for row in rows)
    words = f"row{'s' if len(numbers) > 1 else ''} {_listed(map(str, numbers), limit=12)}"
    if not numbers:
        return "counts already in the site"
    return words + (" and counts already in the site" if site else "")


def _finest(code: str, given: Mapping[str, _Given], problems: dict[int, list[str]]) -> _Sum:
    """The group from its finest known parts (checking each given total against its parts on
    the way), else as given; ``complete`` is False when neither is known."""
    parts = [_finest(part, given, problems) for part in TREE.get(code, ())]
    known = [part for part in parts if part.complete]
    total = _Sum(
        sum(p.n for p in known), sum(p.k for p in known), [r for p in known for r in p.rows]
    )
    whole = bool(parts) and len(known) == len(parts)
    if code in given:
        _check_total(code, given[code], total, exact=whole, problems=problems)
    if whole:
        return total
    if code in given:
        return _Sum(given[code].n, given[code].k, [given[code].row])
    return _Sum(complete=False)


def _check_total(
    code: str, total: _Given, parts: _Sum, *, exact: bool, problems: dict[int, list[str]]
) -> None:
    """A total must equal its parts when they are all given, and hold at least the parts
    given (with room for the rest's positive and other answers) when some are."""
    if not parts.rows:
        return
    tolerance = RECONCILIATION_TOLERANCE
    rest_n, rest_k = total.n - parts.n, total.k - parts.k
    if exact:
        wrong = abs(rest_n) > tolerance or abs(rest_k) > tolerance
        words = "add up to"
    else:
        wrong = rest_n < -tolerance or rest_k < -tolerance or rest_k - rest_n > tolerance
        words = "are more than it holds:"
    if not wrong:
        return
    where = f"row {total.row}" if total.row is not None else "the count already in the site"
    message = (
        f"{GROUP_LABELS[code]} ({where}) is {total.n:,} answering, {total.k:,} positive, but "
        f"its parts ({_rows_text(parts.rows)}) {words} {parts.n:,} answering, {parts.k:,} "
        f"positive. A total and its parts must agree"
        + (f" to within {tolerance}" if tolerance else " exactly")
        + ": correct the file and upload it again."
    )
    for row in [total.row, *parts.rows] if total.row is None else [total.row]:
        if row is not None:
            problems.setdefault(row, []).append(message)


def reconciliation_problems(
    counts: Mapping[tuple[int, str], Mapping[str, _Given]],
) -> dict[int, list[str]]:
    """For each (year, question key), every given total checked against its given parts:
    ``{spreadsheet row: [message]}``, empty when they all agree."""
    problems: dict[int, list[str]] = {}
    for given in counts.values():
        _finest(ALL, {code: g for code, g in given.items() if code != NOT_ANSWERED}, problems)
    return problems


# --- The template file --------------------------------------------------------------------------

#: Columns of the template beyond the required ones: ignored on import, there to read.
TEMPLATE_NOTE_COLUMNS = ("label", "layout")
#: Example counts (answering, positive) by detailed group, from which every layout's rows
#: are made, so that the template's own totals and parts agree.
_EXAMPLE = {
    "white_british": (2000, 1200), "white_irish": (200, 110), "white_gypsy_traveller": (20, 10),
    "white_roma": (20, 10), "white_other": (470, 260), "mixed_white_black_caribbean": (30, 15),
    "mixed_white_black_african": (20, 10), "mixed_white_asian": (30, 16), "mixed_other": (20, 10),
    "asian_indian": (200, 100), "asian_pakistani": (150, 70), "asian_bangladeshi": (80, 36),
    "asian_chinese": (50, 26), "asian_other": (70, 33), "black_caribbean": (60, 27),
    "black_african": (90, 43), "black_other": (20, 9), "other_arab": (20, 10),
    "other_any": (30, 14), "prefer_not_to_say": (40, 18),
}  # fmt: skip
#: Each supported layout: its name, an example year and the groups it publishes.
TEMPLATE_LAYOUTS = (
    ("Detailed: the 19 ONS 2021 groups", 2021, (*classifications.ETHNIC_GROUPS_BY_CODE,)),
    (
        "High-level: the 5 groups",
        2020,
        tuple(group.code for group in classifications.HIGH_LEVEL_GROUPS),
    ),
    ("White and ethnic minorities", 2019, ("white", classifications.ETHNIC_MINORITIES)),
    (
        "White total with its detailed White groups, and a total",
        2018,
        (
            ALL_GROUPS,
            "white",
            *(g.code for g in classifications.ETHNIC_GROUPS if g.high_level == "white"),
            *(g.code for g in classifications.HIGH_LEVEL_GROUPS if g.code != "white"),
        ),
    ),
    (
        "White British, White other than White British and ethnic minorities",
        2017,
        (classifications.WHITE_BRITISH, WHITE_NOT_BRITISH, classifications.ETHNIC_MINORITIES),
    ),
)


def _example_count(code: str) -> tuple[int, int]:
    parts = TREE.get(code)
    if parts is None:
        return _EXAMPLE.get(code, (0, 0))
    counts = [_example_count(part) for part in parts]
    return sum(n for n, _ in counts), sum(k for _, k in counts)


def counts_template_rows(question_key: str = "equal_opportunity") -> list[list]:
    """The template file: the heading row, then example rows for each supported layout (each
    with Prefer not to say), each row naming its group's label and layout."""
    rows: list[list] = [[*COUNT_COLUMNS, *TEMPLATE_NOTE_COLUMNS]]
    for layout, year, codes in TEMPLATE_LAYOUTS:
        for code in (*codes, classifications.PREFER_NOT_TO_SAY):
            n, k = _example_count(code)
            rows.append([year, question_key, code, n, k, GROUP_LABELS[code], layout])
    return rows
