"""The board in the Wagtail admin: listings, the lifecycle page, exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from board.models import Recommendation
from cms import roles
from tests.board.factories import (
    BoardMemberFactory,
    CouncilResponseFactory,
    RecommendationFactory,
    ServiceAreaFactory,
    publish_response,
)

pytestmark = pytest.mark.django_db
Status = Recommendation.Status


def _manage_url(recommendation) -> str:
    return f"/admin/board/recommendations/{recommendation.pk}/manage/"


def test_manager_moves_a_recommendation_through_its_lifecycle(
    manager_client, make_user, run_on_commit
):
    owner = make_user(roles.APPROVERS)
    recommendation = RecommendationFactory()
    page = manager_client.get(_manage_url(recommendation))
    assert page.status_code == 200
    assert "Acknowledge" in page.content.decode()

    manager_client.post(_manage_url(recommendation), {"action": "acknowledge"})
    recommendation.refresh_from_db()
    assert recommendation.status == Status.ACKNOWLEDGED

    due = timezone.localdate() + timedelta(days=20)
    response = manager_client.post(
        _manage_url(recommendation),
        {"action": "assign", "owner": owner.pk, "due_date": due.isoformat()},
    )
    assert response.status_code == 302
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.owner) == (Status.UNDER_CONSIDERATION, owner)

    # A bad date is reported, not saved.
    response = manager_client.post(
        _manage_url(recommendation), {"action": "assign", "owner": owner.pk, "due_date": "soon"}
    )
    assert response.status_code == 200
    assert "Enter a valid date" in response.content.decode()

    publish_response(CouncilResponseFactory(recommendation=recommendation))
    response = manager_client.post(
        _manage_url(recommendation),
        {"action": "progress", "date": timezone.localdate().isoformat(), "update": "Begun."},
    )
    assert response.status_code == 302
    response = manager_client.post(
        _manage_url(recommendation),
        {
            "action": "change",
            "kind": "service",
            "description": "New leaflet.",
            "service_area": recommendation.service_area.pk,
            "implemented_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert recommendation.changes.count() == 1
    assert recommendation.progress_updates.count() == 1


def test_acknowledging_twice_is_a_message_not_an_error(manager_client):
    recommendation = RecommendationFactory(status=Status.ACKNOWLEDGED)
    response = manager_client.post(
        _manage_url(recommendation), {"action": "acknowledge"}, follow=True
    )
    assert response.status_code == 200
    assert "Only a newly received recommendation can be acknowledged" in response.content.decode()


@pytest.mark.parametrize("role", [roles.BOARD_MEMBERS, roles.INCLUSION_ANALYSTS])
def test_other_roles_cannot_manage(client, make_user, signed_in, role):
    signed_in(make_user(role))
    recommendation = RecommendationFactory()
    response = client.post(_manage_url(recommendation), {"action": "acknowledge"})
    assert response.status_code in (302, 403)
    recommendation.refresh_from_db()
    assert recommendation.status == Status.RECEIVED


def _bulk(count: int, start: int) -> None:
    area = ServiceAreaFactory(name="Bulk")
    author = BoardMemberFactory()
    Recommendation.objects.bulk_create(
        RecommendationFactory.build(
            reference=f"R-2025-{start + i:04d}", service_area=area, author=author, owner=author
        )
        for i in range(count)
    )


def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/board_recommendation/",
        "/admin/board_recommendation/?export=csv",
        "/admin/snippets/board/councilresponse/",
    ],
)
def test_admin_listings_query_count_does_not_grow(manager_client, url):
    _bulk(5, 0)
    for recommendation in Recommendation.objects.all():
        CouncilResponseFactory(recommendation=recommendation)
    small = _count(manager_client, url)
    _bulk(195, 5)
    for recommendation in Recommendation.objects.filter(response__isnull=True):
        CouncilResponseFactory(recommendation=recommendation)
    large = _count(manager_client, url)
    assert small == large


def test_listing_export_escapes_formulas(manager_client):
    RecommendationFactory(title='=HYPERLINK("http://evil.example")')
    response = manager_client.get("/admin/board_recommendation/?export=csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows[0]["Title"].startswith("'=")


def test_exports_follow_related_fields(manager_client):
    """Exported columns from a related row (Wagtail follows a dotted path, not ``__``)."""
    from decimal import Decimal

    from board.models import ExpenseClaim
    from tests.board.factories import MembershipFactory

    membership = MembershipFactory()
    ExpenseClaim.objects.create(
        claimant=membership.member, kind="travel", amount=Decimal("2.50"), description="Bus."
    )
    response = publish_response(CouncilResponseFactory())
    for url, heading, expected in [
        ("/admin/board_membership/?export=csv", "Member email", membership.member.email),
        ("/admin/board_expenseclaim/?export=csv", "Claimant email", membership.member.email),
        (
            "/admin/snippets/board/councilresponse/?export=csv",
            "Recommendation",
            response.recommendation.reference,
        ),
    ]:
        export = manager_client.get(url)
        assert export.status_code == 200, url
        rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
        assert rows[0][heading] == expected, url
