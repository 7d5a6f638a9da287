"""Content-Security-Policy with nonces on the public site, accounts and the admin."""

from __future__ import annotations

import importlib
import re

import pytest

from django.urls import reverse

from cms import roles

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    result = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            result[words[0]] = words[1:]
    return result


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/"])
def test_public_pages_send_a_strict_csp_with_a_nonce(client, path):
    response = client.get(path)
    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    directives = _directives(header)
    nonce = re.search(r"'nonce-([^']+)'", " ".join(directives["script-src"])).group(1)
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    # Every inline script on the page carries the header's nonce.
    body = response.content.decode()
    for script in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", body):
        assert f'nonce="{nonce}"' in script


def test_admin_gets_only_its_listed_relaxations(client, make_user, signed_in):
    signed_in(make_user(roles.ENGAGEMENT_MANAGERS))
    response = client.get("/admin/")
    assert response.status_code == 200
    directives = _directives(response["Content-Security-Policy"])
    # Wagtail's widgets need inline script in the admin (see ADMIN_CSP_REPLACE); never eval.
    assert directives["script-src"] == ["'self'", "'unsafe-inline'"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["frame-ancestors"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]


def test_other_security_headers(client):
    response = client.get(reverse("account_login"))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


# --- Production-like settings: HTTPS, HSTS and the cookies' flags --------------------------------

PRODUCTION_SECURITY_SETTINGS = (
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "MFA_TRUST_COOKIE_SECURE",
)


@pytest.fixture
def production_like(monkeypatch, settings):
    """The test settings with production's own HTTPS and cookie values applied over them."""
    monkeypatch.setenv("SECRET_KEY", "production-like-secret-for-header-tests-" + "k" * 20)
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD"):
        monkeypatch.delenv(name, raising=False)
    production = importlib.import_module("cms.settings.production")
    for name in PRODUCTION_SECURITY_SETTINGS:
        setattr(settings, name, getattr(production, name))
    return settings


def _assert_cookie_flags(response, name: str, settings) -> None:
    cookie = response.cookies[name]
    assert cookie.value, f"{name} was not set"
    assert cookie["secure"] is True, name
    assert cookie["httponly"] is True, name
    assert cookie["samesite"] == "Lax", name
    line = cookie.OutputString()
    assert "Secure" in line and "HttpOnly" in line and "SameSite=Lax" in line, line


def _assert_production_headers(response, settings) -> None:
    hsts = response["Strict-Transport-Security"]
    assert f"max-age={settings.SECURE_HSTS_SECONDS}" in hsts
    assert settings.SECURE_HSTS_SECONDS >= 365 * 24 * 60 * 60
    assert "includeSubDomains" in hsts
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors" in _directives(response["Content-Security-Policy"])


def test_plain_http_is_redirected_to_https(client, production_like):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response.url == "https://testserver/accounts/login/"
    assert "Strict-Transport-Security" not in response  # HSTS only means something over HTTPS


def test_the_proxys_https_header_is_trusted(client, production_like):
    response = client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    _assert_production_headers(response, production_like)


def test_sign_in_over_https_sets_only_secure_httponly_lax_cookies(client, production_like):
    from tests.board.factories import BoardMemberFactory
    from tests.factories import PASSWORD

    page = client.get(reverse("account_login"), secure=True)
    assert page.status_code == 200
    _assert_production_headers(page, production_like)
    assert _directives(page["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert page["X-Frame-Options"] == "DENY"
    _assert_cookie_flags(page, "csrftoken", production_like)

    member = BoardMemberFactory()
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    _assert_production_headers(response, production_like)
    _assert_cookie_flags(response, "sessionid", production_like)
    # Signing in rotates the CSRF token: the new cookie carries the same flags.
    _assert_cookie_flags(response, "csrftoken", production_like)
    # Signed in, the cookie ends with the browser (no "remember me"); the server ends the session
    # after SESSION_COOKIE_AGE in any case (tests/security/test_sessions_and_receipts.py).
    assert response.cookies["sessionid"]["max-age"] == ""
    assert response.cookies["sessionid"]["expires"] == ""
    assert client.get(reverse("board:dashboard"), secure=True).status_code == 200


def test_staff_sign_in_with_second_factor_over_https(client, make_user, production_like):
    from tests.conftest import current_totp_code, enrol_totp
    from tests.factories import PASSWORD

    user = make_user(roles.APPROVERS)
    enrol_totp(user)
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, secure=True
    )
    assert response.url == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp_code()}, secure=True)
    assert response.url == reverse("wagtailadmin_home")
    _assert_cookie_flags(response, "sessionid", production_like)
    admin = client.get("/admin/", secure=True)
    assert admin.status_code == 200
    _assert_production_headers(admin, production_like)
    assert _directives(admin["Content-Security-Policy"])["frame-ancestors"] == ["'self'"]


# --- No third party sees admin traffic ----------------------------------------------------------


def test_the_admin_asks_no_one_for_updates_or_avatars(client, make_user, signed_in, settings):
    signed_in(make_user(is_superuser=True, is_staff=True, email="admin@example.org"))
    body = client.get("/admin/").content.decode()
    assert 'data-controller="w-upgrade' not in body
    assert "gravatar.com" not in body

    # Guards the guard: with Wagtail's defaults the same page would call out to both.
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = True
    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = "//www.gravatar.com/avatar"
    body = client.get("/admin/").content.decode()
    assert 'data-controller="w-upgrade' in body
    assert "gravatar.com" in body
