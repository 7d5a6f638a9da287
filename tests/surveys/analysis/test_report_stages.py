"""Each stage of the report on its own: waves and series, cells shown and suppressed, estimates,
gaps, chi-square, changes, trend, the adjustment and the footnotes.

Figures are checked against published values (Newcombe 1998) or statsmodels, as in
test_statistics.py; test_report.py checks the stages together.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import fisher_exact, norm
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_chisquare, proportions_ztest

from cms.platform.suppression import FOOTNOTE, SUPPRESSED
from surveys.analysis import report as r
from surveys.analysis.groups import (
    ALL,
    DEFAULT_GROUPS,
    NOT_ANSWERED,
    WHITE_NOT_BRITISH,
    Cell,
    build_wave_cells,
)
from surveys.analysis.report import (
    NOT_SIGNIFICANT,
    NOT_TESTED,
    SIGNIFICANT,
    Comparison,
    MeasureSpec,
    WaveInfo,
    WaveTable,
)

SPEC = MeasureSpec(key="eo", name="Equality of opportunity", groups=DEFAULT_GROUPS)
OVERALL = MeasureSpec(key="m", name="Meaningful", groups=())


def table(year, cells, *, suppressed=(), shown=None, break_in_series=False, series_start=None):
    """A wave table from ``{group: (n, k)}``; every group shown unless told otherwise."""
    return WaveTable(
        year=year,
        break_in_series=break_in_series,
        series_start=year if series_start is None else series_start,
        cells={group: Cell(n, k) for group, (n, k) in cells.items()},
        shown=tuple(cells if shown is None else shown),
        suppressed=frozenset(suppressed),
    )


# -- waves and series --------------------------------------------------------------------------
def test_counts_by_wave_puts_each_code_under_its_year():
    counts = {(2024, "white_british"): (10, 4), (2025, "white_british"): (12, 6),
              (2025, "asian_indian"): (30, 9)}  # fmt: skip
    assert r.counts_by_wave(counts) == {
        2024: {"white_british": (10, 4)},
        2025: {"white_british": (12, 6), "asian_indian": (30, 9)},
    }


def test_a_break_at_the_first_wave_shown_starts_nothing():
    waves = [WaveInfo(2022, True), WaveInfo(2023), WaveInfo(2024, True), WaveInfo(2025, True)]
    assert r.breaks_in_series(waves, [2022, 2023, 2024, 2025]) == [2024, 2025]
    # 2022 had no answers: 2023 is the first wave shown, 2024 still breaks.
    assert r.breaks_in_series(waves, [2023, 2024]) == [2024]
    assert r.breaks_in_series(waves, [2024]) == []


def test_series_starts_at_the_first_wave_and_at_each_break():
    assert r.series_starts([2021, 2022, 2023, 2024], [2023]) == {
        2021: 2021,
        2022: 2021,
        2023: 2023,
        2024: 2023,
    }
    assert r.series_starts([], []) == {}


def test_wave_tables_are_the_waves_with_answers_in_year_order():
    counts = {
        (2025, "white_british"): (40, 20),
        (2023, "white_british"): (50, 30),
        (2026, "white_british"): (60, 30),  # counts for a wave the measure does not have
    }
    # 2024 had no answers; 2022 neither.
    waves = [WaveInfo(2025, True), WaveInfo(2024), WaveInfo(2023), WaveInfo(2022)]
    tables = r.wave_tables(SPEC, waves, counts)
    assert [(t.year, t.break_in_series, t.series_start) for t in tables] == [
        (2023, False, 2023),
        (2025, True, 2025),
    ]
    assert tables[0].cells["white"] == Cell(50, 30)
    assert tables[1].cells[ALL] == Cell(40, 20)


def test_report_groups_are_every_group_shown_in_presentation_order():
    tables = [
        table(2024, {"white": (50, 20), ALL: (50, 20)}),
        table(2025, {"other": (30, 9), "black": (40, 10), ALL: (70, 19)}),
    ]
    assert r.report_groups(tables) == ["black", "white", "other", ALL]


# -- cells shown and suppression -------------------------------------------------------------------
def test_white_british_is_shown_only_when_the_data_has_detailed_white_codes():
    detailed = build_wave_cells({"white_irish": (40, 20), "asian_indian": (30, 9)})
    high_level_only = build_wave_cells({"white": (40, 20), "asian": (30, 9)})
    assert r.shown_groups(SPEC, detailed) == [
        "asian", "black", "ethnic_minorities", "mixed", "white", "white_british", "other",
        "prefer_not_to_say", ALL,
    ]  # fmt: skip
    assert r.shown_groups(SPEC, high_level_only) == [
        "asian", "black", "ethnic_minorities", "mixed", "white", "other", "prefer_not_to_say",
        ALL,
    ]  # fmt: skip


def test_ethnic_group_not_given_is_shown_only_when_someone_skipped_the_question():
    spec = MeasureSpec(key="eo", name="EO", groups=("white",))
    skipped = build_wave_cells({"white": (40, 20), NOT_ANSWERED: (12, 5)})
    answered = build_wave_cells({"white": (40, 20)})
    assert r.shown_groups(spec, skipped) == ["white", NOT_ANSWERED, ALL]
    assert r.shown_groups(spec, answered) == ["white", ALL]
    # A measure of all answers only shows the total, however many skipped.
    assert r.shown_groups(OVERALL, skipped) == [ALL]


def test_unshown_cells_are_the_ones_the_reader_cannot_see():
    cells = build_wave_cells({"white_british": (40, 20), "white_irish": (15, 5), "asian": (30, 9)})
    spec = MeasureSpec(key="eo", name="EO", groups=("white", "asian"))
    shown = r.shown_groups(spec, cells)
    # "Not given" is not shown here because it is zero, which the reader can tell.
    unshown = r.unshown_cells(spec, cells, shown)
    assert set(unshown) >= {
        "mixed", "black", "other", "prefer_not_to_say", "ethnic_minorities", "white_british",
        WHITE_NOT_BRITISH, "white_irish", "white_roma",
    }  # fmt: skip
    assert not set(unshown) & {"white", "asian", ALL, NOT_ANSWERED}
    # With no groups, "not given" is not shown whatever its size, so it is unknown.
    assert NOT_ANSWERED in r.unshown_cells(OVERALL, cells, [ALL])


def test_a_small_cell_is_suppressed_and_so_is_the_smallest_that_would_give_it_away():
    cells = build_wave_cells({"white_british": (300, 150), "asian_indian": (80, 40),
                              "black_african": (60, 30), "mixed_other": (7, 3),
                              "other_arab": (25, 12)})  # fmt: skip
    shown = r.shown_groups(SPEC, cells)
    # Mixed = ethnic minorities - Asian - Black - Other: Other (25) is the smallest sibling.
    assert r.suppressed_cells(SPEC, cells, shown) == {"mixed", "other"}


def test_secondary_suppression_spares_white_when_anything_else_protects():
    cells = build_wave_cells({"white_british": (300, 150), "white_irish": (4, 2),
                              "asian_indian": (50, 20)})  # fmt: skip
    shown = r.shown_groups(SPEC, cells)
    # White - White British = 4: White British is hidden, White (the gaps' reference) is kept.
    assert r.suppressed_cells(SPEC, cells, shown) == {"white_british"}


def test_secondary_suppression_hides_all_answers_rather_than_white():
    cells = build_wave_cells({"white": (40, 20), "asian": (200, 90), "black": (300, 100),
                              "prefer_not_to_say": (5, 2)})  # fmt: skip
    shown = r.shown_groups(SPEC, cells)
    # Prefer not to say = All - White - Asian - Black. Hiding White (the smallest) would do, but
    # the gaps rest on it; hiding Asian or Black would not (ethnic minorities gives them back).
    assert r.suppressed_cells(SPEC, cells, shown) == {"prefer_not_to_say", ALL}


def test_suppression_protects_the_positive_count_not_only_the_count_answering():
    """The issue's table: Black 5 answering (0 positive) and Mixed 6 (0 positive) hidden alone
    would leave ethnic minorities 101 and 30 positive less Asian's 20 and Other's 10: nobody in
    them agreed. Other goes too."""
    cells = build_wave_cells({"white": (100, 60), "asian": (50, 20), "black": (5, 0),
                              "mixed": (6, 0), "other": (40, 10)})  # fmt: skip
    assert r.suppressed_cells(SPEC, cells, r.shown_groups(SPEC, cells)) == {
        "black",
        "mixed",
        "other",
    }


def test_a_group_where_fewer_than_the_threshold_answered_one_way_is_suppressed():
    for black in ((30, 0), (30, 30), (30, 9), (30, 21)):
        cells = build_wave_cells({"white": (300, 150), "asian": (80, 40), "black": black,
                                  "mixed": (60, 30), "other": (50, 25)})  # fmt: skip
        hidden = r.suppressed_cells(SPEC, cells, r.shown_groups(SPEC, cells))
        assert "black" in hidden, black
    cells = build_wave_cells({"white": (300, 150), "asian": (80, 40), "black": (20, 10),
                              "mixed": (60, 30), "other": (50, 25)})  # fmt: skip
    assert r.suppressed_cells(SPEC, cells, r.shown_groups(SPEC, cells)) == frozenset()


def test_nothing_is_suppressed_when_every_cell_is_empty_or_large():
    cells = build_wave_cells({"white": (300, 150), "asian": (80, 40)})
    assert r.suppressed_cells(SPEC, cells, r.shown_groups(SPEC, cells)) == frozenset()


def test_a_wave_table_holds_the_cells_the_groups_shown_and_the_suppressed():
    wave = r.wave_table(SPEC, 2025, {"white": (300, 150), "asian": (80, 40), "black": (6, 2)})
    assert wave.year == 2025 and wave.series_start == 2025 and not wave.break_in_series
    assert wave.cells["ethnic_minorities"] == Cell(86, 42)
    assert wave.suppressed == {"black", "asian"}
    assert wave.cell("black") == Cell(6, 2)  # shown, suppressed
    assert wave.is_suppressed("black")
    assert wave.cell(NOT_ANSWERED) is None  # a cell, not shown
    assert not wave.is_suppressed("white")


# -- estimates -------------------------------------------------------------------------------------
def test_estimate_is_percent_positive_with_the_wilson_interval():
    row = r.estimate(2025, "asian", Cell(263, 81))
    assert (row.year, row.group, row.label) == (
        2025,
        "asian",
        "Asian, Asian British or Asian Welsh",
    )
    assert (row.n, row.positive, row.suppressed) == (263, 81, False)
    assert row.percent == pytest.approx(100 * 81 / 263)
    # Newcombe (1998), table I: 81/263 gives 0.2553 to 0.3662.
    assert row.ci_low == pytest.approx(25.53, abs=0.005)
    assert row.ci_high == pytest.approx(36.62, abs=0.005)


def test_a_suppressed_estimate_has_no_figures_and_an_empty_one_no_percentage():
    hidden = r.estimate(2025, "black", Cell(6, 2), suppressed=True)
    assert hidden.suppressed
    assert [hidden.n, hidden.positive, hidden.percent, hidden.ci_low, hidden.ci_high] == [None] * 5
    empty = r.estimate(2025, "mixed", Cell(0, 0))
    assert (empty.n, empty.positive) == (0, 0)
    assert [empty.percent, empty.ci_low, empty.ci_high] == [None] * 3


def test_estimates_give_a_row_for_each_group_shown_in_order():
    wave = table(2025, {"black": (6, 2), "white": (40, 10), ALL: (46, 12), "asian": (0, 0)},
                 shown=("black", "white", ALL), suppressed={"black"})  # fmt: skip
    rows = r.estimates(wave)
    assert [(row.group, row.suppressed, row.n) for row in rows] == [
        ("black", True, None),
        ("white", False, 40),
        (ALL, False, 46),
    ]


# -- a comparison between two cells ----------------------------------------------------------------
def test_compare_gives_newcombes_interval_and_the_rate_ratio_when_asked():
    gap = r.compare("gap", 2025, "black", "white", Cell(70, 56), Cell(80, 48), threshold=10,
                    rate=True)  # fmt: skip
    # Newcombe (1998), table II: 56/70 - 48/80 = 0.2000 (0.0524 to 0.3339).
    assert gap.difference == pytest.approx(20.0)
    assert gap.diff_low == pytest.approx(5.24, abs=0.005)
    assert gap.diff_high == pytest.approx(33.39, abs=0.005)
    assert gap.rate_ratio == pytest.approx((56 / 70) / (48 / 80))
    z, p = proportions_ztest([56, 48], [70, 80])
    assert gap.test == "z-test"
    assert gap.statistic == pytest.approx(z, rel=1e-9)
    assert gap.p_value == pytest.approx(p, rel=1e-9)
    assert (gap.adjusted_p, gap.outcome, gap.reason) == (None, NOT_TESTED, "")
    change = r.compare("change", 2025, "black", "2024", Cell(70, 56), Cell(80, 48), threshold=10)
    assert change.rate_ratio is None


def test_compare_uses_fisher_below_thirty_and_does_not_test_below_the_threshold():
    fisher = r.compare("gap", 2025, "black", "white", Cell(10, 8), Cell(16, 6), threshold=10)
    assert fisher.test == "Fisher's exact test" and fisher.statistic is None
    assert fisher.p_value == pytest.approx(fisher_exact([[8, 2], [6, 10]]).pvalue)
    # A threshold above the cell (as when an analyst sets 20): figures, but no test.
    untested = r.compare("gap", 2025, "black", "white", Cell(10, 8), Cell(16, 6), threshold=12)
    assert untested.difference == pytest.approx(100 * (8 / 10 - 6 / 16))
    assert (untested.test, untested.p_value, untested.reason) == (None, None, "too few answers")


def test_compare_with_an_empty_side_or_a_suppressed_one_has_no_figures():
    empty = r.compare("gap", 2025, "mixed", "white", Cell(0, 0), Cell(80, 48), threshold=10)
    assert (empty.difference, empty.p_value, empty.reason) == (None, None, "no answers")
    assert empty.outcome == NOT_TESTED and not empty.suppressed
    no_reference = r.compare("gap", 2025, "mixed", "white", Cell(70, 56), Cell(0, 0), threshold=10)
    assert (no_reference.difference, no_reference.reason) == (None, "no answers")
    hidden = r.compare("gap", 2025, "mixed", "white", Cell(70, 56), Cell(80, 48), threshold=10,
                       suppressed=True)  # fmt: skip
    assert hidden.suppressed and hidden.outcome == SUPPRESSED
    assert (hidden.difference, hidden.diff_low, hidden.p_value) == (None, None, None)
    assert hidden.label == "Mixed or Multiple ethnic groups" and hidden.versus == "white"


# -- gaps and chi-square ---------------------------------------------------------------------------
def test_gaps_are_each_minority_group_shown_against_white():
    wave = table(2025, {"white": (80, 48), "black": (70, 56), "asian": (100, 30),
                        "ethnic_minorities": (170, 86), ALL: (250, 134)})  # fmt: skip
    gaps = r.gaps(wave, threshold=10)
    assert [(g.kind, g.group, g.versus) for g in gaps] == [
        ("gap", "asian", "white"),
        ("gap", "black", "white"),
        ("gap", "ethnic_minorities", "white"),
    ]
    assert gaps[1].difference == pytest.approx(20.0)
    assert gaps[1].rate_ratio == pytest.approx((56 / 70) / (48 / 80))
    assert gaps[0].difference == pytest.approx(100 * (30 / 100 - 48 / 80))


def test_no_gaps_without_white_and_all_suppressed_when_white_is():
    assert r.gaps(table(2025, {"black": (70, 56), ALL: (70, 56)}), threshold=10) == []
    wave = table(2025, {"white": (80, 48), "black": (70, 56), "asian": (5, 1)},
                 suppressed={"white", "asian"})  # fmt: skip
    assert [(g.group, g.suppressed, g.difference) for g in r.gaps(wave, threshold=10)] == [
        ("asian", True, None),
        ("black", True, None),
    ]


def test_chi_square_across_the_high_level_groups_against_statsmodels():
    groups = {"white": (200, 120), "mixed": (40, 18), "asian": (150, 70), "black": (90, 40),
              "other": (30, 20)}  # fmt: skip
    chi = r.chi_square(table(2025, {**groups, ALL: (510, 268)}), threshold=10)
    statistic, p, _ = proportions_chisquare([k for _, k in groups.values()],
                                            [n for n, _ in groups.values()])  # fmt: skip
    assert (chi.kind, chi.year, chi.group) == ("chi", 2025, "high_level")
    assert chi.test == "chi-square"
    assert chi.statistic == pytest.approx(statistic, rel=1e-9)
    assert chi.p_value == pytest.approx(p, rel=1e-9)
    assert chi.reason == ""


def test_chi_square_leaves_out_suppressed_groups_and_needs_two():
    # Mixed is large enough to test but suppressed (to protect another cell): left out.
    groups = {"white": (200, 120), "mixed": (40, 2), "asian": (150, 70), "black": (90, 40)}
    chi = r.chi_square(table(2025, groups, suppressed={"mixed"}), threshold=10)
    statistic, _, _ = proportions_chisquare([120, 70, 40], [200, 150, 90])
    assert chi.statistic == pytest.approx(statistic, rel=1e-9)
    assert chi.reason == "left out: Mixed or Multiple ethnic groups (suppressed)"
    assert chi.groups_tested == [
        "White",
        "Asian, Asian British or Asian Welsh",
        "Black, Black British, Black Welsh, Caribbean or African",
    ]
    alone = r.chi_square(table(2025, {"white": (200, 120), ALL: (200, 120)}), threshold=10)
    assert alone.p_value is None and alone.reason == "fewer than two groups to compare"


def test_wave_comparisons_are_each_waves_gaps_then_its_chi_square():
    tables = [
        table(2024, {"white": (80, 48), "black": (70, 56)}),
        table(2025, {"white": (90, 50), "asian": (60, 20)}),
    ]
    comparisons = r.wave_comparisons(tables, threshold=10)
    assert [(c.year, c.kind, c.group) for c in comparisons] == [
        (2024, "gap", "black"),
        (2024, "chi", "high_level"),
        (2025, "gap", "asian"),
        (2025, "chi", "high_level"),
    ]


# -- changes ---------------------------------------------------------------------------------------
def _years(earlier):
    return [(kind, wave.year) for kind, wave in earlier]


def test_earlier_waves_are_the_previous_one_and_the_baseline():
    tables = [table(year, {"white": (50, 20)}, series_start=2021) for year in (2021, 2022, 2023)]
    assert _years(r.earlier_waves(tables, 0, 2021)) == []
    # The baseline is also the previous wave: compared once, year on year.
    assert _years(r.earlier_waves(tables, 1, 2021)) == [("change", 2021)]
    assert _years(r.earlier_waves(tables, 2, 2021)) == [("change", 2022), ("baseline", 2021)]
    assert _years(r.earlier_waves(tables, 2, None)) == [("change", 2022)]
    # A baseline later than the wave, or not a wave with answers, is not compared.
    assert _years(r.earlier_waves(tables, 1, 2023)) == [("change", 2021)]
    assert _years(r.earlier_waves(tables, 2, 2020)) == [("change", 2022)]


def test_earlier_waves_never_reach_back_across_a_break():
    tables = [
        table(2021, {"white": (50, 20)}),
        table(2022, {"white": (50, 20)}, break_in_series=True),
        table(2023, {"white": (50, 20)}, series_start=2022),
    ]
    assert _years(r.earlier_waves(tables, 1, 2021)) == []
    assert _years(r.earlier_waves(tables, 2, 2021)) == [("change", 2022)]


def test_changes_for_each_group_shown_in_both_waves():
    spec = MeasureSpec(key="eo", name="EO", groups=DEFAULT_GROUPS, baseline_year=2023)
    tables = [
        table(2023, {"white": (200, 90), "black": (80, 40)}, series_start=2023),
        table(2024, {"white": (200, 100), "black": (8, 4)}, suppressed={"black"},
              series_start=2023),
        table(2025, {"white": (200, 110), "asian": (60, 30), "black": (90, 30)},
              series_start=2023),
    ]  # fmt: skip
    changes = r.changes(tables, ["asian", "black", "white"], spec)
    # Asian is only in 2025: nothing to compare. Black in 2024 is suppressed, so both changes
    # touching 2024 are; 2025 against the 2023 baseline is not.
    assert [(c.kind, c.year, c.group, c.versus, c.suppressed) for c in changes] == [
        ("change", 2024, "black", "2023", True),
        ("change", 2024, "white", "2023", False),
        ("change", 2025, "black", "2024", True),
        ("baseline", 2025, "black", "2023", False),
        ("change", 2025, "white", "2024", False),
        ("baseline", 2025, "white", "2023", False),
    ]
    assert changes[1].difference == pytest.approx(5.0)
    assert changes[3].difference == pytest.approx(100 * (30 / 90 - 40 / 80))
    assert changes[5].difference == pytest.approx(10.0)
    assert changes[5].rate_ratio is None
    _, p = proportions_ztest([110, 90], [200, 200])
    assert changes[5].p_value == pytest.approx(p, rel=1e-9)


# -- trend -----------------------------------------------------------------------------------------
def test_the_latest_series_is_the_waves_since_the_last_break():
    tables = [
        table(2021, {ALL: (50, 20)}),
        table(2022, {ALL: (50, 20)}, break_in_series=True),
        table(2023, {ALL: (50, 20)}, series_start=2022),
    ]
    assert [t.year for t in r.latest_series(tables)] == [2022, 2023]
    assert r.latest_series([]) == []
    assert r.trends([], [ALL]) == []


def test_trend_is_cochran_armitage_with_the_years_as_scores():
    cells = [(200, 90), (180, 95), (220, 130)]
    series = [
        table(year, {"black": cell}) for year, cell in zip((2021, 2022, 2025), cells, strict=True)
    ]
    trend = r.trend(series, "black")
    assert (trend.kind, trend.year, trend.versus) == ("trend", 2025, "2021-2025")
    # statsmodels' linear-by-linear test has N - 1 where Cochran-Armitage has N.
    oracle = Table(np.array([[n - k, k] for n, k in cells], dtype=float)).test_ordinal_association(
        row_scores=np.array([2021, 2022, 2025]), col_scores=np.array([0, 1])
    )
    total = sum(n for n, _ in cells)
    assert trend.test == "Cochran-Armitage"
    assert trend.statistic == pytest.approx(oracle.zscore * math.sqrt(total / (total - 1)))
    assert trend.p_value == pytest.approx(2 * norm.sf(abs(trend.statistic)))


def test_trend_needs_three_waves_the_group_in_each_and_nothing_suppressed():
    three = [table(year, {"black": (50, 20), "white": (60, 30)}) for year in (2021, 2022, 2023)]
    assert r.trend(three[1:], "black").reason == "fewer than three waves in the series"
    missing = [*three[:2], table(2023, {"white": (60, 30)})]
    assert r.trend(missing, "black").reason == "group not collected in every wave of the series"
    unshown = [*three[:2], table(2023, {"black": (50, 20), "white": (60, 30)}, shown=["white"])]
    assert r.trend(unshown, "black").reason == "group not in every wave of the series"
    hidden = [*three[:2], table(2023, {"black": (5, 2)}, suppressed={"black"})]
    trend = r.trend(hidden, "black")
    assert trend.suppressed and trend.outcome == SUPPRESSED and trend.p_value is None
    assert [t.group for t in r.trends(three, ["black", "white"])] == ["black", "white"]
    # Over the latest series only: a break at 2022 leaves two waves, too few.
    broken = [three[0], *(table(t.year, {"black": (50, 20)}, break_in_series=t.year == 2022,
                                series_start=2022) for t in three[1:])]  # fmt: skip
    [trend] = r.trends(broken, ["black"])
    assert trend.versus == "2022-2023" and trend.reason == "fewer than three waves in the series"


# -- adjustment and footnotes ----------------------------------------------------------------------
def _tested(p, kind="gap"):
    return Comparison(kind=kind, year=2025, group="black", label="Black", versus="white",
                      test="z-test", statistic=1.0, p_value=p)  # fmt: skip


def test_p_values_shown_together_are_adjusted_and_decide_the_outcome():
    untested = Comparison(kind="chi", year=2025, group="high_level", label="", versus="")
    hidden = r.suppressed_comparison("gap", 2025, "mixed", "white")
    comparisons = [_tested(0.01), untested, _tested(0.04), hidden, _tested(0.03), _tested(0.5)]
    for method, name in (("bh", "fdr_bh"), ("holm", "holm")):
        adjusted = r.adjust_p_values(comparisons, method)
        oracle = multipletests([0.01, 0.04, 0.03, 0.5], method=name)[1]
        assert [c.adjusted_p for c in adjusted] == pytest.approx(
            [oracle[0], None, oracle[1], None, oracle[2], oracle[3]]
        )
        assert adjusted[1] is untested and adjusted[3] is hidden
    bh = r.adjust_p_values(comparisons, "bh")
    # Over 4 tests, 0.01 adjusts to 0.04 (significant) and 0.03 and 0.04 to 0.0533 (not).
    assert [c.outcome for c in bh] == [SIGNIFICANT, NOT_TESTED, NOT_SIGNIFICANT, SUPPRESSED,
                                       NOT_SIGNIFICANT, NOT_SIGNIFICANT]  # fmt: skip
    assert bh[2].adjusted_p == pytest.approx(0.04 * 4 / 3)
    holm = r.adjust_p_values(comparisons, "holm")
    # Holm: 4 x 0.01, then 3 x 0.03, and 2 x 0.04 raised to the 0.09 before it.
    assert [holm[i].adjusted_p for i in (0, 4, 2)] == pytest.approx([0.04, 0.09, 0.09])
    # The comparisons passed in are left as they were.
    assert comparisons[0].adjusted_p is None and comparisons[0].outcome == NOT_TESTED


def test_footnotes_say_what_was_suppressed_how_many_were_tested_and_where_the_breaks_are():
    spec = MeasureSpec(key="eo", name="EO", groups=DEFAULT_GROUPS, threshold=12,
                       adjustment="holm")  # fmt: skip
    tables = [
        table(2024, {"white": (50, 20)}),
        table(2025, {"white": (5, 2)}, suppressed={"white"}, break_in_series=True),
    ]
    comparisons = [_tested(0.01), r.suppressed_comparison("gap", 2025, "mixed", "white"),
                   _tested(0.2)]  # fmt: skip
    notes = r.footnotes(spec, tables, comparisons)
    assert len(notes) == 3
    assert notes[0] == FOOTNOTE.format(threshold=12)
    assert (
        "adjusted across the 2 comparisons shown with the Holm (family-wise error rate)"
        in (notes[1])
    )
    assert notes[2] == (
        "A break in series (the question changed) at 2025: figures either side are not compared."
    )
    plain = r.footnotes(SPEC, tables[:1], [])
    assert len(plain) == 1 and "across the 0 comparisons" in plain[0]
    assert "Benjamini-Hochberg (false discovery rate)" in plain[0]


# -- the pipeline ----------------------------------------------------------------------------------
def test_build_report_is_the_stages_in_order():
    counts = {}
    for year in (2022, 2023, 2024):
        counts[(year, "white_british")] = (200, 100 + 5 * (year - 2022))
        counts[(year, "black_african")] = (100, 40 + 6 * (year - 2022))
    spec = MeasureSpec(key="eo", name="EO", groups=("white", "black"), baseline_year=2022)
    waves = [WaveInfo(year) for year in (2022, 2023, 2024)]
    report = r.build_report(spec, waves, counts)
    tables = r.wave_tables(spec, waves, counts)
    assert report.rows == [row for wave in tables for row in r.estimates(wave)]
    assert [(c.kind, c.year, c.group) for c in report.comparisons] == [
        ("gap", 2022, "black"), ("chi", 2022, "high_level"),
        ("gap", 2023, "black"), ("chi", 2023, "high_level"),
        ("gap", 2024, "black"), ("chi", 2024, "high_level"),
        ("change", 2023, "black"), ("change", 2023, "white"), ("change", 2023, ALL),
        ("change", 2024, "black"), ("baseline", 2024, "black"),
        ("change", 2024, "white"), ("baseline", 2024, "white"),
        ("change", 2024, ALL), ("baseline", 2024, ALL),
        ("trend", 2024, "black"), ("trend", 2024, "white"), ("trend", 2024, ALL),
    ]  # fmt: skip
    assert all(c.adjusted_p is not None for c in report.comparisons)
    assert report.footnotes == r.footnotes(spec, tables, report.comparisons)
