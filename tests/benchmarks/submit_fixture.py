"""What the submission benchmark writes before it starts, counts at the end and then deletes.

The waves are the test suite's realistic staff survey (``staff_survey_wave``) and the links are
made as the suite makes them (``invite``); the raw links exist only in this process's memory,
as they would only be in the emails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from surveys import services
from surveys.models import (
    Answer,
    FreeTextAnswer,
    PendingResponse,
    Question,
    Response,
    Survey,
    SurveyInvitation,
    Wave,
)
from surveys.tokens import new_token
from tests.surveys.factories import SurveyFactory, invite, staff_survey_wave


@dataclass
class Fixture:
    survey: Survey
    flow_wave: Wave
    baseline_wave: Wave
    flow_tokens: list[str]
    step_tokens: list[str]
    duplicate_tokens: list[str]
    pages: int  # question pages in the survey: a flow makes 2 * pages + 3 requests
    coded_per_response: int  # the load generator answers every question
    texts_per_response: int


@transaction.atomic
def create_fixture(*, submissions: int, duplicates: int) -> Fixture:
    """A survey with two open waves (the survey runs' and the baseline's) and the links."""
    marker = uuid.uuid4().hex[:8]
    survey = SurveyFactory(name=f"bench_submit {marker}", slug=f"bench-submit-{marker}")
    year = timezone.localdate().year
    flow_wave, baseline_wave = (staff_survey_wave(survey=survey, year=y) for y in (year, year - 1))
    tokens = [
        invite(flow_wave, email=f"bench{n}@example.invalid", token=new_token())
        for n in range(2 * submissions + duplicates)
    ]
    questions = list(flow_wave.questions.all())
    texts = sum(question.kind == Question.Kind.FREE_TEXT for question in questions)
    return Fixture(
        survey=survey,
        flow_wave=flow_wave,
        baseline_wave=baseline_wave,
        flow_tokens=tokens[:submissions],
        step_tokens=tokens[submissions : 2 * submissions],
        duplicate_tokens=tokens[2 * submissions :],
        pages=len({question.page for question in questions}),
        coded_per_response=len(questions) - texts,
        texts_per_response=texts,
    )


def count_stored(fixture: Fixture) -> dict[str, int]:
    """What the run stored. Responses still waiting for release (fewer than a batch) are
    released the way a closing wave releases them, so every stored answer is counted."""
    wave, baseline = fixture.flow_wave, fixture.baseline_wave
    waiting = PendingResponse.objects.filter(wave=wave).count()
    wave.closes_on = timezone.localdate() - timedelta(days=1)
    wave.save(update_fields=["closes_on"])
    services.responses_release(wave=wave)
    used = SurveyInvitation.objects.filter(wave=wave, used=True)
    return {
        "waiting": waiting,
        "still_waiting": PendingResponse.objects.filter(wave=wave).count(),
        "responses": Response.objects.filter(wave=wave).count(),
        "used": used.count(),
        "used_with_email": used.exclude(email="").count(),
        "coded": Answer.objects.filter(question__wave=wave).count(),
        "texts": FreeTextAnswer.objects.filter(question__wave=wave).count(),
        "baseline_responses": Response.objects.filter(wave=baseline).count(),
    }


def delete_fixture(fixture: Fixture, session_keys: set[str]) -> None:
    """Everything the run wrote: answers, responses, links, questions, waves, the survey and
    the sessions the browsers were given."""
    waves = [fixture.flow_wave.pk, fixture.baseline_wave.pk]
    Answer.objects.filter(question__wave__in=waves).delete()
    FreeTextAnswer.objects.filter(question__wave__in=waves).delete()
    PendingResponse.objects.filter(wave__in=waves).delete()
    Response.objects.filter(wave__in=waves).delete()
    SurveyInvitation.objects.filter(wave__in=waves).delete()
    Question.objects.filter(wave__in=waves).delete()
    Wave.objects.filter(pk__in=waves).delete()
    fixture.survey.delete()
    keys = sorted(session_keys)
    for start in range(0, len(keys), 500):
        Session.objects.filter(session_key__in=keys[start : start + 500]).delete()
