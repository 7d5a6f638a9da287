"""Engagement managers invite board members from the Wagtail admin."""

import pytest

from django.contrib.auth.models import Group
from django.core import mail

from cms import roles
from cms.models import Invitation

pytestmark = pytest.mark.django_db


def test_manager_invites_a_board_member_from_the_admin(
    client, make_user, signed_in, django_capture_on_commit_callbacks
):
    signed_in(make_user(roles.ENGAGEMENT_MANAGERS))
    page = client.get("/admin/invitations/new/")
    assert page.status_code == 200
    offered = [label for value, label in page.context["form"].fields["role"].choices if value]
    assert offered == [roles.BOARD_MEMBERS]

    board = Group.objects.get(name=roles.BOARD_MEMBERS)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/invitations/new/", {"email": "member@example.org", "role": board.pk}
        )
    assert response.status_code == 302
    assert Invitation.objects.get().email == "member@example.org"
    assert len(mail.outbox) == 1
    listing = client.get("/admin/invitations/")
    assert "member@example.org" in listing.content.decode()


def test_manager_cannot_pick_a_staff_role_by_posting_it(client, make_user, signed_in):
    signed_in(make_user(roles.ENGAGEMENT_MANAGERS))
    analysts = Group.objects.get(name=roles.INCLUSION_ANALYSTS)
    response = client.post(
        "/admin/invitations/new/", {"email": "officer@example.org", "role": analysts.pk}
    )
    assert response.status_code == 200
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_bad_email_is_reported_not_saved(client, make_user, signed_in):
    signed_in(make_user(roles.ENGAGEMENT_MANAGERS))
    board = Group.objects.get(name=roles.BOARD_MEMBERS)
    response = client.post("/admin/invitations/new/", {"email": "not-an-email", "role": board.pk})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", [roles.APPROVERS, roles.INCLUSION_ANALYSTS])
def test_other_roles_cannot_invite(client, make_user, signed_in, role):
    signed_in(make_user(role))
    assert client.get("/admin/invitations/new/").status_code in (302, 403)
