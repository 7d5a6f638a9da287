"""The measure report: figures, comparisons, breaks, adjustment and disclosure control."""

from __future__ import annotations

import json
from itertools import chain, product
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cms.platform.suppression import SUPPRESSED, recoverable, unsafe
from surveys.analysis import report as r
from surveys.analysis import statistics as stats
from surveys.analysis.groups import (
    ALL,
    DEFAULT_GROUPS,
    NOT_ANSWERED,
    WHITE_NOT_BRITISH,
    build_wave_cells,
    presentation_order,
)
from surveys.analysis.report import (
    NOT_TESTED,
    SIGNIFICANT,
    MeasureSpec,
    Report,
    WaveInfo,
    build_report,
    whole,
)

SPEC = MeasureSpec(key="eo", name="Equality of opportunity", groups=DEFAULT_GROUPS)


def report_of(counts, years=(2025,), spec=SPEC, breaks=()):
    waves = [WaveInfo(year, year in breaks) for year in years]
    return build_report(spec, waves, counts)


def test_rows_carry_wilson_intervals_in_percent():
    report = report_of({(2025, "asian_indian"): (263, 81), (2025, "white_british"): (148, 15)})
    asian = report.row(2025, "asian")
    assert (asian.n, asian.positive) == (263, 81)
    assert asian.ci_low == pytest.approx(25.53, abs=0.005)
    assert asian.ci_high == pytest.approx(36.62, abs=0.005)
    white = report.row(2025, "white_british")
    assert white.ci_low == pytest.approx(6.24, abs=0.005)
    assert white.ci_high == pytest.approx(16.05, abs=0.005)


def test_gap_against_white_uses_newcombe_and_the_rate_ratio():
    report = report_of({(2025, "black_african"): (70, 56), (2025, "white_irish"): (80, 48)})
    gap = report.comparison("gap", 2025, "black")
    assert gap.versus == "white"
    assert gap.difference == pytest.approx(20.0)
    assert gap.diff_low == pytest.approx(5.24, abs=0.005)
    assert gap.diff_high == pytest.approx(33.39, abs=0.005)
    assert gap.rate_ratio == pytest.approx((56 / 70) / (48 / 80))
    assert gap.test == "z-test"
    # No White British row: the data has no White British answers, only Irish.
    assert report.row(2025, "white_british") is not None
    assert report.row(2025, "white_british").n == 0


def test_fisher_below_thirty_answers():
    report = report_of({(2025, "black_african"): (25, 12), (2025, "white_irish"): (28, 10)})
    gap = report.comparison("gap", 2025, "black")
    assert gap.test == "Fisher's exact test"
    assert gap.p_value == pytest.approx(stats.fisher_exact_p(12, 25, 10, 28))


def test_small_groups_are_suppressed_with_their_comparisons():
    counts = {
        (2025, "white_british"): (300, 150),
        (2025, "asian_indian"): (80, 40),
        (2025, "black_african"): (60, 30),
        (2025, "mixed_other"): (7, 3),
        (2025, "other_arab"): (25, 12),
    }
    report = report_of(counts)
    mixed = report.row(2025, "mixed")
    assert mixed.suppressed and mixed.n is None and mixed.percent is None
    # Ethnic minorities - Asian - Black - Other would give Mixed: one more cell is hidden.
    assert report.row(2025, "other").suppressed
    gap = report.comparison("gap", 2025, "mixed")
    assert gap.suppressed and gap.outcome == SUPPRESSED and gap.difference is None
    assert report.footnotes[0].startswith("[c]")


def test_white_british_is_protected_when_other_white_groups_are_few():
    report = report_of({(2025, "white_british"): (300, 150), (2025, "white_irish"): (4, 2),
                        (2025, "asian_indian"): (50, 20)})  # fmt: skip
    # White - White British = 4 people: one of the two must be hidden.
    assert report.row(2025, "white").suppressed or report.row(2025, "white_british").suppressed


def test_changes_stop_at_a_break_in_series_and_trend_needs_three_waves():
    counts = {}
    for year in (2022, 2023, 2024, 2025):
        counts[(year, "white_british")] = (200, 100 + year - 2022)
        counts[(year, "black_african")] = (100, 40 + 3 * (year - 2022))
    report = report_of(counts, years=(2022, 2023, 2024, 2025), breaks=(2023,))
    assert report.breaks == [2023]
    changes = {(c.year, c.versus) for c in report.comparisons_of("change")}
    assert (2023, "2022") not in {(y, v) for y, v in changes}
    assert (2024, "2023") in changes and (2025, "2024") in changes
    trend = report.comparison("trend", 2025, "black")
    assert trend.versus == "2023-2025"
    assert trend.test == "Cochran-Armitage"
    short = report_of(counts, years=(2022, 2023, 2024, 2025), breaks=(2024,))
    trend = short.comparison("trend", 2025, "black")
    assert trend.outcome == NOT_TESTED and trend.reason == "fewer than three waves in the series"


