"""Load-test the anonymous survey submission over real HTTP, against a trivial insert view.

    python manage.py bench_submit [--clients 50] [--submissions 500] [--workers 2]
                                  [--duration-limit 120] [--duplicates 5]

Against the configured database (a file or a server: gunicorn's processes must share it, so an
in-memory SQLite database is refused), it:

1. creates a throwaway open wave with the staff survey's realistic questions (two Likert, a
   choice, free text, ethnicity over two pages) and a single-use invitation per submission;
   the raw links exist only in this process's memory, as they would only be in the emails;
2. starts gunicorn on 127.0.0.1 (a free port, ``--workers`` sync workers, settings
   ``cms.settings.bench``: production over plain HTTP, DEBUG off, a throwaway secret);
3. runs ``--clients`` threads that take links from a queue, each link in a fresh browser (its own
   cookie jar), through the whole flow a person follows: open the link, answer page 1, answer
   page 2, check the answers, submit, see the thank-you page - every form posted with its CSRF
   token, cookies and Origin header, every redirect followed;
   then times the submit step alone: as many links again are answered up to "Check your
   answers" (untimed), and only their Submit POSTs are timed - the like-for-like figure beside
   the baseline's single POST (the goal: at least half the baseline's throughput);
4. proves refusals: for ``--duplicates`` more links, two browsers each reach the check page and
   submit at the same moment (exactly one may be stored), and that many used links are opened
   again (each must say it has been used);
5. runs the baseline through the same server and the same load generator: one POST per
   submission to a view (``surveys.bench_urls``) that writes the same rows in one transaction,
   with no form, session or link;
6. checks the database (stored responses = accepted submissions, links used = accepted, none used
   twice, used links keep no email), prints the table, and deletes everything it created.

It fails (exit status 1) if a submission was lost or duplicated, a second submission of a link
was stored, any response was a server error (5xx) or showed "database is locked", or a flow
ended any other unexpected way. The run is bounded: each phase stops taking new links after
``--duration-limit`` seconds, and every request times out after 60 s. 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from cms.benchmarks import BenchResult
from surveys import services
from surveys.models import (
    Answer,
    FreeTextAnswer,
    PendingResponse,
    Question,
    Response,
    Survey,
    SurveyInvitation,
    Wave,
)
from surveys.tokens import hash_token, new_token

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 60
SERVER_START_TIMEOUT = 60
LOCKED = b"database is locked"
USED_PAGE_MARK = b"already been used"
THANK_YOU_PATH = "/survey/thank-you/"
MAX_PAGES = 10

# The staff survey's realistic questions (as tests/surveys/factories.staff_survey_wave):
# key, page, kind, required, text, options.
QUESTIONS = (
    (
        "equal_opportunity",
        1,
        Question.Kind.LIKERT,
        True,
        "The council promotes equality of opportunity for all staff.",
        [],
    ),
    ("belonging", 1, Question.Kind.LIKERT, False, "I feel I belong at the council.", []),
    (
        "directorate",
        1,
        Question.Kind.SINGLE,
        False,
        "Which directorate do you work in?",
        [["place", "Place"], ["people", "People"], ["corporate", "Corporate"]],
    ),
    ("improve", 2, Question.Kind.FREE_TEXT, False, "What one thing would you change?", []),
    ("ethnicity", 2, Question.Kind.ETHNICITY, True, "What is your ethnic group?", []),
)
FREE_TEXT = (
    "Fairer promotion panels",
    "Mentoring for staff from ethnic minorities",
    "Publish the pay gap by ethnic group",
    "Training for managers on racism at work",
)


# --- The load generator -----------------------------------------------------------------------


class FlowFailed(Exception):
    """A flow ended in a way no person should see; ``kind`` is the table's column."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class Refused(Exception):
    """The server said the link has already been used (410)."""


@dataclass
class Page:
    status: int
    location: str
    body: bytes


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


