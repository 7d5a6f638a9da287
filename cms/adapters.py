"""allauth adapters: sign-up is by invitation only; where people land after signing in; sign-in
limits that slow a guesser without locking the owner out (numbers in ACCOUNT_RATE_LIMITS)."""

from __future__ import annotations

import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context
from allauth.core import ratelimit as allauth_ratelimit

from django import forms
from django.http import HttpRequest
from django.urls import reverse

from cms import ratelimits, selectors, services
from cms.reauthentication import SENSITIVE_ACTIONS, recently_authenticated
from cms.roles import requires_second_factor

# A person made to set up their first authenticator right after signing in is not asked for
# their password again, provided they signed in this recently.
FIRST_FACTOR_FRESH_SECONDS = 15 * 60


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": "Too many failed login attempts. Try again later, or reset "
        "your password if you have forgotten it.",
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Open only to a browser holding a pending invitation (see cms.views.invitation_accept).
        return selectors.invitation_from_session(request=request) is not None

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        request = context.request
        invitation = selectors.invitation_from_session(request=request) if request else None
        if invitation and invitation.email.lower() != email.lower():
            raise forms.ValidationError(
                f"Use the email address your invitation was sent to: {invitation.email}"
            )
        return email

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        invitation = selectors.invitation_from_session(request=request)
        if invitation is None:
            # The sign-up view checks this first; this guards against a race with revocation.
            raise forms.ValidationError("Sign-up is by invitation only.")
        user = super().save_user(request, user, form, commit=True)
        services.invitation_accept(invitation=invitation, user=user)
        request.session.pop(selectors.INVITATION_SESSION_KEY, None)
        return user

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        user = request.user
        if requires_second_factor(user) and not selectors.user_has_second_factor(user=user):
            return reverse("mfa_activate_totp")
        if user.has_perm("wagtailadmin.access_admin"):
            return reverse("wagtailadmin_home")
        return super().get_login_redirect_url(request)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        request = context.request
        user = getattr(request, "user", None)
        if app == SENSITIVE_ACTIONS:
            # A sign-in counts as much as a re-authentication (allauth counts only the latter).
            authenticated = user is not None and user.is_authenticated
            return not (authenticated and recently_authenticated(request, user))
        if (
            app == "allauth.mfa"
            and user is not None
            and user.is_authenticated
            and not selectors.user_has_second_factor(user=user)
        ):
            records = get_authentication_records(request, user)
            if records and time.time() - records[-1]["at"] < FIRST_FACTOR_FRESH_SECONDS:
                return False
        return super().is_reauthentication_required(app=app, **kwargs)

    # --- Sign-in limits ------------------------------------------------------------------------

    def _account_and_address(self, request: HttpRequest, **credentials) -> tuple[str, str]:
        # allauth's own key for the account ("site:email"), and the pair with this address.
        account = self._get_login_attempts_cache_key(request, **credentials)
        return account, f"{account}|{ratelimits.client_address(request)}"

    def pre_authenticate(self, request: HttpRequest, **credentials) -> None:
        """Count the attempt before the password is checked (a right one is uncounted by
        allauth's ``authenticate``): per account and address, per address, and, from an address
        the account has not signed in from, per account."""
        account, pair = self._account_and_address(request, **credentials)
        limits = [("login_failed", pair), ("login_failed_address", None)]
        if not ratelimits.is_known_address(request, scope=account):
            limits.append(("login_failed_account", account))
        attempt = ratelimits.consume(request, limits, app=ratelimits.ACCOUNT_APP)
        # allauth's authenticate() rolls this back when the password is right.
        self._login_failed_rl_usage = attempt
        if not attempt:
            raise self.validation_error("too_many_login_attempts")

    def login(self, request: HttpRequest, user) -> None:
        super().login(request, user)
        # Only a whole sign-in (second factor included) makes this address the owner's.
        account, _ = self._account_and_address(request, email=user.email)
        ratelimits.remember_address(request, scope=account)

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials) -> None:
        # After a password reset (the mailbox is proved) allauth clears the failed sign-ins; ours
        # are keyed by account and address, and this address is now the owner's.
        account, pair = self._account_and_address(request, **credentials)
        allauth_ratelimit.clear(request, action="login_failed", key=pair)
        ratelimits.remember_address(request, scope=account)
