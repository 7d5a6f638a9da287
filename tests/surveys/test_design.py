"""Designing surveys: question validation, waves, copying a wave, the board evaluation template."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from wagtail.admin.panels import ObjectList

from cms import roles
from surveys import services
from surveys.admin_forms import QuestionAdminForm, options_to_text, text_to_options
from surveys.models import Answer, FreeTextAnswer, Question, Response, Wave
from surveys.viewsets import QuestionViewSet
from tests.surveys.factories import QuestionFactory, SurveyFactory, WaveFactory, staff_survey_wave

pytestmark = pytest.mark.django_db


def _question_form(data, instance=None):
    form_class = (
        ObjectList(QuestionViewSet.panels, base_form_class=QuestionAdminForm)
        .bind_to_model(Question)
        .get_form_class()
    )
    base = {
        "key": "q",
        "text": "A question",
        "help_text": "",
        "kind": "likert",
        "required": "on",
        "options": "",
        "page": 1,
        "order": 1,
    }
    return form_class(data={**base, **data}, instance=instance or Question())


# --- Options as lines -------------------------------------------------------------------------


def test_option_lines_become_value_label_pairs():
    assert text_to_options("place | Place\n\n  people|People  \nCorporate services\n") == [
        ["place", "Place"],
        ["people", "People"],
        ["corporate_services", "Corporate services"],
    ]
    assert options_to_text([["place", "Place"], ["people", "People"]]) == (
        "place | Place\npeople | People"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a | A\na | Again", "repeated: a"),
        ("bad value | Label", "may only have letters"),
        ("value |", "give a label"),
        (" | Label", "give a value"),
        ("x" * 61 + " | Label", "more than 60 characters"),
    ],
)
def test_bad_option_lines_are_explained(text, message):
    with pytest.raises(forms.ValidationError) as error:
        text_to_options(text)
    assert message in " ".join(error.value.messages)


# --- The question form ------------------------------------------------------------------------


def test_choice_question_saves_options_from_lines():
    wave = WaveFactory()
    form = _question_form(
        {"wave": wave.pk, "key": "directorate", "kind": "single", "options": "a | A\nb | B"}
    )
    assert form.is_valid(), form.errors
    question = form.save()
    assert question.options == [["a", "A"], ["b", "B"]]


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("single", "only | Only one", "at least two options"),
        ("multiple", "", "at least two options"),
        ("likert", "a | A\nb | B", "five-point scale"),
        ("ethnicity", "a | A\nb | B", "ONS 2021 Census classification"),
        ("free_text", "a | A\nb | B", "no options"),
    ],
)
def test_question_options_must_suit_the_kind(kind, options, message):
    form = _question_form({"wave": WaveFactory().pk, "kind": kind, "options": options})
    assert not form.is_valid()
    assert message in " ".join(form.errors["options"])
    # One clear message, not the model's as well.
    assert len(form.errors["options"]) == 1


def test_question_keys_are_unique_in_a_wave_but_shared_across_waves():
    wave = staff_survey_wave()
    form = _question_form({"wave": wave.pk, "key": "belonging"})
    assert not form.is_valid()
    assert "already has a question with the key" in form.errors["key"][0]
    other_wave = WaveFactory(survey=wave.survey, year=wave.year - 1)
    assert _question_form({"wave": other_wave.pk, "key": "belonging"}).is_valid()


def test_only_one_ethnicity_question_in_a_wave():
    wave = staff_survey_wave()
    form = _question_form({"wave": wave.pk, "key": "ethnic_group", "kind": "ethnicity"})
    assert not form.is_valid()
    assert "already has an ethnic group question" in form.errors["kind"][0]


def test_an_answered_question_keeps_its_meaning():
    wave = staff_survey_wave()
    question = wave.questions.get(key="directorate")
    response = Response.objects.create(wave=wave, submitted_on=timezone.localdate())
    Answer.objects.create(response=response, question=question, value="place")
    current = {"wave": wave.pk, "key": "directorate", "kind": "single", "text": "Directorate?"}

    relabelled = _question_form(
        {**current, "options": "place | Place and environment\npeople | People"},
        instance=question,
    )
    assert relabelled.is_valid(), relabelled.errors

    rekeyed = _question_form(
        {**current, "key": "department", "options": "place | Place\npeople | People"},
        instance=question,
    )
    assert not rekeyed.is_valid()
    assert "already has answers" in rekeyed.errors["key"][0]

    dropped = _question_form(
        {**current, "options": "people | People\nother | Other"}, instance=question
    )
    assert not dropped.is_valid()
    assert "place" in dropped.errors["options"][0]


def test_an_answered_free_text_question_keeps_its_kind():
    wave = staff_survey_wave()
    question = wave.questions.get(key="improve")
    FreeTextAnswer.objects.create(question=question, text="More flexible hours")
    form = _question_form({"wave": wave.pk, "key": "improve", "kind": "likert"}, instance=question)
    assert not form.is_valid()
    assert "already has answers" in form.errors["kind"][0]


# --- Waves ------------------------------------------------------------------------------------


def test_wave_closing_before_it_opens_is_refused(client, make_user, signed_in):
    signed_in(make_user(roles.INCLUSION_ANALYSTS))
    survey = SurveyFactory()
    today = timezone.localdate()
    response = client.post(
        "/admin/surveys_wave/new/",
        {
            "survey": survey.pk,
            "year": today.year,
            "opens_on": today.isoformat(),
            "closes_on": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "The wave must close on or after it opens." in response.content.decode()
    assert not Wave.objects.exists()

    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Wave.objects.create(
            survey=survey, year=today.year, opens_on=today, closes_on=today - timedelta(days=1)
        )


def test_one_wave_a_year(client, make_user, signed_in):
    signed_in(make_user(roles.INCLUSION_ANALYSTS))
    wave = WaveFactory()
    response = client.post(
        "/admin/surveys_wave/new/",
        {
            "survey": wave.survey_id,
            "year": wave.year,
            "opens_on": wave.opens_on.isoformat(),
            "closes_on": wave.closes_on.isoformat(),
        },
    )
    assert response.status_code == 200
    assert Wave.objects.count() == 1


# --- Copying a wave ---------------------------------------------------------------------------


def test_copying_the_previous_wave_keeps_keys_kinds_and_options():
    previous = staff_survey_wave(year=2025)
    wave = WaveFactory(survey=previous.survey, year=2026)
    services.wave_copy_questions(wave=wave, from_wave=previous)

    def design(w):
        return [
            (q.key, q.kind, q.text, q.required, q.options, q.page, q.order)
            for q in w.questions.order_by("page", "order")
        ]

    assert design(wave) == design(previous)
    assert not set(wave.questions.values_list("pk", flat=True)) & set(
        previous.questions.values_list("pk", flat=True)
    )
    with pytest.raises(ValidationError):
        services.wave_copy_questions(wave=wave, from_wave=previous)


def test_copy_skips_an_imported_wave_with_no_questions(client, make_user, signed_in):
    signed_in(make_user(roles.INCLUSION_ANALYSTS))
    with_questions = staff_survey_wave(year=2023)
    WaveFactory(survey=with_questions.survey, year=2024)  # e.g. imported counts only
    wave = WaveFactory(survey=with_questions.survey, year=2025)
    page = client.get(f"/admin/surveys/waves/{wave.pk}/questions/").content.decode()
    assert "Copy questions from the previous wave (2023)" in page


def test_no_copy_offered_for_a_first_wave(client, make_user, signed_in):
    signed_in(make_user(roles.INCLUSION_ANALYSTS))
    wave = WaveFactory()
    page = client.get(f"/admin/surveys/waves/{wave.pk}/questions/").content.decode()
    assert "Copy questions" not in page
    response = client.post(
        f"/admin/surveys/waves/{wave.pk}/questions/", {"action": "copy"}, follow=True
    )
    assert "no earlier wave" in response.content.decode()


# --- The board evaluation template ------------------------------------------------------------


def test_board_evaluation_template_has_its_four_questions():
    today = timezone.localdate()
    wave = services.board_evaluation_create(
        year=today.year, opens_on=today, closes_on=today + timedelta(days=28)
    )
    design = {q.key: (q.kind, q.required) for q in wave.questions.order_by("page", "order")}
    assert design == {
        "engagement_meaningful": (Question.Kind.LIKERT, True),
        "engagement_safe": (Question.Kind.LIKERT, True),
        "engagement_not_extractive": (Question.Kind.LIKERT, True),
        "engagement_better": (Question.Kind.FREE_TEXT, False),
    }
    assert wave.survey.kind == "board_evaluation"
    texts = " ".join(wave.questions.values_list("text", flat=True))
    for word in ("meaningful", "safe", "take more", "better"):
        assert word in texts
    # Next year's evaluation joins the same survey, with the same keys.
    next_wave = services.board_evaluation_create(
        year=today.year + 1, opens_on=today, closes_on=today + timedelta(days=28)
    )
    assert next_wave.survey_id == wave.survey_id
    assert set(next_wave.questions.values_list("key", flat=True)) == set(design)


def test_question_factory_default_is_a_valid_likert():
    question = QuestionFactory()
    question.full_clean()
