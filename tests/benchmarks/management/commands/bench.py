"""Every benchmark in one table: product against a baseline measured in the same run.

    python manage.py bench [--size 1000000] [--only import|analysis|submit] [--no-growth]

Runs, on whatever database is configured (SQLite by default, PostgreSQL with DATABASE_URL):

* import: the response import against a raw bulk load of the same rows (executemany on
  SQLite, COPY on PostgreSQL) - ``bench_import``; ``--size`` answers = size / 10 responses of
  10 answers each;
* analysis: one measure's full report against a single raw SQL GROUP BY over the same answers
  - ``bench_report``; ``--size`` answers;
* submit: the real survey submission through gunicorn against a trivial insert view served the
  same way, with concurrent clients - ``bench_submit``.

Import and analysis also run at a hundredth and a tenth of the size (growth), so the table shows
how cost grows with work. The machine is shared and noisy: read the ratios, not the seconds.
Each command can be run on its own for more detail.
"""

from __future__ import annotations

import io
from dataclasses import replace

from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.utils import DatabaseError

from tests.benchmarks.results import BenchResult

WHICH = ("import", "analysis", "submit")


class Command(BaseCommand):
    help = "Run every benchmark (import, analysis, submission) and print one table of ratios."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=1_000_000, help="Answers (default 1M).")
        parser.add_argument("--only", choices=WHICH, action="append")
        parser.add_argument(
            "--no-growth", action="store_true", help="Only the full size, not 1/100 and 1/10."
        )
        parser.add_argument("--clients", type=int, default=50, help="Concurrent clients (submit).")
        parser.add_argument(
            "--submissions", type=int, default=500, help="Submissions (submit benchmark)."
        )

    def handle(self, *args, size, only, no_growth, clients, submissions, **options):
        if size < 10_000:
            raise CommandError("Use --size of at least 10000 answers.")
        try:
            from surveys.models import Response

            Response.objects.exists()
        except DatabaseError as error:
            raise CommandError(f"The database is not ready ({error}): run migrate first.") from None
        chosen = only or list(WHICH)
        sizes = [size] if no_growth else [size // 100, size // 10, size]
        sizes = [s for s in sizes if s >= 1000]
        results: list[BenchResult] = []
        vendor = connection.vendor
        self.stdout.write(f"bench on {vendor}: {', '.join(chosen)}; sizes {sizes}")
        for which in chosen:
            if which == "import":
                for answers in sizes:
                    result = self._run("bench_import", responses=max(answers // 10, 1), answers=10)
                    results.append(self._growth(result) if answers < size else result)
            elif which == "analysis":
                for answers in sizes:
                    result = self._run("bench_report", answers=answers)
                    results.append(self._growth(result) if answers < size else result)
            else:
                results.append(self._run("bench_submit", clients=clients, submissions=submissions))
        self._table(results, vendor)
        missed = [result for result in results if not result.met]
        if missed:
            raise CommandError(
                "Missed the goal: " + ", ".join(f"{r.what} {r.size}" for r in missed)
            )

    @staticmethod
    def _growth(result: BenchResult) -> BenchResult:
        """Smaller sizes show how cost grows; the goal is judged at the full size, where fixed
        costs (the report's statistics take ~20 ms whatever the data) no longer dominate."""
        return replace(result, goal="growth", met=True)

    def _run(self, name: str, **options) -> BenchResult:
        if name not in get_commands():
            raise CommandError(f"The {name} command is not installed.")
        command = load_command_class(get_commands()[name], name)
        out = io.StringIO()
        self.stdout.write(f"  running {name} {options} ...")
        call_command(command, stdout=out, **options)
        result = getattr(command, "result", None)
        if result is None:
            raise CommandError(f"{name} reported no result:\n{out.getvalue()}")
        return result

    def _table(self, results: list[BenchResult], vendor: str) -> None:
        headers = ("measured", "size", "product", "baseline", "ratio", "goal", "peak memory")
        rows = [
            (
                r.what,
                r.size,
                r.product,
                r.baseline,
                f"{r.ratio:.2f}",
                f"{r.goal} {'met' if r.met else 'MISSED'}" if r.goal != "growth" else "(growth)",
                r.memory,
            )
            for r in results
        ]
        widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
        line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
        self.stdout.write("")
        self.stdout.write(f"Benchmarks on {vendor} (ratio = product / baseline, same run)")
        self.stdout.write(line)
        self.stdout.write("| " + " | ".join("-" * w for w in widths) + " |")
        for row in rows:
            self.stdout.write(
                "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
            )
