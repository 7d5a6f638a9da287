"""No raw single-use token in any log the platform writes.

A survey link, an account invitation, a newsletter confirmation or unsubscribe link and a
password-reset link each carry a secret in their path. Django's request log ("Gone:
/survey/<token>/", "Not Found: ...") and the development server's request lines wrote it out
whole, so anyone reading the logs could use a link, or, with database access, hash it and see
whether it had been used.

``RedactSecrets`` is a logging filter on every handler (``LOGGING`` in cms/settings/base.py). It
finds the secret parts of paths from the URL patterns themselves: any path parameter named
``token``, ``key``, ``uidb36`` or ``uidb64``, in our patterns or a library's. So a new URL with
a token is covered without a change here (``tests/cms/test_log_redaction.py`` checks every
such pattern). The load balancer's own access log is outside the application: the README says
how to keep tokens out of it.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

SECRET_PARAMETERS = ("token", "key", "uidb36", "uidb64")
REDACTED = "[redacted]"


def _joined(prefix: str, pattern: str) -> str:
    """Concatenate two resolver regexes, as Django matches them one after the other."""
    pattern = pattern.removeprefix("^")
    for end in (r"\Z", "$"):
        pattern = pattern.removesuffix(end)
    return prefix + pattern


def _walk(resolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        regex = _joined(prefix, entry.pattern.regex.pattern)
        if hasattr(entry, "url_patterns"):
            yield from _walk(entry, regex)
        elif any(f"(?P<{name}>" in regex for name in SECRET_PARAMETERS):
            yield regex


@lru_cache(maxsize=1)
def secret_paths() -> tuple[re.Pattern, ...]:
    """One regex per URL pattern with a secret in its path, matching it after a "/"."""
    from django.urls import get_resolver

    found = []
    for regex in dict.fromkeys(_walk(get_resolver())):
        # Each route's own parameters keep their names; a group that ran past the secret's
        # segment (``.+``) is held to one segment so the rest of the line stays readable.
        bounded = regex.replace("(?P<key>.+)", r"(?P<key>[^/?#\s]+)")
        found.append(re.compile("/" + bounded))
    return tuple(found)


def redact(text: str) -> str:
    for pattern in secret_paths():
        text = pattern.sub(_without_secrets, text)
    return text


def _routes_to_a_secret(path: str) -> bool:
    """False for a path an earlier pattern serves without a secret ("/survey/thank-you/")."""
    from django.urls import Resolver404, resolve

    try:
        return any(name in resolve(path).kwargs for name in SECRET_PARAMETERS)
    except Resolver404:
        return True


def _without_secrets(match: re.Match) -> str:
    """The matched path with each secret part replaced, right to left so spans stay true."""
    text, start = match.group(0), match.start()
    if not _routes_to_a_secret(text.split("?", 1)[0]):
        return text
    spans = [
        match.span(name)
        for name in SECRET_PARAMETERS
        if name in match.re.groupindex and match.group(name) is not None
    ]
    for begin, end in sorted(spans, reverse=True):
        text = text[: begin - start] + REDACTED + text[end - start :]
    return text


class RedactSecrets(logging.Filter):
    """Rewrite each record's message with every path secret redacted; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a badly formatted record is still logged, as it is
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
