"""Proportions, intervals and tests for "percent positive" by group and over waves.

Everything here takes counts (number positive ``k`` of ``n`` answering) and returns numbers.
scipy supplies the distributions and Fisher's exact test; the formulas follow the references
named on each function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

Z_95 = float(stats.norm.ppf(0.975))
# The z-test's normal approximation is used when both groups have at least this many answers;
# below it, Fisher's exact test.
Z_TEST_MIN_N = 30


def percent_positive(k: int, n: int) -> float | None:
    return None if n == 0 else 100.0 * k / n


def _check(k: int, n: int) -> None:
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"Need 0 <= k <= n, got k={k}, n={n}.")


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion (Wilson 1927; Newcombe 1998, method 3).

    81/263 gives 0.2553-0.3662. For n == 0 the interval is the whole range (0, 1).
    """
    _check(k, n)
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    lower, upper = centre - half, centre + half
    # Exact at the edges (avoids -1e-17 from rounding).
    return (0.0 if k == 0 else lower, 1.0 if k == n else upper)


def newcombe_interval(
    k1: int, n1: int, k2: int, n2: int, z: float = Z_95
) -> tuple[float, float, float]:
    """Difference of two independent proportions p1 - p2 with Newcombe's hybrid score interval.

    Newcombe (1998), method 10: 56/70 - 48/80 gives 0.2000 (0.0524 to 0.3339).
    Returns (difference, lower, upper).
    """
    if n1 == 0 or n2 == 0:
        raise ValueError("Both groups need at least one answer.")
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, z)
    l2, u2 = wilson_interval(k2, n2, z)
    difference = p1 - p2
    lower = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (difference, lower, upper)


def rate_ratio(k1: int, n1: int, k2: int, n2: int) -> float | None:
    """Relative likelihood p1 / p2, as the NHS Workforce Race Equality Standard reports it."""
    if n1 == 0 or n2 == 0 or k2 == 0:
        return None
    return (k1 / n1) / (k2 / n2)


def two_proportion_z_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z-test; returns (z, two-sided p)."""
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return (0.0, 1.0)
    z = (k1 / n1 - k2 / n2) / se
    return (z, float(2 * stats.norm.sf(abs(z))))


def fisher_exact_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher's exact test on [[k1, n1-k1], [k2, n2-k2]]."""
    return float(stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)


@dataclass(frozen=True)
class Comparison:
    """A test between two groups. ``test`` is None when there were too few answers to test."""

    test: str | None
    statistic: float | None
    p_value: float | None

    @property
    def tested(self) -> bool:
        return self.test is not None


NOT_TESTED = Comparison(test=None, statistic=None, p_value=None)


def compare_proportions(k1: int, n1: int, k2: int, n2: int, *, min_n: int = 1) -> Comparison:
    """z-test when both groups have at least 30 answers, Fisher's exact test below that.

    Groups with fewer than ``min_n`` answers (the disclosure threshold) are not tested.
    """
    if n1 < max(min_n, 1) or n2 < max(min_n, 1):
        return NOT_TESTED
    if n1 >= Z_TEST_MIN_N and n2 >= Z_TEST_MIN_N:
        z, p = two_proportion_z_test(k1, n1, k2, n2)
        return Comparison("z-test", z, p)
    return Comparison("Fisher's exact test", None, fisher_exact_p(k1, n1, k2, n2))


# Pearson's chi-square is trusted only when every expected count is at least this; below it the
# 2 x 2 table has Fisher's exact test and a larger one a Monte-Carlo test on the same margins.
CHI_SQUARE_MIN_EXPECTED = 5
MONTE_CARLO_DRAWS = 20_000
# Fixed, so a report reads the same each time it is built (and in a published snapshot).
MONTE_CARLO_SEED = 20_261_203
CHI_SQUARE = "chi-square"
FISHER = "Fisher's exact test"
MONTE_CARLO = f"Monte-Carlo chi-square test ({MONTE_CARLO_DRAWS:,} simulated tables)"


def tested_groups(groups: Sequence[tuple[int, int]], *, min_n: int = 1) -> list[int]:
    """Positions of the groups a test across groups uses: those with at least ``min_n`` (and
    at least one) answers. A group with no answers says nothing about equal proportions."""
    return [index for index, (_, n) in enumerate(groups) if n >= max(min_n, 1)]


def _table(groups: Sequence[tuple[int, int]]) -> np.ndarray:
    return np.array([[k for k, _ in groups], [n - k for k, n in groups]])


