"""Signal receivers for allauth events."""

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added

from django.dispatch import receiver


@receiver(authenticator_added)
def record_second_factor_on_activation(sender, request, user, authenticator, **kwargs):
    """Setting up an authenticator proves the second factor for this session.

    allauth records "mfa" only when a code is entered at sign-in; without this, someone who has
    just set up TOTP would be signed out by SecondFactorRequiredMiddleware straight away.
    """
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
