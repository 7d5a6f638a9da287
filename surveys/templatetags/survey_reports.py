"""The annual summary in words and tables, from the figures the page holds.

The figures are ``surveys.selectors.annual_summary`` output (the page's snapshot, or computed
afresh in a preview): plain data, read back into ``Report`` objects. Everything here only
presents them, so a published page reads the same however the data changes later.

Words follow GOV.UK style: "to" in ranges, "ethnic minorities" (all other ethnic groups
combined), "[c]" for a figure withheld for confidentiality and "[x]" for one not available.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template

from cms.platform.suppression import FOOTNOTE, SUPPRESSED
from surveys import classifications as c
from surveys.analysis.formatting import percent_text, relative_to
from surveys.analysis.groups import ALL, ALL_OTHER_GROUPS, GROUP_LABELS
from surveys.analysis.report import (
    NOT_COLLECTED,
    NOT_SIGNIFICANT,
    SIGNIFICANT,
    Comparison,
    Report,
    Row,
    whole,
)

register = template.Library()

NOT_AVAILABLE = "[x]"
NOT_AVAILABLE_FOOTNOTE = "[x] Not available: no answers from this group that year."
#: A change where one of the two years' data does not have the group.
NOT_COMPARED = "Not compared: not collected both years"
BOARD_EVALUATION = "board_evaluation"
# Staff survey measures first, then any other survey, then the board's evaluation.
KIND_ORDER = {"staff": 0, "other": 1, BOARD_EVALUATION: 2}
# The groups described in sentences (the table has them all), with their names in a sentence:
# ethnic minorities, the measure's comparison group (``COMPARATOR``) and everyone.
COMPARATOR = "comparator"
SENTENCE_GROUPS = {
    c.ETHNIC_MINORITIES: "Ethnic minorities",
    COMPARATOR: "",
    ALL: "Everyone who answered",
}
#: The comparison groups by name in a sentence.
COMPARATOR_NAMES = {
    c.WHITE_BRITISH: "White British staff",
    c.WHITE.code: "White staff",
    ALL_OTHER_GROUPS: "all other groups",
}


def comparator_of(report: Report, year: int) -> str:
    """The group that year's gaps were measured against (the measure's, or its fallback)."""
    gap = report.comparison("gap", year, c.ETHNIC_MINORITIES)
    return gap.versus if gap is not None else report.spec.comparison


def comparator_name(code: str) -> str:
    return COMPARATOR_NAMES.get(code, GROUP_LABELS.get(code, code))


@dataclass
class Figure:
    """One table cell: the words shown, and whether it is withheld or missing."""

    text: str
    suppressed: bool = False
    missing: bool = False


@dataclass
class GroupLine:
    label: str
    this_year: Figure
    answers: Figure
    last_year: Figure | None
    change: Figure | None
    baseline: Figure | None
    since_baseline: Figure | None


@dataclass
class MeasureSummary:
    key: str
    name: str
    description: str
    survey: str
    year: int
    last_year: int | None
    baseline_year: int | None
    last_year_is_baseline: bool
    has_year: bool
    sentences: list[str]
    gap: str
    lines: list[GroupLine]
    footnotes: list[str]

    @property
    def anchor(self) -> str:
        return f"measure-{self.key}"


@dataclass
class BoardLine:
    name: str
    figures: list[Figure]


@dataclass
class BoardSummary:
    years: list[int]
    lines: list[BoardLine]
    latest_year: int | None
    any_suppressed: bool
    all_suppressed_latest: bool
    footnotes: list[str] = field(default_factory=list)


@dataclass
class AnnualSummary:
    year: int
    threshold: int
    measures: list[MeasureSummary]
    board: BoardSummary | None


# -- words ---------------------------------------------------------------------------------


def percent_with_interval(row: Row | None) -> Figure:
    if row is None:
        return Figure(NOT_AVAILABLE, missing=True)
    if not row.collected:
        return Figure(NOT_COLLECTED.capitalize())
    if row.suppressed:
        return Figure(SUPPRESSED, suppressed=True)
    if not row.n:
        return Figure(NOT_AVAILABLE, missing=True)
    return Figure(percent_text(row.percent, row.ci_low, row.ci_high))


def answers(row: Row | None) -> Figure:
    if row is None:
        return Figure(NOT_AVAILABLE, missing=True)
    if not row.collected:
        return Figure(NOT_COLLECTED.capitalize())
    if row.suppressed:
        return Figure(SUPPRESSED, suppressed=True)
    return Figure(f"{row.n or 0:,}")


def _points(points: int) -> str:
    return f"{points} point" if points == 1 else f"{points} points"


def _moved(difference: float) -> str:
    """ "up 3 points", "down less than 1 point", "no change"."""
    points = whole(abs(difference))
    if difference == 0:
        return "no change"
    direction = "up" if difference > 0 else "down"
    if points == 0:
        return f"{direction} less than 1 point"
    return f"{direction} {_points(points)}"


def _verdict(comparison: Comparison, *, higher_is_better: bool) -> str:
    """ "significant improvement", "significant change for the worse", "not significant" or
    "not tested"."""
    if comparison.outcome == SIGNIFICANT:
        better = (comparison.difference > 0) == higher_is_better
        return "significant improvement" if better else "significant change for the worse"
    if comparison.outcome == NOT_SIGNIFICANT:
        return "not significant"
    return "not tested"


def change_words(comparison: Comparison | None, since: str, *, higher_is_better: bool) -> str:
    """E.g. "up 3 points since 2025, not a significant change"."""
    if comparison is None:
        return ""
    if comparison.suppressed:
        return f"change {since} not shown {SUPPRESSED}"
    if comparison.difference is None:
        return f"change {since} not tested (no answers to compare)"
    verdict = {
        "significant improvement": "a significant improvement",
        "significant change for the worse": "a significant change for the worse",
        "not significant": "not a significant change",
        "not tested": "not tested (too few answers)",
    }[_verdict(comparison, higher_is_better=higher_is_better)]
    return f"{_moved(comparison.difference)} {since}, {verdict}"


def _change_figure(comparison: Comparison | None, *, higher_is_better: bool) -> Figure:
    """A change in a table cell, under a "Change since ..." header: "Up 3 points, not
    significant"."""
    if comparison is None:
        return Figure(NOT_AVAILABLE, missing=True)
    if comparison.suppressed:
        return Figure(SUPPRESSED, suppressed=True)
    if comparison.difference is None:
        return Figure("Not tested")
    verdict = _verdict(comparison, higher_is_better=higher_is_better)
    return Figure(f"{_moved(comparison.difference).capitalize()}, {verdict}")


