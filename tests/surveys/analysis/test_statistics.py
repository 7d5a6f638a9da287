"""Statistics against published values and against statsmodels (a test-only oracle)."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_chisquare, proportions_ztest

from surveys.analysis import statistics as s


@pytest.mark.parametrize(
    ("k", "n", "lower", "upper"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611)],
)
def test_wilson_against_newcombe_1998(k, n, lower, upper):
    lo, hi = s.wilson_interval(k, n)
    assert lo == pytest.approx(lower, abs=5e-5)
    assert hi == pytest.approx(upper, abs=5e-5)


def test_newcombe_hybrid_score_interval_against_newcombe_1998():
    difference, lower, upper = s.newcombe_interval(56, 70, 48, 80)
    assert difference == pytest.approx(0.2)
    assert lower == pytest.approx(0.0524, abs=5e-5)
    assert upper == pytest.approx(0.3339, abs=5e-5)


def test_fisher_exact_known_value():
    assert s.fisher_exact_p(8, 10, 1, 6) == pytest.approx(0.03497, abs=5e-6)


def test_rate_ratio():
    assert s.rate_ratio(30, 100, 60, 100) == pytest.approx(0.5)
    assert s.rate_ratio(1, 10, 0, 10) is None


def _random_pair(rng):
    n1, n2 = rng.randint(30, 2000), rng.randint(30, 2000)
    return rng.randint(0, n1), n1, rng.randint(0, n2), n2


def test_z_test_against_statsmodels():
    rng = random.Random(1)
    for _ in range(200):
        k1, n1, k2, n2 = _random_pair(rng)
        if k1 + k2 in (0, n1 + n2):
            continue
        z, p = s.two_proportion_z_test(k1, n1, k2, n2)
        oracle_z, oracle_p = proportions_ztest([k1, k2], [n1, n2])
        assert z == pytest.approx(oracle_z, rel=1e-9)
        assert p == pytest.approx(oracle_p, rel=1e-9, abs=1e-300)


def test_chi_square_against_statsmodels():
    rng = random.Random(2)
    for _ in range(100):
        groups = [(rng.randint(1, n - 1), n) for n in (rng.randint(20, 500) for _ in range(5))]
        result = s.chi_square_across(groups)
        statistic, p, _ = proportions_chisquare([k for k, _ in groups], [n for _, n in groups])
        assert result.statistic == pytest.approx(statistic, rel=1e-9)
        assert result.p_value == pytest.approx(p, rel=1e-9, abs=1e-300)


def _cochran_armitage_oracle(groups):
    """Independent implementation via statsmodels' contingency-table trend test."""
    import numpy as np
    from statsmodels.stats.contingency_tables import Table

    table = np.array([[n - k, k] for k, n in groups], dtype=float)
    result = Table(table).test_ordinal_association(
        row_scores=np.arange(len(groups)), col_scores=np.array([0, 1])
    )
    return result.zscore, result.pvalue


def test_cochran_armitage_against_statsmodels():
    rng = random.Random(3)
    for _ in range(100):
        groups = [(rng.randint(5, n - 5), n) for n in (rng.randint(50, 800) for _ in range(4))]
        result = s.cochran_armitage_trend(groups)
        z, _ = _cochran_armitage_oracle(groups)
        # statsmodels' permutation variance has N - 1 where the classical test has N: the two
        # z-scores differ by exactly sqrt(N / (N - 1)).
        total = sum(n for _, n in groups)
        assert result.statistic == pytest.approx(z * math.sqrt(total / (total - 1)), rel=1e-9)
        assert result.p_value == pytest.approx(2 * norm.sf(abs(result.statistic)), rel=1e-9)


def test_trend_needs_three_waves():
    assert not s.cochran_armitage_trend([(10, 100), (20, 100)]).tested


def test_compare_uses_z_at_30_and_fisher_below():
    assert s.compare_proportions(15, 30, 20, 30).test == "z-test"
    assert s.compare_proportions(15, 29, 20, 30).test == "Fisher's exact test"
    assert not s.compare_proportions(3, 9, 5, 40, min_n=10).tested
    assert s.NOT_TESTED.p_value is None


def test_multiple_comparisons_against_statsmodels():
    rng = random.Random(4)
    for _ in range(50):
        ps = [rng.random() ** 3 for _ in range(rng.randint(1, 20))]
        assert s.benjamini_hochberg(ps) == pytest.approx(
            list(multipletests(ps, method="fdr_bh")[1])
        )
        assert s.holm(ps) == pytest.approx(list(multipletests(ps, method="holm")[1]))
    assert s.benjamini_hochberg([0.01, None, 0.04]) == [0.02, None, 0.04]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=5000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    )
)
def test_wilson_interval_contains_the_estimate(pair):
    k, n = pair
    lower, upper = s.wilson_interval(k, n)
    assert 0.0 <= lower <= upper <= 1.0
    if n:
        assert lower <= k / n <= upper
