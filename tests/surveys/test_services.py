"""Answer checking and design services for surveys."""

import pytest

from django.core.exceptions import ValidationError

from surveys import services
from surveys.models import Question
from tests.surveys.factories import QuestionFactory, WaveFactory, staff_survey_wave

pytestmark = pytest.mark.django_db


def test_clean_answers_accepts_valid_codes():
    wave = staff_survey_wave()
    cleaned = services.clean_answers(
        wave=wave,
        data={
            "equal_opportunity": "4",
            "directorate": "place",
            "improve": "  More flexible hours  ",
            "ethnicity": "black_african",
        },
    )
    assert cleaned == {
        "equal_opportunity": "4",
        "directorate": "place",
        "improve": "More flexible hours",
        "ethnicity": "black_african",
    }


@pytest.mark.parametrize(
    ("data", "bad_key"),
    [
        ({"ethnicity": "black_african"}, "equal_opportunity"),
        ({"equal_opportunity": "9", "ethnicity": "black_african"}, "equal_opportunity"),
        ({"equal_opportunity": "4", "ethnicity": "martian"}, "ethnicity"),
        (
            {"equal_opportunity": "4", "ethnicity": "asian_indian", "directorate": "x"},
            "directorate",
        ),
        ({"equal_opportunity": ["4"], "ethnicity": "asian_indian"}, "equal_opportunity"),
        ({"equal_opportunity": "4", "ethnicity": "asian_indian", "improve": "x" * 5001}, "improve"),
    ],
)
def test_clean_answers_refuses_bad_input(data, bad_key):
    with pytest.raises(ValidationError) as error:
        services.clean_answers(wave=staff_survey_wave(), data=data)
    assert bad_key in error.value.message_dict


def test_multiple_choice():
    wave = WaveFactory()
    QuestionFactory(
        wave=wave,
        key="training",
        kind=Question.Kind.MULTIPLE,
        options=[["a", "Anti-racism"], ["b", "Bystander"], ["c", "Other"]],
    )
    assert services.clean_answers(wave=wave, data={"training": ["a", "c", "a"]}) == {
        "training": ["a", "c"]
    }
    with pytest.raises(ValidationError):
        services.clean_answers(wave=wave, data={"training": ["z"]})
    with pytest.raises(ValidationError):
        services.clean_answers(wave=wave, data={})


def test_parse_email_list():
    valid, invalid = services.parse_email_list(
        "a@example.org\nB@Example.org; c@example.org, a@example.org\n"
        "not-an-email\n\n<d@example.org>"
    )
    assert valid == ["a@example.org", "b@example.org", "c@example.org", "d@example.org"]
    assert invalid == ["not-an-email"]


def test_question_options_are_validated():
    wave = WaveFactory()
    for options in ([], [["a", "A"]], [["a", "A"], ["a", "B"]], [["a"], ["b", "B"]], "text"):
        question = Question(
            wave=wave, key="k", text="t", kind=Question.Kind.SINGLE, options=options
        )
        with pytest.raises(ValidationError):
            question.full_clean()
    with pytest.raises(ValidationError):
        Question(
            wave=wave,
            key="k",
            text="t",
            kind=Question.Kind.LIKERT,
            options=[["a", "A"], ["b", "B"]],
        ).full_clean()
