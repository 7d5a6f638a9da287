"""Writes for site-wide accounts: invitations and what happens when one is accepted."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from wagtail.log_actions import log

from cms import selectors
from cms.models import Invitation, User
from cms.models.invitations import hash_token, new_token
from cms.roles import roles_user_may_invite


def _invitation_url(token: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
        "invitation_accept", kwargs={"token": token}
    )


@transaction.atomic
def invitation_create(*, email: str, role: Group, invited_by: User) -> Invitation:
    """Invite someone to create an account in one role and email them a single-use link.

    Any earlier pending invitation to the same address is revoked, so only the newest link works.
    """
    email = get_user_model().objects.normalize_email(email.strip()).lower()
    if role.name not in roles_user_may_invite(invited_by):
        raise PermissionDenied(f"You cannot invite people to the role {role.name}.")
    if (
        get_user_model().objects.filter(email__iexact=email).exists()
        and selectors.placeholder_account(email=email) is None
    ):
        raise ValidationError({"email": "Someone with this email address already has an account."})

    now = timezone.now()
    Invitation.objects.pending().filter(email__iexact=email).update(revoked_at=now)
    token = new_token()
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    log(instance=invitation, action="wagtail.create", user=invited_by)

    context = {
        "invitation": invitation,
        "url": _invitation_url(token),
        "council_name": settings.COUNCIL_NAME,
        "valid_days": settings.INVITATION_VALID_DAYS,
    }
    subject = f"You are invited to join {settings.COUNCIL_NAME}'s {role.name.lower()}"
    body = render_to_string("emails/invitation.txt", context)
    # Sent after commit so a rolled-back invitation never reaches anyone's inbox.
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=False)
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    if not invitation.is_pending:
        raise ValidationError("Only a pending invitation can be revoked.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    log(instance=invitation, action="cms.invitation.revoke", user=by)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Invitation:
    """Give the new account its role and close the invitation."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_pending:
        raise ValidationError("This invitation has already been used, revoked or has expired.")
    if locked.email.lower() != user.email.lower():
        raise ValidationError("This invitation was sent to a different email address.")
    user.groups.add(locked.role)
    locked.accepted_at = timezone.now()
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    log(instance=locked, action="cms.invitation.accept", user=user)
    return locked


@transaction.atomic
def invitation_activate_account(*, invitation: Invitation, user: User, password: str) -> User:
    """Accept an invitation for an account that already exists but was never used.

    The link proves the address, so it is recorded as verified.
    """
    from allauth.account.models import EmailAddress

    if selectors.placeholder_account(email=user.email) is None:
        raise ValidationError("This account is already in use: sign in instead.")
    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user,
        email__iexact=user.email,
        defaults={"email": user.email, "verified": True, "primary": True},
    )
    invitation_accept(invitation=invitation, user=user)
    return user


@transaction.atomic
def invitations_delete_expired(*, expired_before) -> int:
    """Delete account invitations never accepted (expired or revoked) that expired before then.

    An accepted invitation stays: it records who brought the account in, in which role (it goes
    when the account is erased).
    """
    deleted, _ = Invitation.objects.filter(
        accepted_at__isnull=True, expires_at__lt=expired_before
    ).delete()
    return deleted
