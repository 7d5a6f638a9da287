"""A fixed-window rate limit counted in the cache (shared across app servers via CACHE_URL)."""

from __future__ import annotations

from allauth.account.adapter import get_adapter

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

NEWSLETTER_SIGNUPS_PER_HOUR = 5


def client_ip(request: HttpRequest) -> str:
    # allauth's reading of the client address, so sign-in and sign-up limits agree behind a
    # proxy (ALLAUTH_TRUSTED_PROXY_COUNT / ALLAUTH_TRUSTED_CLIENT_IP_HEADER).
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:  # no address at all: count every such request together
        return "unknown"


def allow(key: str, *, limit: int, period: int) -> bool:
    """Count one attempt under ``key``; False once more than ``limit`` fall in one window."""
    cache_key = f"engagement:ratelimit:{key}"
    if cache.add(cache_key, 1, timeout=period):
        return True
    try:
        attempts = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=period)
        return True
    return attempts <= limit


def allow_newsletter_signup(request: HttpRequest) -> bool:
    return allow(
        f"newsletter-signup:{client_ip(request)}", limit=NEWSLETTER_SIGNUPS_PER_HOUR, period=3600
    )
