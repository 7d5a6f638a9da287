"""A measure's report: percent positive by group and wave, gaps between groups, change year on
year and from the baseline, trend over waves, all under disclosure control.

Input is counts (``{(year, code): (n_answering, n_positive)}``, the output of one GROUP BY) and
the waves; output is a ``Report`` of plain values that the dashboard, the downloads, the
command line and the published annual summary all present, so they cannot disagree.

Rules (see "Analysis and the annual summary" in the README, and
``cms/docs/decisions/0002-disclosure-control.md``):
- disclosure control protects every count of the table, not only the count answering. A group
  is shown only when at least ``threshold`` of it answered positively and at least
  ``threshold`` did not (so never at 0% or 100%: a group that answered all one way tells
  anyone who knows a member answered how they answered, and a few dissenters are known to
  the rest); any other group with answers is suppressed, and so is any cell (secondary
  suppression) from which a suppressed group's answering, positive or negative count could be
  worked out, given the totals, its siblings and that no count is negative
  (``cms.platform.suppression``). A suppressed cell hides its count, positive count,
  percentage and interval, and every comparison involving it (gaps, changes, trends; the
  chi-square leaves it out), so nothing published is a function of a hidden count: the
  dashboard, its CSV and XLSX, the annual summary and ``survey_report`` all present this
  ``Report`` and nothing else, so they are protected together;
- a comparison is a z-test when both sides have at least 30 answers, Fisher's exact test below;
  the test across the high-level groups is Pearson's chi-square when every expected count is
  at least 5, otherwise Fisher's exact test (two groups) or a Monte-Carlo test with a fixed
  seed (more), and names the groups it tested (groups with no answers are left out);
  groups with no answers are "not tested", reported apart from "not significant";
- waves after a break in series are never joined to earlier ones (no change, no trend across
  the break);
- p-values of all comparisons shown together are adjusted (Benjamini-Hochberg, or Holm).

``build_report`` is a pipeline of stages, each a function of its own so that each rule can be
tested apart: cells and suppression per wave (a ``WaveTable``), then the estimates, gaps,
chi-square, changes, trend, the adjustment across everything shown, and the footnotes.

Pure Python; no Django.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace

from cms.platform.suppression import FOOTNOTE, SUPPRESSED, Relation, suppress
from surveys.analysis import classifications as c
from surveys.analysis import statistics as st
from surveys.analysis.formatting import percent_text, relative_to, whole
from surveys.analysis.groups import (
    ALL,
    ALL_OTHER_GROUPS,
    COMPARATOR_FALLBACK,
    GAP_GROUPS,
    GROUP_LABELS,
    HIGH_LEVEL_CODES,
    NOT_ANSWERED,
    NOT_COMPARED,
    PARENT,
    REFERENCE_GROUP,
    WHITE_NOT_BRITISH,
    Cell,
    WaveCells,
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
#: A group the wave's data does not have (never shown as 0 answering).
NOT_COLLECTED = "not collected"


@dataclass(frozen=True)
class WaveInfo:
    year: int
    break_in_series: bool = False
    #: From individual responses: a code nobody chose is 0. Imported counts are not complete:
    #: a group the provider did not publish is "not collected".
    complete: bool = True


@dataclass(frozen=True)
class MeasureSpec:
    key: str
    name: str
    groups: tuple[str, ...]
    higher_is_better: bool = True
    baseline_year: int | None = None
    threshold: int = 10
    adjustment: str = "bh"
    #: The group gaps are measured against (``groups.COMPARATORS``). White, not the measure's
    #: default of White British, so that a summary published before the choice existed reads
    #: back as it was computed.
    comparison: str = REFERENCE_GROUP


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
    #: False when the wave's data does not have this group (published at another level).
    collected: bool = True

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
    #: The groups a test across groups used (their labels), in presentation order.
    groups_tested: list[str] = field(default_factory=list)

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
        """E.g. "Ethnic minorities 48% (44-52), White 59% (57-61): Ethnic minorities 11 points
        below White, significant."."""
        year = year if year is not None else self.latest_year
        if year is None:
            return "No answers yet."
        gap = self.comparison("gap", year, c.ETHNIC_MINORITIES)
        versus = gap.versus if gap is not None else self.spec.comparison
        minority = self.row(year, c.ETHNIC_MINORITIES)
        reference = self.row(year, versus)
        if minority is None or reference is None:
            return f"{year}: the groups needed for this summary are not part of this measure."
        parts = [
            describe_row(minority, "Ethnic minorities"),
            describe_row(reference, GROUP_LABELS[versus]),
        ]
        if gap is None and not reference.collected:
            tail = "gap not available (the comparison group was not collected)"
        elif gap is None or gap.suppressed:
            tail = "gap not shown (too few answers)"
        elif gap.difference is None:
            tail = "gap not tested (too few answers)"
        else:
            name = GROUP_LABELS[versus]
            tail = f"Ethnic minorities {relative_to(gap.difference, name)}, {gap.outcome}"
        return f"{year}: {parts[0]}, {parts[1]}: {tail}."


