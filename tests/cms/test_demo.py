"""The demo command builds a site with an account for every role, and can run twice."""

from __future__ import annotations

import io

import pytest
from allauth.mfa.models import Authenticator
from django_tasks import task_backends
from django_tasks_db.models import DBTaskResult

from django.core.management import CommandError, call_command
from django.test import override_settings

from wagtail.models import ReferenceIndex

from board.models import CouncilResponse, Membership, Recommendation
from cms import roles
from cms.demo import DEMO_ACCOUNTS
from cms.models import HomePage, SiteSettings, User

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _run_demo() -> str:
    out = io.StringIO()
    call_command("demo", no_serve=True, stdout=out)
    return out.getvalue()


@override_settings(DEBUG=True, TASKS=DB_TASKS, MFA_TOTP_INSECURE_BYPASS_CODE="000000")
def test_demo_builds_every_role_and_runs_twice():
    task_backends._settings = None  # pick up the overridden TASKS
    task_backends.__dict__.pop("settings", None)
    output = _run_demo()
    counts = {model: model.objects.count() for model in (User, Recommendation, Membership)}
    output_again = _run_demo()
    # Running twice adds nothing.
    assert counts == {model: model.objects.count() for model in counts}

    for account in DEMO_ACCOUNTS:
        assert account.email in output
        user = User.objects.get(email=account.email)
        if account.role:
            assert account.role in user.groups.values_list("name", flat=True)
        assert user.is_superuser == account.superuser
        has_totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        assert has_totp == account.needs_second_factor
    assert {a.role for a in DEMO_ACCOUNTS if a.role} == set(roles.ALL_ROLES)
    # The board's demo has a recommendation in every state and a response of every outcome.
    assert set(Recommendation.objects.values_list("status", flat=True)) == set(
        Recommendation.Status.values
    ) - {Recommendation.Status.APPROVED}
    assert set(CouncilResponse.objects.filter(live=True).values_list("outcome", flat=True)) == set(
        CouncilResponse.Outcome.values
    )
    assert "000000" in output_again

    assert SiteSettings.objects.get().council_name == "Northshire Council"
    assert HomePage.objects.get().live
    # Wagtail's enqueued reference-index tasks ran on the database backend.
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").exists()
    assert ReferenceIndex.objects.exists() or DBTaskResult.objects.count() > 0


@override_settings(DEBUG=False)
def test_demo_refuses_without_debug():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo", no_serve=True, stdout=io.StringIO())
    assert not User.objects.exists()
