from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

from django.core.cache import cache
from django.urls import reverse

from cms import roles
from tests.browser.assets import front_end_refusal
from tests.factories import PASSWORD, UserFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    # pytest-xdist's controller never loads tests/browser/conftest.py: it stops the run here.
    if refusal := front_end_refusal(ids):
        raise pytest.UsageError(refusal)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters and used-TOTP markers live in the cache: no test inherits another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db):
    def make(*roles: str, **kwargs):
        return UserFactory(roles=list(roles), **kwargs)

    return make


def current_totp_code(secret: str = TOTP_SECRET) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def enrol_totp(user) -> Authenticator:
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return existing or TOTP.activate(user, TOTP_SECRET).instance


def sign_in(client, user, *, with_second_factor: bool = True):
    """Sign in through allauth's real forms: password, then (if enrolled) the TOTP code."""
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=False
    )
    assert response.status_code == 302, response.content
    if with_second_factor and response.url == reverse("mfa_authenticate"):
        response = client.post(reverse("mfa_authenticate"), {"code": current_totp_code()})
        if response.status_code == 200:
            # The code was read as its 30-second window closed (a busy machine): type the next.
            response = client.post(reverse("mfa_authenticate"), {"code": current_totp_code()})
        assert response.status_code == 302, response.content
    return response


@pytest.fixture
def signed_in(client):
    """Sign a user in through allauth (with their second factor when they have one)."""

    def do(user, *, enrol: bool = True):
        if enrol:
            enrol_totp(user)
        sign_in(client, user)
        return client

    return do


# --- Role clients, in one place ----------------------------------------------------------------

ROLE_GROUPS = {
    "member": roles.BOARD_MEMBERS,
    "manager": roles.ENGAGEMENT_MANAGERS,
    "approver": roles.APPROVERS,
    "analyst": roles.INCLUSION_ANALYSTS,
}


@pytest.fixture
def client_as(client, make_user, signed_in):
    """``client_as("approver")``: the test client signed in through allauth as a new user in that
    role ("member", "manager", "approver", "analyst" or "superuser"), council roles with their
    second factor. The user is ``client.user``."""

    def make(role: str, **user_fields):
        if role == "superuser":
            user = make_user(is_superuser=True, **user_fields)
        else:
            user = make_user(ROLE_GROUPS[role], **user_fields)
        signed_in(user, enrol=role != "member")
        client.user = user
        return client

    return make


@pytest.fixture
def manager_client(client_as):
    return client_as("manager")


@pytest.fixture
def approver_client(client_as):
    return client_as("approver")


@pytest.fixture
def analyst_client(client_as):
    return client_as("analyst")


@pytest.fixture
def database_tasks(settings):
    """Tasks go to django-tasks' database backend, as in production, for one test."""
    from django_tasks import task_backends

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    task_backends._settings = None
    task_backends.__dict__.pop("settings", None)
    yield
    task_backends._settings = None
    task_backends.__dict__.pop("settings", None)