def test_baseline_comparison_within_the_series():
    counts = {(y, "white_british"): (200, 90 + 10 * i) for i, y in enumerate((2023, 2024, 2025))}
    spec = MeasureSpec(key="eo", name="EO", groups=("white",), baseline_year=2023)
    report = report_of(counts, years=(2023, 2024, 2025), spec=spec)
    baseline = report.comparison("baseline", 2025, "white")
    assert baseline.versus == "2023"
    assert baseline.difference == pytest.approx(10.0)
    # 2024's previous wave is the baseline: the change is not counted twice.
    assert report.comparison("baseline", 2024, "white") is None
    assert report.comparison("change", 2024, "white").versus == "2023"


def test_p_values_are_adjusted_together():
    counts = {
        (2025, "white_british"): (500, 300),
        (2025, "black_african"): (200, 80),
        (2025, "asian_indian"): (150, 85),
    }
    for method, adjust in (("bh", stats.benjamini_hochberg), ("holm", stats.holm)):
        spec = MeasureSpec(key="eo", name="EO", groups=DEFAULT_GROUPS, adjustment=method)
        report = report_of(counts, spec=spec)
        tested = [c for c in report.comparisons if c.p_value is not None]
        assert [c.adjusted_p for c in tested] == adjust([c.p_value for c in tested])
        gap = report.comparison("gap", 2025, "black")
        assert gap.outcome == SIGNIFICANT


def test_summary_sentence():
    report = report_of({(2025, "black_african"): (70, 56), (2025, "white_irish"): (80, 48)})
    assert report.summary() == (
        "2025: Ethnic minorities 80% (69-88), White 60% (49-70): "
        "Ethnic minorities 20 points above White, significant."
    )


def test_groups_alphabetical_with_other_last():
    assert presentation_order(["other", "white", "asian", ALL, "prefer_not_to_say", "black"]) == [
        "asian",
        "black",
        "white",
        "other",
        "prefer_not_to_say",
        ALL,
    ]


def test_round_trip_through_json():
    report = report_of({(2025, "black_african"): (70, 56), (2025, "white_irish"): (80, 48)})
    again = Report.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again.to_dict() == report.to_dict()
    assert again.summary() == report.summary()


def test_whole_rounds_half_up():
    assert [whole(0.5), whole(1.5), whole(2.5), whole(47.5)] == [1, 2, 3, 48]
    # 81/120 - 1785/2550 is exactly -2.5 points; in floating point a hair above it.
    assert whole(100 * (81 / 120 - 1785 / 2550)) == -3
    assert whole(-0.4) == 0


def test_overall_only_measure_shows_all_answers():
    spec = MeasureSpec(key="m", name="Meaningful", groups=())
    report = report_of({(2025, "not_answered"): (25, 15)}, spec=spec)
    assert [row.group for row in report.rows] == [ALL]
    assert report.row(2025, ALL).n == 25
    small = report_of({(2025, "not_answered"): (8, 5)}, spec=spec)
    assert small.row(2025, ALL).suppressed


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError, match="Impossible"):
        build_wave_cells({"white_british": (5, 6)})
    with pytest.raises(ValueError, match="Unknown group"):
        build_wave_cells({"bame": (5, 1)})


DETAILED = ["white_british", "white_irish", "white_other", "asian_indian", "asian_other",
            "black_african", "black_caribbean", "mixed_other", "other_arab", "prefer_not_to_say",
            "not_answered"]  # fmt: skip


def _solve_by_subtraction(relations, unknown):
    unknown = set(unknown)
    solved = set()
    changed = True
    while changed:
        changed = False
        for relation in relations:
            missing = [m for m in (relation.total, *relation.parts) if m in unknown]
            if len(missing) == 1:
                unknown.discard(missing[0])
                solved.add(missing[0])
                changed = True
    return solved


def detailed_counts(values):
    """{(year, code): (n, positive)} from pairs of (n, how positive): "none", "all" or a number
    (at most n), so that groups where everyone answered alike come up often."""
    counts = {}
    codes = [(year, code) for year in (2024, 2025) for code in DETAILED]
    for (year, code), (n, how, k) in zip(codes, values, strict=True):
        counts[(year, code)] = (n, {"none": 0, "all": n}.get(how, min(k, n)))
    return counts


count_values = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=40),
        st.sampled_from(["none", "all", "some", "some"]),
        st.integers(min_value=0, max_value=40),
    ),
    min_size=len(DETAILED) * 2,
    max_size=len(DETAILED) * 2,
)
group_choices = st.sampled_from(
    [DEFAULT_GROUPS, ("white", "ethnic_minorities"), ("asian", "white_british"), ()]
)