class Browser:
    """One person's browser: its own cookie jar, keep-alive when the server offers it."""

    def __init__(self, port: int, tally: Tally):
        self.origin = f"http://{HOST}:{port}"
        self.port = port
        self.tally = tally
        self.jar = http.cookiejar.CookieJar()
        self.connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def post(self, path: str, data: dict | None = None) -> Page:
        return self.request("POST", path, data or {})

    def request(self, method: str, path: str, data: dict | None = None) -> Page:
        # Never opened: the cookie jar reads and writes cookies through a urllib Request.
        cookie_request = urllib.request.Request(self.origin + path, method=method)  # noqa: S310
        self.jar.add_cookie_header(cookie_request)
        headers = {"User-Agent": "bench_submit", "Accept": "text/html"}
        headers.update(cookie_request.unredirected_hdrs)
        body = None
        if method == "POST":
            body = urlencode(data or {}, doseq=True)
            # As a browser posts a form from these pages (Referrer-Policy: strict-origin): the
            # origin only. Django's CSRF check compares Origin with the host.
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + "/",
                }
            )
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            raise FlowFailed("other", f"{method} {path}: {type(error).__name__}: {error}") from None
        self.tally.request_seconds.append(time.perf_counter() - started)
        self.tally.requests += 1
        self.jar.extract_cookies(response, cookie_request)
        if response.will_close:
            self.connection.close()
        for cookie in self.jar:
            if cookie.name == settings.SESSION_COOKIE_NAME and cookie.value:
                self.tally.session_keys.add(cookie.value)
        if LOCKED in content.lower():
            self.tally.locked += 1
        if response.status >= 500:
            self.tally.server_errors += 1
        if LOCKED in content.lower() or response.status >= 500:
            raise FlowFailed("server", f"{method} {path}: {response.status}")
        location = urlsplit(response.getheader("Location") or "")
        return Page(
            status=response.status,
            location=location.path + (f"?{location.query}" if location.query else ""),
            body=content,
        )

    def close(self) -> None:
        self.connection.close()


class SurveyForm(HTMLParser):
    """The page's POST form: where it goes, its CSRF token and the answers it asks for."""

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
        if not self._in_form:
            return
        name = attributes.get("name", "")
        kind = attributes.get("type", "")
        if tag == "input" and kind == "hidden" and name:
            self.hidden[name] = attributes.get("value", "")
        elif tag == "input" and kind in ("radio", "checkbox") and name:
            self.choices.setdefault(name, []).append(attributes.get("value", ""))
            if kind == "checkbox":
                self.multiple.add(name)
        elif tag == "textarea" and name:
            self.texts.append(name)
        elif tag == "button" and name and self.submit is None:
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


def _expect(page: Page, status: int, what: str) -> Page:
    if page.status == 410 and USED_PAGE_MARK in page.body:
        raise Refused
    if page.status != status:
        raise FlowFailed("other", f"{what}: {page.status} (expected {status})")
    return page


def walk_to_check_page(browser: Browser, token: str, rng: random.Random) -> SurveyForm:
    """Open the link and answer every page; return the "Check your answers" form."""
    page = _expect(browser.get(f"/survey/{token}/"), 200, "open the link")
    for _ in range(MAX_PAGES):
        form = SurveyForm(page.body.decode())
        if form.is_check_page:
            if "csrfmiddlewaretoken" not in form.hidden:
                raise FlowFailed("other", "check page without a CSRF token")
            return form
        if not form.choices and not form.texts:
            raise FlowFailed("other", f"no questions on the page ({form.action or 'no form'})")
        posted = _expect(browser.post(form.action, form.answers(rng)), 302, "answer a page")
        page = _expect(browser.get(posted.location), 200, "next page")
    raise FlowFailed("other", "more pages than any survey has")


def submit(browser: Browser, form: SurveyForm, *, follow: bool = True) -> None:
    """Press Submit (and see the thank-you page); Refused if the link has been used."""
    page = _expect(browser.post(form.action, form.hidden), 302, "submit")
    if page.location != THANK_YOU_PATH:
        raise FlowFailed("other", f"submit redirected to {page.location}")
    if follow:
        _expect(browser.get(page.location), 200, "thank-you page")


def _fresh_link_refused() -> FlowFailed:
    # Every link in the timed runs is fresh: refusing one means another submission used it.
    return FlowFailed("other", "a fresh link was refused as used")


