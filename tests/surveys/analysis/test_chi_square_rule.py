"""The test across groups against independent implementations: scipy's chi2_contingency when
every expected count is at least 5, Fisher's exact test (scipy) for a small 2 x 2 table, and an
exact enumeration of every table with the same margins for a small r x 2 table, which the
Monte-Carlo p-value must match within its simulation error. Groups with no answers are left out
and the groups named are exactly those tested."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from scipy.stats import chi2_contingency, fisher_exact

from surveys.analysis import report as r
from surveys.analysis import statistics as s
from surveys.analysis.groups import ALL, DEFAULT_GROUPS, Cell
from surveys.analysis.report import MeasureSpec, WaveInfo, WaveTable, build_report


def _min_expected(groups):
    table = np.array([[k for k, _ in groups], [n - k for k, n in groups]])
    return (np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()).min()


def test_pearson_chi_square_matches_scipy_when_every_expected_count_is_at_least_5():
    rng = random.Random(16)
    checked = 0
    while checked < 100:
        groups = [(rng.randint(0, n), n) for n in (rng.randint(10, 400) for _ in range(5))]
        if _min_expected(groups) < 5:
            continue
        table = [[k for k, _ in groups], [n - k for k, n in groups]]
        oracle = chi2_contingency(table, correction=False)
        result = s.chi_square_across(groups)
        assert result.test == "chi-square"
        assert result.statistic == pytest.approx(oracle.statistic, rel=1e-12)
        assert result.p_value == pytest.approx(oracle.pvalue, rel=1e-9, abs=1e-300)
        checked += 1


def test_two_groups_with_an_expected_count_below_5_use_fishers_exact_test():
    groups = [(8, 10), (1, 6)]
    assert _min_expected(groups) < 5
    result = s.chi_square_across(groups)
    assert result.test == "Fisher's exact test"
    assert result.statistic is None
    oracle = fisher_exact([[8, 2], [1, 5]]).pvalue
    assert result.p_value == pytest.approx(oracle, rel=1e-12)


def _exact_p(groups):
    """Every 2 x G table with the observed margins, weighted by its probability given the
    margins (multivariate hypergeometric): the share at least as extreme as the observed one."""
    sizes = [n for _, n in groups]
    positive = sum(k for k, _ in groups)
    total = sum(sizes)

    def statistic(ks):
        p = positive / total
        return sum(
            (k - n * p) ** 2 / (n * p) + ((n - k) - n * (1 - p)) ** 2 / (n * (1 - p))
            for k, n in zip(ks, sizes, strict=True)
        )

    observed = statistic([k for k, _ in groups])
    p_value = 0.0
    for ks in itertools.product(*(range(n + 1) for n in sizes)):
        if sum(ks) != positive:
            continue
        if statistic(ks) >= observed * (1 - 1e-9):
            weight = math.prod(math.comb(n, k) for k, n in zip(ks, sizes, strict=True))
            p_value += weight / math.comb(total, positive)
    return p_value


@pytest.mark.parametrize(
    "groups",
    [
        [(5, 6), (1, 7), (3, 8)],
        [(2, 4), (6, 6), (1, 5), (4, 9)],
        [(9, 12), (2, 10), (1, 3)],
    ],
)
def test_larger_tables_with_small_expected_counts_use_a_monte_carlo_test(groups):
    assert _min_expected(groups) < 5
    result = s.chi_square_across(groups)
    assert result.test == "Monte-Carlo chi-square test (20,000 simulated tables)"
    table = [[k for k, _ in groups], [n - k for k, n in groups]]
    assert result.statistic == pytest.approx(chi2_contingency(table, correction=False).statistic)
    exact = _exact_p(groups)
    error = math.sqrt(exact * (1 - exact) / s.MONTE_CARLO_DRAWS)
    # Four standard errors, and a floor for the (1 + count) / (draws + 1) estimator.
    assert result.p_value == pytest.approx(exact, abs=4 * error + 2 / s.MONTE_CARLO_DRAWS)


def test_the_monte_carlo_p_value_is_reproducible():
    groups = [(5, 6), (1, 7), (3, 8)]
    assert s.chi_square_across(groups) == s.chi_square_across(groups)


def test_groups_with_no_answers_are_left_out_of_the_test():
    with_empty = [(120, 200), (0, 0), (70, 150), (40, 90)]
    without = [(120, 200), (70, 150), (40, 90)]
    assert s.tested_groups(with_empty) == [0, 2, 3]
    assert s.chi_square_across(with_empty) == s.chi_square_across(without)
    # Below the threshold as well as empty.
    assert s.tested_groups([(3, 5), (0, 0), (20, 40)], min_n=10) == [2]
    assert not s.chi_square_across([(3, 5), (0, 0), (20, 40)], min_n=10).tested


def _table(cells, *, suppressed=()):
    return WaveTable(
        year=2025,
        break_in_series=False,
        series_start=2025,
        cells={group: Cell(n, k) for group, (n, k) in cells.items()},
        shown=tuple(cells),
        suppressed=frozenset(suppressed),
    )


def test_the_groups_named_are_exactly_those_tested():
    cells = {"white": (200, 120), "mixed": (0, 0), "asian": (150, 70), "black": (90, 40),
             "other": (40, 30), ALL: (480, 260)}  # fmt: skip
    chi = r.chi_square(_table(cells, suppressed={"other"}), threshold=10)
    oracle = chi2_contingency([[120, 70, 40], [80, 80, 50]], correction=False)
    assert chi.test == "chi-square"
    assert chi.p_value == pytest.approx(oracle.pvalue, rel=1e-9)
    assert chi.groups_tested == [
        "White",
        "Asian, Asian British or Asian Welsh",
        "Black, Black British, Black Welsh, Caribbean or African",
    ]
    assert chi.reason == (
        "left out: Mixed or Multiple ethnic groups (no answers); Other ethnic group (suppressed)"
    )


def test_a_report_with_small_expected_counts_names_its_monte_carlo_test_and_groups():
    spec = MeasureSpec(key="eo", name="Equality of opportunity", groups=DEFAULT_GROUPS)
    # Every group has at least 10 positive and 10 negative answers (so none is suppressed), yet
    # Asian and Black expect fewer than 5 negative answers each at the overall rate.
    counts = {(2025, "white_british"): (1000, 900), (2025, "asian_indian"): (20, 10),
              (2025, "black_african"): (20, 10)}  # fmt: skip
    report = build_report(spec, [WaveInfo(2025)], counts)
    (chi,) = report.comparisons_of("chi")
    assert _min_expected([(900, 1000), (10, 20), (10, 20)]) < 5
    assert chi.test == s.MONTE_CARLO
    assert chi.groups_tested == [
        "White",
        "Asian, Asian British or Asian Welsh",
        "Black, Black British, Black Welsh, Caribbean or African",
    ]
    assert chi.p_value == pytest.approx(1 / (s.MONTE_CARLO_DRAWS + 1))
    assert r.Report.from_dict(report.to_dict()).comparisons_of("chi") == [chi]