def describe_row(row: Row, name: str) -> str:
    if row.suppressed:
        return f"{name} {SUPPRESSED}"
    if not row.collected:
        return f"{name}: {NOT_COLLECTED}"
    if not row.n:
        return f"{name}: no answers"
    return f"{name} {percent_text(row.percent, row.ci_low, row.ci_high, to='-')}"


def _points(value: float) -> float:
    return 100.0 * value


# -- the pipeline ------------------------------------------------------------------------------
def build_report(
    spec: MeasureSpec,
    waves: Sequence[WaveInfo],
    counts: Mapping[tuple[int, str], tuple[int, int]],
) -> Report:
    """The whole report for a measure. ``waves`` in any order; only waves with answers count."""
    tables = wave_tables(spec, waves, counts)
    groups = report_groups(tables, spec)
    comparisons = adjust_p_values(
        [
            *wave_comparisons(tables, threshold=spec.threshold),
            *changes(tables, groups, spec),
            *trends(tables, groups),
        ],
        spec.adjustment,
    )
    return Report(
        spec=spec,
        years=[table.year for table in tables],
        breaks=[table.year for table in tables if table.break_in_series],
        groups=groups,
        rows=[row for table in tables for row in estimates(table, groups)],
        comparisons=comparisons,
        footnotes=footnotes(spec, tables, comparisons),
    )


# -- waves and series --------------------------------------------------------------------------
@dataclass(frozen=True)
class WaveTable:
    """One wave as the report sees it: every cell (shown or not), the groups shown, in
    presentation order, and which of those are suppressed.

    ``series_start`` is the first wave of the series this wave belongs to: comparisons and the
    trend never reach back past it.
    """

    year: int
    break_in_series: bool
    series_start: int
    cells: Mapping[str, Cell]
    shown: tuple[str, ...]
    suppressed: frozenset[str]
    #: The group this wave's gaps are measured against, None when none is collected.
    comparator: str | None = REFERENCE_GROUP
    #: The groups this wave's data has (shown or not); None: every cell's group.
    collected: frozenset[str] | None = None

    def cell(self, group: str) -> Cell | None:
        """The group's cell if the wave shows the group (suppressed or not), else None."""
        return self.cells[group] if group in self.shown else None

    def is_suppressed(self, group: str) -> bool:
        return group in self.suppressed

    def has(self, group: str) -> bool:
        """The wave's data has the group (published, or reconciled from totals and parts)."""
        return group in (self.cells if self.collected is None else self.collected)


def counts_by_wave(
    counts: Mapping[tuple[int, str], tuple[int, int]],
) -> dict[int, dict[str, tuple[int, int]]]:
    by_year: dict[int, dict[str, tuple[int, int]]] = {}
    for (year, code), value in counts.items():
        by_year.setdefault(year, {})[code] = value
    return by_year


