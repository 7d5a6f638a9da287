"""Answer checking and design services for surveys."""

import pytest

from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from surveys import services
from surveys.models import PendingResponse, Question, SurveyInvitation
from surveys.tokens import hash_token
from tests.surveys.factories import QuestionFactory, WaveFactory, invite, staff_survey_wave

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


# --- Submitting with what the taking view has already loaded ------------------------------------

SUBMITTED = {"equal_opportunity": "4", "ethnicity": "asian_indian", "improve": "Fairer panels"}


def test_submit_with_the_loaded_link_reads_nothing_again():
    wave = staff_survey_wave()
    token = invite(wave, "a@example.org")
    invitation = SurveyInvitation.objects.select_related("wave__survey").get(
        token_hash=hash_token(token)
    )
    questions = list(wave.questions.all())

    with CaptureQueriesContext(connection) as queries:
        services.response_submit(
            token=token, answers=SUBMITTED, invitation=invitation, questions=questions
        )

    # The claim, the sealed response, and one read of what waits to see if a batch is complete.
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert [s for s in statements if s not in ("SAVEPOINT", "RELEASE")] == [
        "UPDATE",
        "INSERT",
        "SELECT",
    ]
    assert PendingResponse.objects.filter(wave=wave).count() == 1


def test_a_stale_loaded_link_cannot_store_twice():

    wave = staff_survey_wave()
    token = invite(wave, "a@example.org")
    loaded = SurveyInvitation.objects.get(token_hash=hash_token(token))
    services.response_submit(token=token, answers=SUBMITTED)

    with pytest.raises(services.SubmissionError) as refused:
        services.response_submit(token=token, answers=SUBMITTED, invitation=loaded)
    assert refused.value.reason == "used"
    assert PendingResponse.objects.filter(wave=wave).count() == 1


def test_a_loaded_link_for_another_token_is_not_trusted():

    wave = staff_survey_wave()
    mine, theirs = invite(wave, "a@example.org"), invite(wave, "b@example.org")
    their_invitation = SurveyInvitation.objects.get(token_hash=hash_token(theirs))

    services.response_submit(token=mine, answers=SUBMITTED, invitation=their_invitation)

    assert SurveyInvitation.objects.get(token_hash=hash_token(mine)).used is True
    assert SurveyInvitation.objects.get(token_hash=hash_token(theirs)).used is False
    assert PendingResponse.objects.filter(wave=wave).count() == 1
