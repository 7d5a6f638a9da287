"""Load-test the anonymous survey submission over real HTTP, against a trivial insert view.

    python manage.py bench_submit [--clients 50] [--submissions 500] [--workers 2]
                                  [--duration-limit 120] [--duplicates 5]

Against the configured database (a file or a server: gunicorn's processes must share it, so an
in-memory SQLite database is refused), it:

1. creates a throwaway open wave with the staff survey's realistic questions (two Likert, a
   choice, free text, ethnicity over two pages) and a single-use invitation per submission;
   the raw links exist only in this process's memory, as they would only be in the emails;
2. starts gunicorn on 127.0.0.1 (a free port, ``--workers`` sync workers, settings
   ``tests.benchmarks.settings``: production over plain HTTP, DEBUG off, this process's secret);
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
   submission to a view (``tests.benchmarks.urls``) that writes the same rows in one
   transaction, with no form, session or link;
6. checks the database (stored responses = accepted submissions, links used = accepted, none used
   twice, used links keep no email), prints the table, and deletes everything it created.

It fails (exit status 1) if a submission was lost or duplicated, a second submission of a link
was stored, any response was a server error (5xx) or showed "database is locked", or a flow
ended any other unexpected way. The run is bounded: each phase stops taking new links after
``--duration-limit`` seconds, and every request times out after 60 s. 127.0.0.1 only.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.utils import DatabaseError

from surveys.models import Response
from tests.benchmarks.load import (
    HOST,
    FlowFailed,
    Phase,
    ReadyToSubmit,
    Tally,
    percentile,
    post_baseline,
    press_submit,
    reach_check_page,
    reopen_used_links,
    run_clients,
    second_submissions,
    take_survey,
)
from tests.benchmarks.results import BenchResult
from tests.benchmarks.server import Gunicorn, database_url_for_server
from tests.benchmarks.submit_fixture import Fixture, count_stored, create_fixture, delete_fixture


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

    @property
    def accepted(self) -> int:
        """Survey submissions accepted: both timed runs and the links submitted twice."""
        return self.flow.tally.accepted + self.step.tally.accepted + self.twice.accepted


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

    def handle(self, *args, clients, submissions, workers, duration_limit, duplicates, **options):
        if min(clients, submissions, workers) < 1 or duration_limit <= 0 or duplicates < 0:
            raise CommandError("Give at least 1 client, submission and worker, and a duration.")
        self.clients = clients
        database_url = self._shared_database_url()
        fixture = create_fixture(submissions=submissions, duplicates=duplicates)
        results = None
        try:
            results, server_log = self._serve_and_run(
                fixture, database_url, workers, duration_limit
            )
            problems = self._report(results, count_stored(fixture), fixture, server_log)
        finally:
            session_keys = set()
            for tally in results.tallies() if results else ():
                session_keys |= tally.session_keys
            delete_fixture(fixture, session_keys)
        if problems:
            raise CommandError("; ".join(problems))

    def _shared_database_url(self) -> str:
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
        return database_url_for_server()

    def _serve_and_run(self, fixture, database_url, workers, duration_limit) -> tuple[Results, str]:
        vendor, name = connection.vendor, connection.settings_dict["NAME"]
        with tempfile.TemporaryDirectory(prefix="bench-submit-") as folder:
            log_path = Path(folder) / "gunicorn.log"
            connection.close()  # hold no connection to the database while the server runs
            with Gunicorn(workers=workers, database_url=database_url, log_path=log_path) as server:
                self.stdout.write(
                    f"bench_submit: {len(fixture.flow_tokens)} submissions per run by "
                    f"{self.clients} clients; gunicorn {workers} sync worker(s) on "
                    f"{HOST}:{server.port}; {vendor} ({name})"
                )
                self.stdout.write(f"static: {server.static_check()}")
                results = run_all(server, fixture, self.clients, duration_limit)
            return results, log_path.read_text(errors="replace")

    def _report(self, results: Results, stored, fixture: Fixture, server_log: str) -> list[str]:
        rows = (
            (f"survey: whole flow ({2 * fixture.pages + 3} requests)", results.flow),
            ("survey: submit step (1 POST)", results.step),
            ("baseline: insert view (1 POST)", results.baseline),
        )
        self._table(rows)
        self._ratios(results, fixture.pages)
        self._refusals_and_database(results, stored, fixture)
        self.stdout.write(
            f"server log: {server_log.count('database is locked')} 'database is locked', "
            f"{server_log.count('Traceback')} tracebacks"
        )
        for label, phase in (*rows, ("survey: pages before the submit step", results.walked)):
            if phase.cut_short:
                self.stdout.write(
                    f"{label}: stopped at the duration limit after {phase.attempted} items"
                )
        problems = check_results(results, stored, fixture)
        outcome = (
            "FAILED: " + "; ".join(problems)
            if problems
            else ("nothing lost, nothing duplicated, no server errors, no 'database is locked'")
        )
        self.stdout.write(f"result: {outcome}")
        return problems

    def _table(self, rows) -> None:
        write = self.stdout.write
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

    def _ratios(self, results: Results, pages: int) -> None:
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
        self.stdout.write(
            f"ratio submit step / baseline: {step_ratio:.2f} ({verdict} the goal >= 0.50: "
            "one POST storing one response each)"
        )
        self.stdout.write(
            f"ratio whole flow / baseline: {flow_ratio:.2f} ({2 * pages + 3} requests, "
            f"{pages + 1} session writes and the response per submission, against one POST)"
        )
        self.stdout.write(
            "p50/p95: per submission (the whole flow: first page to thank-you page); the submit "
            f"step's pages were answered first, untimed ({results.walked.seconds:.1f} s)"
        )

    def _refusals_and_database(self, results: Results, stored, fixture: Fixture) -> None:
        self.stdout.write(
            f"second submissions at the same moment: {results.twice.accepted} stored, "
            f"{results.twice.refused_used} refused as used, of {len(fixture.duplicate_tokens)} "
            f"links; used links opened again: {results.reopened.refused_used} of "
            f"{results.reopened_links} refused as used"
        )
        self.stdout.write(
            f"database: survey {stored['responses']} responses stored for {results.accepted} "
            f"accepted ({stored['waiting']} were waiting for a full batch and were released at "
            f"close); {stored['used']} links used; {stored['coded']} coded and "
            f"{stored['texts']} free-text answers; baseline {stored['baseline_responses']} "
            f"stored for {results.baseline.tally.accepted} accepted"
        )


def run_all(server: Gunicorn, fixture: Fixture, clients: int, duration_limit: float) -> Results:
    """The survey runs, the refusals, then the baseline, through one server."""
    site = server.site
    # Warm every worker (templates, URL resolver, first connection) without using a link.
    for token in fixture.flow_tokens[: server.workers * 4]:
        try:
            site.browser().get(f"/survey/{token}/")
        except FlowFailed:
            break  # the timed run meets and counts the same failure

    def run(items, work) -> Phase:
        return run_clients(items=items, clients=clients, duration_limit=duration_limit, work=work)

    flow = run(fixture.flow_tokens, lambda token, tally, rng: take_survey(site, token, tally, rng))
    ready: list[ReadyToSubmit] = []
    walked = run(
        fixture.step_tokens,
        lambda token, tally, rng: reach_check_page(site, token, tally, rng, ready),
    )
    step = run(ready, press_submit)
    twice = second_submissions(site=site, tokens=fixture.duplicate_tokens)
    used = (flow.tally.accepted_tokens + step.tally.accepted_tokens)[
        : len(fixture.duplicate_tokens)
    ]
    reopened = reopen_used_links(site=site, tokens=used)
    wave_id = fixture.baseline_wave.pk
    baseline = run(
        list(range(len(fixture.flow_tokens))),
        lambda _, tally, rng: post_baseline(site, wave_id, tally, rng),
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


def check_results(results: Results, stored: dict, fixture: Fixture) -> list[str]:
    """What makes the run fail: anything lost, duplicated, refused wrongly or erroring."""
    return [
        *_storage_problems(results, stored, fixture),
        *_refusal_problems(results, fixture),
        *_error_problems(results),
    ]


def _storage_problems(results: Results, stored: dict, fixture: Fixture) -> list[str]:
    problems = []
    accepted = results.accepted
    coded_per, texts_per = fixture.coded_per_response, fixture.texts_per_response
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
    return problems


def _refusal_problems(results: Results, fixture: Fixture) -> list[str]:
    problems = []
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
    return problems


def _error_problems(results: Results) -> list[str]:
    problems = []
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
