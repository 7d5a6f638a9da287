"""Surveys in the Wagtail admin: who may use it, the design flows, fixed query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms import roles
from surveys.models import Answer, InvitationBatch, Question, Response, Survey, Wave
from tests.surveys.factories import QuestionFactory, SurveyFactory, WaveFactory, staff_survey_wave

pytestmark = pytest.mark.django_db


def _questions_url(wave) -> str:
    return f"/admin/surveys/waves/{wave.pk}/questions/"


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_analyst_sees_the_surveys_menu(analyst_client):
    home = _page(analyst_client, "/admin/")
    assert "/admin/surveys_survey/" in home
    assert "/admin/surveys_wave/" in home
    assert "/admin/surveys/board-evaluation/new/" in home


def test_superuser_sees_the_surveys_menu(client, make_user, signed_in):
    signed_in(make_user(is_superuser=True, is_staff=True))
    assert "/admin/surveys_wave/" in _page(client, "/admin/")


@pytest.mark.parametrize("role", [roles.ENGAGEMENT_MANAGERS, roles.APPROVERS])
def test_other_staff_roles_see_no_surveys_menu(client, make_user, signed_in, role):
    signed_in(make_user(role))
    home = _page(client, "/admin/")
    assert "/admin/surveys_survey/" not in home
    assert "/admin/surveys/board-evaluation/new/" not in home


def test_analyst_designs_a_survey_from_scratch(analyst_client):
    response = analyst_client.post(
        "/admin/surveys_survey/new/",
        {"name": "Pulse survey", "slug": "pulse", "kind": "other", "description": ""},
    )
    assert response.status_code == 302
    survey = Survey.objects.get(slug="pulse")

    today = timezone.localdate()
    response = analyst_client.post(
        "/admin/surveys_wave/new/",
        {
            "survey": survey.pk,
            "year": today.year,
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=14)).isoformat(),
            "introduction": "Why we ask.",
        },
    )
    wave = Wave.objects.get(survey=survey)
    assert response.status_code == 302
    assert response.url == _questions_url(wave)

    response = analyst_client.post(
        "/admin/surveys_question/new/",
        {
            "wave": wave.pk,
            "key": "directorate",
            "kind": "single",
            "text": "Which directorate do you work in?",
            "help_text": "",
            "required": "on",
            "options": "place | Place\npeople | People\nCorporate services",
            "page": 1,
            "order": 1,
        },
    )
    assert response.status_code == 302
    assert response.url == _questions_url(wave)
    question = Question.objects.get(wave=wave, key="directorate")
    assert question.options == [
        ["place", "Place"],
        ["people", "People"],
        ["corporate_services", "Corporate services"],
    ]

    # The edit form shows the options as lines again, not as JSON.
    edit = _page(analyst_client, f"/admin/surveys_question/edit/{question.pk}/")
    assert "place | Place\npeople | People\ncorporate_services | Corporate services" in edit
    assert "[[&quot;place" not in edit
    assert '[["place"' not in edit

    page = _page(analyst_client, _questions_url(wave))
    assert "Which directorate do you work in?" in page
    assert "Corporate services (corporate_services)" in page

    # The wave's edit form lists its questions beneath it.
    assert "Which directorate do you work in?" in _page(
        analyst_client, f"/admin/surveys_wave/edit/{wave.pk}/"
    )


def test_wave_listing_filters_by_survey(analyst_client):
    first = WaveFactory(survey=SurveyFactory(name="Staff survey"), year=2024)
    WaveFactory(survey=SurveyFactory(name="Residents survey", slug="residents"), year=2023)
    listing = _page(analyst_client, f"/admin/surveys_wave/?survey={first.survey_id}")
    assert "Staff survey 2024" in listing
    assert "Residents survey 2023" not in listing


def test_ethnicity_question_shows_the_ons_classification(analyst_client):
    wave = staff_survey_wave()
    page = _page(analyst_client, _questions_url(wave))
    assert "ONS 2021 Census classification" in page
    assert "Gypsy or Irish Traveller" in page
    form = _page(analyst_client, f"/admin/surveys_question/new/?wave={wave.pk}")
    assert "ONS 2021 Census classification" in form


def test_copy_questions_from_the_previous_wave(analyst_client):
    last_year = staff_survey_wave(year=2025)
    wave = WaveFactory(survey=last_year.survey, year=2026)
    page = _page(analyst_client, _questions_url(wave))
    assert "Copy questions from the previous wave (2025)" in page

    response = analyst_client.post(_questions_url(wave), {"action": "copy"}, follow=True)
    assert "Copied 5 questions from the 2025 wave" in response.content.decode()
    assert sorted(wave.questions.values_list("key", flat=True)) == sorted(
        last_year.questions.values_list("key", flat=True)
    )
    # A second copy is refused with a message, not an error page.
    response = analyst_client.post(_questions_url(wave), {"action": "copy"}, follow=True)
    assert response.status_code == 200
    assert "already has questions" in response.content.decode()
    assert wave.questions.count() == 5


def test_reorder_questions(analyst_client):
    wave = WaveFactory()
    first = QuestionFactory(wave=wave, key="a", page=1, order=1)
    second = QuestionFactory(wave=wave, key="b", page=1, order=2)
    third = QuestionFactory(wave=wave, key="c", page=2, order=1)

    def keys():
        return [(q.key, q.page) for q in wave.questions.order_by("page", "order", "pk")]

    analyst_client.post(_questions_url(wave), {"action": "down", "question": first.pk})
    assert keys() == [("b", 1), ("a", 1), ("c", 2)]
    # At the end of a page, down moves it to the start of the next page.
    analyst_client.post(_questions_url(wave), {"action": "down", "question": first.pk})
    assert keys() == [("b", 1), ("a", 2), ("c", 2)]
    analyst_client.post(_questions_url(wave), {"action": "up", "question": third.pk})
    assert keys() == [("b", 1), ("c", 2), ("a", 2)]
    # Nothing above the first question.
    analyst_client.post(_questions_url(wave), {"action": "up", "question": second.pk})
    assert keys() == [("b", 1), ("c", 2), ("a", 2)]


def test_create_this_years_board_evaluation(analyst_client):
    today = timezone.localdate()
    form = _page(analyst_client, "/admin/surveys/board-evaluation/new/")
    assert "What would make taking part better?" in form
    data = {
        "year": today.year,
        "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=28)).isoformat(),
    }
    response = analyst_client.post("/admin/surveys/board-evaluation/new/", data)
    wave = Wave.objects.get(survey__slug="board-evaluation", year=today.year)
    assert response.status_code == 302
    assert response.url == _questions_url(wave)
    assert wave.questions.count() == 4

    again = analyst_client.post("/admin/surveys/board-evaluation/new/", data)
    assert again.status_code == 200
    assert f"There is already a board evaluation for {today.year}" in again.content.decode()
    assert Wave.objects.filter(survey__slug="board-evaluation").count() == 1


def test_delete_keeps_anything_with_results(analyst_client):
    wave = staff_survey_wave()
    unanswered = wave.questions.get(key="belonging")
    answered = wave.questions.get(key="equal_opportunity")
    response = Response.objects.create(wave=wave, submitted_on=timezone.localdate())
    Answer.objects.create(response=response, question=answered, value="4")

    refused = analyst_client.post(f"/admin/surveys_question/delete/{answered.pk}/", follow=True)
    assert "cannot be deleted" in refused.content.decode()
    assert Question.objects.filter(pk=answered.pk).exists()
    refused = analyst_client.post(f"/admin/surveys_wave/delete/{wave.pk}/", follow=True)
    assert "cannot be deleted" in refused.content.decode()
    refused = analyst_client.post(f"/admin/surveys_survey/delete/{wave.survey_id}/", follow=True)
    assert "cannot be deleted" in refused.content.decode()
    assert Wave.objects.filter(pk=wave.pk).exists()

    deleted = analyst_client.post(f"/admin/surveys_question/delete/{unanswered.pk}/")
    assert deleted.status_code == 302
    assert deleted.url == _questions_url(wave)
    assert not Question.objects.filter(pk=unanswered.pk).exists()


def _urls(wave, batch) -> list[str]:
    return [
        "/admin/surveys_survey/",
        f"/admin/surveys_survey/edit/{wave.survey_id}/",
        "/admin/surveys_wave/",
        f"/admin/surveys_wave/edit/{wave.pk}/",
        "/admin/surveys_question/",
        _questions_url(wave),
        f"/admin/surveys/waves/{wave.pk}/invitations/",
        f"/admin/surveys/waves/{wave.pk}/reminders/",
        f"/admin/surveys/invitation-batches/{batch.pk}/",
        "/admin/surveys/board-evaluation/new/",
    ]


@pytest.mark.parametrize("role", [roles.BOARD_MEMBERS, roles.APPROVERS, roles.ENGAGEMENT_MANAGERS])
def test_other_roles_are_refused(client, make_user, signed_in, role):
    signed_in(make_user(role))
    wave = staff_survey_wave()
    batch = InvitationBatch.objects.create(wave=wave, total=1, pending_emails=["a@example.org"])
    for url in _urls(wave, batch):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert not response.url.startswith("/admin/surveys"), url
    today = timezone.localdate()
    posts = [
        ("/admin/surveys_survey/new/", {"name": "X", "slug": "x", "kind": "other"}),
        (_questions_url(wave), {"action": "down", "question": wave.questions.first().pk}),
        (f"/admin/surveys/waves/{wave.pk}/invitations/", {"emails": "new@example.org"}),
        (f"/admin/surveys/waves/{wave.pk}/reminders/", {"confirm": "yes"}),
        (
            "/admin/surveys/board-evaluation/new/",
            {"year": today.year, "opens_on": today, "closes_on": today},
        ),
    ]
    order = list(wave.questions.values_list("pk", "order"))
    for url, data in posts:
        assert client.post(url, data).status_code in (302, 403), url
    assert not Survey.objects.filter(slug__in=["x", "board-evaluation"]).exists()
    assert InvitationBatch.objects.count() == 1
    assert list(wave.questions.values_list("pk", "order")) == order


def test_analyst_can_open_every_survey_page(analyst_client):
    wave = staff_survey_wave()
    batch = InvitationBatch.objects.create(wave=wave, total=1, pending_emails=["a@example.org"])
    for url in _urls(wave, batch):
        _page(analyst_client, url)


def _count_queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def _add_rows(count: int, start: int, wave: Wave) -> None:
    for index in range(start, start + count):
        survey = SurveyFactory(name=f"Survey {index}", slug=f"survey-{index}")
        WaveFactory(survey=survey, year=2000 + index)
        QuestionFactory(wave=wave, key=f"extra_{index}", page=2, order=index)
        InvitationBatch.objects.create(wave=wave, total=index, created_by=None)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/surveys_survey/",
        "/admin/surveys_wave/",
        "/admin/surveys_question/",
        "/admin/surveys_question/?wave={wave}",
        "/admin/surveys/waves/{wave}/questions/",
        "/admin/surveys/waves/{wave}/invitations/",
    ],
)
def test_listings_keep_a_fixed_number_of_queries(analyst_client, url):
    wave = staff_survey_wave()
    url = url.format(wave=wave.pk)
    _add_rows(5, 0, wave)
    small = _count_queries(analyst_client, url)
    _add_rows(45, 5, wave)
    large = _count_queries(analyst_client, url)
    assert small == large
