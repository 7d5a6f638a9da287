"""Measure the response import against the database's raw bulk load, in the same run.

    python manage.py bench_import [--responses 100000] [--answers 10] [--repeat 1]

Generates a CSV file of N responses x K answers (one ethnicity question, the rest Likert) in a
temporary folder and a fresh survey wave with K questions, then times, on whatever database is
configured (SQLite by default, PostgreSQL when DATABASE_URL is set):

* the product: ``surveys.importers.import_responses`` reading that file (both passes: every row
  checked, then written in bulk in one transaction);
* the baseline: the same rows loaded raw into the same tables, in one transaction - the file read
  once with ``csv.reader`` and written with ``executemany`` (SQLite) or ``COPY ... FROM STDIN``
  (PostgreSQL), in the same batches and column order, without any checking.

Everything written is deleted between runs and at the end. It is a benchmark, not a test: run it
against a throwaway database (it writes a million rows and deletes them again).
"""

from __future__ import annotations

import csv
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
import uuid
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from wagtail.models import ModelLogEntry

from surveys import classifications
from surveys.importers import WRITE_BATCH, CsvRows, import_responses, path_opener
from surveys.models import Answer, Question, Response, Survey, Wave
from tests.benchmarks.raw_load import RawBulkLoad
from tests.benchmarks.results import BenchResult

LIKERT = [value for value, _ in classifications.LIKERT_SCALE]
ETHNICITY = sorted(classifications.valid_ethnicity_codes())


def generate_csv(path: Path, *, responses: int, answers: int, seed: int = 2026) -> list[str]:
    """N rows of K coded answers: ``ethnicity`` first, then Likert questions ``q1``, ``q2``..."""
    rng = random.Random(seed)
    keys = ["ethnicity", *[f"q{i}" for i in range(1, answers)]]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(keys)
        for _ in range(responses):
            writer.writerow(
                [
                    rng.choice(ETHNICITY),
                    *rng.choices(LIKERT, weights=(3, 4, 2, 1, 1), k=answers - 1),
                ]
            )
    return keys


def baseline_load(path: Path, *, wave: Wave, question_ids: dict[str, int]) -> int:
    """The raw bulk load: the file read once, rows written as they are, nothing checked."""
    raw = RawBulkLoad()
    response_sql, answer_sql, write, new_key = (
        raw.response_sql,
        raw.answer_sql,
        raw.write,
        raw.new_key,
    )
    day = connection.ops.adapt_datefield_value(wave.closes_on)

    count = 0
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        path.open(newline="", encoding="utf-8") as handle,
    ):
        reader = csv.reader(handle)
        columns = [question_ids[key] for key in next(reader)]
        responses: list[tuple] = []
        answers: list[tuple] = []
        keys: list = []
        for record in reader:
            if not keys:  # The same key order as the product (see _BulkWriter).
                keys = sorted((new_key() for _ in range(WRITE_BATCH)), reverse=True)
            key = keys.pop()
            responses.append((key, day, "imported", wave.pk))
            answers.extend(zip([key] * len(columns), columns, record, strict=True))
            if len(responses) >= WRITE_BATCH:
                write(cursor, response_sql, responses)
                write(cursor, answer_sql, answers)
                count += len(responses)
                responses.clear()
                answers.clear()
        write(cursor, response_sql, responses)
        write(cursor, answer_sql, answers)
        count += len(responses)
    return count