def take_survey(port: int, token: str, tally: Tally, rng: random.Random) -> None:
    """One person, one link, the whole flow, in a fresh browser."""
    browser = Browser(port, tally)
    started = time.perf_counter()
    try:
        submit(browser, walk_to_check_page(browser, token, rng))
    except Refused:
        tally.fail(_fresh_link_refused())
    except FlowFailed as error:
        tally.fail(error)
    else:
        tally.accepted += 1
        tally.accepted_tokens.append(token)
        tally.submission_seconds.append(time.perf_counter() - started)
    finally:
        browser.close()


@dataclass
class ReadyToSubmit:
    browser: Browser
    form: SurveyForm
    token: str


def reach_check_page(port: int, token: str, tally: Tally, rng, ready: list) -> None:
    """The untimed half of the submit-step run: a fresh browser answers every page."""
    browser = Browser(port, tally)
    try:
        form = walk_to_check_page(browser, token, rng)
    except Refused:
        tally.fail(_fresh_link_refused())
    except FlowFailed as error:
        tally.fail(error)
    else:
        ready.append(ReadyToSubmit(browser=browser, form=form, token=token))
    finally:
        browser.close()


def press_submit(item: ReadyToSubmit, tally: Tally, rng) -> None:
    """The timed half: the one POST that stores the response (its redirect not followed)."""
    item.browser.tally = tally
    started = time.perf_counter()
    try:
        submit(item.browser, item.form, follow=False)
    except Refused:
        tally.fail(_fresh_link_refused())
    except FlowFailed as error:
        tally.fail(error)
    else:
        tally.accepted += 1
        tally.accepted_tokens.append(item.token)
        tally.submission_seconds.append(time.perf_counter() - started)
    finally:
        item.browser.close()


def post_baseline(port: int, wave_id: int, tally: Tally, rng: random.Random) -> None:
    browser = Browser(port, tally)
    started = time.perf_counter()
    try:
        _expect(browser.post(f"/bench/baseline/{wave_id}/"), 201, "baseline insert")
    except Refused:
        tally.fail(FlowFailed("other", "baseline insert: 410"))
    except FlowFailed as error:
        tally.fail(error)
    else:
        tally.accepted += 1
        tally.submission_seconds.append(time.perf_counter() - started)
    finally:
        browser.close()


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
        rng = random.Random(index)  # noqa: S311 - answers for a benchmark, not a secret
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


def second_submissions(*, port: int, tokens: list[str]) -> Tally:
    """Two browsers per link reach the check page, then both submit at the same moment."""
    tally = Tally()
    rng = random.Random(2026)  # noqa: S311 - answers for a benchmark, not a secret
    for token in tokens:
        pair = [Browser(port, Tally()), Browser(port, Tally())]
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
        finally:
            for browser in pair:
                browser.close()
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


def reopen_used_links(*, port: int, tokens: list[str]) -> Tally:
    """Open links that have been used: each must say so (410), in a fresh browser."""
    tally = Tally()
    for token in tokens:
        browser = Browser(port, tally)
        try:
            page = browser.get(f"/survey/{token}/")
        except FlowFailed as error:
            tally.fail(error)
            continue
        finally:
            browser.close()
        if page.status == 410 and USED_PAGE_MARK in page.body:
            tally.refused_used += 1
        else:
            tally.fail(FlowFailed("other", f"a used link opened with {page.status}"))
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


