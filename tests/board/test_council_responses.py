"""Council responses: reasons are required where the council says no, and only an Approver's
approval in the Wagtail workflow makes a response public."""

from __future__ import annotations

import pytest

from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from wagtail.models import WorkflowState

from board import services
from board.models import CouncilResponse, Recommendation
from cms import roles
from tests.board.factories import CouncilResponseFactory, RecommendationFactory
from tests.conftest import enrol_totp, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXPLANATION_FIELDS = ("reasons", "alternatives_explored", "next_steps")


@pytest.mark.parametrize(
    "outcome", [CouncilResponse.Outcome.NOT_ACCEPTED, CouncilResponse.Outcome.PARTLY_ACCEPTED]
)
@pytest.mark.parametrize("missing", EXPLANATION_FIELDS)
def test_no_or_partly_needs_reasons_alternatives_and_next_steps(outcome, missing):
    response = CouncilResponseFactory.build(
        recommendation=RecommendationFactory(),
        outcome=outcome,
        reasons="The law does not allow it.",
        alternatives_explored="Training instead.",
        next_steps="Review in six months.",
    )
    setattr(response, missing, "   ")
    with pytest.raises(ValidationError) as error:
        response.full_clean()
    assert set(error.value.message_dict) == {missing}


def test_complete_not_accepted_response_is_valid():
    response = CouncilResponseFactory.build(
        recommendation=RecommendationFactory(),
        outcome=CouncilResponse.Outcome.NOT_ACCEPTED,
        reasons="The law does not allow it.",
        alternatives_explored="Training instead.",
        next_steps="Review in six months.",
    )
    response.full_clean()


def test_deferred_needs_a_review_date():
    response = CouncilResponseFactory.build(
        recommendation=RecommendationFactory(), outcome=CouncilResponse.Outcome.DEFERRED
    )
    with pytest.raises(ValidationError) as error:
        response.full_clean()
    assert "review_date" in error.value.message_dict


def test_accepted_needs_no_reasons():
    CouncilResponseFactory.build(
        recommendation=RecommendationFactory(), outcome=CouncilResponse.Outcome.ACCEPTED
    ).full_clean()


def _staff_client(user) -> Client:
    client = Client()
    enrol_totp(user)
    sign_in(client, user)
    return client


@pytest.fixture
def acknowledged(make_user, run_on_commit):
    manager = make_user(roles.ENGAGEMENT_MANAGERS)
    recommendation = RecommendationFactory()
    services.recommendation_acknowledge(recommendation=recommendation, by=manager)
    mail.outbox.clear()
    return recommendation, manager


def _form_data(recommendation, **overrides):
    data = {
        "recommendation": recommendation.pk,
        "outcome": CouncilResponse.Outcome.NOT_ACCEPTED,
        "response": "We cannot do this, but we will do something close to it.",
        "reasons": "",
        "alternatives_explored": "",
        "next_steps": "",
        "review_date": "",
    }
    data.update(overrides)
    return data


ADD_URL = "/admin/snippets/board/councilresponse/add/"


def test_admin_refuses_a_not_accepted_response_without_reasons(acknowledged):
    recommendation, manager = acknowledged
    client = _staff_client(manager)
    page = client.get(f"{ADD_URL}?recommendation={recommendation.pk}")
    assert page.status_code == 200
    assert page.context["form"].initial["recommendation"] == recommendation.pk

    response = client.post(ADD_URL, _form_data(recommendation))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(EXPLANATION_FIELDS) <= set(errors)
    assert not CouncilResponse.objects.exists()
    # Saving as a draft is refused just the same.
    response = client.post(ADD_URL, {**_form_data(recommendation), "action-submit": "Submit"})
    assert not CouncilResponse.objects.exists()


def test_response_goes_public_only_after_an_approver_approves(acknowledged, you_said_page):
    recommendation, manager = acknowledged
    manager_client = _staff_client(manager)
    data = _form_data(
        recommendation,
        reasons="Funding covers three towns this year.",
        alternatives_explored="A phone line for the smaller towns.",
        next_steps="Review with the board in six months.",
    )
    response = manager_client.post(ADD_URL, {**data, "action-submit": "Submit"})
    assert response.status_code == 302, response.context["form"].errors
    council_response = CouncilResponse.objects.get()
    assert not council_response.live
    state = WorkflowState.objects.get(
        base_content_type__model="councilresponse", object_id=str(council_response.pk)
    )
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.RESPONSE_DRAFTED

    # Not public yet: page, detail, CSV, JSON.
    public = Client()
    listing = public.get(you_said_page.url).content.decode()
    assert recommendation.title not in listing
    assert public.get(f"{you_said_page.url}{recommendation.reference}/").status_code == 404
    csv_body = public.get(f"{you_said_page.url}open-data/csv/").content.decode()
    assert recommendation.reference not in csv_body
    assert public.get(f"{you_said_page.url}open-data/json/").json() == {"recommendations": []}

    # The engagement manager cannot publish it themselves.
    edit_url = f"/admin/snippets/board/councilresponse/edit/{council_response.pk}/"
    manager_client.post(edit_url, {**data, "action-publish": "Publish"})
    council_response.refresh_from_db()
    assert not council_response.live

    # An approver approves it in the workflow: it is published and the author is told.
    approver_user = UserFactory(roles=[roles.APPROVERS])
    approver = _staff_client(approver_user)
    state.refresh_from_db()
    task_state = state.current_task_state
    approve_url = reverse(
        "wagtailsnippets_board_councilresponse:workflow_action",
        args=[council_response.pk, "approve", task_state.pk],
    )
    result = approver.post(approve_url, {"comment": "Agreed with the service lead."})
    assert result.status_code in (200, 302)
    council_response.refresh_from_db()
    assert council_response.live
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.PUBLISHED
    assert recommendation.published_at is not None
    to_author = [m for m in mail.outbox if m.to == [recommendation.author.email]]
    assert len(to_author) == 1
    assert to_author[0].subject.startswith("The council has answered your recommendation")
    assert "Outcome: Not accepted" in to_author[0].body

    listing = public.get(you_said_page.url).content.decode()
    assert recommendation.title in listing
    detail = public.get(f"{you_said_page.url}{recommendation.reference}/").content.decode()
    assert "Funding covers three towns this year." in detail
    assert "A phone line for the smaller towns." in detail
    assert "Review with the board in six months." in detail


def test_status_changes_are_in_the_audit_log(acknowledged):
    from wagtail.models import ModelLogEntry

    recommendation, _manager = acknowledged
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(recommendation.pk))
        .order_by("timestamp")
        .values_list("action", "data")
    )
    assert ("board.recommendation.status", {"from": "received", "to": "acknowledged"}) in actions
