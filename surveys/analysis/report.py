"""A measure's report: percent positive by group and wave, gaps between groups, change year on
year and from the baseline, trend over waves, all under disclosure control.

Input is counts (``{(year, code): (n_answering, n_positive)}``, the output of one GROUP BY) and
the waves; output is a ``Report`` of plain values that the dashboard, the downloads, the
command line and the published annual summary all present, so they cannot disagree.

Rules (see the analysis section of DESIGN.md):
- every cell with 0 < n < threshold is suppressed, and so is any cell (secondary suppression)
  from which a suppressed one could be worked out; a suppressed cell hides its count,
  percentage and interval, and every comparison involving it;
- a comparison is a z-test when both sides have at least 30 answers, Fisher's exact test below;
  groups with no answers are "not tested", reported apart from "not significant";
- waves after a break in series are never joined to earlier ones (no change, no trend across
  the break);
- p-values of all comparisons shown together are adjusted (Benjamini-Hochberg, or Holm).

Pure Python; no Django.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from cms.platform.suppression import FOOTNOTE, SUPPRESSED, suppress
from surveys import classifications as c
from surveys.analysis import statistics as st
from surveys.analysis.groups import (
    ALL,
    GAP_GROUPS,
    GROUP_LABELS,
    HIGH_LEVEL_CODES,
    NOT_ANSWERED,
    REFERENCE_GROUP,
    WHITE_NOT_BRITISH,
    build_wave_cells,
    presentation_order,
)

ALPHA = 0.05
ADJUSTMENTS = {"bh": st.benjamini_hochberg, "holm": st.holm}
ADJUSTMENT_LABELS = {
    "bh": "Benjamini-Hochberg (false discovery rate)",
    "holm": "Holm (family-wise error rate)",
}

# Outcomes of a comparison, in the words the report uses.
SIGNIFICANT = "significant"
NOT_SIGNIFICANT = "not significant"
NOT_TESTED = "not tested"


def whole(value: float | None) -> int | None:
    """Round half up to a whole number (Python's round() rounds half to even)."""
    if value is None:
        return None
    # First to 9 places, so floating-point noise (-2.4999999999999996 for an exact -2.5)
    # does not decide the rounding.
    exact = Decimal(str(float(value))).quantize(Decimal("1e-9"), rounding=ROUND_HALF_UP)
    return int(exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class WaveInfo:
    year: int
    break_in_series: bool = False


@dataclass(frozen=True)
class MeasureSpec:
    key: str
    name: str
    groups: tuple[str, ...]
    higher_is_better: bool = True
    baseline_year: int | None = None
    threshold: int = 10
    adjustment: str = "bh"


@dataclass
class Row:
    """One group in one wave. Figures are None when suppressed (``suppressed``) or empty."""

    year: int
    group: str
    label: str
    suppressed: bool
    n: int | None
    positive: int | None
    percent: float | None
    ci_low: float | None
    ci_high: float | None

    def shown(self, value):
        return SUPPRESSED if self.suppressed else value


@dataclass
class Comparison:
    """A gap between two groups in a wave, or a change in one group between two waves.

    ``difference``/interval in percentage points (first minus second); ``outcome`` is
    significant / not significant / not tested; suppressed comparisons have no figures.
    """

    kind: str  # "gap", "change" (year on year), "baseline" (since the baseline), "trend", "chi"
    year: int
    group: str
    label: str
    versus: str  # group compared with (gaps), or the earlier year (changes), or a description
    suppressed: bool = False
    difference: float | None = None
    diff_low: float | None = None
    diff_high: float | None = None
    rate_ratio: float | None = None
    test: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    adjusted_p: float | None = None
    outcome: str = NOT_TESTED
    reason: str = ""

    @property
    def testable(self) -> bool:
        return not self.suppressed and self.p_value is not None


@dataclass
class Report:
    spec: MeasureSpec
    years: list[int]
    breaks: list[int]
    groups: list[str]
    rows: list[Row]
    comparisons: list[Comparison]
    footnotes: list[str] = field(default_factory=list)

    # -- lookups -------------------------------------------------------------------------
    def row(self, year: int, group: str) -> Row | None:
        for row in self.rows:
            if row.year == year and row.group == group:
                return row
        return None

    def rows_for(self, year: int) -> list[Row]:
        return [row for row in self.rows if row.year == year]

    def comparisons_of(self, kind: str, year: int | None = None) -> list[Comparison]:
        return [
            comparison
            for comparison in self.comparisons
            if comparison.kind == kind and (year is None or comparison.year == year)
        ]

    def comparison(self, kind: str, year: int, group: str) -> Comparison | None:
        for comparison in self.comparisons_of(kind, year):
            if comparison.group == group:
                return comparison
        return None

    @property
    def latest_year(self) -> int | None:
        return self.years[-1] if self.years else None

    def previous_year(self, year: int) -> int | None:
        """The wave before ``year`` in the same series (None across a break)."""
        index = self.years.index(year)
        if index == 0 or year in self.breaks:
            return None
        return self.years[index - 1]

    def to_dict(self) -> dict:
        return {
            "spec": asdict(self.spec),
            "years": self.years,
            "breaks": self.breaks,
            "groups": self.groups,
            "rows": [asdict(row) for row in self.rows],
            "comparisons": [asdict(comparison) for comparison in self.comparisons],
            "footnotes": self.footnotes,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        return cls(
            spec=MeasureSpec(**{**data["spec"], "groups": tuple(data["spec"]["groups"])}),
            years=list(data["years"]),
            breaks=list(data["breaks"]),
            groups=list(data["groups"]),
            rows=[Row(**row) for row in data["rows"]],
            comparisons=[Comparison(**item) for item in data["comparisons"]],
            footnotes=list(data["footnotes"]),
        )

    # -- words ---------------------------------------------------------------------------
    def summary(self, year: int | None = None) -> str:
        """E.g. "Ethnic minorities 48% (44-52), White 59% (57-61): gap 11 points, significant."."""
        year = year if year is not None else self.latest_year
        if year is None:
            return "No answers yet."
        minority = self.row(year, c.ETHNIC_MINORITIES)
        reference = self.row(year, REFERENCE_GROUP)
        if minority is None or reference is None:
            return f"{year}: the groups needed for this summary are not part of this measure."
        parts = [describe_row(minority, "Ethnic minorities"), describe_row(reference, "White")]
        gap = self.comparison("gap", year, c.ETHNIC_MINORITIES)
        if gap is None or gap.suppressed:
            tail = "gap not shown (too few answers)"
        elif gap.difference is None:
            tail = "gap not tested (too few answers)"
        else:
            points = whole(abs(gap.difference))
            tail = f"gap {points} {'point' if points == 1 else 'points'}, {gap.outcome}"
        return f"{year}: {parts[0]}, {parts[1]}: {tail}."


def describe_row(row: Row, name: str) -> str:
    if row.suppressed:
        return f"{name} {SUPPRESSED}"
    if not row.n:
        return f"{name}: no answers"
    return f"{name} {whole(row.percent)}% ({whole(row.ci_low)}-{whole(row.ci_high)})"


def _points(value: float) -> float:
    return 100.0 * value


def _compare(kind, year, group, versus, first, second, *, threshold, rate=False) -> Comparison:
    """Gap/change first - second between two cells ``(n, k)``."""
    comparison = Comparison(
        kind=kind, year=year, group=group, label=GROUP_LABELS.get(group, group), versus=versus
    )
    (n1, k1), (n2, k2) = first, second
    if n1 == 0 or n2 == 0:
        comparison.reason = "no answers"
        return comparison
    difference, low, high = st.newcombe_interval(k1, n1, k2, n2)
    comparison.difference, comparison.diff_low, comparison.diff_high = (
        _points(difference),
        _points(low),
        _points(high),
    )
    if rate:
        comparison.rate_ratio = st.rate_ratio(k1, n1, k2, n2)
    result = st.compare_proportions(k1, n1, k2, n2, min_n=threshold)
    if result.tested:
        comparison.test, comparison.statistic, comparison.p_value = (
            result.test,
            result.statistic,
            result.p_value,
        )
    else:
        comparison.reason = "too few answers"
    return comparison


def build_report(
    spec: MeasureSpec,
    waves: Sequence[WaveInfo],
    counts: Mapping[tuple[int, str], tuple[int, int]],
) -> Report:
    """The whole report for a measure. ``waves`` in any order; only waves with answers count."""
    by_year: dict[int, dict[str, tuple[int, int]]] = {}
    for (year, code), value in counts.items():
        by_year.setdefault(year, {})[code] = value
    info = {wave.year: wave for wave in waves}
    years = sorted(year for year in info if by_year.get(year))
    # A break at a wave separates it from every wave before it; the first wave shown never is.
    breaks = [year for year in years[1:] if info[year].break_in_series]

    rows: list[Row] = []
    shown_groups: list[str] = []
    cell_tables = {}
    any_suppressed = False
    for year in years:
        wave_cells = build_wave_cells(by_year[year])
        wanted = [group for group in spec.groups if group in wave_cells.cells]
        if not wave_cells.has_white_british and c.WHITE_BRITISH in wanted:
            wanted.remove(c.WHITE_BRITISH)
        if spec.groups and wave_cells.cells[NOT_ANSWERED].n:
            # Shown beside the groups; an "all answers only" measure shows just the total.
            wanted.append(NOT_ANSWERED)
        wanted.append(ALL)
        # Cells the reader cannot see. "Ethnic group not given" is shown whenever anyone skipped
        # the question, so its absence tells the reader it is zero: then it is known, not unshown.
        unshown = [
            code
            for code in wave_cells.cells
            if code not in wanted and not (spec.groups and code == NOT_ANSWERED)
        ]
        hidden = suppress(
            {code: cell.n for code, cell in wave_cells.cells.items()},
            wave_cells.relations,
            threshold=spec.threshold,
            unshown=unshown,
            keep=(REFERENCE_GROUP, c.ETHNIC_MINORITIES),
        )
        any_suppressed = any_suppressed or bool(hidden)
        cell_tables[year] = (wave_cells, hidden)
        for group in presentation_order(wanted):
            if group not in shown_groups:
                shown_groups.append(group)
            cell = wave_cells.cells[group]
            suppressed = group in hidden
            if suppressed:
                rows.append(Row(year, group, GROUP_LABELS[group], True, *([None] * 5)))
                continue
            low, high = st.wilson_interval(cell.k, cell.n) if cell.n else (None, None)
            rows.append(
                Row(
                    year=year,
                    group=group,
                    label=GROUP_LABELS[group],
                    suppressed=False,
                    n=cell.n,
                    positive=cell.k,
                    percent=st.percent_positive(cell.k, cell.n),
                    ci_low=None if low is None else _points(low),
                    ci_high=None if high is None else _points(high),
                )
            )
    shown_groups = presentation_order(shown_groups)

    def cell_of(year: int, group: str) -> tuple[tuple[int, int] | None, bool]:
        """((n, k) or None if the group is not in that wave, suppressed?)."""
        wave_cells, hidden = cell_tables[year]
        row = next((r for r in rows if r.year == year and r.group == group), None)
        if row is None:
            return None, False
        cell = wave_cells.cells[group]
        return (cell.n, cell.k), group in hidden

    comparisons: list[Comparison] = []
    threshold = spec.threshold
    for year in years:
        # Gaps: each minority group (and all combined) against White.
        reference, reference_hidden = cell_of(year, REFERENCE_GROUP)
        if reference is not None:
            for group in GAP_GROUPS:
                cell, hidden = cell_of(year, group)
                if cell is None:
                    continue
                if hidden or reference_hidden:
                    comparisons.append(_suppressed("gap", year, group, REFERENCE_GROUP))
                    continue
                comparisons.append(
                    _compare(
                        "gap", year, group, REFERENCE_GROUP, cell, reference,
                        threshold=threshold, rate=True,
                    )
                )  # fmt: skip
        # Chi-square across the high-level groups shown in the wave.
        usable = []
        for group in HIGH_LEVEL_CODES:
            cell, hidden = cell_of(year, group)
            if cell is not None and not hidden:
                usable.append((cell[1], cell[0]))
        chi = Comparison(
            kind="chi",
            year=year,
            group="high_level",
            label="Across the five high-level ethnic groups",
            versus="",
        )
        result = st.chi_square_across(usable, min_n=threshold)
        if result.tested:
            chi.test, chi.statistic, chi.p_value = result.test, result.statistic, result.p_value
            if len(usable) < len(HIGH_LEVEL_CODES):
                chi.reason = "groups with suppressed figures left out"
        else:
            chi.reason = "fewer than two groups to compare"
        comparisons.append(chi)

    # Changes: each group against the previous wave in the same series, and against baseline.
    series_start = {}
    start = years[0] if years else None
    for year in years:
        if year in breaks:
            start = year
        series_start[year] = start
    for index, year in enumerate(years):
        for group in shown_groups:
            cell, hidden = cell_of(year, group)
            if cell is None:
                continue
            earlier = []
            if index > 0 and year not in breaks:
                earlier.append(("change", years[index - 1]))
            baseline = spec.baseline_year
            if (
                baseline in years
                and baseline < year
                and series_start[year] <= baseline
                and not (earlier and earlier[0][1] == baseline)  # already the year-on-year one
            ):
                earlier.append(("baseline", baseline))
            for kind, before in earlier:
                previous, previous_hidden = cell_of(before, group)
                if previous is None:
                    continue
                if hidden or previous_hidden:
                    comparisons.append(_suppressed(kind, year, group, str(before)))
                    continue
                comparisons.append(
                    _compare(kind, year, group, str(before), cell, previous, threshold=threshold)
                )

    # Trend: Cochran-Armitage over the latest series, when it has three or more waves.
    if years:
        latest = years[-1]
        series = [year for year in years if series_start[year] == series_start[latest]]
        for group in shown_groups:
            trend = Comparison(
                kind="trend",
                year=latest,
                group=group,
                label=GROUP_LABELS[group],
                versus=f"{series[0]}-{latest}",
            )
            cells = [cell_of(year, group) for year in series]
            if len(series) < 3:
                trend.reason = "fewer than three waves in the series"
            elif any(cell is None for cell, _ in cells):
                trend.reason = "group not in every wave of the series"
            elif any(hidden for _, hidden in cells):
                trend.suppressed, trend.outcome = True, SUPPRESSED
            else:
                result = st.cochran_armitage_trend(
                    [(k, n) for (n, k), _ in cells], scores=[float(year) for year in series]
                )
                if result.tested:
                    trend.test, trend.statistic, trend.p_value = (
                        result.test,
                        result.statistic,
                        result.p_value,
                    )
                else:
                    trend.reason = "too few answers"
            comparisons.append(trend)

    adjust = ADJUSTMENTS[spec.adjustment]
    testable = [comparison for comparison in comparisons if comparison.testable]
    for comparison, adjusted in zip(
        testable, adjust([item.p_value for item in testable]), strict=True
    ):
        comparison.adjusted_p = adjusted
        comparison.outcome = SIGNIFICANT if adjusted < ALPHA else NOT_SIGNIFICANT

    footnotes = []
    if any_suppressed:
        footnotes.append(FOOTNOTE.format(threshold=spec.threshold))
    footnotes.append(
        "Intervals are 95% Wilson score intervals; gaps and changes have Newcombe's hybrid score "
        "interval. Tests: two-proportion z-test when both groups have at least 30 answers, "
        "Fisher's exact test below that; chi-square across groups; Cochran-Armitage for trend. "
        f"P-values adjusted across the {len(testable)} comparisons shown with the "
        f"{ADJUSTMENT_LABELS[spec.adjustment]} method; significant means adjusted p < 0.05."
    )
    if breaks:
        footnotes.append(
            "A break in series (the question changed) at "
            + ", ".join(str(year) for year in breaks)
            + ": figures either side are not compared."
        )
    return Report(
        spec=spec,
        years=years,
        breaks=breaks,
        groups=shown_groups,
        rows=rows,
        comparisons=comparisons,
        footnotes=footnotes,
    )


def _suppressed(kind: str, year: int, group: str, versus: str) -> Comparison:
    return Comparison(
        kind=kind,
        year=year,
        group=group,
        label=GROUP_LABELS.get(group, group),
        versus=versus,
        suppressed=True,
        outcome=SUPPRESSED,
    )


__all__ = [
    "ALL",
    "NOT_ANSWERED",
    "WHITE_NOT_BRITISH",
    "MeasureSpec",
    "Report",
    "WaveInfo",
    "build_report",
]
