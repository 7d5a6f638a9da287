"""Sensitive actions ask the person to prove who they are again, through allauth.

Erasing a former member, downloading one's personal data and exporting survey responses are done
only by someone who signed in or re-authenticated (password, or an authenticator code) within
``ACCOUNT_REAUTHENTICATION_TIMEOUT``. Otherwise allauth's middleware sends them to its
re-authentication page and back to the action afterwards (a form that was posted is replayed).

allauth counts only an explicit re-authentication as fresh; ``cms.adapters.AccountAdapter`` also
counts a sign-in, for the actions marked here (``app=SENSITIVE_ACTIONS``), so a person who has
just signed in is not asked twice.
"""

from __future__ import annotations

import time

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.decorators import reauthentication_required

#: The "app" allauth passes to the adapter's ``is_reauthentication_required`` for these actions.
SENSITIVE_ACTIONS = "cms.sensitive_actions"


def last_authenticated_at(request, user) -> float | None:
    """When this session last proved who the person is (sign-in, second factor or re-auth)."""
    records = get_authentication_records(request, user)
    return max((record["at"] for record in records), default=None)


def recently_authenticated(request, user) -> bool:
    at = last_authenticated_at(request, user)
    return at is not None and time.time() - at < account_settings.REAUTHENTICATION_TIMEOUT


def sensitive_action(view=None, *, permission: str | None = None):
    """Ask for re-authentication before ``view`` when the last proof is older than the timeout.

    With ``permission``, only holders of it are asked: anyone else goes straight to the view's own
    refusal instead of being made to type a password first.
    """
    enabled = None
    if permission is not None:

        def enabled(request) -> bool:
            return request.user.has_perm(permission)

    decorator = reauthentication_required(app=SENSITIVE_ACTIONS, enabled=enabled)
    return decorator(view) if view is not None else decorator
