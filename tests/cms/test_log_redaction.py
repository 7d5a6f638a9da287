"""No raw single-use token reaches a log record the platform writes."""

from __future__ import annotations

import io
import logging
import re

import pytest

from django.urls import Resolver404, get_resolver, resolve

from cms.platform.log_redaction import REDACTED, RedactSecrets, _walk, redact

SECRET = "SECRETzq7Xw9Ab3"
SAMPLES = {"token": SECRET, "key": SECRET, "uidb36": "2x", "uidb64": "MQ", "number": "2"}


def sample_path(regex: str) -> str:
    """A path the pattern matches, with the secret parameters filled with SECRET."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLES.get(m.group(1), "7"), regex)
    path = path.replace("^", "").replace("\\Z", "").replace("$", "")
    # Django escapes a route's literal characters ("survey\\-data"): the path has them plain.
    return "/" + re.sub(r"\\(.)", r"\1", path)


def test_every_url_with_a_secret_in_its_path_is_redacted():
    regexes = list(dict.fromkeys(_walk(get_resolver())))
    paths = [sample_path(regex) for regex in regexes]
    # Our links and the libraries': survey, invitation, newsletter, email and password links.
    for prefix in (
        "/survey/",
        "/accounts/invitation/",
        "/newsletter/confirm/",
        "/newsletter/unsubscribe/",
        "/accounts/confirm-email/",
        "/accounts/password/reset/key/",
    ):
        assert any(path.startswith(prefix) for path in paths), prefix
    for path in paths:
        try:
            resolve(path)
        except Resolver404:  # pragma: no cover - the sample itself is wrong
            pytest.fail(f"{path} is not a path of its pattern")
        line = f"Gone: {path} (referred by {path}?utm=x)"
        assert SECRET not in redact(line), path
        assert REDACTED in redact(line)
    assert redact("Not Found: /survey/thank-you/") == "Not Found: /survey/thank-you/"
    assert redact("GET /board/you-said-we-did/ 200") == "GET /board/you-said-we-did/ 200"


@pytest.fixture
def configured_output():
    """What the platform's own handlers (LOGGING) write, whatever pytest adds beside them."""
    handlers = [
        handler
        for name in ("", "django.server")
        for handler in logging.getLogger(name).handlers
        if any(isinstance(f, RedactSecrets) for f in handler.filters)
    ]
    assert len(handlers) == 2  # the console and the development server's request lines
    stream = io.StringIO()
    previous = [handler.setStream(stream) for handler in handlers]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)


@pytest.mark.django_db
def test_a_used_or_unknown_link_logs_no_token(client, configured_output):
    assert client.get(f"/survey/{SECRET}/").status_code in (404, 410)
    assert client.get(f"/accounts/invitation/{SECRET}/").status_code in (404, 410)
    assert client.get(f"/newsletter/confirm/{SECRET}/").status_code in (404, 410, 200)
    output = configured_output.getvalue()
    assert "/survey/" in output and REDACTED in output
    assert SECRET not in output


def test_the_development_server_request_line_logs_no_token(configured_output):
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /survey/{SECRET}/page/2/ HTTP/1.1", "410", "0"
    )
    output = configured_output.getvalue()
    assert f"/survey/{REDACTED}/page/2/" in output
    assert SECRET not in output
