"""Taking a survey: one page of questions as a form, and the draft kept in the session.

The service's ``clean_answers`` is the only judge of an answer, so the form's fields accept
whatever was posted and ``clean`` hands the page to it; its messages are shown per question.

A draft lives in the server-side session, never in a table next to the invitation. It is keyed
by a hash derived from the link's token that differs from the invitation's stored
``token_hash``, so even the session table cannot be joined to an invitation row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError

from surveys import classifications, services
from surveys.models import Question, Wave
from surveys.tokens import hash_token

ANSWER_PREFIX = "answer"
DRAFTS_SESSION_KEY = "survey_drafts"
# A free-text draft kept when someone goes back from a page with errors: more than the service
# accepts (so nothing they typed is cut), but bounded so the session cannot be stuffed.
DRAFT_TEXT_LIMIT = 10_000
CHECK = "check"


def _raw_value(value) -> str | list[str]:
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return value if isinstance(value, str) else ""


class _PostedAnswerField(forms.Field):
    """Passes the posted value on unchanged: the service decides what is a valid answer."""

    def to_python(self, value):
        return _raw_value(value)


def _field_for(question: Question) -> forms.Field:
    if question.kind == Question.Kind.FREE_TEXT:
        widget = forms.Textarea
    elif question.kind == Question.Kind.MULTIPLE:
        widget = forms.CheckboxSelectMultiple(choices=question.choice_pairs())
    else:
        widget = forms.RadioSelect(choices=question.choice_pairs())
    return _PostedAnswerField(required=False, label=question.text, widget=widget)


@dataclass
class Option:
    value: str
    label: str
    id: str
    checked: bool


@dataclass
class OptionGroup:
    label: str
    options: list[Option]


@dataclass
class QuestionItem:
    """What a template needs to draw one question in GOV.UK markup."""

    question: Question
    name: str
    id: str
    value: str | list[str]
    errors: list[str]
    options: list[Option] = field(default_factory=list)
    groups: list[OptionGroup] = field(default_factory=list)
    # Ethnicity: "Prefer not to say", shown last, after an "or" divider.
    last_option: Option | None = None

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def hint_id(self) -> str:
        return f"{self.id}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"


class QuestionPageForm(forms.Form):
    """One page of a wave's questions, named ``answer-<question key>``."""

    def __init__(
        self,
        *,
        wave: Wave,
        questions: Iterable[Question],
        data: Mapping | None = None,
        initial: Mapping[str, object] | None = None,
    ):
        super().__init__(data=data, initial=initial, prefix=ANSWER_PREFIX)
        self.wave = wave
        self.questions = list(questions)
        self.answers: dict[str, object] = {}
        for question in self.questions:
            self.fields[question.key] = _field_for(question)

    @classmethod
    def bound_to_answers(
        cls, *, wave: Wave, questions: Iterable[Question], answers: Mapping[str, object]
    ) -> QuestionPageForm:
        """A form bound to saved answers, so checking it shows their errors."""
        data = {f"{ANSWER_PREFIX}-{key}": value for key, value in answers.items()}
        return cls(wave=wave, questions=questions, data=data)

    def posted(self) -> dict[str, str | list[str]]:
        """The answers as posted (read from the data: a field with an error leaves cleaned_data)."""
        return {question.key: _raw_value(self[question.key].data) for question in self.questions}

    def clean(self):
        try:
            self.answers = services.clean_answers(
                wave=self.wave, data=self.posted(), questions=self.questions
            )
        except ValidationError as error:
            self.add_question_errors(error)
        return self.cleaned_data

    def add_question_errors(self, error: ValidationError) -> None:
        """Errors keyed by question key (as the service raises them) onto this page's fields."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        keys = {question.key for question in self.questions}
        for key, messages in error.message_dict.items():
            if key in keys and key not in self.errors:
                self.add_error(key, messages)

    def kept_answers(self) -> dict[str, object]:
        """What to keep when someone goes back without finishing the page.

        Every valid answer is kept; free text is kept as typed (within a bound) even when too
        long, so going back never loses it; anything not offered on the form is dropped.
        """
        kept: dict[str, object] = {}
        posted = self.posted()
        for question in self.questions:
            raw = posted[question.key]
            try:
                cleaned = services.clean_answers(
                    wave=self.wave, data={question.key: raw}, questions=[question]
                )
            except ValidationError:
                if question.kind == Question.Kind.FREE_TEXT and isinstance(raw, str):
                    text = raw.strip().replace("\x00", "")[:DRAFT_TEXT_LIMIT]
                    if text:
                        kept[question.key] = text
                continue
            kept.update(cleaned)
        return kept

    def items(self) -> list[QuestionItem]:
        return [self._item(question) for question in self.questions]

    def _item(self, question: Question) -> QuestionItem:
        bound = self[question.key]
        value = _raw_value(bound.value())
        chosen = set(value) if isinstance(value, list) else {value}
        base_id = f"q{question.pk}"
        item = QuestionItem(
            question=question,
            name=bound.html_name,
            id=base_id,
            value=value,
            errors=list(bound.errors),
        )
        position = 0

        def option(value: str, label: str) -> Option:
            nonlocal position
            position += 1
            option_id = base_id if position == 1 else f"{base_id}-{position}"
            return Option(value=value, label=label, id=option_id, checked=value in chosen)

        if question.kind == Question.Kind.ETHNICITY:
            for label, pairs in classifications.ethnicity_choices():
                options = [option(value, text) for value, text in pairs]
                if label == classifications.PREFER_NOT_TO_SAY_LABEL:
                    item.last_option = options[0]
                else:
                    item.groups.append(OptionGroup(label=label, options=options))
        elif question.kind != Question.Kind.FREE_TEXT:
            item.options = [option(value, label) for value, label in question.choice_pairs()]
        return item


@dataclass
class SummaryRow:
    question: Question
    values: list[str]
    is_text: bool


def summary_rows(*, questions: Iterable[Question], answers: Mapping[str, object]):
    """The answers to show on "Check your answers", as labels rather than codes."""
    rows = []
    for question in questions:
        answer = answers.get(question.key)
        values = answer if isinstance(answer, list) else ([answer] if answer else [])
        if question.kind == Question.Kind.FREE_TEXT:
            rows.append(
                SummaryRow(question=question, values=[str(v) for v in values], is_text=True)
            )
            continue
        labels = dict(question.choice_pairs())
        rows.append(
            SummaryRow(
                question=question,
                values=[labels.get(str(v), str(v)) for v in values],
                is_text=False,
            )
        )
    return rows


def draft_key(token: str) -> str:
    """The session key of a link's draft: a hash of the token, but not the stored one."""
    return hash_token(f"survey-draft:{token}")


