"""django-import-export resources and widgets for survey results.

Two kinds of file come in (see ``surveys.importers``):

* **Aggregated counts** from an earlier survey provider (year, question key, group, number
  answering, number positive). The files are small - a few hundred to a few thousand rows - so
  they go through import-export's own flow, ``AggregatedCountResource``: a dry run of every row,
  row-by-row errors, then the real import in one transaction.

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

import re
from collections.abc import Iterable
from datetime import date, datetime

from import_export import fields, resources, widgets

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils import timezone

from cms.exports import FORMULA_PREFIXES
from cms.platform.imports import CreateOnlyResource, FlexibleDateWidget, cell_text, quoted
from surveys import classifications
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


def aggregated_group_codes() -> set[str]:
    """Groups a count may be for: a detailed or high-level ethnic group, "prefer not to say",
    ethnic minorities (all groups other than White British combined), or everyone."""
    return {
        *classifications.ETHNIC_GROUPS_BY_CODE,
        *classifications.HIGH_LEVEL_BY_CODE,
        classifications.PREFER_NOT_TO_SAY,
        classifications.ETHNIC_MINORITIES,
        ALL_GROUPS,
    }


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
        text = cell_text(value).lower()
        if not text:
            return None
        if text not in aggregated_group_codes():
            raise ValueError(
                f"{quoted(text)} is not a group. Use an ethnic group code from the ONS 2021 "
                "classification (such as white_british or black_african), a high-level group "
                "(white, mixed, asian, black, other), prefer_not_to_say, ethnic_minorities or all."
            )
        return text

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

    def __init__(self, *, survey: Survey, **kwargs):
        super().__init__(**kwargs)
        self.survey = survey
        self.fields["year"].widget = WaveYearWidget(survey)
        known_keys = set(
            Question.objects.filter(wave__survey=survey).values_list("key", flat=True).distinct()
        )
        self.fields["question_key"].widget = QuestionKeyWidget(known_keys)

    @property
    def created_years(self) -> set[int]:
        return self.fields["year"].widget.created

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
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
