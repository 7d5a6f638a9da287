"""Content-Security-Policy with nonces on the public site, accounts and the admin."""

from __future__ import annotations

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
