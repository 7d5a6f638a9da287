"""Sign-up is by invitation only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress

from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cms import roles, selectors, services
from cms.models import Invitation, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "correct-horse-battery-staple-42"


def _signup(client, email):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def _link_from_last_email() -> str:
    match = re.search(r"http://testserver(/accounts/invitation/[^/\s]+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


@pytest.fixture
def manager(make_user):
    return make_user(roles.ENGAGEMENT_MANAGERS)


@pytest.fixture(autouse=True)
def _send_mail_on_commit(monkeypatch):
    # Invitation emails go out after commit; the test transaction never commits, so run them.
    from cms import services as module

    monkeypatch.setattr(module.transaction, "on_commit", lambda callback, *a, **k: callback())


def test_uninvited_visitor_sees_sign_up_is_by_invitation(client):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    assert "Sign-up is by invitation" in response.content.decode()
    assert 'name="password1"' not in response.content.decode()


def test_uninvited_post_creates_no_account(client):
    response = _signup(client, "stranger@example.org")
    assert response.status_code == 200
    assert "Sign-up is by invitation" in response.content.decode()
    assert not User.objects.filter(email="stranger@example.org").exists()


def test_login_page_offers_no_sign_up_link(client):
    body = client.get(reverse("account_login")).content.decode()
    assert reverse("account_signup") not in body


def test_invited_person_creates_account_in_their_role(client, manager):
    invitation = services.invitation_create(
        email="New.Member@Example.org",
        role=Group.objects.get(name=roles.BOARD_MEMBERS),
        invited_by=manager,
    )
    assert invitation.email == "new.member@example.org"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.member@example.org"]
    link = _link_from_last_email()
    # Only a hash of the token is stored.
    assert link.rstrip("/").rsplit("/", 1)[1] not in invitation.token_hash

    response = client.get(link)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_signup"))
    form_page = client.get(response.url).content.decode()
    assert 'value="new.member@example.org"' in form_page

    response = _signup(client, "new.member@example.org")
    assert response.status_code == 302, response.content.decode()

    user = User.objects.get(email="new.member@example.org")
    assert list(user.groups.values_list("name", flat=True)) == [roles.BOARD_MEMBERS]
    assert EmailAddress.objects.get(user=user).verified
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_by == user
    # Signed in straight away: the invitation link proved the address.
    assert client.get(reverse("account_email")).status_code == 200


def test_invitation_link_works_once(client, manager):
    services.invitation_create(
        email="once@example.org",
        role=Group.objects.get(name=roles.BOARD_MEMBERS),
        invited_by=manager,
    )
    link = _link_from_last_email()
    client.get(link)
    _signup(client, "once@example.org")
    client.logout()

    response = client.get(link)
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert _signup(client, "someone.else@example.org").status_code == 200
    assert not User.objects.filter(email="someone.else@example.org").exists()


def test_signup_with_another_address_is_refused(client, manager):
    services.invitation_create(
        email="invited@example.org",
        role=Group.objects.get(name=roles.BOARD_MEMBERS),
        invited_by=manager,
    )
    client.get(_link_from_last_email())
    response = _signup(client, "friend@example.org")
    assert response.status_code == 200
    assert "invited@example.org" in response.content.decode()
    assert not User.objects.filter(email="friend@example.org").exists()


def test_expired_and_unknown_links_are_refused(client, manager):
    invitation = services.invitation_create(
        email="late@example.org",
        role=Group.objects.get(name=roles.BOARD_MEMBERS),
        invited_by=manager,
    )
    link = _link_from_last_email()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(1))
    response = client.get(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert client.get("/accounts/invitation/not-a-real-token/").status_code == 404
    # Nothing was stashed: sign-up stays closed.
    assert "Sign-up is by invitation" in client.get(reverse("account_signup")).content.decode()


def test_new_invitation_replaces_the_pending_one(manager):
    board = Group.objects.get(name=roles.BOARD_MEMBERS)
    first = services.invitation_create(email="x@example.org", role=board, invited_by=manager)
    second = services.invitation_create(email="x@example.org", role=board, invited_by=manager)
    first.refresh_from_db()
    assert first.status == Invitation.Status.REVOKED
    assert second.status == Invitation.Status.PENDING


@pytest.mark.parametrize("role", roles.STAFF_ROLES)
def test_engagement_manager_cannot_invite_to_staff_roles(manager, role):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.invitation_create(
            email="officer@example.org", role=Group.objects.get(name=role), invited_by=manager
        )
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_cannot_invite_an_existing_account(manager, make_user):
    from django.core.exceptions import ValidationError

    existing = make_user()
    with pytest.raises(ValidationError):
        services.invitation_create(
            email=existing.email.upper(),
            role=Group.objects.get(name=roles.BOARD_MEMBERS),
            invited_by=manager,
        )


def test_revoked_invitation_cannot_be_used(client, manager):
    invitation = services.invitation_create(
        email="revoked@example.org",
        role=Group.objects.get(name=roles.BOARD_MEMBERS),
        invited_by=manager,
    )
    link = _link_from_last_email()
    services.invitation_revoke(invitation=invitation, by=manager)
    response = client.get(link)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_invitation_activates_an_account_made_by_an_import(client, manager):
    """Members imported from a spreadsheet exist before they are invited."""
    imported = User.objects.create_user(email="imported@example.org", password=None)
    assert not imported.has_usable_password()
    services.invitation_create(
        email="imported@example.org",
        role=Group.objects.get(name=roles.BOARD_MEMBERS),
        invited_by=manager,
    )
    response = client.get(_link_from_last_email())
    assert response.url == reverse("invitation_set_password")
    page = client.post(
        reverse("invitation_set_password"), {"new_password1": "short", "new_password2": "short"}
    )
    assert page.status_code == 200
    assert "There is a problem" in page.content.decode()
    response = client.post(
        reverse("invitation_set_password"),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    imported.refresh_from_db()
    assert imported.check_password(NEW_PASSWORD)
    assert roles.BOARD_MEMBERS in imported.groups.values_list("name", flat=True)
    assert EmailAddress.objects.get(user=imported).verified
    assert client.get(reverse("account_email")).status_code == 200
    # The link cannot activate it a second time.
    client.logout()
    assert client.get(reverse("invitation_set_password")).status_code == 410


def test_an_account_in_use_cannot_be_invited_again(manager, make_user):
    from django.core.exceptions import ValidationError

    in_use = make_user()
    with pytest.raises(ValidationError):
        services.invitation_create(
            email=in_use.email,
            role=Group.objects.get(name=roles.BOARD_MEMBERS),
            invited_by=manager,
        )


def test_wagtails_private_page_login_is_never_served(client, make_user):
    """Wagtail's /_util/login/ is Django's plain LoginView (no rate limit, no verification):
    it only sends people to allauth's sign-in, and a password posted to it signs nobody in."""
    from tests.factories import PASSWORD

    user = make_user(roles.BOARD_MEMBERS)
    shown = client.get("/_util/login/?next=/members/")
    assert shown.status_code == 302
    assert shown.url == "/accounts/login/?next=%2Fmembers%2F"
    posted = client.post("/_util/login/", {"username": user.email, "password": PASSWORD})
    assert posted.status_code == 405
    assert "_auth_user_id" not in client.session