def breaks_in_series(waves: Sequence[WaveInfo], years: Sequence[int]) -> list[int]:
    """The years shown that start a new series. The first wave shown never does: a break
    separates a wave from the waves before it, and there are none shown."""
    info = {wave.year: wave for wave in waves}
    return [year for year in years[1:] if info[year].break_in_series]


def series_starts(years: Sequence[int], breaks: Sequence[int]) -> dict[int, int]:
    """For each year, the first year of its series."""
    starts: dict[int, int] = {}
    start = years[0] if years else None
    for year in years:
        if year in breaks:
            start = year
        starts[year] = start
    return starts


def wave_tables(
    spec: MeasureSpec,
    waves: Sequence[WaveInfo],
    counts: Mapping[tuple[int, str], tuple[int, int]],
) -> list[WaveTable]:
    """A table for each wave with answers, in year order."""
    by_year = counts_by_wave(counts)
    years = sorted({wave.year for wave in waves if by_year.get(wave.year)})
    breaks = breaks_in_series(waves, years)
    starts = series_starts(years, breaks)
    complete = {wave.year: wave.complete for wave in waves}
    return [
        wave_table(
            spec,
            year,
            by_year[year],
            break_in_series=year in breaks,
            series_start=starts[year],
            complete=complete[year],
        )
        for year in years
    ]


def wave_table(
    spec: MeasureSpec,
    year: int,
    counts: Mapping[str, tuple[int, int]],
    *,
    break_in_series: bool = False,
    series_start: int | None = None,
    complete: bool = True,
) -> WaveTable:
    """Cells, the groups shown and suppression for one wave from ``{code: (n, positive)}``."""
    collected = build_wave_cells(counts, complete=complete)
    shown = shown_groups(spec, collected)
    comparator = wave_comparator(spec.comparison, collected.cells)
    wave_cells = with_comparator_cells(collected, comparator, shown)
    return WaveTable(
        year=year,
        break_in_series=break_in_series,
        series_start=year if series_start is None else series_start,
        cells=wave_cells.cells,
        shown=tuple(shown),
        suppressed=suppressed_cells(spec, wave_cells, shown, comparator),
        comparator=comparator,
        collected=frozenset(collected.cells),
    )


def report_groups(tables: Sequence[WaveTable], spec: MeasureSpec | None = None) -> list[str]:
    """Every group shown in any wave, and the measure's groups no wave collected (each shown
    as "not collected"), in presentation order."""
    shown = [group for table in tables for group in table.shown]
    chosen = list(spec.groups) if spec is not None and tables else []
    return presentation_order([*shown, *chosen])


# -- the comparison group ----------------------------------------------------------------------
def others_cell(group: str) -> str:
    """The cell of everyone who gave an ethnic group other than ``group``."""
    return f"{ALL_OTHER_GROUPS}:{group}"


GIVEN = "ethnic_group_given"


def wave_comparator(chosen: str, cells: Mapping[str, Cell]) -> str | None:
    """The measure's comparison group if the wave has it, else its stated fallback (White for
    White British) if the wave has that, else None: the gaps are not available."""
    if chosen == ALL_OTHER_GROUPS:
        return chosen if c.WHITE.code in cells and c.ETHNIC_MINORITIES in cells else None
    for candidate in (chosen, COMPARATOR_FALLBACK.get(chosen)):
        if candidate in cells:
            return candidate
    return None


def _nested(first: str, second: str) -> bool:
    """One group is part of the other (White British in White, say)."""

    def ancestors(code: str) -> set[str]:
        found = set()
        while code in PARENT:
            code = PARENT[code]
            found.add(code)
        return found

    return first in ancestors(second) or second in ancestors(first)


