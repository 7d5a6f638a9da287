"""The measure report: figures, comparisons, breaks, adjustment and disclosure control."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cms.platform.suppression import SUPPRESSED, recoverable
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
    report = report_of({(2025, "black_african"): (10, 8), (2025, "white_irish"): (16, 6)})
    gap = report.comparison("gap", 2025, "black")
    assert gap.test == "Fisher's exact test"
    assert gap.p_value == pytest.approx(stats.fisher_exact_p(8, 10, 6, 16))


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
        "2025: Ethnic minorities 80% (69-88), White 60% (49-70): gap 20 points, significant."
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


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=len(DETAILED) * 2,
             max_size=len(DETAILED) * 2),
    st.sampled_from([DEFAULT_GROUPS, ("white", "ethnic_minorities"), ("asian", "white_british")]),
    st.integers(min_value=10, max_value=15),
)  # fmt: skip
def test_no_small_figure_shown_and_none_recoverable(values, groups, threshold):
    counts = {}
    for index, (year, code) in enumerate((y, c) for y in (2024, 2025) for c in DETAILED):
        n = values[index]
        counts[(year, code)] = (n, n // 2)
    spec = MeasureSpec(key="p", name="P", groups=groups, threshold=threshold)
    report = build_report(spec, [WaveInfo(2024), WaveInfo(2025)], counts)
    for row in report.rows:
        if not row.suppressed:
            assert row.n == 0 or row.n >= threshold, row
    for comparison in report.comparisons:
        if comparison.suppressed:
            assert comparison.difference is None and comparison.p_value is None
    for year in report.years:
        cells = build_wave_cells({code: counts[(year, code)] for code in DETAILED})
        n_by_cell = {code: cell.n for code, cell in cells.cells.items()}
        shown = {row.group for row in report.rows_for(year) if not row.suppressed}
        suppressed = {row.group for row in report.rows_for(year) if row.suppressed}
        unknown = set(n_by_cell) - shown
        if groups and n_by_cell[NOT_ANSWERED] == 0:
            unknown.discard(NOT_ANSWERED)  # its row would be shown if anyone had skipped
        sensitive = suppressed | {c for c in unknown if 0 < n_by_cell[c] < threshold}
        # Independent check: nothing sensitive follows by subtraction from what is shown...
        assert not (_solve_by_subtraction(cells.relations, unknown) & sensitive)
        # ...nor by any linear combination of the relations.
        unshown = unknown - suppressed
        assert not recoverable(
            n_by_cell, cells.relations, suppressed, unshown=unshown, threshold=threshold
        )
        assert WHITE_NOT_BRITISH not in shown
