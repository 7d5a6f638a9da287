"""Answers waiting for release are sealed with a key the database does not hold.

A ``PendingResponse`` is written in the same transaction as its used invitation, so until it is
released anyone comparing two copies of the database (or, on PostgreSQL, reading transaction ids)
can tell which link it came from. Sealing it with a key derived from ``SECRET_KEY`` means a
database copy or backup alone does not show what that person answered: only the running
application can open it, when it releases a batch. Fernet (AES-128-CBC with HMAC-SHA256, from
``cryptography``) rather than Django's signing, which authenticates but does not encrypt.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "surveys.sealing.pending-response"


def _fernet(secret: str) -> Fernet:
    key = salted_hmac(SALT, "fernet", secret=secret, algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    # Sealed with the current key; opened with it or any fallback, so rotating SECRET_KEY with
    # SECRET_KEY_FALLBACKS does not strand answers waiting for release.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(secret) for secret in secrets])


def seal(answers: dict) -> str:
    return _keys().encrypt(json.dumps(answers, separators=(",", ":")).encode()).decode()


def unseal(sealed: str) -> dict:
    """The answers, or ``ValueError`` if no current or fallback key opens them."""
    try:
        return json.loads(_keys().decrypt(sealed.encode()))
    except InvalidToken as error:
        raise ValueError("Sealed with a key this server no longer has") from error
