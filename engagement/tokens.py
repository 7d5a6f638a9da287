"""Tokens in newsletter emails. Only a SHA-256 of each is stored.

The confirmation token is random and single use. The unsubscribe token is an HMAC (keyed by
``SECRET_KEY``) of the subscriber's address and sign-up time, so every newsletter email can carry
a working one-click unsubscribe link without the token itself ever being stored: a copy of the
database alone cannot unsubscribe anyone.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.utils.crypto import salted_hmac

UNSUBSCRIBE_SALT = "engagement.newsletter.unsubscribe"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unsubscribe_token(*, email: str, created_at: datetime) -> str:
    moment = int(created_at.timestamp() * 1_000_000)
    return salted_hmac(UNSUBSCRIBE_SALT, f"{email}|{moment}", algorithm="sha256").hexdigest()
