"""The submission benchmark's load generator: browsers, the survey flow and concurrent clients.

A ``Browser`` is one person: an ``httpx.Client`` with its own cookies, over one connection pool
that every browser of the run shares (``Site``). Forms are posted as a browser posts them:
every field, the CSRF token, the cookies and an Origin header.
"""

from __future__ import annotations

import gc
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx

from django.conf import settings
from django.core.management.base import CommandError

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 60
LOCKED = b"database is locked"
USED_PAGE_MARK = b"already been used"
THANK_YOU_PATH = "/survey/thank-you/"
MAX_PAGES = 10
FREE_TEXT = (
    "Fairer promotion panels",
    "Mentoring for staff from ethnic minorities",
    "Publish the pay gap by ethnic group",
    "Training for managers on racism at work",
)


class FlowFailed(Exception):
    """A flow ended in a way no person should see; ``kind`` is the table's column."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class Refused(Exception):
    """The server said the link has already been used (410)."""


@dataclass
class Tally:
    """What one client saw; merged across clients at the end."""

    accepted: int = 0
    refused_used: int = 0
    server_errors: int = 0
    locked: int = 0
    other: int = 0
    requests: int = 0
    request_seconds: list[float] = field(default_factory=list)
    submission_seconds: list[float] = field(default_factory=list)
    accepted_tokens: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    session_keys: set[str] = field(default_factory=set)

    def fail(self, error: FlowFailed) -> None:
        if error.kind == "other":
            self.other += 1
        if len(self.examples) < 5:
            self.examples.append(error.detail)

    def merge(self, other: Tally) -> None:
        for name in ("accepted", "refused_used", "server_errors", "locked", "other", "requests"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.request_seconds += other.request_seconds
        self.submission_seconds += other.submission_seconds
        self.accepted_tokens += other.accepted_tokens
        self.examples += other.examples[: max(0, 5 - len(self.examples))]
        self.session_keys |= other.session_keys


class Site:
    """The server under test on 127.0.0.1, and the connection pool its browsers share."""

    def __init__(self, port: int):
        self.origin = f"http://{HOST}:{port}"
        # httpx logs every request at INFO, which the site's root logger prints: the table is
        # the report.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self.pool = httpx.HTTPTransport(limits=httpx.Limits(max_connections=None))

    def browser(self, tally: Tally | None = None) -> Browser:
        """A fresh browser: no cookies yet."""
        return Browser(self, tally if tally is not None else Tally())

    def close(self) -> None:
        self.pool.close()


class Browser:
    """One person's browser: its own cookie jar; every response counted in its tally."""

    def __init__(self, site: Site, tally: Tally):
        self.site = site
        self.tally = tally
        # Not closed after use: closing a client closes the shared pool (Site.close does).
        self.client = httpx.Client(
            transport=site.pool,
            base_url=site.origin,
            timeout=REQUEST_TIMEOUT,
            trust_env=False,
            headers={"User-Agent": "bench_submit", "Accept": "text/html"},
        )

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict | None = None) -> httpx.Response:
        # As a browser posts a form from these pages (Referrer-Policy: strict-origin): the
        # origin only. Django's CSRF check compares Origin with the host.
        origin = self.site.origin
        return self.request("POST", path, data or {}, {"Origin": origin, "Referer": origin + "/"})

    def request(self, method, path, data=None, headers=None) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self.client.request(method, path, data=data, headers=headers)
        except httpx.HTTPError as error:
            raise FlowFailed("other", f"{method} {path}: {type(error).__name__}: {error}") from None
        self._count(response, time.perf_counter() - started)
        if LOCKED in response.content.lower() or response.is_server_error:
            raise FlowFailed("server", f"{method} {path}: {response.status_code}")
        return response

    def _count(self, response: httpx.Response, seconds: float) -> None:
        tally = self.tally
        tally.request_seconds.append(seconds)
        tally.requests += 1
        if session_key := self.client.cookies.get(settings.SESSION_COOKIE_NAME):
            tally.session_keys.add(session_key)
        tally.locked += LOCKED in response.content.lower()
        tally.server_errors += response.is_server_error


