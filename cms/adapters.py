"""allauth adapters: sign-up is by invitation only; where people land after signing in."""

from __future__ import annotations

import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context

from django import forms
from django.http import HttpRequest
from django.urls import reverse

from cms import selectors, services
from cms.reauthentication import SENSITIVE_ACTIONS, recently_authenticated
from cms.roles import requires_second_factor

# A person made to set up their first authenticator right after signing in is not asked for
# their password again, provided they signed in this recently.
FIRST_FACTOR_FRESH_SECONDS = 15 * 60


class AccountAdapter(DefaultAccountAdapter):
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