class Command(BaseCommand):
    help = (
        "Time the product's response import against the database's raw bulk load "
        "(executemany on SQLite, COPY on PostgreSQL) on the same generated file, and print the "
        "ratio and peak memory."
    )

    def add_arguments(self, parser):
        parser.add_argument("--responses", type=int, default=100_000)
        parser.add_argument("--answers", type=int, default=10, help="Answers per response (>= 2).")
        parser.add_argument("--repeat", type=int, default=1, help="Timed runs of each path.")
        parser.add_argument(
            "--no-memory",
            action="store_true",
            help="Skip the (slower, untimed) tracemalloc runs of the product path.",
        )

    def handle(self, *args, responses: int, answers: int, repeat: int, no_memory: bool, **options):
        if responses < 1 or answers < 2 or repeat < 1:
            raise CommandError("Give at least 1 response, 2 answers and 1 repeat.")
        try:
            Response.objects.exists()
        except DatabaseError as error:
            raise CommandError(f"The database is not ready ({error}): run migrate first.") from None
        vendor = connection.vendor
        self.stdout.write(
            f"bench_import: {responses:,} responses x {answers} answers "
            f"({responses * (answers + 1):,} rows) on {vendor} "
            f"({connection.settings_dict['NAME']}), {repeat} run(s) of each path"
        )
        with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
            path = Path(folder) / "responses.csv"
            started = time.perf_counter()
            keys = generate_csv(path, responses=responses, answers=answers)
            self.stdout.write(
                f"generated {path.stat().st_size / 1e6:.1f} MB of CSV in "
                f"{time.perf_counter() - started:.1f} s"
            )
            wave, question_ids = self._fixture(keys)
            try:
                product_times, baseline_times, stages = self._timed_runs(
                    path, wave, question_ids, responses, answers, repeat
                )
                rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                memory = [] if no_memory else self._memory_runs(folder, keys, wave, responses)
            finally:
                self._clear(wave)
                self._drop_fixture(wave)
        self._report(product_times, baseline_times, stages, rss_mb, memory, vendor, responses)

    # --- runs -----------------------------------------------------------------------------------

    def _timed_runs(self, path, wave, question_ids, responses, answers, repeat):
        product_times: list[float] = []
        baseline_times: list[float] = []
        stages: list[tuple[float, float]] = []
        for run in range(repeat):
            # Alternate which goes first, so neither always meets the freshly deleted tables.
            order = ("product", "baseline") if run % 2 == 0 else ("baseline", "product")
            for which in order:
                self._clear(wave)
                if which == "product":
                    seconds, check_seconds = self._run_product(path, wave, responses)
                    product_times.append(seconds)
                    stages.append((check_seconds, seconds - check_seconds))
                else:
                    started = time.perf_counter()
                    loaded = baseline_load(path, wave=wave, question_ids=question_ids)
                    seconds = time.perf_counter() - started
                    baseline_times.append(seconds)
                    if loaded != responses:  # pragma: no cover - a broken baseline
                        raise CommandError(f"The baseline loaded {loaded} responses.")
                self._check_loaded(wave, responses, answers)
                self.stdout.write(f"  run {run + 1} {which}: {seconds:.2f} s")
        return product_times, baseline_times, stages

    def _run_product(self, path, wave, responses) -> tuple[float, float]:
        marks: dict[str, float] = {}

        def progress(stage, done, total):
            if stage == "checking" and total is not None:
                marks["checked"] = time.perf_counter()

        started = time.perf_counter()
        result = import_responses(
            wave=wave, rows=CsvRows(path_opener(path)), file_name="bench", progress=progress
        )
        seconds = time.perf_counter() - started
        if not result.ok or result.imported != responses:
            raise CommandError(f"The product import failed: {result.errors[:5]}")
        return seconds, marks.get("checked", started) - started

    def _memory_runs(self, folder, keys, wave, responses) -> list[tuple[int, float]]:
        """tracemalloc peaks of the product path (untimed: tracing slows Python down a lot), for
        a tenth of the file and the whole file: flat memory means about the same peak."""
        sizes = sorted({max(1, responses // 10), responses})
        peaks = []
        for size in sizes:
            path = Path(folder) / f"memory-{size}.csv"
            generate_csv(path, responses=size, answers=len(keys), seed=size)
            self._clear(wave)
            tracemalloc.start()
            try:
                result = import_responses(wave=wave, rows=CsvRows(path_opener(path)))
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            if not result.ok:
                raise CommandError(f"The product import failed: {result.errors[:5]}")
            peaks.append((size, peak / 1e6))
            path.unlink()
        return peaks

    # --- fixture ----------------------------------------------------------------------------------

    def _fixture(self, keys: list[str]) -> tuple[Wave, dict[str, int]]:
        marker = uuid.uuid4().hex[:8]
        survey = Survey.objects.create(name=f"bench_import {marker}", slug=f"bench-import-{marker}")
        wave = Wave.objects.create(
            survey=survey, year=2001, opens_on=date(2001, 1, 1), closes_on=date(2001, 1, 31)
        )
        Question.objects.bulk_create(
            Question(
                wave=wave,
                key=key,
                text=f"Benchmark question {key}",
                kind=Question.Kind.ETHNICITY if key == "ethnicity" else Question.Kind.LIKERT,
                required=True,
                order=index,
            )
            for index, key in enumerate(keys)
        )
        return wave, dict(wave.questions.values_list("key", "pk"))

    def _clear(self, wave: Wave) -> None:
        quote = connection.ops.quote_name
        tables = f"{quote(Answer._meta.db_table)}, {quote(Response._meta.db_table)}"
        if connection.vendor == "postgresql":
            # Deleting a response makes PostgreSQL check, at commit, that no answer still points
            # at it. Planned from statistics taken while the tables were empty (or while the
            # import was uncommitted), that check scans the whole answer table once per response:
            # hours, not seconds. Fresh statistics first, so it uses the index.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {tables}")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {quote(Answer._meta.db_table)} WHERE question_id IN "  # noqa: S608
                f"(SELECT id FROM {quote(Question._meta.db_table)} WHERE wave_id = %s)",
                [wave.pk],
            )
            cursor.execute(
                f"DELETE FROM {quote(Response._meta.db_table)} WHERE wave_id = %s",  # noqa: S608
                [wave.pk],
            )
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Dead rows left by the delete would otherwise slow whichever run comes next.
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {tables}")

    def _check_loaded(self, wave: Wave, responses: int, answers: int) -> None:
        loaded = Response.objects.filter(wave=wave).count()
        answered = Answer.objects.filter(question__wave=wave).count()
        if (loaded, answered) != (responses, responses * answers):
            raise CommandError(f"Loaded {loaded} responses and {answered} answers.")

    def _drop_fixture(self, wave: Wave) -> None:
        survey = wave.survey
        ModelLogEntry.objects.filter(object_id=str(wave.pk), action="surveys.import").filter(
            content_type__app_label="surveys", content_type__model="wave"
        ).delete()
        wave.questions.all().delete()
        wave.delete()
        survey.delete()

    # --- report -----------------------------------------------------------------------------------

    def _report(self, product_times, baseline_times, stages, rss_mb, memory, vendor, responses):
        product = statistics.median(product_times)
        baseline = statistics.median(baseline_times)
        check = statistics.median(s[0] for s in stages)
        write = statistics.median(s[1] for s in stages)
        raw = "COPY" if vendor == "postgresql" else "executemany"
        self.stdout.write("")
        self.stdout.write(f"{'measured':<46}{'product s':>11}{'baseline s':>12}{'ratio':>8}")
        self.stdout.write(
            f"{f'{responses:,} responses, median of {len(product_times)}':<46}"
            f"{product:>11.2f}{baseline:>12.2f}{product / baseline:>8.2f}"
        )
        self.stdout.write(
            f"  product: check pass {check:.2f} s, write pass {write:.2f} s; "
            f"baseline: csv.reader + {raw}"
        )
        self.stdout.write(
            f"  all runs: product {', '.join(f'{t:.2f}' for t in product_times)}; "
            f"baseline {', '.join(f'{t:.2f}' for t in baseline_times)}; ratio per run "
            + ", ".join(f"{p / b:.2f}" for p, b in zip(product_times, baseline_times, strict=True))
        )
        for size, peak in memory:
            self.stdout.write(
                f"peak memory, product path (tracemalloc), {size:,} rows: {peak:.1f} MB"
            )
        self.stdout.write(
            f"peak RSS of this process after the timed runs (getrusage): {rss_mb:.0f} MB"
        )
        verdict = "meets" if product / baseline <= 2 else "MISSES"
        self.stdout.write(f"ratio {product / baseline:.2f}: {verdict} the goal of at most 2")
        self.result = BenchResult(
            what="import",
            size=f"{responses:,} responses",
            product=f"{product:.2f} s",
            baseline=f"{baseline:.2f} s ({raw})",
            ratio=product / baseline,
            goal="<= 2",
            met=product / baseline <= 2,
            memory=f"{max(peak for _, peak in memory):.1f} MB" if memory else "",
        )
