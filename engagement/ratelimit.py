"""The newsletter sign-up's limits, counted like every other limit of the platform
(``cms.ratelimits``: allauth's reading of the client's address behind the load balancer, and its
limiter). The numbers are settings: NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR and
NEWSLETTER_SIGNUPS_PER_EMAIL_PER_DAY."""

from __future__ import annotations

from django.http import HttpRequest

from cms import ratelimits
from engagement.services import normalise_email

REFUSED_ADDRESS = "newsletter_signup_address"
REFUSED_EMAIL = "newsletter_signup_email"


def count_newsletter_signup(request: HttpRequest, *, email: str) -> ratelimits.Attempt:
    """Count one accepted sign-up from this connection and for this email address, or, if
    either has had too many, neither (``refused_by`` says which). Only a sign-up that is going
    to be sent is counted: a mistyped address is not, so a shared computer serves a queue."""
    return ratelimits.consume(
        request, [(REFUSED_ADDRESS, None), (REFUSED_EMAIL, normalise_email(email))]
    )
