"""The recommendation lifecycle in services: each step, its email, and escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from wagtail.models import ModelLogEntry

from board import services
from board.models import CouncilResponse, ImplementedChange, Recommendation
from cms import roles
from tests.board.factories import (
    CouncilResponseFactory,
    RecommendationFactory,
    ServiceAreaFactory,
    publish_response,
)

pytestmark = pytest.mark.django_db
Status = Recommendation.Status


@pytest.fixture
def manager(make_user):
    return make_user(roles.ENGAGEMENT_MANAGERS)


@pytest.fixture
def owner(make_user):
    return make_user(roles.APPROVERS)


def test_member_submits_and_managers_are_told(make_user, manager, run_on_commit):
    member = make_user(roles.BOARD_MEMBERS)
    area = ServiceAreaFactory()
    first = services.recommendation_submit(
        author=member,
        title=" Plain letters ",
        what_should_change="Use plain English.",
        lived_experience="I could not read it.",
        service_area=area,
        desired_outcome="Clarity.",
    )
    second = services.recommendation_submit(
        author=member,
        title="Another",
        what_should_change="x",
        lived_experience="y",
        service_area=area,
        desired_outcome="z",
    )
    year = timezone.now().year
    assert (first.reference, second.reference) == (f"R-{year}-001", f"R-{year}-002")
    assert first.title == "Plain letters"
    assert first.status == Status.RECEIVED
    assert [m.to for m in mail.outbox] == [[manager.email], [manager.email]]


def test_only_board_members_submit(make_user):
    with pytest.raises(PermissionDenied):
        services.recommendation_submit(
            author=make_user(roles.ENGAGEMENT_MANAGERS),
            title="t",
            what_should_change="w",
            lived_experience="l",
            service_area=ServiceAreaFactory(),
            desired_outcome="d",
        )
    assert not Recommendation.objects.exists()


def test_acknowledge_sets_due_date_and_tells_the_author(manager, run_on_commit):
    recommendation = RecommendationFactory()
    services.recommendation_acknowledge(recommendation=recommendation, by=manager)
    recommendation.refresh_from_db()
    assert recommendation.status == Status.ACKNOWLEDGED
    assert recommendation.due_date == timezone.localdate() + timedelta(days=56)
    assert [m.to for m in mail.outbox] == [[recommendation.author.email]]
    assert "received your recommendation" in mail.outbox[0].body
    with pytest.raises(ValidationError):
        services.recommendation_acknowledge(recommendation=recommendation, by=manager)


def test_assign_needs_acknowledgement_an_owner_and_a_date(manager, owner):
    recommendation = RecommendationFactory()
    due = timezone.localdate() + timedelta(days=10)
    with pytest.raises(ValidationError):
        services.recommendation_assign(
            recommendation=recommendation, owner=owner, due_date=due, by=manager
        )
    services.recommendation_acknowledge(recommendation=recommendation, by=manager)
    with pytest.raises(ValidationError):
        services.recommendation_assign(
            recommendation=recommendation, owner=None, due_date=due, by=manager
        )
    services.recommendation_assign(
        recommendation=recommendation, owner=owner, due_date=due, by=manager
    )
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.owner, recommendation.due_date) == (
        Status.UNDER_CONSIDERATION,
        owner,
        due,
    )


def test_publishing_records_approved_then_published(manager):
    recommendation = RecommendationFactory(status=Status.RESPONSE_DRAFTED)
    publish_response(CouncilResponseFactory(recommendation=recommendation), user=manager)
    recommendation.refresh_from_db()
    assert recommendation.status == Status.PUBLISHED
    transitions = [
        entry.data["to"]
        for entry in ModelLogEntry.objects.filter(
            object_id=str(recommendation.pk), action="board.recommendation.status"
        ).order_by("timestamp", "pk")
    ]
    assert transitions == [Status.APPROVED, Status.PUBLISHED]


@pytest.mark.parametrize(
    "outcome", [CouncilResponse.Outcome.NOT_ACCEPTED, CouncilResponse.Outcome.DEFERRED]
)
def test_progress_and_changes_only_for_accepted(manager, outcome):
    recommendation = RecommendationFactory(status=Status.RESPONSE_DRAFTED)
    extra = (
        {"review_date": timezone.localdate()}
        if outcome == CouncilResponse.Outcome.DEFERRED
        else {"reasons": "r", "alternatives_explored": "a", "next_steps": "n"}
    )
    publish_response(
        CouncilResponseFactory(recommendation=recommendation, outcome=outcome, **extra)
    )
    with pytest.raises(ValidationError):
        services.progress_update_add(recommendation=recommendation, update="x", by=manager)
    with pytest.raises(ValidationError):
        services.implemented_change_record(
            recommendation=recommendation,
            kind="service",
            description="d",
            service_area=recommendation.service_area,
            implemented_on=timezone.localdate(),
            by=manager,
        )
    assert not ImplementedChange.objects.exists()


def test_accepted_is_tracked_to_the_change_and_the_author_is_told(manager, run_on_commit):
    recommendation = RecommendationFactory(status=Status.RESPONSE_DRAFTED)
    publish_response(CouncilResponseFactory(recommendation=recommendation))
    mail.outbox.clear()
    services.progress_update_add(
        recommendation=recommendation, update="Training started.", by=manager
    )
    with pytest.raises(ValidationError):
        services.implemented_change_record(
            recommendation=recommendation,
            kind="policy",
            description="d",
            service_area=recommendation.service_area,
            implemented_on=timezone.localdate() + timedelta(days=3),
            by=manager,
        )
    services.implemented_change_record(
        recommendation=recommendation,
        kind="policy",
        description="Policy updated.",
        service_area=recommendation.service_area,
        implemented_on=timezone.localdate(),
        by=manager,
    )
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        f"An update on your recommendation: {recommendation.reference}",
        f"Your recommendation has led to a change: {recommendation.reference}",
    ]


def test_overdue_escalates_to_the_owner_once_a_week(manager, owner, run_on_commit):
    recommendation = RecommendationFactory()
    services.recommendation_acknowledge(recommendation=recommendation, by=manager)
    services.recommendation_assign(
        recommendation=recommendation,
        owner=owner,
        due_date=timezone.localdate() - timedelta(days=1),
        by=manager,
    )
    not_due = RecommendationFactory()
    services.recommendation_acknowledge(recommendation=not_due, by=manager)
    services.recommendation_assign(
        recommendation=not_due,
        owner=owner,
        due_date=timezone.localdate() + timedelta(days=1),
        by=manager,
    )
    mail.outbox.clear()

    assert services.recommendations_escalate_overdue() == [recommendation]
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert recommendation.reference in mail.outbox[0].subject
    # Not again within the week...
    assert services.recommendations_escalate_overdue() == []
    # ...but again after it.
    later = timezone.localdate() + timedelta(days=8)
    Recommendation.objects.filter(pk=recommendation.pk).update(
        last_escalated_at=timezone.now() - timedelta(days=8)
    )
    assert len(services.recommendations_escalate_overdue(today=later)) == 2


def test_published_recommendations_are_never_overdue(manager, owner):
    recommendation = RecommendationFactory(
        status=Status.RESPONSE_DRAFTED, owner=owner, due_date=timezone.localdate() - timedelta(30)
    )
    publish_response(CouncilResponseFactory(recommendation=recommendation))
    assert services.recommendations_escalate_overdue() == []


def test_escalate_command(manager, owner, run_on_commit, capsys):
    recommendation = RecommendationFactory(
        status=Status.UNDER_CONSIDERATION, owner=owner, due_date=timezone.localdate() - timedelta(2)
    )
    call_command("escalate_overdue")
    assert f"Escalated {recommendation.reference}" in capsys.readouterr().out
    assert [m.to for m in mail.outbox] == [[owner.email]]


def test_references_count_past_999(make_user):
    year = timezone.now().year
    RecommendationFactory(reference=f"R-{year}-999")
    RecommendationFactory(reference=f"R-{year}-1000")
    member = make_user(roles.BOARD_MEMBERS)
    recommendation = services.recommendation_submit(
        author=member,
        title="t",
        what_should_change="w",
        lived_experience="l",
        service_area=ServiceAreaFactory(),
        desired_outcome="d",
    )
    assert recommendation.reference == f"R-{year}-1001"
