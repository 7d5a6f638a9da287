"""Who reaches the Wagtail admin, and what a board member sees who follows an admin link.

Wagtail sends anyone without admin access to sign in, and allauth sends a signed-in person back
to ``next``: a board member bounced between /admin/ and the sign-in page until the browser gave
up with ERR_TOO_MANY_REDIRECTS.
"""

from __future__ import annotations

import pytest

from django.urls import reverse

from tests.board.factories import RecommendationFactory

pytestmark = pytest.mark.django_db

STAFF_ONLY = "This part of the site is for council staff"


def _admin_links() -> list[str]:
    return [
        "/admin/",
        f"/admin/board/recommendations/{RecommendationFactory().pk}/manage/",
        "/admin/snippets/board/councilresponse/",
        "/admin/pages/",
        "/admin/no-such-view/",  # Wagtail sends this one to its own /admin/login/
    ]


@pytest.fixture
def member_client(client_as):
    return client_as("member")


def test_a_board_member_who_opens_an_admin_link_is_told_it_is_for_staff(member_client):
    for url in _admin_links():
        response = member_client.get(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert STAFF_ONLY in page
        assert f'href="{reverse("board:dashboard")}"' in page
        assert "Go to the member area" in page
        assert "You do not have permission to access the admin" not in page  # Wagtail's words
        # The site's own page (GOV.UK frontend), not Wagtail's admin.
        assert "govuk-template" in page
        assert "w-theme-system" not in page
        # Rendered under the site's Content-Security-Policy (its nonce was available).
        assert "Content-Security-Policy" in response
        assert f'<script nonce="{response.wsgi_request.csp_nonce}">' in page


def test_signing_in_with_an_admin_link_ends_on_that_page_not_a_loop(member_client):
    response = member_client.get(f"{reverse('account_login')}?next=/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1
    assert STAFF_ONLY in response.content.decode()
    # Nothing of Wagtail's refusal is left to show on the next page.
    assert "permission" not in member_client.get(reverse("board:dashboard")).content.decode()


def test_someone_signed_in_without_a_role_is_not_offered_the_member_area(client, make_user):
    from tests.conftest import sign_in

    sign_in(client, make_user())
    response = client.get("/admin/")
    assert response.status_code == 403
    assert STAFF_ONLY in response.content.decode()
    assert "Go to the member area" not in response.content.decode()


def test_visitors_are_still_sent_to_sign_in(client):
    for url in _admin_links():
        response = client.get(url)
        assert response.status_code == 302, url
        # Wagtail's /admin/login/ (for an unknown admin address) only forwards to allauth's.
        assert response.url.startswith(
            (f"{reverse('account_login')}?next=", "/admin/login/?next=")
        ), url


def test_staff_still_get_the_admin(manager_client, approver_client):
    assert manager_client.get("/admin/").status_code == 200
    assert approver_client.get("/admin/snippets/board/councilresponse/").status_code == 200