def gap_groups(comparator: str | None, shown: Sequence[str]) -> list[str]:
    """The shown groups compared with the comparator: not the totals or Prefer not to say, not
    the comparator itself, nor a group it is part of or that is part of it."""
    if comparator is None:
        return []
    compared = [
        group
        for group in shown
        if group not in NOT_COMPARED
        and group != comparator
        and (comparator == ALL_OTHER_GROUPS or not _nested(group, comparator))
    ]
    # The minority groups and ethnic minorities first, in the classification's order.
    return sorted(compared, key=lambda g: GAP_GROUPS.index(g) if g in GAP_GROUPS else 99)


def with_comparator_cells(
    wave_cells: WaveCells, comparator: str | None, shown: Sequence[str]
) -> WaveCells:
    """For "all other groups", a cell for each compared group's others (everyone who gave an
    ethnic group, less the group), related to the rest so that disclosure control treats each
    as a figure the gap publishes."""
    if comparator != ALL_OTHER_GROUPS:
        return wave_cells
    cells = dict(wave_cells.cells)
    cells[GIVEN] = cells[c.WHITE.code] + cells[c.ETHNIC_MINORITIES]
    relations = [*wave_cells.relations, Relation(GIVEN, (c.WHITE.code, c.ETHNIC_MINORITIES))]
    for group in gap_groups(comparator, shown):
        cells[others_cell(group)] = cells[GIVEN] - cells[group]
        relations.append(Relation(GIVEN, (group, others_cell(group))))
    return replace(wave_cells, cells=cells, relations=tuple(relations))


# -- suppression -------------------------------------------------------------------------------
def shown_groups(spec: MeasureSpec, wave_cells: WaveCells) -> list[str]:
    """The measure's groups that the wave has, "Ethnic group not given" when anyone skipped the
    question, and All answers, in presentation order. White British is a cell only when the
    wave's data has detailed White codes."""
    shown = [group for group in spec.groups if group in wave_cells.cells]
    if spec.groups and wave_cells.cells.get(NOT_ANSWERED, Cell(0, 0)).n:
        # Shown beside the groups; an "all answers only" measure shows just the total.
        shown.append(NOT_ANSWERED)
    if ALL in wave_cells.cells:  # else what was published does not add up to everyone
        shown.append(ALL)
    return presentation_order(shown)


def unshown_cells(spec: MeasureSpec, wave_cells: WaveCells, shown: Sequence[str]) -> list[str]:
    """Cells the reader cannot see. "Ethnic group not given" is shown whenever anyone skipped the
    question, so its absence tells the reader it is zero: then it is known, not unshown."""
    return [
        code
        for code in wave_cells.cells
        if code not in shown
        and not (spec.groups and code == NOT_ANSWERED)
        and not code.startswith(f"{ALL_OTHER_GROUPS}:")
    ]


def suppressed_cells(
    spec: MeasureSpec,
    wave_cells: WaveCells,
    shown: Sequence[str],
    comparator: str | None = REFERENCE_GROUP,
) -> frozenset[str]:
    """The shown cells to suppress, primary and secondary, on each cell's positive and
    negative counts. The comparison group and ethnic minorities are hidden for secondary
    suppression only when nothing else protects: the gaps hinge on them. With "all other
    groups", each group's others are figures the gap publishes, so they are cells shown."""
    return frozenset(
        suppress(
            {code: (cell.k, cell.n - cell.k) for code, cell in wave_cells.cells.items()},
            wave_cells.relations,
            threshold=spec.threshold,
            unshown=unshown_cells(spec, wave_cells, shown),
            keep=(comparator or REFERENCE_GROUP, c.ETHNIC_MINORITIES),
        )
    )


# -- estimates ---------------------------------------------------------------------------------
def estimates(table: WaveTable, groups: Sequence[str] = ()) -> list[Row]:
    """A row for each group the wave shows, and one saying "not collected" for each of the
    report's ``groups`` the wave's data does not have, in presentation order."""
    missing = [group for group in groups if not table.has(group)]
    return [
        estimate(table.year, group, table.cells[group], suppressed=table.is_suppressed(group))
        if group in table.shown
        else not_collected(table.year, group)
        for group in presentation_order([*table.shown, *missing])
    ]