class SurveyDraft:
    """Answers given so far through one link, in this browser's server-side session."""

    def __init__(self, session, token: str):
        self.session = session
        self.key = draft_key(token)

    def _stored(self) -> dict:
        drafts = self.session.get(DRAFTS_SESSION_KEY)
        draft = drafts.get(self.key) if isinstance(drafts, dict) else None
        return draft if isinstance(draft, dict) else {}

    @property
    def answers(self) -> dict[str, object]:
        answers = self._stored().get("answers")
        return dict(answers) if isinstance(answers, dict) else {}

    @property
    def at(self) -> int | str | None:
        """Where to resume: a page number, ``CHECK``, or None for the start."""
        return self._stored().get("at")

    def save_page(
        self, *, questions: Iterable[Question], answers: Mapping[str, object], at: int | str
    ) -> None:
        """Replace this page's answers (an emptied answer is removed) and note where to resume."""
        merged = self.answers
        for question in questions:
            merged.pop(question.key, None)
            if question.key in answers:
                merged[question.key] = answers[question.key]
        drafts = self.session.get(DRAFTS_SESSION_KEY)
        drafts = dict(drafts) if isinstance(drafts, dict) else {}
        drafts[self.key] = {"answers": merged, "at": at}
        self.session[DRAFTS_SESSION_KEY] = drafts

    def delete(self) -> None:
        drafts = self.session.get(DRAFTS_SESSION_KEY)
        if not isinstance(drafts, dict):
            return
        drafts = {key: draft for key, draft in drafts.items() if key != self.key}
        if drafts:
            self.session[DRAFTS_SESSION_KEY] = drafts
        else:
            self.session.pop(DRAFTS_SESSION_KEY, None)
