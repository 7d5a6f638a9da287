"""Separation of duties: no one person puts changed text live or takes a public answer down.

Every route Wagtail offers on a council response is tried as every role (a visitor, a board
member, an engagement manager who did not write it, an approver, an inclusion analyst and a
superuser): the editor (GET, and POST with changed text and each action), the workflow's
approve and request-changes actions, cancelling the workflow, unpublishing, deleting (one and
in bulk), reverting a revision and comparing revisions. Each test checks what the person got,
that the text and what is public did not change (or changed exactly as allowed), and what the
audit log says about who did it. The positive path, from the manager's draft to the public
page, is tested end to end.
"""

from __future__ import annotations

import pytest

from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from wagtail.models import ModelLogEntry, TaskState, Workflow, WorkflowState

from board import services
from board.models import CouncilResponse, Recommendation
from board.models import recommendations as rules
from cms import roles
from tests.board.factories import CouncilResponseFactory, RecommendationFactory
from tests.conftest import enrol_totp, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("anon", "member", "manager", "approver", "analyst", "superuser")
GROUPS = {
    "member": roles.BOARD_MEMBERS,
    "manager": roles.ENGAGEMENT_MANAGERS,
    "approver": roles.APPROVERS,
    "analyst": roles.INCLUSION_ANALYSTS,
}
ORIGINAL = "We will rewrite our standard letters in plain English."
PUBLISHED = "We have rewritten the council tax letters."
CHANGED = "CHANGED BY SOMEONE ELSE: we will do nothing."
CR = "/admin/snippets/board/councilresponse"
WRITES = (
    "wagtail.edit",
    "wagtail.publish",
    "wagtail.unpublish",
    "wagtail.delete",
    "wagtail.revert",
    "wagtail.workflow.start",
    "wagtail.workflow.approve",
    "wagtail.workflow.reject",
    "wagtail.workflow.cancel",
    rules.OVERRIDE,
    *rules.WITHDRAWAL_ACTIONS,
)


def staff_client(user) -> Client:
    client = Client()
    if user.groups.exclude(name=roles.BOARD_MEMBERS).exists() or user.is_superuser:
        enrol_totp(user)
    sign_in(client, user)
    return client


def person(role: str):
    """(client, user) signed in as a new person in ``role``; a visitor has no user."""
    if role == "anon":
        return Client(), None
    if role == "superuser":
        user = UserFactory(is_superuser=True)
    else:
        user = UserFactory(roles=[GROUPS[role]])
    return staff_client(user), user


def submitted(writer, *, text=ORIGINAL) -> CouncilResponse:
    """A response written by ``writer`` and submitted by them for approval: in review."""
    response = CouncilResponseFactory(response=text)
    response.save_revision(user=writer)
    Workflow.objects.get(name="Council response approval").start(response, writer)
    response.refresh_from_db()
    return response


def published(writer, approver, *, text=PUBLISHED) -> CouncilResponse:
    """A response that went through the workflow: written by one person, approved by another."""
    response = submitted(writer, text=text)
    response.current_workflow_task_state.approve(user=approver)
    response.refresh_from_db()
    assert response.live
    return response


def draft(writer, *, text=ORIGINAL) -> CouncilResponse:
    response = CouncilResponseFactory(response=text)
    response.save_revision(user=writer)
    response.refresh_from_db()
    return response


@pytest.fixture
def writer(db):
    return UserFactory(roles=[roles.ENGAGEMENT_MANAGERS])


@pytest.fixture
def first_approver(db):
    return UserFactory(roles=[roles.APPROVERS])


def state(response) -> dict:
    """Everything a change could touch: the text (live row and latest revision), what is
    public, the revisions and the workflow."""
    response = CouncilResponse.objects.filter(pk=response.pk).first()
    if response is None:
        return {"deleted": True}
    latest = response.get_latest_revision()
    workflow = WorkflowState.objects.filter(
        base_content_type__model="councilresponse", object_id=str(response.pk)
    )
    return {
        "live": response.live,
        "row_text": response.response,
        "latest_text": latest.content["response"] if latest else None,
        "revisions": response.revisions.count(),
        "live_revision": response.live_revision_id,
        "workflow": sorted(workflow.values_list("pk", "status")),
        "public": sorted(Recommendation.objects.published().values_list("reference", flat=True)),
    }


