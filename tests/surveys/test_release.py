"""Responses wait, sealed, until a batch of them can enter the results together."""

from __future__ import annotations

from io import StringIO

import pytest

from django.core.management import call_command

from cms import roles
from surveys import sealing, services
from surveys.models import (
    Answer,
    FreeTextAnswer,
    PendingResponse,
    Question,
    Response,
    SurveyInvitation,
    Wave,
)
from tests.surveys.factories import close_wave, invite, staff_survey_wave

pytestmark = pytest.mark.django_db

ANSWERS = {
    "equal_opportunity": "5",
    "belonging": "4",
    "directorate": "corporate",
    "improve": "Publish the pay gap by grade",
    "ethnicity": "mixed_white_asian",
}


def submit(wave, count: int, *, first: int = 0, answers=ANSWERS) -> None:
    for n in range(first, first + count):
        services.response_submit(token=invite(wave, f"person{n}@example.org"), answers=answers)


def test_the_batch_size_is_ten_and_cannot_be_set_below_five(settings):
    from cms.settings import base

    assert base.SURVEY_RELEASE_BATCH == 10
    assert settings.SURVEY_RELEASE_BATCH == 10


def test_nothing_enters_the_results_until_a_batch_is_complete():
    wave = staff_survey_wave()
    submit(wave, 9)
    assert Response.objects.count() == Answer.objects.count() == FreeTextAnswer.objects.count() == 0
    assert PendingResponse.objects.filter(wave=wave).count() == 9
    assert SurveyInvitation.objects.filter(used=True).count() == 9

    submit(wave, 1, first=9)

    assert PendingResponse.objects.count() == 0
    assert Response.objects.filter(wave=wave).count() == 10
    # Every answer arrives whole: 4 coded answers and 1 free text per response.
    assert Answer.objects.count() == 40
    assert FreeTextAnswer.objects.count() == 10
    for response in Response.objects.all():
        assert dict(response.answers.values_list("question__key", "value")) == {
            key: value for key, value in ANSWERS.items() if key != "improve"
        }
    assert set(FreeTextAnswer.objects.values_list("text", flat=True)) == {ANSWERS["improve"]}


def test_multiple_choice_answers_are_released_one_row_per_choice(settings):
    settings.SURVEY_RELEASE_BATCH = 5
    wave = staff_survey_wave()
    support = Question.objects.create(
        wave=wave,
        key="support",
        page=2,
        order=3,
        kind=Question.Kind.MULTIPLE,
        text="Which support have you used?",
        options=[["mentoring", "Mentoring"], ["coach", "Coaching"]],
    )
    submit(wave, 5, answers={**ANSWERS, "support": ["mentoring", "coach"]})
    assert Answer.objects.filter(question=support).count() == 10
    assert set(Answer.objects.filter(question=support).values_list("value", flat=True)) == {
        "mentoring",
        "coach",
    }


def test_the_sealed_answers_are_not_readable_without_the_key(settings):
    wave = staff_survey_wave()
    submit(wave, 1)
    sealed = PendingResponse.objects.get().sealed
    for text in [*ANSWERS, "Publish the pay gap", "mixed_white_asian", "corporate"]:
        assert text not in sealed
    assert PendingResponse.objects.get().answers == ANSWERS

    settings.SECRET_KEY = "a-different-key-on-a-copy-of-the-database"
    with pytest.raises(ValueError, match="no longer has"):
        sealing.unseal(sealed)
    # A rotated key keeps the old one as a fallback, and what waits can still be opened.
    settings.SECRET_KEY_FALLBACKS = ["test-only-secret-key-not-for-any-real-site"]
    assert sealing.unseal(sealed) == ANSWERS


def test_closing_releases_what_waits_and_reshuffles_the_whole_wave():
    wave = staff_survey_wave()
    submit(wave, 13)
    assert Response.objects.count() == 10
    before = sorted(
        (answer.response_id, answer.question_id, answer.value) for answer in Answer.objects.all()
    )
    with pytest.raises(ValueError, match="not closed"):
        services.responses_release(wave=wave)
    close_wave(wave)

    out = StringIO()
    call_command("release_survey_responses", stdout=out)

    assert "released 3 and reshuffled the wave" in out.getvalue()
    assert "3 responses released in all" in out.getvalue()
    assert PendingResponse.objects.count() == 0
    assert Response.objects.filter(wave=wave).count() == 13
    assert Answer.objects.count() == 52
    assert FreeTextAnswer.objects.count() == 13
    # The ten released earlier kept every answer through the reshuffle.
    after = sorted(
        (answer.response_id, answer.question_id, answer.value) for answer in Answer.objects.all()
    )
    assert set(before) <= set(after)
    # A second run has nothing to do.
    again = StringIO()
    call_command("release_survey_responses", stdout=again)
    assert "0 responses released in all" in again.getvalue()


def test_an_open_wave_is_not_released_by_the_daily_command():
    wave = staff_survey_wave()
    submit(wave, 3)
    call_command("release_survey_responses", stdout=StringIO())
    assert PendingResponse.objects.count() == 3


def test_the_daily_command_can_run_on_the_task_worker():
    wave = staff_survey_wave()
    submit(wave, 2)
    close_wave(wave)
    out = StringIO()
    call_command("release_survey_responses", "--enqueue", stdout=out)
    assert "Enqueued task" in out.getvalue()


def test_answers_waiting_for_release_keep_their_question_from_being_deleted_or_changed(
    client, make_user, signed_in
):
    signed_in(make_user(roles.INCLUSION_ANALYSTS))
    wave = staff_survey_wave()
    submit(wave, 1)
    question = wave.questions.get(key="directorate")
    free_text = wave.questions.get(key="improve")

    for target in (question, free_text):
        refused = client.post(f"/admin/surveys_question/delete/{target.pk}/", follow=True)
        assert "cannot be deleted" in refused.content.decode()
        assert Question.objects.filter(pk=target.pk).exists()
    refused = client.post(f"/admin/surveys_wave/delete/{wave.pk}/", follow=True)
    assert "cannot be deleted" in refused.content.decode()
    assert Wave.objects.filter(pk=wave.pk).exists()

    edit = client.get(f"/admin/surveys_question/edit/{question.pk}/")
    form = edit.context["form"]
    data = {
        name: form[name].value() if form[name].value() is not None else "" for name in form.fields
    }
    data.update(key="directorate_renamed", options="place | Place\npeople | People")
    changed = client.post(f"/admin/surveys_question/edit/{question.pk}/", data)
    assert changed.status_code == 200
    body = changed.content.decode()
    assert "already has answers" in body
    assert "These values already have answers and must stay: corporate" in body
    assert Question.objects.get(pk=question.pk).key == "directorate"

    close_wave(wave)
    services.responses_release(wave=wave)
    assert Response.objects.count() == 1


def test_a_question_nobody_has_answered_can_still_be_deleted(client, make_user, signed_in):
    signed_in(make_user(roles.INCLUSION_ANALYSTS))
    wave = staff_survey_wave()
    submit(wave, 1, answers={k: v for k, v in ANSWERS.items() if k != "belonging"})
    unanswered = wave.questions.get(key="belonging")
    deleted = client.post(f"/admin/surveys_question/delete/{unanswered.pk}/")
    assert deleted.status_code == 302
    assert not Question.objects.filter(pk=unanswered.pk).exists()
