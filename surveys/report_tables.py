"""A measure's report as the tables the dashboard shows, and as CSV and XLSX downloads of them.

The analyst dashboard (``surveys.analysis_views``), its downloads and ``manage.py survey_report``
all present these tables, so the page, the files and the command line show the same figures:
percentages, intervals and differences rounded half up to whole numbers, or to one decimal
where whole numbers would hide the interval (``surveys.analysis.formatting``, which the text
summary uses too), rate ratios and test statistics to two decimal places, p-values to
three ("<0.001" below that), and "[c]" wherever disclosure control suppressed a figure.

Figures stay numbers (``int`` or ``Decimal``), so a spreadsheet reads them as numbers; text
cells go through ``cms.exports.escape_cell`` against formula injection in both formats.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.text import slugify

from cms.exports import escape_cell
from cms.platform.suppression import SUPPRESSED
from surveys import classifications
from surveys.analysis.formatting import shown_interval, shown_p
from surveys.analysis.groups import GROUP_LABELS
from surveys.analysis.report import NOT_COLLECTED, SIGNIFICANT, Comparison, Report, Row
from surveys.exports import escaped
from surveys.models import Measure, Question

TWO_PLACES = Decimal("0.01")
THREE_PLACES = Decimal("0.001")

CHANGE_KINDS = {"change": "Year on year", "baseline": "Since the baseline"}


def _places(value: float | None, places: Decimal) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(float(value))).quantize(places, rounding=ROUND_HALF_UP)


@dataclass
class Table:
    """One table of the report: a title, column headings and rows of shown values."""

    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    #: Text shown above the table (and written beneath the title in the downloads).
    note: str = ""
    #: The column that names the row (a ``<th scope="row">`` on the page).
    row_header: int = 1

    def rows_for_year(self, year: int) -> list[list]:
        """The rows of one wave, without the Year column (the page shows a table per wave)."""
        return [row[1:] for row in self.rows if row[0] == year]


def _figure_row(row: Row) -> list:
    if not row.collected:
        return [row.year, row.label, NOT_COLLECTED, *[None] * 4]
    if row.suppressed:
        return [row.year, row.label, *[SUPPRESSED] * 5]
    return [
        row.year,
        row.label,
        row.n,
        row.positive,
        *shown_interval(row.percent, row.ci_low, row.ci_high),
    ]


def _outcome(comparison: Comparison) -> list:
    """Test, p, adjusted p, outcome and note of a comparison."""
    if comparison.suppressed:
        return ["", SUPPRESSED, SUPPRESSED, SUPPRESSED, ""]
    return [
        comparison.test or "",
        shown_p(comparison.p_value),
        shown_p(comparison.adjusted_p),
        comparison.outcome,
        comparison.reason,
    ]


def _difference(comparison: Comparison) -> list:
    if comparison.suppressed:
        return [SUPPRESSED] * 3
    return list(
        shown_interval(
            comparison.difference,
            comparison.diff_low,
            comparison.diff_high,
            significant=comparison.outcome == SIGNIFICANT,
        )
    )


def comparator_words(report: Report) -> str:
    """The comparison group(s) the gaps were measured against, e.g. "White British" or "White
    British (White in 2019)"; "all other groups" is each group's everyone else."""

    def name(code: str) -> str:
        return "all other groups" if code == "all_other_groups" else GROUP_LABELS[code]

    used = list(dict.fromkeys(gap.versus for gap in report.comparisons_of("gap")))
    chosen = report.spec.comparison
    others = [code for code in used if code != chosen]
    if not others:
        return name(chosen)
    gaps = report.comparisons_of("gap")
    years = {
        code: ", ".join(dict.fromkeys(str(gap.year) for gap in gaps if gap.versus == code))
        for code in others
    }
    return f"{name(chosen)} (" + "; ".join(f"{name(c)} in {years[c]}" for c in others) + ")"


