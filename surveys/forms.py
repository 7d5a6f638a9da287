"""Taking a survey: one page of questions as a form, and the draft of answers not yet sent.

The service's ``clean_answers`` is the only judge of an answer, so the form's fields accept
whatever was posted and ``clean`` hands the page to it; its messages are shown per question.

A draft is never in the sign-in session, where it would sit beside ``_auth_user_id`` for anyone
signed in. It is a ``SurveyDraft`` row holding nothing but its wave, an expiry date and the
answers sealed with AES-GCM. The browser keeps a random secret in a cookie of its own (never the
session's); the row's key and its encryption key are derived from that secret, the link's token
and ``SECRET_KEY``. So the database, even with the server's key, can neither open a draft nor
tie it to an invitation or a person, and a stolen database and cookie cannot either without the
server's key. Free text makes a draft too large for a cookie (4 KB), hence the row.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from surveys import classifications, selectors, services
from surveys.models import Question, Wave

ANSWER_PREFIX = "answer"
# A free-text draft kept when someone goes back from a page with errors: more than the service
# accepts (so nothing they typed is cut), but bounded so a draft cannot be stuffed.
DRAFT_TEXT_LIMIT = 10_000
CHECK = "check"

DRAFT_COOKIE = "survey_draft"
DRAFT_SALT = "surveys.forms.SurveyDraft"
BROWSER_SECRET_BYTES = 32
NONCE_BYTES = 12
# Sealed drafts are padded to a whole number of these, so a row's size says little about how
# much has been written.
DRAFT_BUCKET_BYTES = 4096


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


def _server_secrets() -> list[str]:
    # Drafts made before a SECRET_KEY rotation still open while the old key is a fallback.
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def draft_keys(browser_secret: bytes, token: str) -> list[tuple[str, bytes]]:
    """(row key, AES-256 key) of one link's draft in one browser, for each server key."""
    keys = []
    for secret in _server_secrets():
        server = salted_hmac(DRAFT_SALT, "draft", secret=secret, algorithm="sha256").digest()
        derived = HKDF(
            algorithm=hashes.SHA256(), length=64, salt=server, info=b"survey draft"
        ).derive(browser_secret + token.encode())
        keys.append((derived[:32].hex(), derived[32:]))
    return keys


def seal_draft(content: dict, *, key: bytes, draft_id: str) -> str:
    plain = json.dumps(content, separators=(",", ":")).encode()
    size = -(-(len(plain) + 1) // DRAFT_BUCKET_BYTES) * DRAFT_BUCKET_BYTES
    padded = plain + b"\x80" + bytes(size - len(plain) - 1)
    nonce = os.urandom(NONCE_BYTES)
    # The row's key is authenticated with the answers, so a sealed draft cannot be moved.
    sealed = AESGCM(key).encrypt(nonce, padded, draft_id.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def open_draft(sealed: str, *, key: bytes, draft_id: str) -> dict:
    """The draft, or ``ValueError`` if it was not sealed with this key for this row."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        padded = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], draft_id.encode())
        content = json.loads(padded.rstrip(b"\x00")[:-1])
    except (InvalidTag, binascii.Error, ValueError) as error:
        raise ValueError("Not a draft this browser and server can open") from error
    if not isinstance(content, dict):
        raise ValueError("Not a draft")
    return content


def _browser_secret(request) -> bytes | None:
    value = request.COOKIES.get(DRAFT_COOKIE, "")
    if len(value) != 43:  # 32 bytes, base64 without padding
        return None
    try:
        secret = base64.urlsafe_b64decode(value + "=")
    except (binascii.Error, ValueError):
        return None
    return secret if len(secret) == BROWSER_SECRET_BYTES else None


def draft_days() -> int:
    return settings.SURVEY_DRAFT_DAYS


class SurveyDraft:
    """Answers given so far through one link in this browser, kept sealed until submitted.

    Read once per request (one query, and none at all for a browser without the cookie);
    ``save_page`` writes one row; the view sets the cookie (``write_cookie``) on its response.
    """

    def __init__(self, request, *, token: str, wave: Wave):
        self.token = token
        self.wave = wave
        self.secret = _browser_secret(request)
        self.cookie_needed = False
        self._content: dict | None = None

    def _keys(self) -> list[tuple[str, bytes]]:
        return draft_keys(self.secret, self.token) if self.secret else []

    def _stored(self) -> dict:
        if self._content is None:
            self._content = {}
            keys = self._keys()
            found = selectors.draft_sealed(draft_ids=[draft_id for draft_id, _ in keys])
            for draft_id, key in keys:
                if draft_id in found:
                    try:
                        self._content = open_draft(found[draft_id], key=key, draft_id=draft_id)
                    except ValueError:
                        continue
                    break
        return self._content

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
        content = {"answers": merged, "at": at}
        if self.secret is None:
            self.secret = secrets.token_bytes(BROWSER_SECRET_BYTES)
        (draft_id, key), *older = self._keys()
        # A date, never a time; a draft never outlives its wave.
        expires_on = min(timezone.localdate() + timedelta(days=draft_days()), self.wave.closes_on)
        services.draft_save(
            draft_id=draft_id,
            wave=self.wave,
            sealed=seal_draft(content, key=key, draft_id=draft_id),
            expires_on=expires_on,
            replaces=[older_id for older_id, _ in older],
        )
        self._content = content
        self.cookie_needed = True

    def delete(self) -> None:
        if self.secret is not None:
            services.draft_delete(draft_ids=[draft_id for draft_id, _ in self._keys()])
        self._content = {}

    def write_cookie(self, response) -> None:
        """Give (or renew) this browser's secret: only here, never in the session."""
        if not self.cookie_needed or self.secret is None:
            return
        response.set_cookie(
            DRAFT_COOKIE,
            base64.urlsafe_b64encode(self.secret).decode().rstrip("="),
            max_age=draft_days() * 24 * 60 * 60,
            path=reverse("surveys:thank_you").removesuffix("thank-you/"),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