def expected_counts(groups: Sequence[tuple[int, int]]) -> np.ndarray:
    """Expected positive and negative counts of each group if every group had the same rate."""
    table = _table(groups)
    return np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()


def monte_carlo_chi_square_p(
    groups: Sequence[tuple[int, int]],
    *,
    draws: int = MONTE_CARLO_DRAWS,
    seed: int = MONTE_CARLO_SEED,
) -> tuple[float, float]:
    """Pearson's statistic and its Monte-Carlo p-value: the share of ``draws`` random tables
    with the observed margins (Patefield's algorithm) whose statistic is at least the observed
    one, counting the observed table (Hope 1968; R's ``chisq.test(simulate.p.value = TRUE)``).
    """
    table = _table(groups)
    expected = expected_counts(groups)
    observed = float(((table - expected) ** 2 / expected).sum())
    tables = stats.random_table(
        table.sum(axis=1), table.sum(axis=0), seed=np.random.default_rng(seed)
    ).rvs(size=draws)
    simulated = ((tables - expected) ** 2 / expected).sum(axis=(1, 2))
    # As R does: a simulated table as extreme as the observed one, allowing for rounding.
    at_least = int((simulated >= observed * (1 - 64 * np.finfo(float).eps)).sum())
    return observed, (1 + at_least) / (draws + 1)


def chi_square_across(groups: Sequence[tuple[int, int]], *, min_n: int = 1) -> Comparison:
    """Equal proportions across the groups (a 2 x G table) of those ``tested_groups`` keeps.

    Pearson's chi-square when every expected count is at least 5; otherwise Fisher's exact
    test for two groups and a Monte-Carlo test for more, named in ``test``.
    """
    usable = [groups[index] for index in tested_groups(groups, min_n=min_n)]
    if len(usable) < 2:
        return NOT_TESTED
    table = _table(usable)
    if any(row.sum() == 0 for row in table):
        return Comparison(CHI_SQUARE, 0.0, 1.0)
    if expected_counts(usable).min() < CHI_SQUARE_MIN_EXPECTED:
        if len(usable) == 2:
            (k1, n1), (k2, n2) = usable
            return Comparison(FISHER, None, fisher_exact_p(k1, n1, k2, n2))
        return Comparison(MONTE_CARLO, *monte_carlo_chi_square_p(usable))
    result = stats.chi2_contingency(table, correction=False)
    return Comparison(CHI_SQUARE, float(result.statistic), float(result.pvalue))


def cochran_armitage_trend(
    groups: Sequence[tuple[int, int]], scores: Sequence[float] | None = None
) -> Comparison:
    """Cochran-Armitage test for a linear trend in proportions over ordered groups (waves).

    Needs three or more groups; scores default to 0, 1, 2, ... Returns z and two-sided p.
    """
    if len(groups) < 3 or any(n == 0 for _, n in groups):
        return NOT_TESTED
    scores = list(scores if scores is not None else range(len(groups)))
    big_n = sum(n for _, n in groups)
    total_k = sum(k for k, _ in groups)
    p_bar = total_k / big_n
    if p_bar in (0, 1):
        return Comparison("Cochran-Armitage", 0.0, 1.0)
    t = sum(s * (k - n * p_bar) for s, (k, n) in zip(scores, groups, strict=True))
    s_bar = sum(s * n for s, (_, n) in zip(scores, groups, strict=True)) / big_n
    variance = (
        p_bar
        * (1 - p_bar)
        * sum(n * (s - s_bar) ** 2 for s, (_, n) in zip(scores, groups, strict=True))
    )
    if variance == 0:
        return Comparison("Cochran-Armitage", 0.0, 1.0)
    z = t / math.sqrt(variance)
    return Comparison("Cochran-Armitage", z, float(2 * stats.norm.sf(abs(z))))


def benjamini_hochberg(p_values: Sequence[float | None]) -> list[float | None]:
    """False discovery rate adjustment across the comparisons shown together; None stays None."""
    indexed = [(p, i) for i, p in enumerate(p_values) if p is not None]
    m = len(indexed)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 1.0
    for rank, (p, i) in reversed(list(enumerate(sorted(indexed), start=1))):
        running = min(running, p * m / rank)
        adjusted[i] = min(running, 1.0)
    return adjusted


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down family-wise adjustment; None stays None."""
    indexed = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(indexed)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, (m - rank) * p)
        adjusted[i] = min(running, 1.0)
    return adjusted