def report_tables(report: Report) -> list[Table]:
    """Every table the dashboard shows, in its order."""
    figures = Table(
        key="figures",
        title="Percent positive by group and wave",
        note="Answers: everyone who gave a valid answer to the question. Positive: the answers "
        "that count as positive. Low and High: the 95% interval of the percentage.",
        headers=[
            "Year",
            "Group",
            "Answers",
            "Positive",
            "% positive",
            "Low (95%)",
            "High (95%)",
        ],
        rows=[_figure_row(row) for row in report.rows],
    )
    versus = comparator_words(report)
    gaps = Table(
        key="gaps",
        title=f"Gaps between each group and {versus}",
        note=f"The group's percent positive minus that of {versus}, "
        "in percentage points, with its 95% interval; the rate ratio is how many times as "
        f"likely the group is as {versus} to answer positively.",
        headers=[
            "Year",
            "Group",
            "Gap (points)",
            "Low (95%)",
            "High (95%)",
            "Rate ratio",
            "Test",
            "p",
            "Adjusted p",
            "Outcome",
            "Note",
        ],
    )
    order = {group: index for index, group in enumerate(report.groups)}

    def ordered(comparisons: list[Comparison]) -> list[Comparison]:
        return sorted(comparisons, key=lambda item: (item.year, order.get(item.group, 99)))

    for comparison in ordered(report.comparisons_of("gap")):
        ratio = None if comparison.suppressed else _places(comparison.rate_ratio, TWO_PLACES)
        gaps.rows.append(
            [
                comparison.year,
                comparison.label,
                *_difference(comparison),
                SUPPRESSED if comparison.suppressed else ratio,
                *_outcome(comparison),
            ]
        )
    changes = Table(
        key="changes",
        title="Changes over time",
        note="Each group's percent positive minus its figure in the earlier wave, in percentage "
        "points, with its 95% interval. Waves either side of a break in series are not compared.",
        headers=[
            "Year",
            "Group",
            "Compared with",
            "Comparison",
            "Change (points)",
            "Low (95%)",
            "High (95%)",
            "Test",
            "p",
            "Adjusted p",
            "Outcome",
            "Note",
        ],
    )
    both = report.comparisons_of("change") + report.comparisons_of("baseline")
    kinds = list(CHANGE_KINDS)
    for comparison in sorted(
        both,
        key=lambda item: (item.year, order.get(item.group, 99), kinds.index(item.kind)),
    ):
        changes.rows.append(
            [
                comparison.year,
                comparison.label,
                int(comparison.versus),
                CHANGE_KINDS[comparison.kind],
                *_difference(comparison),
                *_outcome(comparison),
            ]
        )
    trend = Table(
        key="trend",
        title="Trend over the waves",
        note="Cochran-Armitage test for a steady rise or fall in percent positive over the "
        "latest series of three or more waves.",
        headers=["Group", "Waves", "Statistic", "Test", "p", "Adjusted p", "Outcome", "Note"],
        row_header=0,
    )
    for comparison in report.comparisons_of("trend"):
        trend.rows.append(
            [
                comparison.label,
                comparison.versus,
                SUPPRESSED if comparison.suppressed else _places(comparison.statistic, TWO_PLACES),
                *_outcome(comparison),
            ]
        )
    across = Table(
        key="across",
        title="Differences across the five high-level ethnic groups",
        note="Whether percent positive is the same in every high-level group tested: Pearson's "
        "chi-square when every expected count is at least 5; below that, Fisher's exact test "
        "for two groups or a Monte-Carlo test (a fixed set of simulated tables) for more. "
        "Groups with no answers, too few, or suppressed figures are left out; the groups "
        "tested are named.",
        headers=[
            "Year",
            "Comparison",
            "Groups tested",
            "Statistic",
            "Test",
            "p",
            "Adjusted p",
            "Outcome",
            "Note",
        ],
    )
    for comparison in report.comparisons_of("chi"):
        across.rows.append(
            [
                comparison.year,
                comparison.label,
                "; ".join(comparison.groups_tested),
                _places(comparison.statistic, TWO_PLACES),
                *_outcome(comparison),
            ]
        )
    return [figures, gaps, changes, trend, across]


