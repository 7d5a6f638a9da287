"""Forms for designing surveys and sending invitations in the Wagtail admin."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import slugify

from wagtail.admin.forms import WagtailAdminModelForm

from cms.forms import DateInput
from surveys import classifications, selectors
from surveys.analysis.groups import CHOOSABLE_GROUPS, GROUP_LABELS, presentation_order
from surveys.models import AggregatedCount, Answer, Measure, Question, Survey, Wave

OPTION_VALUE = re.compile(r"^[A-Za-z0-9_-]+$")
OPTION_VALUE_MAX = 60  # Answer.value
OPTION_LABEL_MAX = 200

# The ONS 2021 classification, described once for forms and pages.
ETHNICITY_DESCRIPTION = (
    "Ethnic group questions always use the ONS 2021 Census classification for England and "
    f"Wales: {len(classifications.ETHNIC_GROUPS)} groups in "
    f"{len(classifications.HIGH_LEVEL_GROUPS)} high-level groups, plus "
    f'"{classifications.PREFER_NOT_TO_SAY_LABEL}". Their options cannot be edited.'
)
LIKERT_DESCRIPTION = "Five points, from Strongly agree to Strongly disagree."

FIXED_OPTIONS_ERRORS = {
    Question.Kind.LIKERT: "Agree/disagree questions always use the five-point scale: "
    "leave the options empty.",
    Question.Kind.ETHNICITY: ETHNICITY_DESCRIPTION + " Leave the options empty.",
    Question.Kind.FREE_TEXT: "Free text questions have no options: leave them empty.",
}


def options_to_text(options) -> str:
    """``[["place", "Place"], ...]`` as the lines an analyst edits: ``place | Place``."""
    if not isinstance(options, list):
        return ""
    lines = []
    for option in options:
        if isinstance(option, list | tuple) and len(option) == 2:
            lines.append(f"{option[0]} | {option[1]}")
    return "\n".join(lines)


def text_to_options(text: str) -> list[list[str]]:
    """Lines of ``value | Label`` (or just ``Label``) as ``[[value, label], ...]``.

    Raises ``forms.ValidationError`` naming every line that cannot be used.
    """
    options: list[list[str]] = []
    problems: list[str] = []
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line:
            continue
        if "|" in line:
            value, label = (part.strip() for part in line.split("|", 1))
        else:
            label = line
            value = slugify(line).replace("-", "_")[:OPTION_VALUE_MAX]
        if not label:
            problems.append(f"Line {number}: give a label after the |.")
        elif not value:
            problems.append(f"Line {number}: give a value before the |, like: value | {label}")
        elif not OPTION_VALUE.match(value):
            problems.append(
                f'Line {number}: the value "{value[:60]}" may only have letters, numbers, '
                "hyphens and underscores."
            )
        elif len(value) > OPTION_VALUE_MAX:
            problems.append(
                f"Line {number}: the value has more than {OPTION_VALUE_MAX} characters."
            )
        elif len(label) > OPTION_LABEL_MAX:
            problems.append(
                f"Line {number}: the label has more than {OPTION_LABEL_MAX} characters."
            )
        else:
            options.append([value, label])
    if problems:
        raise forms.ValidationError(problems)
    values = [value for value, _ in options]
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise forms.ValidationError(
            "Each option needs its own value; repeated: " + ", ".join(repeated) + "."
        )
    return options


class QuestionAdminForm(WagtailAdminModelForm):
    """The question form, with options as ``value | Label`` lines instead of JSON."""

    options = forms.CharField(
        required=False,
        label="Options",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="For single and multiple choice only: one option per line, as value | Label "
        "(for example: place | Place directorate). The value is stored with each answer, so keep "
        "it the same in every wave; the label is what people see. Agree/disagree questions use "
        "the five-point scale and ethnic group questions the ONS 2021 Census classification: "
        "leave their options empty.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "options" in self.initial and not isinstance(self.initial["options"], str):
            self.initial["options"] = options_to_text(self.initial["options"])
        if "wave" in self.fields:
            # Each wave's label names its survey: fetch them together.
            self.fields["wave"].queryset = Wave.objects.select_related("survey")
        if "kind" in self.fields:
            self.fields["kind"].help_text = (
                "Agree/disagree questions use the five-point scale. " + ETHNICITY_DESCRIPTION
            )

    def clean_options(self):
        return text_to_options(self.cleaned_data.get("options") or "")

    def _update_errors(self, errors):
        # The model checks options too; keep only this form's clearer message about them.
        if hasattr(errors, "error_dict") and "options" in self.errors:
            errors.error_dict.pop("options", None)
        super()._update_errors(errors)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        options = cleaned.get("options")
        wave = cleaned.get("wave")
        key = cleaned.get("key")
        if kind in FIXED_OPTIONS_ERRORS and options:
            self.add_error("options", FIXED_OPTIONS_ERRORS[kind])
        elif (
            kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE)
            and "options" in cleaned
            and len(options) < 2
        ):
            self.add_error("options", "Give at least two options, one per line.")
        others = Question.objects.filter(wave=wave).exclude(pk=self.instance.pk)
        if wave and key and others.filter(key=key).exists():
            self.add_error(
                "key",
                f'This wave already has a question with the key "{key}". Keys are unique '
                "within a wave.",
            )
        if (
            wave
            and kind == Question.Kind.ETHNICITY
            and others.filter(kind=Question.Kind.ETHNICITY).exists()
        ):
            self.add_error("kind", "This wave already has an ethnic group question.")
        self._check_answered(cleaned)
        return cleaned

    def _check_answered(self, cleaned) -> None:
        """Once a question has answers, nothing may change what those answers mean."""
        question = self.instance
        if not question.pk:
            return
        given = set(
            Answer.objects.filter(question=question).values_list("value", flat=True).distinct()
        )
        has_text = question.text_answers.exists()
        # Answers waiting for release count too: they are stored under this key and kind.
        pending = selectors.pending_answers(question=question)
        if pending is not None:
            if question.kind == Question.Kind.FREE_TEXT:
                has_text = True
            else:
                given |= pending
        if not given and not has_text:
            return
        original = Question.objects.get(pk=question.pk)
        for field in ("wave", "key", "kind"):
            if field in cleaned and cleaned[field] != getattr(original, field):
                self.add_error(
                    field,
                    "This question already has answers, so its wave, key and kind cannot "
                    "change. Add a new question instead.",
                )
        if original.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE) and isinstance(
            cleaned.get("options"), list
        ):
            kept = {value for value, _ in cleaned["options"]}
            missing = sorted(given - kept)
            if missing:
                self.add_error(
                    "options",
                    "These values already have answers and must stay: " + ", ".join(missing),
                )


class WaveAdminForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "year" in self.fields and not self.instance.pk:
            self.fields["year"].initial = timezone.localdate().year

    def clean(self):
        cleaned = super().clean()
        survey = cleaned.get("survey")
        if not self.instance.pk and survey is not None:
            # A new board evaluation hides who answered, however it is created; the invitations
            # page can change that until the first invitation is queued.
            self.instance.participation = (
                Wave.Participation.HIDDEN
                if survey.kind == Survey.Kind.BOARD_EVALUATION
                else Wave.Participation.STANDARD
            )
        return cleaned


class WaveParticipationForm(forms.Form):
    """Whether a wave hides who answered (on its invitations page, before anything is sent)."""

    participation = forms.ChoiceField(
        label="Who answered",
        choices=Wave.Participation.choices,
        widget=forms.RadioSelect,
        help_text="Hidden keeps the invited addresses on a list apart from the links, so not "
        "even someone with the database can tell who answered; reminders then go to everyone "
        "invited, without a new link. Standard keeps each address on its link until it is used, "
        "so reminders go only to those who have not answered, but the database shows who did.",
    )


# --- Invitations ------------------------------------------------------------------------------

MAX_EMAIL_FILE_BYTES = 1024 * 1024
MAX_ADDRESSES = 20_000
EMAIL_FILE_EXTENSIONS = (".csv", ".txt")


def _entries_from_csv(text: str) -> list[str]:
    """The email column of a CSV (a header naming "email"), or else every cell."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    email_columns = [index for index, name in enumerate(header) if "email" in name]
    if email_columns:
        column = email_columns[0]
        return [row[column] for row in rows[1:] if len(row) > column and row[column].strip()]
    return [cell for row in rows for cell in row if cell.strip()]