# --- The server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn serving cms.wsgi with cms.settings.bench on 127.0.0.1, as a child process."""

    def __init__(self, *, workers: int, database_url: str, log_path: Path):
        self.workers = workers
        self.port = free_port()
        self.log_path = log_path
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "cms.wsgi:application",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(workers),
            "--timeout",
            str(REQUEST_TIMEOUT),
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
        ]
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cms.settings.bench",
            # Every process of a deployment shares one key: this command opens the responses
            # the server sealed (surveys.sealing) when it releases them at the end.
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                self.command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CommandError(f"gunicorn stopped at start:\n{self.log_tail()}")
            try:
                page = Browser(self.port, Tally()).get(THANK_YOU_PATH)
            except FlowFailed as error:
                if error.kind == "other":  # not listening yet
                    time.sleep(0.2)
                    continue
                raise CommandError(f"gunicorn failed: {error.detail}\n{self.log_tail()}") from None
            if page.status != 200:
                raise CommandError(
                    f"gunicorn answered {page.status} for {THANK_YOU_PATH}:\n{self.log_tail()}"
                )
            return
        raise CommandError(f"gunicorn did not start in {SERVER_START_TIMEOUT} s")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def static_check(self) -> str:
        """The stylesheet the survey pages link to, fetched once as a browser would."""
        browser = Browser(self.port, Tally())
        page = browser.get(THANK_YOU_PATH)
        marker = b'rel="stylesheet" href="'
        if marker not in page.body:
            return "no stylesheet linked"
        href = page.body.split(marker, 1)[1].split(b'"', 1)[0].decode()
        try:
            status = browser.get(href).status
        except FlowFailed as error:
            return f"{href}: {error.detail}"
        return f"{href} {status}" + ("" if status == 200 else " (run `npm run build`?)")


