"""Measure a measure's full report against a single raw SQL GROUP BY, in the same run.

    python manage.py bench_report [--answers 1000000] [--waves 3] [--repeat 3]

Loads a throwaway survey with ``--answers`` answers to one agree/disagree question, spread over
``--waves`` waves, each response also answering the ethnicity question (so the answer table
holds twice as many rows), then times, on whatever database is configured (SQLite by default,
PostgreSQL when DATABASE_URL is set), interleaved and ``--repeat`` times:

* the product: ``surveys.selectors.measure_report`` - the ORM query, the report's statistics,
  suppression and adjustment, everything the dashboard shows;
* the baseline: the one raw SQL statement a hand-written report would need at least - the
  answers grouped by question and the same response's ethnic group, counting answers and
  positives - with the rows fetched.

It prints both medians, the ratio (the goal: at most 2) and the product's peak Python memory
(tracemalloc), which stays O(waves x groups) because rows are never pulled into Python.
Everything it writes is deleted at the end. A benchmark, not a test: run it against a
throwaway database.
"""

from __future__ import annotations

import random
import statistics
import time
import tracemalloc
import uuid
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from surveys import classifications
from surveys.models import Answer, Measure, Question, Response, Survey, Wave
from surveys.selectors import measure_report
from tests.benchmarks.raw_load import RawBulkLoad
from tests.benchmarks.results import BenchResult

LIKERT = [value for value, _ in classifications.LIKERT_SCALE]
ETHNICITY = sorted(classifications.valid_ethnicity_codes())
BATCH = 20_000