@settings(max_examples=150, deadline=None)
@given(count_values, group_choices, st.integers(min_value=10, max_value=15))
def test_no_small_figure_shown_and_none_recoverable(values, groups, threshold):
    counts = detailed_counts(values)
    spec = MeasureSpec(key="p", name="P", groups=groups, threshold=threshold)
    report = build_report(spec, [WaveInfo(2024), WaveInfo(2025)], counts)
    for row in report.rows:
        if not row.suppressed and row.n:
            # At least the threshold answering each way: never 0% or 100%, never 1 in 12.
            assert row.positive >= threshold and row.n - row.positive >= threshold, row
    for comparison in report.comparisons:
        if comparison.suppressed:
            assert comparison.difference is None and comparison.p_value is None
    for year in report.years:
        cells = build_wave_cells({code: counts[(year, code)] for code in DETAILED})
        columns = {code: (cell.k, cell.n - cell.k) for code, cell in cells.cells.items()}
        n_by_cell = {code: cell.n for code, cell in cells.cells.items()}
        shown = {row.group for row in report.rows_for(year) if not row.suppressed}
        suppressed = {row.group for row in report.rows_for(year) if row.suppressed}
        unknown = set(n_by_cell) - shown
        if groups and n_by_cell[NOT_ANSWERED] == 0:
            unknown.discard(NOT_ANSWERED)  # its row would be shown if anyone had skipped
        sensitive = suppressed | {c for c in unknown if unsafe(columns[c], threshold=threshold)}
        # Independent check: nothing sensitive follows by subtraction from what is shown...
        assert not (_solve_by_subtraction(cells.relations, unknown) & sensitive)
        # ...nor, for any count, from the relations and that no count is negative.
        unshown = unknown - suppressed
        assert not recoverable(
            columns, cells.relations, suppressed, unshown=unshown, threshold=threshold
        )
        assert WHITE_NOT_BRITISH not in shown


# --- An attacker with everything the report shows ------------------------------------------------

#: The cells a wave's figures are sums of, and the code a candidate table gives each.
LEAF_CODES = {
    "asian": "asian",
    "black": "black",
    "mixed": "mixed",
    "other": "other",
    "white_british": "white_british",
    WHITE_NOT_BRITISH: "white_irish",
    "prefer_not_to_say": "prefer_not_to_say",
    NOT_ANSWERED: NOT_ANSWERED,
}
LEAVES_OF_DETAILED = {
    "white_british": "white_british", "white_irish": WHITE_NOT_BRITISH,
    "white_other": WHITE_NOT_BRITISH, "asian_indian": "asian", "asian_other": "asian",
    "black_african": "black", "black_caribbean": "black", "mixed_other": "mixed",
    "other_arab": "other", "prefer_not_to_say": "prefer_not_to_say", NOT_ANSWERED: NOT_ANSWERED,
}  # fmt: skip
SUMS = {
    "white": ("white_british", WHITE_NOT_BRITISH),
    "ethnic_minorities": ("asian", "black", "mixed", "other"),
    ALL: tuple(LEAF_CODES),
}


def leaves_of(counts: dict, year: int) -> dict:
    """A wave's leaves as [positive, negative], added up from the detailed codes."""
    leaves = {leaf: [0, 0] for leaf in LEAF_CODES}
    for code, leaf in LEAVES_OF_DETAILED.items():
        n, k = counts[(year, code)]
        leaves[leaf][0] += k
        leaves[leaf][1] += n - k
    return leaves


def groups_of(leaves: dict) -> dict:
    """Every group's (positive, negative), by adding leaves (not by the product's code)."""
    cells = {leaf: tuple(value) for leaf, value in leaves.items()}
    for total, parts in SUMS.items():
        cells[total] = tuple(sum(leaves[p][j] for p in parts) for j in (0, 1))
    return cells


def world_counts(leaves_by_year: dict) -> dict:
    """A candidate table as the report's input: (n, positive) by year and leaf code."""
    return {
        (year, LEAF_CODES[leaf]): (k + m, k)
        for year, leaves in leaves_by_year.items()
        for leaf, (k, m) in leaves.items()
    }


def published(spec, years, counts, patterns) -> dict:
    """Everything the report would show for these counts with the cells hidden as they are
    (the attacker sees which are [c]; it does not rerun the suppression on candidates)."""
    order = iter(sorted(patterns))
    with mock.patch.object(r, "suppressed_cells", lambda *args: patterns[next(order)]):
        return build_report(spec, [WaveInfo(year) for year in years], counts).to_dict()


