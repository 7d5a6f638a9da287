"""Gaps against each comparison group, checked against an independent implementation
(statsmodels and scipy) on figures added up here from the detailed table, not by the product.

Each gap is the group's percent positive minus the comparator's, with Newcombe's hybrid score
interval, the rate ratio, a two-proportion z-test (Fisher's exact test below 30 answers on
either side), and every p-value shown adjusted together (Benjamini-Hochberg).
"""

from __future__ import annotations

import pytest
from scipy.stats import fisher_exact
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from surveys.analysis import classifications as c
from surveys.analysis.groups import ALL_OTHER_GROUPS, CHOOSABLE_GROUPS, COMPARATORS
from surveys.analysis.report import MeasureSpec, WaveInfo, build_report

#: One wave's detailed table (answering, positive); every group large enough to show.
TABLE = {
    "white_british": (900, 540), "white_irish": (60, 30), "white_gypsy_traveller": (24, 11),
    "white_roma": (22, 12), "white_other": (180, 80),
    "mixed_white_black_caribbean": (40, 18), "mixed_white_black_african": (25, 13),
    "mixed_white_asian": (35, 19), "mixed_other": (26, 12),
    "asian_indian": (150, 70), "asian_pakistani": (120, 50), "asian_bangladeshi": (60, 25),
    "asian_chinese": (40, 22), "asian_other": (45, 20),
    "black_caribbean": (70, 30), "black_african": (110, 45), "black_other": (28, 12),
    "other_arab": (30, 14), "other_any": (40, 17), "prefer_not_to_say": (50, 20),
}  # fmt: skip


def members(group: str) -> list[str]:
    """The detailed codes of a group, from the classification itself."""
    if group in c.ETHNIC_GROUPS_BY_CODE or group == c.PREFER_NOT_TO_SAY:
        return [group]
    if group == "white_not_british":
        return [g.code for g in c.ETHNIC_GROUPS if g.high_level == "white"][1:]
    if group == c.ETHNIC_MINORITIES:
        return [g.code for g in c.ETHNIC_GROUPS if g.high_level != "white"]
    return [g.code for g in c.ETHNIC_GROUPS if g.high_level == group]


def counted(codes) -> tuple[int, int]:
    return sum(TABLE[x][0] for x in codes), sum(TABLE[x][1] for x in codes)


def comparator_counts(comparator: str, group: str) -> tuple[int, int]:
    if comparator == ALL_OTHER_GROUPS:
        # Everyone who gave an ethnic group, less the group.
        return counted(set(c.ETHNIC_GROUPS_BY_CODE) - set(members(group)))
    return counted(members(comparator))


@pytest.mark.parametrize("comparison", COMPARATORS)
def test_every_gap_against_each_comparator_matches_statsmodels(comparison):
    spec = MeasureSpec(key="m", name="M", groups=CHOOSABLE_GROUPS, threshold=10,
                       comparison=comparison)  # fmt: skip
    report = build_report(spec, [WaveInfo(2025)], {(2025, k): v for k, v in TABLE.items()})
    gaps = report.comparisons_of("gap")
    assert {gap.versus for gap in gaps} == {comparison}
    excluded = {c.PREFER_NOT_TO_SAY, "all", comparison}
    if comparison == "white_british":
        excluded |= {"white"}  # White British is part of White: not an independent sample
    if comparison == "white":
        excluded |= {"white_british", "white_not_british", *members("white")}
    assert {gap.group for gap in gaps} == set(CHOOSABLE_GROUPS) - excluded
    for gap in gaps:
        k1, n1 = counted(members(gap.group))[::-1]
        k2, n2 = comparator_counts(comparison, gap.group)[::-1]
        assert gap.difference == pytest.approx(100 * (k1 / n1 - k2 / n2), rel=1e-12)
        low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb")
        assert (gap.diff_low, gap.diff_high) == (
            pytest.approx(100 * low, rel=1e-9), pytest.approx(100 * high, rel=1e-9),
        )  # fmt: skip
        assert gap.rate_ratio == pytest.approx((k1 / n1) / (k2 / n2), rel=1e-12)
        if min(n1, n2) >= 30:
            z, p = proportions_ztest([k1, k2], [n1, n2])
            assert gap.test == "z-test"
            assert gap.statistic == pytest.approx(z, rel=1e-9)
        else:
            p = fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue
            assert gap.test == "Fisher's exact test"
        assert gap.p_value == pytest.approx(p, rel=1e-9)
    tested = [item for item in report.comparisons if item.p_value is not None]
    adjusted = multipletests([item.p_value for item in tested], method="fdr_bh")[1]
    assert [item.adjusted_p for item in tested] == pytest.approx(list(adjusted), rel=1e-9)


def test_the_gap_for_white_other_than_white_british_is_the_issues_eight_points():
    """Of the issue: White other than White British 8 points below White British."""
    table = {"white_british": (1000, 700), "white_not_british": (500, 310),
             "ethnic_minorities": (600, 390)}  # fmt: skip
    groups = ("white_british", "white_not_british", "ethnic_minorities")
    spec = MeasureSpec(key="m", name="M", comparison="white_british", groups=groups)
    report = build_report(
        spec, [WaveInfo(2025, complete=False)], {(2025, k): v for k, v in table.items()}
    )
    gap = report.comparison("gap", 2025, "white_not_british")
    assert gap.versus == "white_british"
    assert gap.difference == pytest.approx(-8.0)
    _, p = proportions_ztest([310, 700], [500, 1000])
    assert gap.p_value == pytest.approx(p, rel=1e-9)
