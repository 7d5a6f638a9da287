"""Reads for site-wide accounts."""

from __future__ import annotations

from allauth.mfa.models import Authenticator

from django.http import HttpRequest

from cms.models import Invitation
from cms.models.invitations import hash_token

INVITATION_SESSION_KEY = "cms_invitation_id"


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation for a raw token from an email link, whatever its status."""
    return Invitation.objects.select_related("role").filter(token_hash=hash_token(token)).first()


def invitation_from_session(*, request: HttpRequest) -> Invitation | None:
    """The pending invitation this browser opened, if any. Sign-up is open only while it is."""
    invitation_id = request.session.get(INVITATION_SESSION_KEY)
    if not invitation_id:
        return None
    return Invitation.objects.pending().select_related("role").filter(pk=invitation_id).first()


def user_has_second_factor(*, user) -> bool:
    return Authenticator.objects.filter(
        user_id=user.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def placeholder_account(*, email: str):
    """An account made for someone before they were invited (e.g. by a members import).

    It has no usable password and has never been signed in to: the invitation activates it.
    """
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(email__iexact=email, last_login__isnull=True).first()
    if user is None or user.has_usable_password():
        return None
    return user