class SurveyForm(HTMLParser):
    """The page's POST form: where it goes, its CSRF token and the answers it asks for.

    The standard library's parser, not Beautiful Soup: under a third of the time per page, and the
    load generator shares the machine with the server it measures.
    """

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.action = ""
        self.hidden: dict[str, str] = {}
        self.choices: dict[str, list[str]] = {}
        self.multiple: set[str] = set()
        self.texts: list[str] = []
        self.submit: tuple[str, str] | None = None
        self._in_form = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and attributes.get("method", "").lower() == "post":
            self._in_form = True
            self.action = attributes.get("action", "")
        name, kind = attributes.get("name", ""), attributes.get("type", "")
        if not (self._in_form and name):
            return
        if tag == "input" and kind == "hidden":
            self.hidden[name] = attributes.get("value", "")
        elif tag == "input" and kind in ("radio", "checkbox"):
            self.choices.setdefault(name, []).append(attributes.get("value", ""))
            if kind == "checkbox":
                self.multiple.add(name)
        elif tag == "textarea":
            self.texts.append(name)
        elif tag == "button" and self.submit is None:
            self.submit = (name, attributes.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False

    @property
    def is_check_page(self) -> bool:
        return self.action.rstrip("/").endswith("/check") and not self.choices

    def answers(self, rng: random.Random) -> dict[str, str | list[str]]:
        """Every question answered, as a person might: one choice each, a line of text."""
        data: dict[str, str | list[str]] = dict(self.hidden)
        for name, values in self.choices.items():
            data[name] = [rng.choice(values)] if name in self.multiple else rng.choice(values)
        for name in self.texts:
            data[name] = rng.choice(FREE_TEXT)
        if self.submit:
            data[self.submit[0]] = self.submit[1]
        return data


# --- One person's flow ---------------------------------------------------------------------------


def _expect(page: httpx.Response, status: int, what: str) -> httpx.Response:
    if page.status_code == 410 and USED_PAGE_MARK in page.content:
        raise Refused
    if page.status_code != status:
        raise FlowFailed("other", f"{what}: {page.status_code} (expected {status})")
    return page


def walk_to_check_page(browser: Browser, token: str, rng: random.Random) -> SurveyForm:
    """Open the link and answer every page; return the "Check your answers" form."""
    page = _expect(browser.get(f"/survey/{token}/"), 200, "open the link")
    for _ in range(MAX_PAGES):
        form = SurveyForm(page.text)
        if form.is_check_page:
            if "csrfmiddlewaretoken" not in form.hidden:
                raise FlowFailed("other", "check page without a CSRF token")
            return form
        if not form.choices and not form.texts:
            raise FlowFailed("other", f"no questions on the page ({form.action or 'no form'})")
        posted = _expect(browser.post(form.action, form.answers(rng)), 302, "answer a page")
        page = _expect(browser.get(posted.headers["location"]), 200, "next page")
    raise FlowFailed("other", "more pages than any survey has")


def submit(browser: Browser, form: SurveyForm, *, follow: bool = True) -> str:
    """Press Submit (and see the thank-you page); Refused if the link has been used."""
    page = _expect(browser.post(form.action, form.hidden), 302, "submit")
    location = page.headers.get("location", "")
    if location != THANK_YOU_PATH:
        raise FlowFailed("other", f"submit redirected to {location}")
    if follow:
        _expect(browser.get(location), 200, "thank-you page")
    return location


# Every link in the timed runs is fresh: refusing one means another submission used it.
FRESH_LINK_REFUSED = "a fresh link was refused as used"


def attempt(tally: Tally, step: Callable[[], object], *, refused: str = FRESH_LINK_REFUSED):
    """Run a flow, or one step of it; a failure is counted in the tally and gives None."""
    try:
        return step()
    except Refused:
        tally.fail(FlowFailed("other", refused))
    except FlowFailed as error:
        tally.fail(error)
    return None


def accepted(tally: Tally, started: float, token: str | None = None) -> None:
    tally.accepted += 1
    tally.submission_seconds.append(time.perf_counter() - started)
    if token is not None:
        tally.accepted_tokens.append(token)


def take_survey(site: Site, token: str, tally: Tally, rng: random.Random) -> None:
    """One person, one link, the whole flow, in a fresh browser."""
    browser = site.browser(tally)
    started = time.perf_counter()
    if attempt(tally, lambda: submit(browser, walk_to_check_page(browser, token, rng))):
        accepted(tally, started, token)


@dataclass
class ReadyToSubmit:
    browser: Browser
    form: SurveyForm
    token: str


def reach_check_page(site: Site, token: str, tally: Tally, rng, ready: list) -> None:
    """The untimed half of the submit-step run: a fresh browser answers every page."""
    browser = site.browser(tally)
    form = attempt(tally, lambda: walk_to_check_page(browser, token, rng))
    if form is not None:
        ready.append(ReadyToSubmit(browser=browser, form=form, token=token))


def press_submit(item: ReadyToSubmit, tally: Tally, rng) -> None:
    """The timed half: the one POST that stores the response (its redirect not followed)."""
    item.browser.tally = tally
    started = time.perf_counter()
    if attempt(tally, lambda: submit(item.browser, item.form, follow=False)):
        accepted(tally, started, item.token)


def post_baseline(site: Site, wave_id: int, tally: Tally, rng: random.Random) -> None:
    browser = site.browser(tally)
    started = time.perf_counter()

    def insert() -> httpx.Response:
        return _expect(browser.post(f"/bench/baseline/{wave_id}/"), 201, "baseline insert")

    if attempt(tally, insert, refused="baseline insert: 410") is not None:
        accepted(tally, started)


# --- Many people at once -------------------------------------------------------------------------


@dataclass
class Phase:
    tally: Tally
    seconds: float
    attempted: int
    cut_short: bool

    @property
    def rate(self) -> float:
        """Accepted submissions per second."""
        return self.tally.accepted / self.seconds if self.seconds else 0.0


def run_clients(
    *, items: list, clients: int, duration_limit: float, work: Callable[..., None]
) -> Phase:
    """``clients`` threads take items from one queue until it is empty or time is up."""
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for item in items:
        pending.put(item)
    deadline = time.monotonic() + duration_limit
    tallies = [Tally() for _ in range(clients)]
    attempted = [0] * clients
    start = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        rng = random.Random(index)
        start.wait()
        while time.monotonic() < deadline:
            try:
                item = pending.get_nowait()
            except queue.Empty:
                return
            attempted[index] += 1
            work(item, tallies[index], rng)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    # The previous run's garbage (a few thousand responses) is collected now, not mid-run.
    gc.collect()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=duration_limit + MAX_PAGES * 2 * REQUEST_TIMEOUT)
    seconds = time.perf_counter() - started
    if any(thread.is_alive() for thread in threads):  # pragma: no cover - a hung server
        raise CommandError("A client never finished: the server stopped answering.")
    tally = Tally()
    for part in tallies:
        tally.merge(part)
    return Phase(
        tally=tally,
        seconds=seconds,
        attempted=sum(attempted),
        cut_short=sum(attempted) < len(items),
    )


