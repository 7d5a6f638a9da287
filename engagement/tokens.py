"""Tokens in newsletter emails. Only a SHA-256 of each is stored.

Both are HMACs keyed by ``SECRET_KEY``: the confirmation token of the address and the moment the
confirmation was sent (single use: confirming clears its hash), the unsubscribe token of the
address and the sign-up time. So the task worker can write either link from the subscriber's row
when it sends the email, and neither token is ever stored, in the subscriber table or in the
task table's arguments: a copy of the database alone can neither confirm nor unsubscribe anyone.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.utils.crypto import salted_hmac

UNSUBSCRIBE_SALT = "engagement.newsletter.unsubscribe"
CONFIRM_SALT = "engagement.newsletter.confirm"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unsubscribe_token(*, email: str, created_at: datetime) -> str:
    moment = int(created_at.timestamp() * 1_000_000)
    return salted_hmac(UNSUBSCRIBE_SALT, f"{email}|{moment}", algorithm="sha256").hexdigest()


def confirmation_token(*, email: str, sent_at: datetime) -> str:
    moment = int(sent_at.timestamp() * 1_000_000)
    return salted_hmac(CONFIRM_SALT, f"{email}|{moment}", algorithm="sha256").hexdigest()