def writes_by(user, response) -> list[str]:
    if user is None:
        return []
    return list(
        ModelLogEntry.objects.for_instance(response)
        .filter(user=user, action__in=WRITES)
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )


def form(obj, **overrides) -> dict:
    data = {
        "recommendation": obj.recommendation_id,
        "outcome": CouncilResponse.Outcome.ACCEPTED,
        "response": CHANGED,
        "reasons": "",
        "alternatives_explored": "",
        "next_steps": "",
        "review_date": "",
    }
    data.update(overrides)
    return data


def is_denied(result) -> bool:
    """A 403, or Wagtail's form of it: sent to the dashboard with "no permission"."""
    return result.status_code == 403 or (
        result.status_code == 302 and result["Location"] == "/admin/"
    )


def is_refused(result, role) -> bool:
    """Refused: a visitor or member sent to sign in, anyone else refused (403) or sent back
    with an error message."""
    if result.status_code == 403:
        return True
    if result.status_code != 302:
        return False
    if role in ("anon", "member"):
        return "/login/" in result["Location"]
    return True


# --- The editor, while the response waits for approval ------------------------------------------

EDIT_ACTIONS = {
    "save": {},
    "publish": {"action-publish": "Publish"},
    "submit": {"action-submit": "Submit"},
    "approve from the form": {
        "action-workflow-action": "true",
        "workflow-action-name": "approve",
    },
    "cancel the workflow": {"action-cancel-workflow": "Cancel"},
}


@pytest.mark.parametrize("role", ROLES)
def test_no_one_changes_or_publishes_a_response_in_review_from_the_editor(
    role, writer, you_said_page
):
    response = submitted(writer)
    before = state(response)
    client, user = person(role)

    page = client.get(f"{CR}/edit/{response.pk}/")
    if role in ("approver", "superuser"):
        # Reviewers read the text on the review page, never in an editor.
        assert page.status_code == 302
        assert page["Location"] == f"{CR}/inspect/{response.pk}/"
    elif role == "manager":
        assert page.status_code == 200  # Wagtail's editor, locked while in review
        assert b'name="action-publish"' not in page.content
    else:
        assert is_refused(page, role)

    for action, extra in EDIT_ACTIONS.items():
        if role == "superuser" and action == "cancel the workflow":
            continue  # a superuser may take it out of review: tested below
        result = client.post(f"{CR}/edit/{response.pk}/", {**form(response), **extra})
        assert is_refused(result, role), (role, action, result.status_code)
        assert state(response) == before, (role, action)
    assert writes_by(user, response) == []
    assert response.recommendation.title not in Client().get(you_said_page.url).content.decode()


@pytest.mark.parametrize("role", ["manager", "approver", "analyst"])
def test_only_the_submitter_or_a_superuser_takes_a_response_out_of_review(role, writer):
    response = submitted(writer)
    before = state(response)
    client, user = person(role)
    client.post(f"{CR}/edit/{response.pk}/", {**form(response), "action-cancel-workflow": "x"})
    assert state(response) == before
    assert writes_by(user, response) == []


@pytest.mark.parametrize("who", ["submitter", "superuser"])
def test_the_submitter_or_a_superuser_may_cancel_the_review(who, writer):
    response = submitted(writer)
    user = writer if who == "submitter" else UserFactory(is_superuser=True)
    client = staff_client(user)
    client.post(f"{CR}/edit/{response.pk}/", {**form(response), "action-cancel-workflow": "x"})
    after = state(response)
    assert [status for _pk, status in after["workflow"]] == [WorkflowState.STATUS_CANCELLED]
    # Cancelling changes no text and publishes nothing.
    assert (after["live"], after["latest_text"], after["public"]) == (False, ORIGINAL, [])
    submitted_by_them = ["wagtail.workflow.start"] if who == "submitter" else []
    assert writes_by(user, response) == [*submitted_by_them, "wagtail.workflow.cancel"]


# --- The editor, on a draft not in review ---------------------------------------------------------