class InvitationUploadForm(forms.Form):
    emails = forms.CharField(
        required=False,
        label="Paste email addresses",
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false"}),
        help_text="One per line, or separated by commas or semicolons.",
    )
    file = forms.FileField(
        required=False,
        label="Or upload a file of email addresses",
        help_text=f"A .csv or .txt file in UTF-8, up to {filesizeformat(MAX_EMAIL_FILE_BYTES)}. "
        'In a CSV with a header row, the column whose name contains "email" is used.',
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )

    def clean_file(self) -> list[str]:
        upload = self.cleaned_data.get("file")
        if not upload:
            return []
        name = (upload.name or "").lower()
        if not name.endswith(EMAIL_FILE_EXTENSIONS):
            raise forms.ValidationError("Upload a .csv or .txt file.")
        if upload.size > MAX_EMAIL_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {filesizeformat(MAX_EMAIL_FILE_BYTES)}. "
                "Split it into smaller files."
            )
        raw = upload.read(MAX_EMAIL_FILE_BYTES + 1)
        if len(raw) > MAX_EMAIL_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {filesizeformat(MAX_EMAIL_FILE_BYTES)}."
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "The file is not UTF-8 text. Save it as CSV UTF-8 or plain text and try again."
            ) from None
        if "\x00" in text:
            raise forms.ValidationError("The file is not a text file.")
        if name.endswith(".csv"):
            return _entries_from_csv(text)
        return [text]

    def clean(self):
        cleaned = super().clean()
        if (
            not self.errors
            and not (cleaned.get("emails") or "").strip()
            and not cleaned.get("file")
        ):
            raise forms.ValidationError("Paste email addresses or choose a file.")
        return cleaned

    def raw_entries(self) -> str:
        """Everything given, as one text for ``services.parse_email_list``."""
        parts = [self.cleaned_data.get("emails") or "", *self.cleaned_data.get("file", [])]
        return "\n".join(part for part in parts if part)


class BoardEvaluationForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)
    opens_on = forms.DateField(widget=DateInput())
    closes_on = forms.DateField(widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["opens_on"].initial = today
        self.fields["closes_on"].initial = today + timedelta(days=28)

    def clean(self):
        cleaned = super().clean()
        opens_on, closes_on = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", "The wave must close on or after it opens.")
        return cleaned


# --- Measures ---------------------------------------------------------------------------------

MEASURE_GROUP_CHOICES = [
    (code, GROUP_LABELS[code]) for code in presentation_order(CHOOSABLE_GROUPS)
]
# Question kinds a measure can follow.
MEASURABLE_KINDS = (Question.Kind.LIKERT, Question.Kind.SINGLE, Question.Kind.MULTIPLE)
CHOICE_KINDS = {Question.Kind.SINGLE, Question.Kind.MULTIPLE}


def values_from_text(text: str) -> list[str]:
    """Values separated by commas (or new lines), in order, without repeats."""
    values = [part.strip() for part in re.split(r"[,\n]", text or "")]
    return list(dict.fromkeys(value for value in values if value))


class MeasureAdminForm(WagtailAdminModelForm):
    """A measure, with groups and positive answers as checkboxes rather than JSON.

    Positive answers of an agree/disagree question are ticked; those of a choice question are
    typed as its values (they differ from survey to survey). Which one applies follows from the
    question the key names, so the errors can say what to do. ``Measure.clean`` checks the rest.
    """

    positive_values = forms.MultipleChoiceField(
        required=False,
        label="Positive answers (agree/disagree questions)",
        choices=classifications.LIKERT_SCALE,
        widget=forms.CheckboxSelectMultiple,
        help_text="Usually Strongly agree and Agree. Every other valid answer, neutral included, "
        "stays in the base. Ignored for a choice question: type its values below instead.",
    )
    positive_choice_values = forms.CharField(
        required=False,
        label="Positive answers (choice questions)",
        help_text="For a single or multiple choice question only: the values that count as "
        "positive, separated by commas (for example: yes, mostly). Leave empty for an "
        "agree/disagree question.",
    )
    groups = forms.MultipleChoiceField(
        required=False,
        label="Groups to compare",
        choices=MEASURE_GROUP_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each ticked group gets its own row, compared with the comparison group "
        "below. None ticked: all answers only. All answers are always shown, and so are those "
        "who did not give their ethnic group, on a row of their own. A group a wave's data does "
        'not have (its provider published another level) reads "not collected" that year.',
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "comparison_group" in self.fields:
            # Left out of a submission (a script's, say), it is the default, White British.
            self.fields["comparison_group"].required = False
        likert = {value for value, _ in classifications.LIKERT_SCALE}
        stored = (
            self.instance.positive_values if isinstance(self.instance.positive_values, list) else []
        )
        if not self.is_bound:
            # Set here: Wagtail's create view leaves declared fields out of the initial data.
            self.initial["positive_values"] = [value for value in stored if value in likert]
            self.initial["positive_choice_values"] = ", ".join(
                value for value in stored if value not in likert
            )
            groups = self.instance.groups
            self.initial["groups"] = list(groups) if isinstance(groups, list) else []
        if "baseline" in self.fields:
            waves = Wave.objects.select_related("survey").order_by("survey__name", "-year")
            if self.instance.survey_id and not self.is_bound:
                # Offer the measure's own waves. A submitted form accepts any wave, so that a
                # wave of another survey is refused by clean() with a message saying why.
                waves = waves.filter(survey_id=self.instance.survey_id)
            self.fields["baseline"].queryset = waves
            self.fields["baseline"].help_text = (
                "The wave progress is measured from: a wave of this measure's survey that "
                "asked the question."
            )

    def clean_comparison_group(self):
        return self.cleaned_data.get("comparison_group") or Measure.ComparisonGroup.WHITE_BRITISH

    def _update_errors(self, errors):
        # The model checks these fields too; keep only this form's message where it gave one.
        if hasattr(errors, "error_dict"):
            for name in list(errors.error_dict):
                if name in self.errors or (
                    name == "positive_values" and "positive_choice_values" in self.errors
                ):
                    errors.error_dict.pop(name)
        super()._update_errors(errors)

    def clean(self):
        cleaned = super().clean()
        survey, key = cleaned.get("survey"), cleaned.get("question_key")
        ticked = list(cleaned.get("positive_values") or [])
        typed = values_from_text(cleaned.get("positive_choice_values", ""))
        positive = [*ticked, *typed]
        if survey and key:
            questions = list(Question.objects.filter(wave__survey=survey, key=key))
            kinds = {question.kind for question in questions}
            if not questions:
                keys = sorted(
                    set(
                        Question.objects.filter(wave__survey=survey, kind__in=MEASURABLE_KINDS)
                        .values_list("key", flat=True)
                        .distinct()
                    )
                )
                self.add_error(
                    "question_key",
                    f'No wave of {survey} has a question with the key "{key}". '
                    + (
                        f"Its keys are: {', '.join(keys)}."
                        if keys
                        else "It has no agree/disagree or choice questions yet."
                    ),
                )
            elif not kinds <= set(MEASURABLE_KINDS):
                self.add_error(
                    "question_key",
                    "Choose an agree/disagree or choice question, not free text or ethnic group.",
                )
            elif kinds == {Question.Kind.LIKERT}:
                positive = ticked
                if typed:
                    self.add_error(
                        "positive_choice_values",
                        "This is an agree/disagree question: tick its positive answers above "
                        "and leave this empty.",
                    )
                elif not ticked:
                    self.add_error(
                        "positive_values", "Tick at least one answer that counts as positive."
                    )
            elif kinds <= CHOICE_KINDS:
                positive = typed
                valid = sorted({value for q in questions for value in q.valid_values()})
                unknown = [value for value in typed if value not in valid]
                if not typed:
                    self.add_error(
                        "positive_choice_values",
                        "This is a choice question: type the values that count as positive, "
                        f"from: {', '.join(valid)}.",
                    )
                elif unknown:
                    self.add_error(
                        "positive_choice_values",
                        f"Not an answer to this question: {', '.join(unknown)}. Its values are: "
                        f"{', '.join(valid)}.",
                    )
            self._check_baseline(cleaned, survey, key)
        if not positive and not (
            self.has_error("positive_values") or self.has_error("positive_choice_values")
        ):
            self.add_error("positive_values", "Choose at least one answer that counts as positive.")
        cleaned["positive_values"] = positive
        cleaned["groups"] = presentation_order(cleaned.get("groups") or [])
        return cleaned

    def _check_baseline(self, cleaned, survey, key) -> None:
        baseline = cleaned.get("baseline")
        if baseline is None:
            return
        if baseline.survey_id != survey.pk:
            self.add_error("baseline", f"Choose a wave of {survey}.")
        elif not (
            Question.objects.filter(wave=baseline, key=key).exists()
            or AggregatedCount.objects.filter(wave=baseline, question_key=key).exists()
        ):
            self.add_error(
                "baseline",
                f"The {baseline.year} wave did not ask this question: choose a wave that did.",
            )