def unprovable(report, spec, counts, threshold, radius=1):
    """Counts of hidden groups (and of unsafe unshown ones) that take a single value in every
    table within ``radius`` of the true one that gives exactly this report: every row, gap,
    change, trend, test and footnote of every wave. Returns {(year, cell): [counts fixed]}.

    The attacker knows that counts are not negative, that a [c] row has someone in it and
    that "Ethnic group not given" is shown whenever anyone skipped the question.
    """
    truth = {year: leaves_of(counts, year) for year in report.years}
    patterns = {
        year: frozenset(row.group for row in report.rows_for(year) if row.suppressed)
        for year in report.years
    }
    expected = report.to_dict()
    base = world_counts(truth)
    assert published(spec, report.years, base, patterns) == expected  # the harness is sound
    fixed = {}
    for year in report.years:
        cells = groups_of(truth[year])
        rows = {row.group: row for row in report.rows_for(year)}
        shown = {group for group, row in rows.items() if not row.suppressed}
        hidden = set(rows) - shown
        if spec.groups and NOT_ANSWERED not in rows:
            shown.add(NOT_ANSWERED)  # nobody skipped, or its row would be there
        protect = hidden | {
            name
            for name in cells
            if name not in rows and sum(cells[name]) and min(cells[name]) < threshold
        }
        unknown = [leaf for leaf in LEAF_CODES if leaf not in shown]

        def column(j, year=year, shown=shown, unknown=unknown):
            for steps in product(range(-radius, radius + 1), repeat=len(unknown)):
                leaves = {leaf: list(value) for leaf, value in truth[year].items()}
                for leaf, step in zip(unknown, steps, strict=True):
                    leaves[leaf][j] += step
                if min(value[j] for value in leaves.values()) < 0:
                    continue
                candidate = groups_of(leaves)
                if all(candidate[g][j] == groups_of(truth[year])[g][j] for g in shown):
                    yield [leaves[leaf][j] for leaf in LEAF_CODES]

        positives, negatives = list(column(0)), list(column(1))
        true = [[v[j] for v in truth[year].values()] for j in (0, 1)]
        pending = {(name, what) for name in protect for what in range(3)}
        for k, m in chain(
            ((k, true[1]) for k in positives), ((true[0], m) for m in negatives),
            product(positives, negatives),
        ):  # fmt: skip
            if not pending:
                break
            leaves = {leaf: [k[i], m[i]] for i, leaf in enumerate(LEAF_CODES)}
            candidate = groups_of(leaves)
            if any(sum(candidate[group]) < 1 for group in hidden):
                continue
            differs = {
                (name, what)
                for name, what in pending
                if (sum(candidate[name]), *candidate[name])[what]
                != (sum(cells[name]), *cells[name])[what]
            }
            if not differs:
                continue
            world = {**truth, year: leaves}
            if published(spec, report.years, world_counts(world), patterns) == expected:
                pending -= differs
        for name, what in sorted(pending):
            fixed.setdefault((year, name), []).append(("answering", "positive", "negative")[what])
    return fixed


def test_the_attacker_finds_the_hidden_answers_of_the_issue():
    """Shown as it was: Black and Mixed hidden, ethnic minorities 101 answering, 30 positive."""
    spec = MeasureSpec(key="p", name="P", groups=DEFAULT_GROUPS, threshold=10)
    issue = {"white_british": (100, 60), "asian_indian": (50, 20), "black_african": (5, 0),
             "mixed_other": (6, 0), "other_arab": (40, 10)}  # fmt: skip
    counts = {(y, code): issue.get(code, (0, 0)) for y in (2024, 2025) for code in DETAILED}
    report = build_report(spec, [WaveInfo(2024), WaveInfo(2025)], counts)
    old_pattern = {year: frozenset({"black", "mixed"}) for year in report.years}
    as_it_was = Report.from_dict(
        published(spec, report.years, world_counts(
            {y: leaves_of(counts, y) for y in report.years}), old_pattern)
    )  # fmt: skip
    assert unprovable(as_it_was, spec, counts, 10) == {
        (year, group): ["positive"] for year in (2024, 2025) for group in ("black", "mixed")
    }
    # Now: the smallest sibling is hidden too, and nothing can be worked out.
    assert report.row(2025, "other").suppressed
    assert unprovable(report, spec, counts, 10) == {}


@settings(max_examples=120, deadline=None)
@given(count_values, group_choices, st.integers(min_value=10, max_value=12))
def test_no_hidden_count_can_be_recovered_from_anything_the_report_shows(values, groups, threshold):
    """Every number the report shows (rows of every wave, gaps, changes, trends, tests), which
    the dashboard, its downloads, the annual summary and ``survey_report`` all present: no
    answering, positive or negative count of a hidden group follows from them."""
    counts = detailed_counts(values)
    spec = MeasureSpec(key="p", name="P", groups=groups, threshold=threshold)
    report = build_report(spec, [WaveInfo(2024), WaveInfo(2025)], counts)
    assert unprovable(report, spec, counts, threshold) == {}
