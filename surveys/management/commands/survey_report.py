"""Print a measure's report: the same figures as its dashboard in the Wagtail admin.

    python manage.py survey_report --measure KEY [--format table|csv|json]

* ``table`` (the default): the measure, each wave's summary, then every table of the dashboard
  as aligned text, with the notes.
* ``csv``: exactly the dashboard's CSV download (``surveys.report_tables.csv_text``: the same
  rounded figures, "[c]" for suppressed cells, text cells escaped against formula injection),
  without the byte-order mark the download carries for Excel.
* ``json``: ``Report.to_dict()`` unrounded, for scripts that want full precision: figures are
  fractions of 100 (percent), p-values as computed; a suppressed cell has ``"suppressed": true``
  and null figures, so nothing the dashboard hides is printed. Round half up to whole numbers
  (percentages, intervals, differences) to get the dashboard's figures.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from surveys import report_tables, selectors
from surveys.models import Measure

FORMATS = ("table", "csv", "json")


def _text(value) -> str:
    return "" if value is None else str(value)


def text_table(headers: list[str], rows: list[list]) -> list[str]:
    """Columns padded to their widest cell; columns of figures aligned right."""
    cells = [[_text(value) for value in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [
        any(isinstance(row[i], int | Decimal) and not isinstance(row[i], bool) for row in rows)
        for i in range(len(headers))
    ]
    lines = []
    for index, row in enumerate(cells):
        line = "  ".join(
            cell.rjust(widths[i]) if numeric[i] else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        )
        lines.append(line.rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


class Command(BaseCommand):
    help = (
        "Print a measure's report (the figures of its dashboard) as a text table, the CSV "
        "download, or JSON (Report.to_dict(), unrounded)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--measure", required=True, metavar="KEY", help="The measure's key.")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="table",
            help="table (default), csv (as the dashboard's download) or json (unrounded).",
        )

    def handle(self, *args, **options):
        key = options["measure"]
        measure = Measure.objects.select_related("survey", "baseline").filter(key=key).first()
        if measure is None:
            known = list(Measure.objects.order_by("key").values_list("key", flat=True))
            raise CommandError(
                f'There is no measure with the key "{key}". '
                + (f"Known keys: {', '.join(known)}." if known else "There are no measures yet.")
            )
        report = selectors.measure_report(measure=measure)
        fmt = options["format"]
        if fmt == "json":
            self.stdout.write(json.dumps(report.to_dict(), indent=2))
            return
        positive = report_tables.positive_answer_labels(measure)
        if fmt == "csv":
            self.stdout.write(
                report_tables.csv_text(measure, report, positive=positive, bom=False), ending=""
            )
            return
        lines = [
            f"{label}: {value}"
            for label, value in report_tables.about_rows(measure, report, positive=positive)
            if label not in ("Downloaded on", "Summary", "Note")
        ]
        if not report.years:
            lines += ["", "No answers to this question yet."]
        else:
            lines += ["", *[report.summary(year) for year in report.years]]
            for table in report_tables.report_tables(report):
                lines += ["", table.title, *([table.note] if table.note else [])]
                lines += text_table(table.headers, table.rows)
                if not table.rows:
                    lines.append("(none)")
            lines += ["", "Notes:", *[f"- {note}" for note in report.footnotes]]
        self.stdout.write("\n".join(lines))