def database_url_for_server() -> str:
    """The database this process uses, for gunicorn's processes to share."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(connection.settings_dict['NAME']).resolve()}"
    raise CommandError("Set DATABASE_URL so the server uses the same database.")


# --- The command ------------------------------------------------------------------------------


@dataclass
class Fixture:
    survey: Survey
    flow_wave: Wave
    baseline_wave: Wave
    flow_tokens: list[str]
    step_tokens: list[str]
    duplicate_tokens: list[str]


@dataclass
class Results:
    flow: Phase
    step: Phase
    baseline: Phase
    walked: Phase
    twice: Tally
    reopened: Tally
    reopened_links: int

    def tallies(self) -> tuple[Tally, ...]:
        return (
            self.flow.tally,
            self.step.tally,
            self.baseline.tally,
            self.walked.tally,
            self.twice,
            self.reopened,
        )


class Command(BaseCommand):
    help = (
        "Load-test the survey submission over HTTP (gunicorn on 127.0.0.1, concurrent clients, "
        "single-use links) against a trivial view inserting the same rows; check nothing was "
        "lost or duplicated and print throughput and latency."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=50, help="Concurrent clients.")
        parser.add_argument(
            "--submissions",
            type=int,
            default=500,
            help="Submissions in each timed run (each its own single-use link).",
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers.")
        parser.add_argument(
            "--duration-limit",
            type=float,
            default=120,
            help="Seconds after which each run takes no new link.",
        )
        parser.add_argument(
            "--duplicates",
            type=int,
            default=5,
            help="Links submitted twice at once, and used links opened again.",
        )

    def handle(self, *args, **options):
        clients, submissions = options["clients"], options["submissions"]
        self.clients = clients
        workers, duration_limit = options["workers"], options["duration_limit"]
        duplicates = options["duplicates"]
        if min(clients, submissions, workers) < 1 or duration_limit <= 0 or duplicates < 0:
            raise CommandError("Give at least 1 client, submission and worker, and a duration.")
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            raise CommandError(
                "bench_submit needs a database that gunicorn's processes can share: this "
                "SQLite database is in memory. Set DATABASE_URL=sqlite:////path/to/file.sqlite3 "
                "(and run migrate) or point it at PostgreSQL."
            )
        try:
            Response.objects.exists()
        except DatabaseError as error:
            raise CommandError(f"The database is not ready ({error}): run migrate first.") from None
        database_url = database_url_for_server()
        vendor, name = connection.vendor, connection.settings_dict["NAME"]

        fixture = create_fixture(submissions=submissions, duplicates=duplicates)
        results = None
        try:
            with tempfile.TemporaryDirectory(prefix="bench-submit-") as folder:
                log_path = Path(folder) / "gunicorn.log"
                connection.close()  # hold no connection to the database while the server runs
                server = Gunicorn(workers=workers, database_url=database_url, log_path=log_path)
                with server:
                    self.stdout.write(
                        f"bench_submit: {submissions} submissions per run by {clients} clients; "
                        f"gunicorn {workers} sync worker(s) on {HOST}:{server.port}; "
                        f"{vendor} ({name})"
                    )
                    self.stdout.write(f"static: {server.static_check()}")
                    results = run_all(server, fixture, clients, duration_limit)
                server_log = log_path.read_text(errors="replace")
            problems = self._report(results, count_stored(fixture), fixture, server_log)
        finally:
            session_keys = set()
            for tally in results.tallies() if results else ():
                session_keys |= tally.session_keys
            delete_fixture(fixture, session_keys)
        if problems:
            raise CommandError("; ".join(problems))

    def _report(self, results: Results, stored, fixture: Fixture, server_log: str) -> list[str]:
        write = self.stdout.write
        pages = len({page for _, page, *_ in QUESTIONS})
        rows = (
            (f"survey: whole flow ({2 * pages + 3} requests)", results.flow),
            ("survey: submit step (1 POST)", results.step),
            ("baseline: insert view (1 POST)", results.baseline),
        )
        write("")
        write(
            f"{'run':<36}{'accepted':>9}{'seconds':>9}{'subm/s':>8}{'req/s':>8}"
            f"{'p50 ms':>8}{'p95 ms':>8}{'5xx':>5}{'locked':>7}{'other':>6}"
        )
        for label, phase in rows:
            tally = phase.tally
            write(
                f"{label:<36}{tally.accepted:>9}{phase.seconds:>9.2f}"
                f"{phase.rate:>8.1f}{tally.requests / phase.seconds:>8.1f}"
                f"{1000 * percentile(tally.submission_seconds, 0.5):>8.0f}"
                f"{1000 * percentile(tally.submission_seconds, 0.95):>8.0f}"
                f"{tally.server_errors:>5}{tally.locked:>7}{tally.other:>6}"
            )
        baseline_rate = max(results.baseline.rate, 1e-9)
        step_ratio = results.step.rate / baseline_rate
        flow_ratio = results.flow.rate / baseline_rate
        verdict = "meets" if step_ratio >= 0.5 else "MISSES"
        # For ``manage.py bench``, which gathers every benchmark in one table.
        self.result = BenchResult(
            what="submit",
            size=f"{results.step.tally.accepted:,} submissions, {self.clients} clients",
            product=f"{results.step.rate:.0f} subm/s (submit POST; whole flow "
            f"{results.flow.rate:.1f}/s)",
            baseline=f"{results.baseline.rate:.0f} subm/s (insert view)",
            ratio=step_ratio,
            goal=">= 0.5",
            met=step_ratio >= 0.5,
        )
        write(
            f"ratio submit step / baseline: {step_ratio:.2f} ({verdict} the goal >= 0.50: "
            "one POST storing one response each)"
        )
        write(
            f"ratio whole flow / baseline: {flow_ratio:.2f} ({2 * pages + 3} requests, "
            f"{pages + 1} session writes and the response per submission, against one POST)"
        )
        write(
            "p50/p95: per submission (the whole flow: first page to thank-you page); the submit "
            f"step's pages were answered first, untimed ({results.walked.seconds:.1f} s)"
        )
        write(
            f"second submissions at the same moment: {results.twice.accepted} stored, "
            f"{results.twice.refused_used} refused as used, of {len(fixture.duplicate_tokens)} "
            f"links; used links opened again: {results.reopened.refused_used} of "
            f"{results.reopened_links} refused as used"
        )
        accepted = (
            results.flow.tally.accepted + results.step.tally.accepted + results.twice.accepted
        )
        write(
            f"database: survey {stored['responses']} responses stored for {accepted} accepted "
            f"({stored['waiting']} were waiting for a full batch and were released at close); "
            f"{stored['used']} links used; {stored['coded']} coded and {stored['texts']} "
            f"free-text answers; baseline {stored['baseline_responses']} stored for "
            f"{results.baseline.tally.accepted} accepted"
        )
        locked_in_log = server_log.count("database is locked")
        tracebacks = server_log.count("Traceback")
        write(f"server log: {locked_in_log} 'database is locked', {tracebacks} tracebacks")
        for label, phase in (*rows, ("survey: pages before the submit step", results.walked)):
            if phase.cut_short:
                write(f"{label}: stopped at the duration limit after {phase.attempted} items")

        problems = check_results(results, stored, fixture, accepted)
        outcome = (
            "FAILED: " + "; ".join(problems)
            if problems
            else ("nothing lost, nothing duplicated, no server errors, no 'database is locked'")
        )
        write(f"result: {outcome}")
        return problems


def run_all(server: Gunicorn, fixture: Fixture, clients: int, duration_limit: float) -> Results:
    """The survey runs, the refusals, then the baseline, through one server."""
    port = server.port
    # Warm every worker (templates, URL resolver, first connection) without using a link.
    for token in fixture.flow_tokens[: server.workers * 4]:
        try:
            Browser(port, Tally()).get(f"/survey/{token}/")
        except FlowFailed:
            break  # the timed run meets and counts the same failure
    flow = run_clients(
        items=fixture.flow_tokens,
        clients=clients,
        duration_limit=duration_limit,
        work=lambda token, tally, rng: take_survey(port, token, tally, rng),
    )
    ready: list[ReadyToSubmit] = []
    walked = run_clients(
        items=fixture.step_tokens,
        clients=clients,
        duration_limit=duration_limit,
        work=lambda token, tally, rng: reach_check_page(port, token, tally, rng, ready),
    )
    step = run_clients(
        items=ready, clients=clients, duration_limit=duration_limit, work=press_submit
    )
    twice = second_submissions(port=port, tokens=fixture.duplicate_tokens)
    used = (flow.tally.accepted_tokens + step.tally.accepted_tokens)[
        : len(fixture.duplicate_tokens)
    ]
    reopened = reopen_used_links(port=port, tokens=used)
    baseline_wave = fixture.baseline_wave.pk
    baseline = run_clients(
        items=list(range(len(fixture.flow_tokens))),
        clients=clients,
        duration_limit=duration_limit,
        work=lambda _, tally, rng: post_baseline(port, baseline_wave, tally, rng),
    )
    return Results(
        flow=flow,
        step=step,
        baseline=baseline,
        walked=walked,
        twice=twice,
        reopened=reopened,
        reopened_links=len(used),
    )


def check_results(results: Results, stored: dict, fixture: Fixture, accepted: int) -> list[str]:
    """What makes the run fail: anything lost, duplicated, refused wrongly or erroring."""
    problems = []
    coded_per, texts_per = answers_per_response()
    if stored["still_waiting"]:
        problems.append(f"{stored['still_waiting']} responses were not released at close")
    if stored["responses"] != accepted:
        problems.append(f"{stored['responses']} survey responses stored for {accepted} accepted")
    if stored["used"] != accepted:
        problems.append(f"{stored['used']} links used for {accepted} accepted submissions")
    if stored["used_with_email"]:
        problems.append(f"{stored['used_with_email']} used links kept their email address")
    if (stored["coded"], stored["texts"]) != (coded_per * accepted, texts_per * accepted):
        problems.append(
            f"{stored['coded']} coded and {stored['texts']} free-text answers stored for "
            f"{accepted} responses of {coded_per} and {texts_per}"
        )
    if stored["baseline_responses"] != results.baseline.tally.accepted:
        problems.append(
            f"baseline: {stored['baseline_responses']} stored for "
            f"{results.baseline.tally.accepted} accepted"
        )
    duplicates = len(fixture.duplicate_tokens)
    if (results.twice.accepted, results.twice.refused_used) != (duplicates, duplicates):
        problems.append(
            f"links submitted twice at once: {results.twice.accepted} stored and "
            f"{results.twice.refused_used} refused, of {duplicates} (each must store once)"
        )
    if results.reopened.refused_used != results.reopened_links:
        problems.append(
            f"{results.reopened.refused_used} of {results.reopened_links} used links refused "
            "when opened again"
        )
    tallies = results.tallies()
    server_errors = sum(t.server_errors for t in tallies)
    locked = sum(t.locked for t in tallies)
    other = sum(t.other for t in tallies)
    if server_errors:
        problems.append(f"{server_errors} server errors (5xx)")
    if locked:
        problems.append(f"{locked} responses said 'database is locked'")
    if other:
        examples = [example for t in tallies for example in t.examples][:5]
        problems.append(f"{other} flows ended unexpectedly, e.g. {examples}")
    if not (results.flow.tally.accepted and results.step.tally.accepted):
        problems.append("no survey submission was accepted")
    if not results.baseline.tally.accepted:
        problems.append("no baseline submission was accepted")
    return problems


def answers_per_response() -> tuple[int, int]:
    """Coded and free-text answers in one response: the load generator answers everything."""
    texts = sum(1 for _, _, kind, *_ in QUESTIONS if kind == Question.Kind.FREE_TEXT)
    return len(QUESTIONS) - texts, texts


@transaction.atomic
def create_fixture(*, submissions: int, duplicates: int) -> Fixture:
    """A survey with two open waves (the survey runs' and the baseline's) and the links."""
    marker = uuid.uuid4().hex[:8]
    today = timezone.localdate()
    survey = Survey.objects.create(
        name=f"bench_submit {marker}", slug=f"bench-submit-{marker}", kind=Survey.Kind.STAFF
    )
    waves = [
        Wave.objects.create(
            survey=survey,
            year=year,
            opens_on=today - timedelta(days=7),
            closes_on=today + timedelta(days=21),
        )
        for year in (today.year, today.year - 1)
    ]
    Question.objects.bulk_create(
        Question(
            wave=wave,
            key=key,
            page=page,
            order=order,
            kind=kind,
            required=required,
            text=text,
            options=options,
        )
        for wave in waves
        for order, (key, page, kind, required, text, options) in enumerate(QUESTIONS, start=1)
    )
    tokens = [new_token() for _ in range(2 * submissions + duplicates)]
    SurveyInvitation.objects.bulk_create(
        SurveyInvitation(
            wave=waves[0], email=f"bench{n}@example.invalid", token_hash=hash_token(token)
        )
        for n, token in enumerate(tokens)
    )
    return Fixture(
        survey=survey,
        flow_wave=waves[0],
        baseline_wave=waves[1],
        flow_tokens=tokens[:submissions],
        step_tokens=tokens[submissions : 2 * submissions],
        duplicate_tokens=tokens[2 * submissions :],
    )


def count_stored(fixture: Fixture) -> dict[str, int]:
    """What the run stored. Responses still waiting for release (fewer than a batch) are
    released the way a closing wave releases them, so every stored answer is counted."""
    wave, baseline = fixture.flow_wave, fixture.baseline_wave
    waiting = PendingResponse.objects.filter(wave=wave).count()
    wave.closes_on = timezone.localdate() - timedelta(days=1)
    wave.save(update_fields=["closes_on"])
    services.responses_release(wave=wave)
    used = SurveyInvitation.objects.filter(wave=wave, used=True)
    return {
        "waiting": waiting,
        "still_waiting": PendingResponse.objects.filter(wave=wave).count(),
        "responses": Response.objects.filter(wave=wave).count(),
        "used": used.count(),
        "used_with_email": used.exclude(email="").count(),
        "coded": Answer.objects.filter(question__wave=wave).count(),
        "texts": FreeTextAnswer.objects.filter(question__wave=wave).count(),
        "baseline_responses": Response.objects.filter(wave=baseline).count(),
    }


def delete_fixture(fixture: Fixture, session_keys: set[str]) -> None:
    """Everything the run wrote: answers, responses, links, questions, waves, the survey and
    the sessions the browsers were given."""
    waves = [fixture.flow_wave.pk, fixture.baseline_wave.pk]
    Answer.objects.filter(question__wave__in=waves).delete()
    FreeTextAnswer.objects.filter(question__wave__in=waves).delete()
    PendingResponse.objects.filter(wave__in=waves).delete()
    Response.objects.filter(wave__in=waves).delete()
    SurveyInvitation.objects.filter(wave__in=waves).delete()
    Question.objects.filter(wave__in=waves).delete()
    Wave.objects.filter(pk__in=waves).delete()
    fixture.survey.delete()
    keys = sorted(session_keys)
    for start in range(0, len(keys), 500):
        Session.objects.filter(session_key__in=keys[start : start + 500]).delete()
