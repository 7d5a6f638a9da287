"""Answers waiting for release are sealed with a key the database does not hold.

A ``PendingResponse`` is written in the same transaction as its used invitation, so until it is
released anyone comparing two copies of the database (or, on PostgreSQL, reading transaction ids)
can tell which link it came from. Sealing it with a key derived from ``SECRET_KEY`` means a
database copy or backup alone does not show what that person answered: only the running
application can open it, when it releases a batch.

The sealed form reveals neither when it was written nor how long the answers are:

* AES-256-GCM (authenticated encryption, from ``cryptography``) with a random nonce. Fernet,
  used before, writes its creation time in clear into every token (bytes 1-9), which matched
  the server's log line for the submission to the second.
* The answers are padded to a multiple of ``BUCKET_BYTES`` before sealing, so every ordinary
  response has the same size; before, the ciphertext grew with the free text.

Tokens sealed with Fernet before this change still open, so responses waiting at an upgrade are
released as usual.
"""

from __future__ import annotations

import base64
import binascii
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "surveys.sealing.pending-response"
VERSION = "2"
NONCE_BYTES = 12
LENGTH_BYTES = 4
# Larger than a whole response with long free-text answers, so the size says nothing about what
# was written; a response past it (several answers near the 5,000-character limit) takes a
# second bucket.
BUCKET_BYTES = 16 * 1024
TAG_BYTES = 16


def _secrets() -> list[str]:
    # Sealed with the current key; opened with it or any fallback, so rotating SECRET_KEY with
    # SECRET_KEY_FALLBACKS does not strand answers waiting for release.
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _aead(secret: str) -> AESGCM:
    return AESGCM(salted_hmac(SALT, "aes-256-gcm", secret=secret, algorithm="sha256").digest())


def padded(plain: bytes) -> bytes:
    """The length, the bytes, then zeros up to the next whole bucket."""
    body = len(plain).to_bytes(LENGTH_BYTES, "big") + plain
    buckets = -(-len(body) // BUCKET_BYTES)
    return body.ljust(buckets * BUCKET_BYTES, b"\0")


def unpadded(body: bytes) -> bytes:
    length = int.from_bytes(body[:LENGTH_BYTES], "big")
    return body[LENGTH_BYTES : LENGTH_BYTES + length]


def seal(answers: dict) -> str:
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(answers, separators=(",", ":")).encode()
    sealed = _aead(settings.SECRET_KEY).encrypt(nonce, padded(plain), VERSION.encode())
    return VERSION + "." + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(sealed: str) -> dict:
    """The answers, or ``ValueError`` if no current or fallback key opens them."""
    if not sealed.startswith(VERSION + "."):
        return _unseal_fernet(sealed)
    try:
        raw = base64.urlsafe_b64decode(sealed[len(VERSION) + 1 :])
    except (binascii.Error, ValueError) as error:
        raise ValueError("Not a sealed response") from error
    nonce, ciphertext = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    for secret in _secrets():
        try:
            body = _aead(secret).decrypt(nonce, ciphertext, VERSION.encode())
        except InvalidTag:
            continue
        return json.loads(unpadded(body))
    raise ValueError("Sealed with a key this server no longer has")


def _unseal_fernet(sealed: str) -> dict:
    """Responses sealed before version 2 (Fernet), still waiting at an upgrade."""
    keys = [
        Fernet(
            base64.urlsafe_b64encode(
                salted_hmac(SALT, "fernet", secret=secret, algorithm="sha256").digest()
            )
        )
        for secret in _secrets()
    ]
    try:
        return json.loads(MultiFernet(keys).decrypt(sealed.encode()))
    except InvalidToken as error:
        raise ValueError("Sealed with a key this server no longer has") from error
