"""Counts published at any level, and any mixture of levels: no report counts anyone twice,
totals and parts are reconciled, and disclosure control holds for every level.

The tables are drawn at random from a true detailed table: each year publishes a random cut of
the classification (every person in exactly one published group: detailed groups here,
high-level groups there, White and ethnic minorities elsewhere), plus random totals above it
(the White total beside its detailed groups, All answers beside everything). What a report
shows must then be the true figures, whatever was published twice over.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cms.platform.suppression import recoverable, unsafe
from surveys.analysis import report as r
from surveys.analysis.groups import (
    ALL,
    ALL_OTHER_GROUPS,
    CHOOSABLE_GROUPS,
    COMPARATORS,
    LEAF_CODES,
    NOT_ANSWERED,
    PARENT,
    REST_PREFIX,
    TREE,
    WHITE_NOT_BRITISH,
    build_wave_cells,
    levels_available,
)
from surveys.analysis.report import MeasureSpec, WaveInfo, build_report
from surveys.resources import _Given, reconciliation_problems

#: The codes a provider's table has (nobody is published as "not given").
TRUE_LEAVES = tuple(code for code in LEAF_CODES if code != NOT_ANSWERED)


def leaves_under(code: str) -> list[str]:
    parts = TREE.get(code)
    if parts is None:
        return [code] if code != NOT_ANSWERED else []
    return [leaf for part in parts for leaf in leaves_under(part)]


def true_count(truth: dict, code: str) -> tuple[int, int]:
    leaves = leaves_under(code)
    return sum(truth[x][0] for x in leaves), sum(truth[x][1] for x in leaves)


@st.composite
def truths(draw, high: int = 60):
    counts = {}
    for code in TRUE_LEAVES:
        n = draw(st.integers(0, high))
        counts[code] = (n, draw(st.integers(0, n)))
    return counts


@st.composite
def cuts(draw, code: str = ALL) -> list[str]:
    """Groups that hold everyone under ``code`` exactly once."""
    parts = [part for part in TREE.get(code, ()) if part != NOT_ANSWERED]
    if not parts or draw(st.booleans()):
        return [code]
    return [group for part in parts for group in draw(cuts(part))]


def ancestors(code: str) -> list[str]:
    found = []
    while code in PARENT:
        code = PARENT[code]
        found.append(code)
    return found


@st.composite
def publications(draw, truth: dict) -> dict[str, tuple[int, int]]:
    """A random cut, with random totals above it published too."""
    published = draw(cuts())
    above = sorted({a for code in published for a in ancestors(code)})
    extra = draw(st.lists(st.sampled_from(above), unique=True)) if above else []
    return {code: true_count(truth, code) for code in [*published, *extra]}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_cell_is_the_true_count_whatever_levels_were_published(data):
    truth = data.draw(truths())
    published = data.draw(publications(truth))
    wave = build_wave_cells(published, complete=False)
    # Everyone is counted once: All answers is the true total, every group its true count.
    assert wave.cells[ALL] == r.Cell(*true_count(truth, ALL))
    for code, cell in wave.cells.items():
        if code.startswith(REST_PREFIX):
            group = code.removeprefix(REST_PREFIX)
            known = [p for p in TREE[group] if p in wave.cells]
            n, k = true_count(truth, group)
            assert cell == r.Cell(
                n - sum(wave.cells[p].n for p in known), k - sum(wave.cells[p].k for p in known)
            )
        elif code == NOT_ANSWERED:
            assert cell == r.Cell(0, 0)
        else:
            assert cell == r.Cell(*true_count(truth, code)), code
    # Each relation adds up.
    for relation in wave.relations:
        parts = [wave.cells[p] for p in relation.parts]
        assert wave.cells[relation.total] == r.Cell(
            sum(p.n for p in parts), sum(p.k for p in parts)
        )
    # And the file itself reconciles: nothing to refuse.
    rows = {code: _Given(n, k, row) for row, (code, (n, k)) in enumerate(published.items(), 2)}
    assert reconciliation_problems({(2021, "q"): rows}) == {}


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_no_report_counts_anyone_twice_over_a_mixture_of_years(data):
    truths_by_year = {year: data.draw(truths()) for year in (2020, 2021, 2022)}
    counts = {}
    for year, truth in truths_by_year.items():
        for code, value in data.draw(publications(truth)).items():
            counts[(year, code)] = value
    comparison = data.draw(st.sampled_from(COMPARATORS))
    spec = MeasureSpec(
        key="m", name="M", groups=CHOOSABLE_GROUPS, threshold=0, comparison=comparison
    )
    waves = [WaveInfo(year, complete=False) for year in truths_by_year]
    report = build_report(spec, waves, counts)
    for row in report.rows:
        truth = truths_by_year[row.year]
        if row.collected:
            assert (row.n, row.positive) == true_count(truth, row.group), row
    for year, truth in truths_by_year.items():
        if sum(n for n, _ in truth.values()):
            assert report.row(year, ALL).n == true_count(truth, ALL)[0]
    # Changes only between groups both waves hold.
    for change in report.comparisons_of("change"):
        before = int(change.versus)
        assert report.row(before, change.group).collected
        assert report.row(change.year, change.group).collected


def test_levels_available_name_what_a_wave_can_support():
    white = dict.fromkeys(leaves_under("white"), (10, 5))
    assert levels_available({"white": (50, 20), "ethnic_minorities": (40, 10)}) == (
        "two_way",
        "total",
    )
    assert levels_available({**white, "ethnic_minorities": (40, 10)}) == (
        "white_british",
        "two_way",
        "total",
    )
    detailed = dict.fromkeys(TRUE_LEAVES, (10, 5))
    assert levels_available(detailed) == (
        "detailed", "high_level", "white_british", "two_way", "total",
    )  # fmt: skip
    assert levels_available({"all": (100, 50)}) == ("total",)


def test_a_total_that_disagrees_with_its_parts_is_named_with_its_row():
    given_rows = {
        "white": _Given(51, 20, 2),
        "white_british": _Given(30, 12, 3),
        WHITE_NOT_BRITISH: _Given(20, 8, 4),
        "all": _Given(40, 10, 5),
    }
    problems = reconciliation_problems({(2021, "q"): given_rows})
    assert list(problems) == [2, 5]
    assert "White (row 2) is 51 answering, 20 positive" in problems[2][0]
    assert "rows 3, 4" in problems[2][0] and "50 answering, 20 positive" in problems[2][0]
    assert "All answers (row 5) is 40 answering" in problems[5][0]


# -- Disclosure control at every level ------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.data(),
    st.lists(st.sampled_from(CHOOSABLE_GROUPS), unique=True, min_size=1),
    st.sampled_from(COMPARATORS),
    st.integers(min_value=10, max_value=12),
)
def test_no_small_figure_shown_and_none_recoverable_at_any_level(
    data, groups, comparison, threshold
):
    truth = data.draw(truths(high=40))
    counts = {(2024, code): value for code, value in data.draw(publications(truth)).items()}
    groups = [*groups, *([comparison] if comparison in CHOOSABLE_GROUPS else [])]
    spec = MeasureSpec(
        key="p", name="P", groups=tuple(groups), threshold=threshold, comparison=comparison
    )
    report = build_report(spec, [WaveInfo(2024, complete=False)], counts)
    for row in report.rows:
        if row.collected and not row.suppressed and row.n:
            assert row.positive >= threshold and row.n - row.positive >= threshold, row
    if not report.years:
        return
    table = r.wave_table(spec, 2024, {c: v for (_, c), v in counts.items()}, complete=False)
    collected = build_wave_cells({c: v for (_, c), v in counts.items()}, complete=False)
    cells = r.with_comparator_cells(collected, table.comparator, table.shown)
    columns = {code: (cell.k, cell.n - cell.k) for code, cell in cells.cells.items()}
    published = {*table.shown, *(code for code in cells.cells if code.startswith(ALL_OTHER_GROUPS))}
    if cells.cells.get(NOT_ANSWERED, r.Cell(0, 0)).n == 0:
        published.add(NOT_ANSWERED)  # its row would be shown if anyone were in it
    unknown = set(cells.cells) - published
    hidden = set(table.suppressed)
    # Every gap published is between two figures that are shown, or suppressed with them.
    for gap in report.comparisons_of("gap"):
        versus = r.others_cell(gap.group) if gap.versus == ALL_OTHER_GROUPS else gap.versus
        if not gap.suppressed:
            assert gap.group not in hidden and versus not in hidden
            assert not unsafe(columns[versus], threshold=threshold)
    assert not recoverable(
        columns, cells.relations, hidden, unshown=unknown - hidden, threshold=threshold
    )


@pytest.mark.parametrize("comparison", COMPARATORS)
def test_white_british_falls_back_to_white_visibly_and_others_never_silently(comparison):
    counts = {(2020, "white"): (500, 300), (2020, "ethnic_minorities"): (200, 80),
              (2021, "white_british"): (400, 250), (2021, "white_not_british"): (100, 50),
              (2021, "ethnic_minorities"): (200, 90)}  # fmt: skip
    spec = MeasureSpec(
        key="m", name="M", comparison=comparison,
        groups=("white", "white_british", "ethnic_minorities", WHITE_NOT_BRITISH),
    )  # fmt: skip
    report = build_report(spec, [WaveInfo(2020, complete=False), WaveInfo(2021, complete=False)],
                          counts)  # fmt: skip
    versus = {gap.year: gap.versus for gap in report.comparisons_of("gap")}
    if comparison == "white_british":
        assert versus == {2020: "white", 2021: "white_british"}
        assert any("Gaps for 2020 are against White: White British" in n for n in report.footnotes)
        assert "White 60%" in report.summary(2020) and "White British" in report.summary(2021)
    else:
        assert versus == {2020: comparison, 2021: comparison}
        assert not any("are against" in note for note in report.footnotes)
    if comparison == ALL_OTHER_GROUPS:
        gap = report.comparison("gap", 2021, WHITE_NOT_BRITISH)
        # 50/100 against everyone else who gave a group: (250 + 90) / (400 + 200).
        assert gap.difference == pytest.approx(100 * (0.5 - 340 / 600))
