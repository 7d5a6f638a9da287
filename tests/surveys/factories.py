"""Factories for surveys."""

from __future__ import annotations

from datetime import timedelta

import factory

from django.utils import timezone

from surveys.models import Question, Survey, SurveyInvitation, Wave
from surveys.tokens import hash_token


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey
        django_get_or_create = ("slug",)

    name = "Staff survey"
    slug = factory.Sequence(lambda n: f"staff-survey-{n}")
    kind = Survey.Kind.STAFF


class WaveFactory(factory.django.DjangoModelFactory):
    """An open wave (opened a week ago, closes in three weeks)."""

    class Meta:
        model = Wave

    survey = factory.SubFactory(SurveyFactory)
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=7))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=21))


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    wave = factory.SubFactory(WaveFactory)
    key = factory.Sequence(lambda n: f"q{n}")
    text = factory.Sequence(lambda n: f"Question {n}")
    kind = Question.Kind.LIKERT
    required = True


def invite(wave: Wave, email: str = "staff@example.org", token: str | None = None) -> str:
    """Create an invitation and return its raw token (as the email would carry it)."""
    token = token or f"token-{SurveyInvitation.objects.count()}-{email}"
    SurveyInvitation.objects.create(wave=wave, email=email, token_hash=hash_token(token))
    return token


def close_wave(wave: Wave) -> Wave:
    """Close the wave yesterday (opened a month ago), as if its time had run out."""
    today = timezone.localdate()
    Wave.objects.filter(pk=wave.pk).update(
        opens_on=today - timedelta(days=30), closes_on=today - timedelta(days=1)
    )
    wave.refresh_from_db()
    return wave


def staff_survey_wave(**wave_fields) -> Wave:
    """A realistic open wave: two Likert questions, a choice, free text and ethnicity."""
    wave = WaveFactory(**wave_fields)
    QuestionFactory(
        wave=wave,
        key="equal_opportunity",
        page=1,
        order=1,
        text="The council promotes equality of opportunity for all staff.",
    )
    QuestionFactory(
        wave=wave,
        key="belonging",
        page=1,
        order=2,
        required=False,
        text="I feel I belong at the council.",
    )
    QuestionFactory(
        wave=wave,
        key="directorate",
        page=1,
        order=3,
        kind=Question.Kind.SINGLE,
        required=False,
        options=[["place", "Place"], ["people", "People"], ["corporate", "Corporate"]],
    )
    QuestionFactory(
        wave=wave,
        key="improve",
        page=2,
        order=1,
        kind=Question.Kind.FREE_TEXT,
        required=False,
        text="What one thing would you change?",
    )
    QuestionFactory(
        wave=wave,
        key="ethnicity",
        page=2,
        order=2,
        kind=Question.Kind.ETHNICITY,
        required=True,
        text="What is your ethnic group?",
    )
    return wave