def _signed_in_strict_browser(user) -> Client:
    """A browser signed in as ``user`` that, from then on, checks CSRF tokens as a real one."""
    from tests.conftest import sign_in

    browser = Client()
    sign_in(browser, user)
    browser.handler.enforce_csrf_checks = True
    return browser


def _invite(manager, email: str) -> str:
    services.invitation_create(
        email=email, role=Group.objects.get(name=roles.BOARD_MEMBERS), invited_by=manager
    )
    return _link_from_last_email()


def test_opening_an_invitation_while_signed_in_asks_and_signs_nobody_out(manager, make_user):
    """A GET (a mail scanner, a link preview, a forwarded email opened on a colleague's
    computer) used to sign out whoever was signed in."""
    colleague = make_user(roles.BOARD_MEMBERS, email="colleague@example.org")
    browser = _signed_in_strict_browser(colleague)
    link = _invite(manager, "newcomer@example.org")

    page = browser.get(link)
    assert page.status_code == 200
    body = page.content.decode()
    assert "You are signed in as <strong>colleague@example.org</strong>" in body
    assert "newcomer@example.org" in body
    assert '<form method="post"' in body and "Sign out and accept the invitation" in body
    assert browser.session["_auth_user_id"] == str(colleague.pk)
    assert selectors.INVITATION_SESSION_KEY not in browser.session

    # A POST without the CSRF token (a forged form on another site) signs nobody out either.
    assert browser.post(link).status_code == 403
    assert browser.session["_auth_user_id"] == str(colleague.pk)


def test_confirming_signs_out_and_the_invitation_still_works(manager, make_user):
    colleague = make_user(roles.BOARD_MEMBERS, email="colleague@example.org")
    browser = _signed_in_strict_browser(colleague)
    link = _invite(manager, "newcomer@example.org")
    page = browser.get(link).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = browser.post(link, {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_signup"))
    assert "_auth_user_id" not in browser.session
    form = browser.get(response.url).content.decode()
    assert 'value="newcomer@example.org"' in form
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    created = browser.post(
        reverse("account_signup"),
        {
            "email": "newcomer@example.org",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "csrfmiddlewaretoken": csrf,
        },
    )
    assert created.status_code == 302, created.content.decode()
    newcomer = User.objects.get(email="newcomer@example.org")
    assert browser.session["_auth_user_id"] == str(newcomer.pk)
    # The colleague's account is untouched.
    assert User.objects.filter(email="colleague@example.org", is_active=True).exists()


def test_a_signed_out_visitor_goes_straight_to_the_form(client, manager):
    response = client.get(_invite(manager, "straight@example.org"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_signup"))
