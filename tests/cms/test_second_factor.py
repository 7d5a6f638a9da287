"""Every council role needs a second factor; the admin is reachable only through allauth."""

from __future__ import annotations

import pytest

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cms import roles
from tests.conftest import current_totp_code, enrol_totp, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _admin_paths_without_arguments() -> list[str]:
    """Every URL under /admin/ that needs no argument, found by walking the URL resolver."""
    paths: set[str] = set()

    def walk(patterns, prefix: str):
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                full = prefix + route
                if "<" in full or "(?P" in full or "^" in full or "$" in full:
                    continue
                paths.add("/" + full)

    walk(get_resolver().url_patterns, "")
    return sorted(p for p in paths if p.startswith("/admin/"))


ADMIN_PATHS = _admin_paths_without_arguments()


def test_the_walk_finds_the_admin():
    # Guards the guard: if the walk found nothing, the tests below would pass vacuously.
    assert "/admin/" in ADMIN_PATHS
    assert "/admin/pages/" in ADMIN_PATHS or "/admin/pages/search/" in ADMIN_PATHS
    assert len(ADMIN_PATHS) > 40


@pytest.mark.parametrize("role", [*roles.STAFF_ROLES, "superuser"])
def test_staff_without_second_factor_gets_no_admin_page(client, make_user, role):
    user = make_user(is_superuser=True, is_staff=True) if role == "superuser" else make_user(role)
    response = sign_in(client, user)
    # Signed in with a password only: sent to set up an authenticator.
    assert response.url == reverse("mfa_activate_totp")

    for path in [*ADMIN_PATHS, "/admin/pages/3/", "/admin/pages/3/edit/"]:
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 302, (path, method, response.status_code)
            assert response.url == reverse("mfa_activate_totp"), (path, method, response.url)


def test_an_officer_still_owing_a_second_factor_can_answer_the_staff_survey(client, make_user):
    from tests.surveys.factories import invite, staff_survey_wave

    token = invite(staff_survey_wave())
    sign_in(client, make_user(roles.INCLUSION_ANALYSTS))  # a password only, no authenticator
    response = client.get(f"/survey/{token}/")
    assert response.status_code == 200
    assert client.get("/admin/").url == reverse("mfa_activate_totp")  # the admin still is not


def test_wagtail_login_form_is_never_served(client, make_user):
    user = make_user(roles.ENGAGEMENT_MANAGERS)
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response.url == reverse("account_login")
    # Posting credentials to Wagtail's login URL signs nobody in.
    response = client.post("/admin/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code in (302, 405)
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").url.startswith(reverse("account_login"))


def test_admin_login_redirect_keeps_a_safe_next(client):
    response = client.get("/admin/login/?next=/admin/pages/")
    assert response.url == reverse("account_login") + "?next=%2Fadmin%2Fpages%2F"
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response.url == reverse("account_login")


def test_session_that_skipped_the_second_factor_is_signed_out(client, make_user):
    """A staff user with TOTP whose session never proved it (any path around allauth's stage)."""
    user = make_user(roles.INCLUSION_ANALYSTS)
    enrol_totp(user)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_staff_with_second_factor_reaches_the_admin(client, make_user):
    user = make_user(roles.APPROVERS)
    enrol_totp(user)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    # Password alone is not enough yet.
    assert client.get("/admin/").status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp_code()})
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    assert client.get("/admin/").status_code == 200


def test_wrong_totp_code_does_not_sign_in(client, make_user):
    user = make_user(roles.APPROVERS)
    enrol_totp(user)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    wrong = "000000" if current_totp_code() != "000000" else "111111"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_setting_up_totp_then_reaches_the_admin(client, make_user):
    """The enrolment journey: password, forced to set up TOTP, recovery codes, then the admin."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    user = make_user(roles.ENGAGEMENT_MANAGERS)
    sign_in(client, user)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    import time

    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert client.get("/admin/").status_code == 200


def test_board_member_needs_no_second_factor_and_gets_no_admin(client, make_user):
    user = make_user(roles.BOARD_MEMBERS)
    response = sign_in(client, user)
    assert response.url == "/"
    assert client.get("/").status_code == 200
    response = client.get("/admin/")
    assert response.status_code == 403  # the page saying the admin is for staff, not a redirect


def test_sixth_failed_login_is_refused_even_with_the_right_password(client, make_user):
    user = make_user(roles.BOARD_MEMBERS)
    for attempt in range(5):
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": f"wrong-{attempt}"}
        )
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_fifth_attempt_with_the_right_password_still_works(client, make_user):
    user = make_user(roles.BOARD_MEMBERS)
    for attempt in range(4):
        client.post(reverse("account_login"), {"login": user.email, "password": f"no-{attempt}"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
