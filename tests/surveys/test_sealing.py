"""A sealed pending response reveals neither when it was written nor how long its answers are."""

from __future__ import annotations

import base64
import json

import pytest

from surveys import sealing

SHORT = {"ethnic_group": "asian_indian", "comments": "ok"}
LONG = {"ethnic_group": "asian_indian", "comments": "A long account of what happened. " * 300}


def _raw(sealed: str) -> bytes:
    version, _, body = sealed.partition(".")
    assert version == sealing.VERSION
    return base64.urlsafe_b64decode(body)


def test_answers_of_any_ordinary_length_seal_to_the_same_size():
    sizes = {len(sealing.seal(answers)) for answers in (SHORT, LONG, {}, {"a": "é" * 2000})}
    assert len(sizes) == 1
    raw = _raw(sealing.seal(SHORT))
    # Version, nonce, one padded bucket and the tag: nothing else is stored.
    assert len(raw) == sealing.NONCE_BYTES + sealing.BUCKET_BYTES + sealing.TAG_BYTES


def test_only_the_bucket_count_shows_and_it_is_coarse():
    huge = {"comments": "x" * (sealing.BUCKET_BYTES + 10)}
    raw = _raw(sealing.seal(huge))
    assert len(raw) == sealing.NONCE_BYTES + 2 * sealing.BUCKET_BYTES + sealing.TAG_BYTES
    assert sealing.unseal(sealing.seal(huge)) == huge


def test_the_sealed_form_holds_no_time(monkeypatch):
    """Fernet wrote its creation time into bytes 1-9 of every token; nothing here depends on
    the clock: two seals of the same answers at different times differ only by the random
    nonce and what it changes, and the layout has no field for a time."""
    import time

    first = _raw(sealing.seal(SHORT))
    monkeypatch.setattr(time, "time", lambda: 4_102_444_800.0)  # 2100-01-01
    later = _raw(sealing.seal(SHORT))
    assert len(first) == len(later)
    assert first[: sealing.NONCE_BYTES] != later[: sealing.NONCE_BYTES]
    for moment in (int(time.time()), 4_102_444_800):
        assert moment.to_bytes(8, "big") not in first + later


def test_tampering_is_refused_and_a_fernet_token_from_before_still_opens(settings):
    sealed = sealing.seal(SHORT)
    raw = bytearray(_raw(sealed))
    raw[-1] ^= 1
    tampered = sealing.VERSION + "." + base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(ValueError):
        sealing.unseal(tampered)
    with pytest.raises(ValueError):
        sealing.unseal("2.not-base64!!")

    from cryptography.fernet import Fernet

    from django.utils.crypto import salted_hmac

    key = salted_hmac(sealing.SALT, "fernet", secret=settings.SECRET_KEY, algorithm="sha256")
    legacy = Fernet(base64.urlsafe_b64encode(key.digest())).encrypt(json.dumps(SHORT).encode())
    assert sealing.unseal(legacy.decode()) == SHORT