def group_sentence(
    report: Report, year: int, group: str, name: str, *, baseline: int | None
) -> str:
    """E.g. "Ethnic minorities 48% (44 to 52) agreed, up 3 points since 2025, not a
    significant change."."""
    row = report.row(year, group)
    if row is not None and not row.collected:
        return f"{name}: not collected in {year}."
    if row is None or (not row.suppressed and not row.n):
        return f"{name}: no answers in {year}."
    if row.suppressed:
        return f"{name}: not shown {SUPPRESSED}, to protect the confidentiality of a small group."
    higher = report.spec.higher_is_better
    parts = [f"{name} {percent_text(row.percent, row.ci_low, row.ci_high)} agreed"]
    previous = report.previous_year(year)
    if previous is not None:
        words = change_words(
            report.comparison("change", year, group), f"since {previous}", higher_is_better=higher
        )
        if words:
            parts.append(words)
    if baseline is not None and baseline != previous:
        words = change_words(
            report.comparison("baseline", year, group),
            f"since the {baseline} baseline",
            higher_is_better=higher,
        )
        if words:
            parts.append(f"and {words}" if len(parts) > 1 else words)
    return ", ".join(parts) + "."


def gap_sentence(report: Report, year: int) -> str:
    """E.g. "Ethnic minorities were 9 points below White staff, a significant difference."."""
    gap = report.comparison("gap", year, c.ETHNIC_MINORITIES)
    if gap is None:
        return ""
    versus = comparator_name(gap.versus)
    if gap.suppressed:
        return f"The gap between ethnic minorities and {versus} is not shown {SUPPRESSED}."
    if gap.difference is None:
        return f"The gap between ethnic minorities and {versus} could not be tested."
    where = relative_to(gap.difference, versus)
    verdict = {
        SIGNIFICANT: "a significant difference",
        NOT_SIGNIFICANT: "not a significant difference",
    }.get(gap.outcome, "not tested (too few answers)")
    return f"In {year}, ethnic minorities were {where}, {verdict}."


# -- sections ------------------------------------------------------------------------------


def baseline_of(report: Report, year: int) -> int | None:
    """The measure's baseline wave, if it is an earlier wave in the same series as ``year``."""
    baseline = report.spec.baseline_year
    if baseline is None or baseline not in report.years or baseline >= year:
        return None
    if any(baseline < brk <= year for brk in report.breaks):
        return None
    return baseline