@pytest.mark.parametrize("role", ["anon", "member", "approver", "analyst"])
def test_only_writers_save_a_draft(role, writer):
    response = draft(writer)
    before = state(response)
    client, user = person(role)
    for action, extra in EDIT_ACTIONS.items():
        result = client.post(f"{CR}/edit/{response.pk}/", {**form(response), **extra})
        assert is_refused(result, role), (role, action)
        if role == "approver":
            assert is_denied(result)
        assert state(response) == before, (role, action)
    assert writes_by(user, response) == []


def test_a_manager_saves_and_submits_but_cannot_publish(writer):
    response = draft(writer)
    client, manager = person("manager")
    edit = f"{CR}/edit/{response.pk}/"

    before = state(response)
    result = client.post(edit, {**form(response), "action-publish": "Publish"})
    assert result.status_code == 302
    assert state(response) == before  # refused outright: not even saved as a draft

    client.post(edit, form(response))
    saved = state(response)
    assert (saved["latest_text"], saved["live"], saved["public"]) == (CHANGED, False, [])

    client.post(edit, {**form(response), "action-submit": "Submit"})
    response.refresh_from_db()
    assert response.workflow_in_progress and not response.live
    assert writes_by(manager, response) == [
        "wagtail.edit",
        "wagtail.edit",
        "wagtail.workflow.start",
    ]


def test_a_manager_who_is_also_an_approver_cannot_publish_from_the_form(writer):
    both = UserFactory(roles=[roles.ENGAGEMENT_MANAGERS, roles.APPROVERS])
    client = staff_client(both)
    response = draft(writer)
    before = state(response)
    client.post(f"{CR}/edit/{response.pk}/", {**form(response), "action-publish": "Publish"})
    assert state(response) == before
    recommendation = RecommendationFactory(status=Recommendation.Status.ACKNOWLEDGED)
    client.post(
        f"{CR}/add/",
        {**form(response), "recommendation": recommendation.pk, "action-publish": "Publish"},
    )
    assert not CouncilResponse.objects.filter(recommendation=recommendation).exists()


def test_a_superuser_publishing_alone_is_recorded_as_an_override(writer, you_said_page):
    response = draft(writer)
    admin = UserFactory(is_superuser=True)
    client = staff_client(admin)
    page = client.get(f"{CR}/edit/{response.pk}/")
    assert b"Publish (superuser override)" in page.content

    client.post(f"{CR}/edit/{response.pk}/", {**form(response), "action-publish": "Publish"})
    response.refresh_from_db()
    assert response.live and response.response == CHANGED
    override = ModelLogEntry.objects.for_instance(response).get(action=rules.OVERRIDE)
    assert override.user == admin
    assert override.label.startswith("Override: ")
    assert override.data["override"] == "published without an approver's approval"
    history = client.get(f"{CR}/history/{response.pk}/").content.decode()
    assert "Superuser override" in history
    # The review page shows it too.
    review = client.get(f"{CR}/inspect/{response.pk}/").content.decode()
    assert "Superuser overrides" in review


# --- Approving and asking for changes -------------------------------------------------------------


def action_url(response, action: str, task_state_id: int | None = None) -> str:
    task_state_id = task_state_id or response.current_workflow_task_state.pk
    return reverse(
        "wagtailsnippets_board_councilresponse:workflow_action",
        args=[response.pk, action, task_state_id],
    )


@pytest.mark.parametrize("role", ["anon", "member", "manager", "analyst"])
def test_only_approvers_decide(role, writer):
    response = submitted(writer)
    before = state(response)
    client, user = person(role)
    for action in ("approve", "reject"):
        result = client.post(action_url(response, action), {"comment": "Fine by me."})
        assert is_refused(result, role)
        if role in ("manager", "analyst"):
            assert is_denied(result)
    assert state(response) == before
    assert writes_by(user, response) == []


@pytest.mark.parametrize("role", ["approver", "superuser"])
def test_an_approver_approves_the_text_as_written(role, writer, you_said_page):
    response = submitted(writer)
    client, user = person(role)
    result = client.post(action_url(response, "approve"), {"comment": "Agreed."})
    assert result.status_code == 302
    after = state(response)
    assert after["live"] and after["row_text"] == ORIGINAL
    assert after["public"] == [response.recommendation.reference]
    assert writes_by(user, response) == ["wagtail.workflow.approve", "wagtail.publish"]
    assert writes_by(writer, response) == ["wagtail.workflow.start"]
    assert not ModelLogEntry.objects.for_instance(response).filter(action=rules.OVERRIDE).exists()