class Command(BaseCommand):
    help = (
        "Time a measure's full report against one raw SQL GROUP BY over the same answers and "
        "print the ratio and the report's peak memory."
    )

    def add_arguments(self, parser):
        parser.add_argument("--answers", type=int, default=1_000_000)
        parser.add_argument("--waves", type=int, default=3)
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args, answers: int, waves: int, repeat: int, **options):
        if answers < 1000 or not 1 <= waves <= 20 or repeat < 1:
            raise CommandError("Use --answers >= 1000, --waves 1-20 and --repeat >= 1.")
        survey = Survey.objects.create(
            name="Benchmark (deleted at the end)", slug=f"bench-report-{uuid.uuid4().hex[:12]}"
        )
        try:
            measure = self._load(survey, answers=answers, waves=waves)
            self._run(measure, answers=answers, repeat=repeat)
        finally:
            self._drop(survey)

    def _load(self, survey: Survey, *, answers: int, waves: int) -> Measure:
        rng = random.Random(2026)
        started = time.perf_counter()
        raw = RawBulkLoad()
        response_sql, answer_sql, write, new_key = (
            raw.response_sql,
            raw.answer_sql,
            raw.write,
            raw.new_key,
        )
        quote = connection.ops.quote_name
        response_table = quote(Response._meta.db_table)
        answer_table = quote(Answer._meta.db_table)

        per_wave = answers // waves
        for index in range(waves):
            year = 2001 + index
            wave = Wave.objects.create(
                survey=survey, year=year, opens_on=date(year, 10, 1), closes_on=date(year, 10, 31)
            )
            measured = Question.objects.create(
                wave=wave, key="equal_opportunity", text="Equality", kind=Question.Kind.LIKERT
            )
            ethnicity = Question.objects.create(
                wave=wave, key="ethnicity", text="Ethnic group", kind=Question.Kind.ETHNICITY
            )
            day = connection.ops.adapt_datefield_value(wave.closes_on)
            count = per_wave + (answers - per_wave * waves if index == waves - 1 else 0)
            with transaction.atomic(), connection.cursor() as cursor:
                for start in range(0, count, BATCH):
                    responses, rows = [], []
                    for _ in range(min(BATCH, count - start)):
                        key = new_key()
                        responses.append((key, day, "imported", wave.pk))
                        rows.append((key, measured.pk, rng.choice(LIKERT)))
                        rows.append((key, ethnicity.pk, rng.choice(ETHNICITY)))
                    write(cursor, response_sql, responses)
                    write(cursor, answer_sql, rows)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {answer_table}, {response_table}")
        self.stdout.write(
            f"Loaded {answers:,} answers (+{answers:,} ethnicity answers) in {waves} waves "
            f"in {time.perf_counter() - started:.1f} s on {connection.vendor}."
        )
        return Measure.objects.create(
            key=f"bench-{survey.slug}",
            name="Benchmark",
            survey=survey,
            question_key="equal_opportunity",
        )

    def _baseline(self, survey: Survey) -> list[tuple]:
        quote = connection.ops.quote_name
        measured = list(
            Question.objects.filter(wave__survey=survey, key="equal_opportunity").values_list(
                "pk", flat=True
            )
        )
        ethnic = list(
            Question.objects.filter(wave__survey=survey, kind=Question.Kind.ETHNICITY).values_list(
                "pk", flat=True
            )
        )
        answer = quote(Answer._meta.db_table)
        marks = lambda items: ", ".join(["%s"] * len(items))  # noqa: E731
        sql = (
            f"SELECT a.question_id, e.value, COUNT(*), "  # noqa: S608
            f"SUM(CASE WHEN a.value IN ('4', '5') THEN 1 ELSE 0 END) "
            f"FROM {answer} a LEFT JOIN {answer} e ON e.response_id = a.response_id "
            f"AND e.question_id IN ({marks(ethnic)}) "
            f"WHERE a.question_id IN ({marks(measured)}) AND a.value IN ({marks(LIKERT)}) "
            f"GROUP BY a.question_id, e.value"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*ethnic, *measured, *LIKERT])
            return cursor.fetchall()

    def _run(self, measure: Measure, *, answers: int, repeat: int) -> None:
        product_times, baseline_times = [], []
        report = measure_report(measure=measure)  # warm caches once for both
        rows = self._baseline(measure.survey)
        for _ in range(repeat):
            started = time.perf_counter()
            rows = self._baseline(measure.survey)
            baseline_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            report = measure_report(measure=measure)
            product_times.append(time.perf_counter() - started)
        tracemalloc.start()
        measure_report(measure=measure)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        total = sum(row[2] for row in rows)
        shown = sum(row.n for row in report.rows if row.group == "all" and row.n)
        if total != answers or shown != answers:
            raise CommandError(f"Counted {total} (raw) and {shown} (report) of {answers} answers.")
        product = statistics.median(product_times)
        baseline = statistics.median(baseline_times)
        self.stdout.write(
            f"Raw SQL GROUP BY ({len(rows)} result rows): median {baseline:.3f} s "
            f"(runs: {', '.join(f'{t:.3f}' for t in baseline_times)})\n"
            f"Full report ({len(report.rows)} rows, {len(report.comparisons)} comparisons): "
            f"median {product:.3f} s (runs: {', '.join(f'{t:.3f}' for t in product_times)})\n"
            f"Ratio report / raw GROUP BY: {product / baseline:.2f} (goal: at most 2.00)\n"
            f"Report peak Python memory: {peak / 1024:.0f} KiB"
        )
        self.result = BenchResult(
            what="analysis",
            size=f"{answers:,} answers",
            product=f"{product:.3f} s",
            baseline=f"{baseline:.3f} s (raw GROUP BY)",
            ratio=product / baseline,
            goal="<= 2",
            met=product / baseline <= 2,
            memory=f"{peak / 1024:.0f} KiB",
        )

    def _drop(self, survey: Survey) -> None:
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {quote(Answer._meta.db_table)} WHERE question_id IN "  # noqa: S608
                f"(SELECT q.id FROM {quote(Question._meta.db_table)} q JOIN "
                f"{quote(Wave._meta.db_table)} w ON q.wave_id = w.id WHERE w.survey_id = %s)",
                [survey.pk],
            )
            cursor.execute(
                f"DELETE FROM {quote(Response._meta.db_table)} WHERE wave_id IN "  # noqa: S608
                f"(SELECT id FROM {quote(Wave._meta.db_table)} WHERE survey_id = %s)",
                [survey.pk],
            )
            Measure.objects.filter(survey=survey).delete()
            Question.objects.filter(wave__survey=survey).delete()
            Wave.objects.filter(survey=survey).delete()
            survey.delete()