def measure_summary(section: dict, year: int) -> MeasureSummary:
    report = Report.from_dict(section["report"])
    measure = section["measure"]
    has_year = year in report.years
    last_year = report.previous_year(year) if has_year else None
    baseline = baseline_of(report, year) if has_year else None
    # A baseline that is last year is already the year-on-year change.
    shown_baseline = baseline if baseline != last_year else None
    higher = report.spec.higher_is_better

    def change(kind: str, before: int | None, group: str) -> Figure | None:
        if before is None:
            return None
        if not (_collected(report, year, group) and _collected(report, before, group)):
            return Figure(NOT_COMPARED)
        return _change_figure(report.comparison(kind, year, group), higher_is_better=higher)

    def earlier(before: int | None, group: str) -> Figure | None:
        return None if before is None else percent_with_interval(report.row(before, group))

    lines: list[GroupLine] = []
    sentences: list[str] = []
    if has_year:
        for group in report.groups:
            row = report.row(year, group)
            lines.append(
                GroupLine(
                    label=row.label if row else _label(report, group),
                    this_year=percent_with_interval(row),
                    answers=answers(row),
                    last_year=earlier(last_year, group),
                    change=change("change", last_year, group),
                    baseline=earlier(shown_baseline, group),
                    since_baseline=change("baseline", shown_baseline, group),
                )
            )
        for group, name in SENTENCE_GROUPS.items():
            if group == COMPARATOR:
                group = comparator_of(report, year)
                words = comparator_name(group)
                name = words[0].upper() + words[1:]
            if group in report.groups:
                sentences.append(group_sentence(report, year, group, name, baseline=baseline))
    footnotes = list(report.footnotes)
    if any(
        figure is not None and figure.missing
        for line in lines
        for figure in (
            line.this_year,
            line.last_year,
            line.change,
            line.baseline,
            line.since_baseline,
        )
    ):
        footnotes.insert(0, NOT_AVAILABLE_FOOTNOTE)
    return MeasureSummary(
        key=measure["key"],
        name=measure["name"],
        description=measure.get("description", ""),
        survey=measure["survey"],
        year=year,
        last_year=last_year,
        baseline_year=shown_baseline,
        last_year_is_baseline=baseline is not None and baseline == last_year,
        has_year=has_year,
        sentences=sentences,
        gap=gap_sentence(report, year) if has_year else "",
        lines=lines,
        footnotes=footnotes,
    )


def _collected(report: Report, year: int, group: str) -> bool:
    row = report.row(year, group)
    return row is None or row.collected


def _label(report: Report, group: str) -> str:
    return next((row.label for row in report.rows if row.group == group), group)


def board_summary(sections: list[dict], year: int, threshold: int) -> BoardSummary | None:
    """The board's evaluation: each question's share agreeing, all answers only, year on year
    up to ``year``."""
    if not sections:
        return None
    reports = [
        (section["measure"]["name"], Report.from_dict(section["report"])) for section in sections
    ]
    years = sorted({y for _, report in reports for y in report.years if y <= year})
    lines = [
        BoardLine(
            name=name,
            figures=[percent_with_interval(report.row(y, ALL)) for y in years],
        )
        for name, report in reports
    ]
    any_suppressed = any(figure.suppressed for line in lines for figure in line.figures)
    all_suppressed_latest = bool(years) and all(line.figures[-1].suppressed for line in lines)
    footnotes = []
    if any_suppressed:
        footnotes.append(FOOTNOTE.format(threshold=threshold))
    if any(figure.missing for line in lines for figure in line.figures):
        footnotes.append(NOT_AVAILABLE_FOOTNOTE.replace("this group", "board members"))
    footnotes.append("Intervals are 95% Wilson score intervals.")
    return BoardSummary(
        years=years,
        lines=lines,
        latest_year=years[-1] if years else None,
        any_suppressed=any_suppressed,
        all_suppressed_latest=all_suppressed_latest,
        footnotes=footnotes,
    )


@register.simple_tag
def annual_summary_view(figures: dict) -> AnnualSummary:
    """Usage: ``{% annual_summary_view page.figures as summary %}``."""
    year = figures["year"]
    sections = sorted(
        figures.get("measures", []),
        key=lambda section: KIND_ORDER.get(section["measure"].get("survey_kind"), 1),
    )
    board = [s for s in sections if s["measure"].get("survey_kind") == BOARD_EVALUATION]
    others = [s for s in sections if s["measure"].get("survey_kind") != BOARD_EVALUATION]
    return AnnualSummary(
        year=year,
        threshold=figures["threshold"],
        measures=[measure_summary(section, year) for section in others],
        board=board_summary(board, year, figures["threshold"]),
    )


@register.filter
def group_label(code: str) -> str:
    """An imported group as an analyst checks it against the provider's table: its ONS label
    and the code it was given as, e.g. "Asian: Indian (asian_indian)"."""
    label = GROUP_LABELS.get(code)
    return f"{label} ({code})" if label else code