def test_asking_for_changes_needs_a_comment_and_publishes_nothing(writer):
    response = submitted(writer)
    client, approver = person("approver")
    before = state(response)
    client.post(action_url(response, "reject"), {"comment": "  "})
    assert state(response) == before

    client.post(action_url(response, "reject"), {"comment": "Say when the letters change."})
    after = state(response)
    assert [status for _pk, status in after["workflow"]] == [WorkflowState.STATUS_NEEDS_CHANGES]
    assert (after["live"], after["latest_text"]) == (False, ORIGINAL)
    assert writes_by(approver, response) == ["wagtail.workflow.reject"]
    assert TaskState.objects.get(status="rejected").comment == "Say when the letters change."


def test_no_one_approves_their_own_text(writer):
    both = UserFactory(roles=[roles.ENGAGEMENT_MANAGERS, roles.APPROVERS])
    response = submitted(both)
    client = staff_client(both)
    before = state(response)
    client.post(action_url(response, "approve"), {"comment": ""})
    assert state(response) == before
    review = client.get(f"{CR}/inspect/{response.pk}/").content.decode()
    assert "another approver must approve it" in review
    assert writes_by(both, response) == ["wagtail.workflow.start"]


def test_a_superuser_approving_their_own_text_is_an_override():
    admin = UserFactory(is_superuser=True)
    response = submitted(admin)
    staff_client(admin).post(action_url(response, "approve"), {"comment": ""})
    response.refresh_from_db()
    assert response.live
    override = ModelLogEntry.objects.for_instance(response).get(action=rules.OVERRIDE)
    assert (override.user, override.data["override"]) == (admin, "approved their own text")


def test_text_changed_after_submission_is_not_approved(writer, first_approver):
    response = submitted(writer)
    # Someone writes a new revision behind the workflow's back (the editor refuses this; a
    # script or a future route might not): what would be published is not what was submitted.
    changed = response.get_latest_revision().as_object()
    changed.response = CHANGED
    changed.save_revision(user=UserFactory(is_superuser=True))
    before = state(response)
    staff_client(first_approver).post(action_url(response, "approve"), {"comment": ""})
    assert state(response) == before
    assert not CouncilResponse.objects.get(pk=response.pk).live


def test_an_approval_is_for_this_response_s_own_task(writer, first_approver):
    mine = submitted(writer)
    other = submitted(writer, text="Another answer.")
    client = staff_client(first_approver)
    before = state(mine), state(other)
    # Wagtail acts on any task state the URL names; here it must be this response's.
    client.post(action_url(mine, "approve", other.current_workflow_task_state.pk), {})
    assert (state(mine), state(other)) == before


# --- Taking an answer down ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_no_one_unpublishes_an_answer_alone(role, writer, first_approver, you_said_page):
    response = published(writer, first_approver)
    before = state(response)
    client, user = person(role)
    url = f"{CR}/unpublish/{response.pk}/"
    page = client.get(url)
    if role in ("manager", "approver", "superuser"):
        assert page.status_code == 200
        assert b"two people agree" in page.content
    else:
        assert is_refused(page, role)
    # Wagtail's own unpublish is a bare POST: it no longer takes anything down.
    client.post(url, {})
    client.post(url, {"action": "decide", "decide-decision": "agree"})  # nothing was asked
    assert state(response) == before
    assert response.recommendation.reference in Client().get(you_said_page.url).content.decode()
    assert writes_by(user, response) == []


@pytest.mark.parametrize("role", ["approver", "analyst"])
def test_only_writers_ask_for_a_withdrawal(role, writer, first_approver):
    response = published(writer, first_approver)
    client, user = person(role)
    client.post(
        f"{CR}/unpublish/{response.pk}/", {"action": "request", "request-reason": "Out of date."}
    )
    assert response.withdrawal_request() is None
    assert writes_by(user, response) == []