def second_submissions(*, site: Site, tokens: list[str]) -> Tally:
    """Two browsers per link reach the check page, then both submit at the same moment."""
    tally = Tally()
    rng = random.Random(2026)
    for token in tokens:
        pair = [site.browser(), site.browser()]
        outcomes: list[str] = []
        try:
            forms = [walk_to_check_page(browser, token, rng) for browser in pair]
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(target=_press, args=(browser, form, barrier, outcomes))
                for browser, form in zip(pair, forms, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=4 * REQUEST_TIMEOUT)
        except (Refused, FlowFailed) as error:
            outcomes.append(f"failed before submitting: {error!r}")
        for browser in pair:
            tally.merge(browser.tally)
        tally.accepted += outcomes.count("accepted")
        tally.refused_used += outcomes.count("refused")
        for outcome in outcomes:
            if outcome.startswith("failed"):
                tally.fail(FlowFailed("other", outcome))
    return tally


def _press(browser: Browser, form: SurveyForm, barrier: threading.Barrier, outcomes: list) -> None:
    barrier.wait(timeout=REQUEST_TIMEOUT)
    try:
        submit(browser, form)
    except Refused:
        outcomes.append("refused")
    except FlowFailed as error:
        outcomes.append(f"failed: {error.detail}")
    else:
        outcomes.append("accepted")


def reopen_used_links(*, site: Site, tokens: list[str]) -> Tally:
    """Open links that have been used: each must say so (410), in a fresh browser."""
    tally = Tally()
    for token in tokens:
        try:
            page = site.browser(tally).get(f"/survey/{token}/")
        except FlowFailed as error:
            tally.fail(error)
            continue
        if page.status_code == 410 and USED_PAGE_MARK in page.content:
            tally.refused_used += 1
        else:
            tally.fail(FlowFailed("other", f"a used link opened with {page.status_code}"))
    return tally


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (linear interpolation)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
