from __future__ import annotations

from urllib.parse import urlsplit

from allauth.account.authentication import get_authentication_records
from csp.middleware import CSPMiddleware, PolicyParts

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext

from cms.roles import BOARD_MEMBERS, requires_second_factor, role_names
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


# wagtail.admin.auth.require_admin_access's message, in Wagtail's words (and translations).
WAGTAIL_ADMIN_REFUSAL = "You do not have permission to access the admin."


class AdminForStaffOnlyMiddleware:
    """A signed-in person without admin access who opens an /admin/ link is told it is for staff.

    Wagtail sends anyone without admin access to sign in, and allauth sends a signed-in person
    straight back to ``next``: a board member who followed an admin link from an email bounced
    between the two until the browser gave up (ERR_TOO_MANY_REDIRECTS). Only that redirect is
    replaced, so visitors are still sent to sign in, and the admin's few open views (its icons,
    its translations) still answer everyone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self._sends_a_signed_in_person_to_sign_in(request, response):
            # Wagtail queued "You do not have permission to access the admin." for the page it
            # redirected to; this page says so itself. Reading the messages uses them all up.
            refusal = gettext(WAGTAIL_ADMIN_REFUSAL)
            other_messages = [
                m for m in messages.get_messages(request) if str(m).strip() != refusal
            ]
            return render(
                request,
                "cms/admin_for_staff.html",
                {
                    "is_board_member": BOARD_MEMBERS in role_names(request.user),
                    "messages": other_messages,
                },
                status=403,
            )
        return response

    @staticmethod
    def _sends_a_signed_in_person_to_sign_in(request: HttpRequest, response) -> bool:
        user = getattr(request, "user", None)
        if response.status_code != 302 or user is None or not user.is_authenticated:
            return False
        if not request.path_info.startswith(reverse("wagtailadmin_home")):
            return False
        match = request.resolver_match
        if match and match.url_name == "admin_login_redirect":
            return False  # /admin/login/ only forwards to allauth, which sends them on: no loop
        # Wagtail sends people to WAGTAILADMIN_LOGIN_URL, or from an unknown admin address to its
        # own /admin/login/, which forwards to allauth: either way back here.
        sign_in_paths = {
            resolve_url(settings.WAGTAILADMIN_LOGIN_URL),
            resolve_url(settings.LOGIN_URL),
            reverse("wagtailadmin_login"),
        }
        if urlsplit(response["Location"]).path not in sign_in_paths:
            return False
        return not user.has_perm("wagtailadmin.access_admin")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp, with the admin's few relaxations applied under ADMIN_CSP_PATH_PREFIX."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(settings.ADMIN_CSP_PATH_PREFIX):
            parts.replace = {**settings.ADMIN_CSP_REPLACE, **(parts.replace or {})}
        return parts