def test_a_withdrawal_needs_a_second_person(writer, first_approver, you_said_page):
    response = published(writer, first_approver)
    recommendation = response.recommendation
    url = f"{CR}/unpublish/{response.pk}/"
    manager_client, manager = person("manager")

    manager_client.post(url, {"action": "request", "request-reason": ""})
    assert response.withdrawal_request() is None
    manager_client.post(url, {"action": "request", "request-reason": "It names a resident."})
    request = response.withdrawal_request()
    assert (request.user, request.data["reason"]) == (manager, "It names a resident.")
    # The one who asked cannot also agree, even holding both roles' rights.
    manager.groups.add(Group.objects.get(name=roles.APPROVERS))
    manager_client.post(url, {"action": "decide", "decide-decision": "agree"})
    assert CouncilResponse.objects.get(pk=response.pk).live

    approver_client, approver = person("approver")
    page = approver_client.get("/admin/").content.decode()
    assert "Published answers asked to be withdrawn" in page and "It names a resident." in page
    approver_client.post(
        url, {"action": "decide", "decide-decision": "agree", "decide-comment": ""}
    )
    response.refresh_from_db()
    assert not response.live
    assert recommendation.reference not in Client().get(you_said_page.url).content.decode()
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.UNDER_CONSIDERATION
    assert writes_by(manager, response) == [rules.WITHDRAWAL_REQUEST]
    assert sorted(writes_by(approver, response)) == sorted(
        [rules.WITHDRAWAL_AGREE, "wagtail.unpublish"]
    )
    history = approver_client.get(f"{CR}/history/{response.pk}/").content.decode()
    assert "Withdrawal asked for: It names a resident." in history
    assert "Withdrawal agreed by a second person" in history


def test_a_withdrawal_can_be_refused_or_taken_back(writer, first_approver):
    response = published(writer, first_approver)
    url = f"{CR}/unpublish/{response.pk}/"
    manager_client, _manager = person("manager")
    manager_client.post(url, {"action": "request", "request-reason": "Superseded."})
    approver = UserFactory(roles=[roles.APPROVERS])
    approver_client = staff_client(approver)

    approver_client.post(url, {"action": "decide", "decide-decision": "refuse"})
    assert response.withdrawal_request() is not None  # a refusal says why
    approver_client.post(
        url, {"action": "decide", "decide-decision": "refuse", "decide-comment": "Still true."}
    )
    assert response.withdrawal_request() is None
    assert CouncilResponse.objects.get(pk=response.pk).live

    manager_client.post(url, {"action": "request", "request-reason": "Superseded again."})
    approver_client.post(url, {"action": "cancel"})  # only the one who asked takes it back
    assert response.withdrawal_request() is not None
    manager_client.post(url, {"action": "cancel"})
    assert response.withdrawal_request() is None
    assert CouncilResponse.objects.get(pk=response.pk).live
    assert writes_by(approver, response) == [rules.WITHDRAWAL_REFUSE]


def test_a_superuser_withdrawing_alone_is_an_override(writer, first_approver):
    response = published(writer, first_approver)
    admin = UserFactory(is_superuser=True)
    client = staff_client(admin)
    url = f"{CR}/unpublish/{response.pk}/"
    client.post(url, {"action": "override", "override-reason": ""})
    assert CouncilResponse.objects.get(pk=response.pk).live
    client.post(url, {"action": "override", "override-reason": "Legal advice."})
    response.refresh_from_db()
    assert not response.live
    override = ModelLogEntry.objects.for_instance(response).get(action=rules.OVERRIDE)
    assert override.label == f"Override: {response}"
    assert override.data == {"override": "withdrew alone", "reason": "Legal advice."}
    assert "Superuser override: withdrew alone. Reason: Legal advice." in (
        client.get(f"{CR}/history/{response.pk}/").content.decode()
    )


# --- Deleting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_no_one_deletes_a_published_answer(role, writer, first_approver):
    response = published(writer, first_approver)
    before = state(response)
    client, user = person(role)
    client.get(f"{CR}/delete/{response.pk}/")
    client.post(f"{CR}/delete/{response.pk}/")
    client.post(f"/admin/bulk/board/councilresponse/delete/?id={response.pk}")
    client.post(f"/admin/board_recommendation/delete/{response.recommendation_id}/")
    assert state(response) == before
    assert writes_by(user, response) == []


@pytest.mark.parametrize("action", ["publish", "unpublish"])
def test_there_are_no_bulk_publish_actions_for_responses(action, writer, first_approver):
    live, waiting = published(writer, first_approver), submitted(writer, text="Waiting.")
    before = state(live), state(waiting)
    client, _ = person("superuser")
    for pk in (live.pk, waiting.pk):
        result = client.post(f"/admin/bulk/board/councilresponse/{action}/?id={pk}")
        assert result.status_code == 404
    assert (state(live), state(waiting)) == before


