from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from csp.middleware import CSPMiddleware, PolicyParts

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from cms.roles import requires_second_factor
from cms.selectors import user_has_second_factor

# Views a signed-in person who still owes a second factor may reach: setting one up, and leaving.
SECOND_FACTOR_EXEMPT_URL_NAMES = frozenset(
    {
        "account_logout",
        "account_reauthenticate",
        "mfa_index",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_reauthenticate",
    }
)


# Survey pages never read the account (an officer answers the staff survey anonymously, through
# the link in their email): sending them to set up an authenticator first kept officers who had
# not yet done so from answering.
SECOND_FACTOR_EXEMPT_NAMESPACES = frozenset({"surveys"})


class SecondFactorRequiredMiddleware:
    """Every council role must sign in with a second factor before it sees anything else.

    * Signed in but no second factor set up: only the set-up pages and sign-out are reachable.
    * A second factor set up but this session was not verified with it (any sign-in path that
      skipped allauth's MFA stage, such as a future or misconfigured login view): signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not requires_second_factor(user):
            return None
        match = request.resolver_match
        if match and match.url_name in SECOND_FACTOR_EXEMPT_URL_NAMES:
            return None
        if match and match.namespace in SECOND_FACTOR_EXEMPT_NAMESPACES:
            return None
        if not user_has_second_factor(user=user):
            if request.method == "GET":
                messages.info(
                    request,
                    "Your role needs a second factor. Set up an authenticator app to continue.",
                    fail_silently=True,
                )
            return redirect("mfa_activate_totp")
        records = get_authentication_records(request, user)
        if not any(record.get("method") == "mfa" for record in records):
            logout(request)
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp, with the admin's few relaxations applied under ADMIN_CSP_PATH_PREFIX."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(settings.ADMIN_CSP_PATH_PREFIX):
            parts.replace = {**settings.ADMIN_CSP_REPLACE, **(parts.replace or {})}
        return parts