# --- About the measure ---------------------------------------------------------------------


def positive_answer_labels(measure: Measure) -> list[str]:
    """The answers that count as positive, by their labels in the latest wave that asks."""
    labels = dict(classifications.LIKERT_SCALE)
    question = (
        Question.objects.filter(wave__survey_id=measure.survey_id, key=measure.question_key)
        .order_by("-wave__year")
        .first()
    )
    if question is not None:
        labels = dict(question.choice_pairs())
    return [labels.get(value, value) for value in measure.positive_values]


def about_rows(measure: Measure, report: Report, *, positive: list[str]) -> list[list]:
    """What the measure is, each wave's summary and the footnotes: the text around the tables."""
    rows = [
        ["Measure", measure.name],
        ["Survey", measure.survey.name],
        ["Question key", measure.question_key],
        ["Counts as positive", ", ".join(positive)],
        ["Direction", measure.get_direction_display()],
        ["Compared with", comparator_words(report)],
        ["Baseline", measure.baseline.year if measure.baseline_id else "None"],
        ["Downloaded on", timezone.localdate().isoformat()],
    ]
    rows += [["Summary", report.summary(year)] for year in reversed(report.years)]
    rows += [["Note", note] for note in report.footnotes]
    return rows


# --- Downloads ------------------------------------------------------------------------------


def csv_text(measure: Measure, report: Report, *, positive: list[str], bom: bool = True) -> str:
    """One CSV of every table: the measure and notes first, then each table under its title,
    with a blank line between sections."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write("\ufeff")  # So Excel reads the file as UTF-8.
    for row in about_rows(measure, report, positive=positive):
        writer.writerow(escaped(row))
    for table in report_tables(report):
        writer.writerow([])
        writer.writerow(escaped([table.title]))
        if table.note:
            writer.writerow(escaped([table.note]))
        writer.writerow(escaped(table.headers))
        for row in table.rows:
            writer.writerow(escaped(row))
    return buffer.getvalue()


def _xlsx_cell(sheet, value, *, bold=None):
    """A cell with the value escaped, and a Decimal shown with its places (0.090, not 0.09)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=escape_cell(value))
    if isinstance(value, Decimal):
        places = -value.as_tuple().exponent
        cell.number_format = "0." + "0" * places if places > 0 else "0"
    if bold is not None:
        cell.font = bold
    return cell


def xlsx_file(measure: Measure, report: Report, *, positive: list[str]):
    """An .xlsx with an About sheet (the measure, summaries and notes) and a sheet per table,
    returned at its start."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    tables = report_tables(report)
    about = about_rows(measure, report, positive=positive)
    about += [[table.title, table.note] for table in tables if table.note]
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    sheet = book.create_sheet(title="About")
    for row in about:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    for table in tables:
        sheet = book.create_sheet(title=SHEET_TITLES[table.key])
        sheet.append([_xlsx_cell(sheet, header, bold=bold) for header in table.headers])
        for row in table.rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    output = io.BytesIO()
    book.save(output)
    output.seek(0)
    return output


# Excel sheet names have at most 31 characters.
SHEET_TITLES = {
    "figures": "Percent positive",
    "gaps": "Gaps",
    "changes": "Changes over time",
    "trend": "Trend",
    "across": "Across groups",
}


def filename(measure: Measure, extension: str) -> str:
    return f"{slugify(measure.key)[:60] or 'measure'}-report.{extension}"


__all__ = [
    "Table",
    "about_rows",
    "csv_text",
    "filename",
    "positive_answer_labels",
    "report_tables",
    "shown_p",
    "xlsx_file",
]