def not_collected(year: int, group: str) -> Row:
    return Row(year, group, GROUP_LABELS[group], False, *([None] * 5), collected=False)


def estimate(year: int, group: str, cell: Cell, *, suppressed: bool = False) -> Row:
    """Percent positive with its Wilson interval; no figures when suppressed or empty."""
    if suppressed:
        return Row(year, group, GROUP_LABELS[group], True, *([None] * 5))
    low, high = st.wilson_interval(cell.k, cell.n) if cell.n else (None, None)
    return Row(
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


# -- comparisons between two cells ---------------------------------------------------------------
def compare(
    kind: str,
    year: int,
    group: str,
    versus: str,
    first: Cell,
    second: Cell,
    *,
    threshold: int,
    suppressed: bool = False,
    rate: bool = False,
) -> Comparison:
    """Gap or change, ``first`` minus ``second``: the difference in points with Newcombe's
    interval, optionally the rate ratio, and the test. Suppressed: no figures at all."""
    if suppressed:
        return suppressed_comparison(kind, year, group, versus)
    comparison = Comparison(
        kind=kind, year=year, group=group, label=GROUP_LABELS.get(group, group), versus=versus
    )
    if first.n == 0 or second.n == 0:
        comparison.reason = "no answers"
        return comparison
    difference, low, high = st.newcombe_interval(first.k, first.n, second.k, second.n)
    comparison.difference = _points(difference)
    comparison.diff_low = _points(low)
    comparison.diff_high = _points(high)
    if rate:
        comparison.rate_ratio = st.rate_ratio(first.k, first.n, second.k, second.n)
    result = st.compare_proportions(first.k, first.n, second.k, second.n, min_n=threshold)
    if result.tested:
        comparison.test = result.test
        comparison.statistic = result.statistic
        comparison.p_value = result.p_value
    else:
        comparison.reason = "too few answers"
    return comparison


def suppressed_comparison(kind: str, year: int, group: str, versus: str) -> Comparison:
    return Comparison(
        kind=kind,
        year=year,
        group=group,
        label=GROUP_LABELS.get(group, group),
        versus=versus,
        suppressed=True,
        outcome=SUPPRESSED,
    )


# -- within a wave: gaps and chi-square ----------------------------------------------------------
def wave_comparisons(tables: Sequence[WaveTable], *, threshold: int) -> list[Comparison]:
    """For each wave in turn, its gaps then its chi-square."""
    return [
        comparison
        for table in tables
        for comparison in (
            *gaps(table, threshold=threshold),
            chi_square(table, threshold=threshold),
        )
    ]


def gaps(table: WaveTable, *, threshold: int) -> list[Comparison]:
    """Each group shown against the wave's comparison group (``gap_groups``), when that is
    shown too (so a gap publishes nothing the rows do not)."""
    comparator = table.comparator
    if comparator != ALL_OTHER_GROUPS and table.cell(comparator or "") is None:
        return []
    return [
        compare(
            "gap",
            table.year,
            group,
            comparator,
            table.cells[group],
            table.cells[versus],
            threshold=threshold,
            suppressed=table.is_suppressed(group) or table.is_suppressed(versus),
            rate=True,
        )
        for group in gap_groups(comparator, table.shown)
        for versus in [others_cell(group) if comparator == ALL_OTHER_GROUPS else comparator]
    ]


def chi_square(table: WaveTable, *, threshold: int) -> Comparison:
    """The test across the high-level groups shown in the wave, leaving out suppressed ones and
    those with too few answers (none, or fewer than the threshold); ``groups_tested`` names the
    groups it used, and ``test`` the test (Pearson's, or exact / Monte-Carlo below 5 expected).
    """
    candidates = [
        group
        for group in HIGH_LEVEL_CODES
        if table.cell(group) is not None and not table.is_suppressed(group)
    ]
    counts = [(table.cells[group].k, table.cells[group].n) for group in candidates]
    used = [candidates[index] for index in st.tested_groups(counts, min_n=threshold)]
    chi = Comparison(
        kind="chi",
        year=table.year,
        group="high_level",
        label="Across the five high-level ethnic groups",
        versus="",
    )
    result = st.chi_square_across(counts, min_n=threshold)
    if not result.tested:
        chi.reason = "fewer than two groups to compare"
        return chi
    chi.test, chi.statistic, chi.p_value = result.test, result.statistic, result.p_value
    chi.groups_tested = [GROUP_LABELS[group] for group in used]
    left_out = [
        f"{GROUP_LABELS[group]} ({_why_left_out(table, group)})"
        for group in HIGH_LEVEL_CODES
        if group not in used and table.cell(group) is not None
    ]
    if left_out:
        chi.reason = "left out: " + "; ".join(left_out)
    return chi


def _why_left_out(table: WaveTable, group: str) -> str:
    if table.is_suppressed(group):
        return "suppressed"
    return "no answers" if table.cells[group].n == 0 else "too few answers"


# -- over waves: changes and trend ---------------------------------------------------------------
def earlier_waves(
    tables: Sequence[WaveTable], index: int, baseline_year: int | None
) -> list[tuple[str, WaveTable]]:
    """What the wave at ``index`` is compared with: the wave before it in the same series
    ("change"), and the baseline ("baseline") when that is earlier in the same series and not
    already the wave before (the change is not counted twice)."""
    table = tables[index]
    earlier: list[tuple[str, WaveTable]] = []
    if index > 0 and not table.break_in_series:
        earlier.append(("change", tables[index - 1]))
    baseline = next((other for other in tables if other.year == baseline_year), None)
    if (
        baseline is not None
        and table.series_start <= baseline.year < table.year
        and not (earlier and earlier[0][1] is baseline)
    ):
        earlier.append(("baseline", baseline))
    return earlier


def changes(
    tables: Sequence[WaveTable], groups: Sequence[str], spec: MeasureSpec
) -> list[Comparison]:
    """Each group in each wave against the previous wave in its series and the baseline, for
    the groups shown in both."""
    comparisons = []
    for index, table in enumerate(tables):
        earlier = earlier_waves(tables, index, spec.baseline_year)
        for group in groups:
            for kind, before in earlier:
                if table.cell(group) is None or before.cell(group) is None:
                    continue
                comparisons.append(
                    compare(
                        kind,
                        table.year,
                        group,
                        str(before.year),
                        table.cells[group],
                        before.cells[group],
                        threshold=spec.threshold,
                        suppressed=table.is_suppressed(group) or before.is_suppressed(group),
                    )
                )
    return comparisons


def latest_series(tables: Sequence[WaveTable]) -> list[WaveTable]:
    """The waves since the last break in series (all of them if there was none)."""
    if not tables:
        return []
    start = tables[-1].series_start
    return [table for table in tables if table.series_start == start]


def trends(tables: Sequence[WaveTable], groups: Sequence[str]) -> list[Comparison]:
    """Cochran-Armitage for each group over the latest series."""
    series = latest_series(tables)
    return [trend(series, group) for group in groups] if series else []


def trend(series: Sequence[WaveTable], group: str) -> Comparison:
    """Cochran-Armitage over a series of three or more waves, with the years as scores."""
    first, latest = series[0], series[-1]
    comparison = Comparison(
        kind="trend",
        year=latest.year,
        group=group,
        label=GROUP_LABELS[group],
        versus=f"{first.year}-{latest.year}",
    )
    if len(series) < 3:
        comparison.reason = "fewer than three waves in the series"
    elif any(not table.has(group) for table in series):
        comparison.reason = "group not collected in every wave of the series"
    elif any(table.cell(group) is None for table in series):
        comparison.reason = "group not in every wave of the series"
    elif any(table.is_suppressed(group) for table in series):
        comparison.suppressed, comparison.outcome = True, SUPPRESSED
    else:
        result = st.cochran_armitage_trend(
            [(table.cells[group].k, table.cells[group].n) for table in series],
            scores=[float(table.year) for table in series],
        )
        if result.tested:
            comparison.test = result.test
            comparison.statistic = result.statistic
            comparison.p_value = result.p_value
        else:
            comparison.reason = "too few answers"
    return comparison


# -- across everything shown -----------------------------------------------------------------------
def adjust_p_values(comparisons: Sequence[Comparison], adjustment: str) -> list[Comparison]:
    """The comparisons with every tested p-value adjusted together, and each outcome decided on
    its adjusted p; the others as they were."""
    testable = [index for index, comparison in enumerate(comparisons) if comparison.testable]
    adjusted = ADJUSTMENTS[adjustment]([comparisons[index].p_value for index in testable])
    result = list(comparisons)
    for index, p in zip(testable, adjusted, strict=True):
        result[index] = replace(
            comparisons[index],
            adjusted_p=p,
            outcome=SIGNIFICANT if p < ALPHA else NOT_SIGNIFICANT,
        )
    return result


def footnotes(
    spec: MeasureSpec, tables: Sequence[WaveTable], comparisons: Sequence[Comparison]
) -> list[str]:
    """Suppression (when anything is suppressed), the methods, and the breaks in series."""
    notes = []
    if any(table.suppressed for table in tables):
        notes.append(FOOTNOTE.format(threshold=spec.threshold))
    tested = sum(1 for comparison in comparisons if comparison.testable)
    notes.append(
        "Intervals are 95% Wilson score intervals; gaps and changes have Newcombe's hybrid score "
        "interval. Tests: two-proportion z-test when both groups have at least 30 answers, "
        "Fisher's exact test below that; Pearson's chi-square across the high-level groups, or, "
        "when any expected count is below 5, Fisher's exact test for two groups or a "
        f"Monte-Carlo test ({st.MONTE_CARLO_DRAWS:,} simulated tables) for more; "
        "Cochran-Armitage for trend. "
        f"P-values adjusted across the {tested} comparisons shown with the "
        f"{ADJUSTMENT_LABELS[spec.adjustment]} method; significant means adjusted p < 0.05."
    )
    notes.extend(comparator_notes(spec, tables))
    breaks = [table.year for table in tables if table.break_in_series]
    if breaks:
        notes.append(
            "A break in series (the question changed) at "
            + ", ".join(str(year) for year in breaks)
            + ": figures either side are not compared."
        )
    return notes


def comparator_notes(spec: MeasureSpec, tables: Sequence[WaveTable]) -> list[str]:
    """Say where a wave's gaps are against another group than the measure's, or missing."""
    chosen = GROUP_LABELS[spec.comparison]
    fallback = {
        table.comparator: [t.year for t in tables if t.comparator == table.comparator]
        for table in tables
        if table.comparator != spec.comparison and table.shown != (ALL,)
    }
    notes = []
    for comparator, years in fallback.items():
        listed = ", ".join(str(year) for year in years)
        if comparator is None:
            notes.append(
                f"Gaps are not available for {listed}: the data for that year does not have "
                f"the comparison group ({chosen})."
            )
        else:
            notes.append(
                f"Gaps for {listed} are against {GROUP_LABELS[comparator]}: {chosen}, the "
                "measure's comparison group, was not collected that year."
            )
    return notes


__all__ = [
    "ALL",
    "NOT_ANSWERED",
    "WHITE_NOT_BRITISH",
    "MeasureSpec",
    "Report",
    "WaveInfo",
    "WaveTable",
    "build_report",
    "whole",
]