def test_a_superuser_may_delete_a_draft_that_was_never_public(writer):
    response = draft(writer)
    client, _admin = person("superuser")
    client.post(f"{CR}/delete/{response.pk}/")
    assert state(response) == {"deleted": True}


# --- Revisions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_reverting_a_revision_never_publishes(role, writer, first_approver):
    response = published(writer, first_approver)
    old = response.get_latest_revision()
    changed = response.get_latest_revision().as_object()
    changed.response = CHANGED
    changed.save_revision(user=writer)
    before = state(response)
    client, _user = person(role)
    url = f"{CR}/history/{response.pk}/revisions/{old.pk}/revert/"
    page = client.get(url)
    if role == "approver":
        assert page.status_code == 302 and "/inspect/" in page["Location"]
    result = client.post(
        url, {**form(response, response=old.content["response"]), "action-publish": "Publish"}
    )
    after = state(response)
    if role == "superuser":
        # A superuser's revert-and-publish goes live only as a recorded override.
        assert after["live"] and after["row_text"] == PUBLISHED
        assert ModelLogEntry.objects.for_instance(response).filter(action=rules.OVERRIDE).exists()
    else:
        assert is_refused(result, role)
        assert after == before


@pytest.mark.parametrize("role", ROLES)
def test_reading_the_revisions_is_fine(role, writer, first_approver):
    response = published(writer, first_approver)
    client, _ = person(role)
    pages = [
        f"{CR}/history/{response.pk}/revisions/compare/earliest...latest/",
        f"{CR}/history/{response.pk}/",
        f"{CR}/inspect/{response.pk}/",
        f"{CR}/workflow_history/{response.pk}/",
    ]
    for url in pages:
        result = client.get(url)
        if role in ("manager", "approver", "superuser"):
            assert result.status_code == 200, url
        else:
            assert is_refused(result, role), url


# --- The positive path, end to end --------------------------------------------------------------


def test_manager_drafts_approver_approves_the_manager_s_text_goes_public(
    you_said_page, run_on_commit
):
    manager = UserFactory(roles=[roles.ENGAGEMENT_MANAGERS])
    approver = UserFactory(roles=[roles.APPROVERS])
    recommendation = RecommendationFactory()
    services.recommendation_acknowledge(recommendation=recommendation, by=manager)
    manager_client = staff_client(manager)
    text = "We will add an interpreter option to the phone menu."
    result = manager_client.post(
        f"{CR}/add/",
        {
            **form(CouncilResponse(recommendation=recommendation), response=text),
            "recommendation": recommendation.pk,
            "action-submit": "Submit",
        },
    )
    assert result.status_code == 302
    response = CouncilResponse.objects.get(recommendation=recommendation)
    assert response.workflow_in_progress and not response.live

    approver_client = staff_client(approver)
    edit = approver_client.get(f"{CR}/edit/{response.pk}/")
    assert edit["Location"] == f"{CR}/inspect/{response.pk}/"
    review = approver_client.get(edit["Location"]).content.decode()
    assert text in review
    assert recommendation.what_should_change in review
    assert "Approve and publish" in review and "Request changes" in review

    approver_client.post(
        action_url(response, "approve") + f"?next={CR}/inspect/{response.pk}/",
        {"comment": "Agreed with the service lead."},
    )
    response.refresh_from_db()
    assert response.live and response.response == text
    assert response.live_revision.user == manager
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.PUBLISHED
    public = Client().get(f"{you_said_page.url}{recommendation.reference}/").content.decode()
    assert text in public

    log = ModelLogEntry.objects.for_instance(response)
    assert writes_by(manager, response) == ["wagtail.workflow.start"]
    approval = log.get(action="wagtail.workflow.approve")
    assert approval.user == approver
    assert approval.data["comment"] == "Agreed with the service lead."
    assert log.get(action="wagtail.publish").user == approver
    status_changes = ModelLogEntry.objects.for_instance(recommendation).filter(
        action="board.recommendation.status", data__to__in=["approved", "published"]
    )
    assert {entry.user for entry in status_changes} == {approver}
