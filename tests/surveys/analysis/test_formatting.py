"""How figures are shown: p-values, intervals that whole numbers would hide, and directions."""

from decimal import Decimal

import pytest

from surveys.analysis import formatting as f


@pytest.mark.parametrize(
    ("p", "shown"),
    [
        (0.00064, "<0.001"),
        (0.0009996, "<0.001"),
        (1e-300, "<0.001"),
        (0.0, "<0.001"),
        (0.001, Decimal("0.001")),
        (0.0015, Decimal("0.002")),
        (0.04449, Decimal("0.044")),
        (1.0, Decimal("1.000")),
        (None, None),
    ],
)
def test_p_values_below_0_001_are_shown_as_less_than(p, shown):
    assert f.shown_p(p) == shown


def test_a_collapsed_interval_gets_one_decimal():
    # 60% with bounds 59.6 and 60.4: whole numbers would read "60% (60 to 60)".
    assert f.shown_interval(60.0, 59.6, 60.4) == (Decimal("60.0"), Decimal("59.6"), Decimal("60.4"))
    assert f.percent_text(60.0, 59.6, 60.4) == "60.0% (59.6 to 60.4)"
    assert f.percent_text(60.0, 59.6, 60.4, to="-") == "60.0% (59.6-60.4)"


def test_an_interval_whole_numbers_show_stays_whole():
    assert f.shown_interval(48.2, 44.1, 52.3) == (48, 44, 52)
    assert f.percent_text(48.2, 44.1, 52.3) == "48% (44 to 52)"
    # One bound rounding to the estimate is still an interval.
    assert f.shown_interval(60.2, 59.6, 61.0) == (60, 60, 61)


def test_a_significant_difference_whose_whole_interval_reaches_0_gets_one_decimal():
    # -0.4 (-0.7 to -0.1) would read "0 (-1 to 0), significant".
    assert f.shown_interval(-0.4, -0.7, -0.1, significant=True) == (
        Decimal("-0.4"),
        Decimal("-0.7"),
        Decimal("-0.1"),
    )
    # Not significant: the interval does include 0, whole numbers are honest.
    assert f.shown_interval(-0.4, -1.3, 0.4) == (0, -1, 0)
    assert f.shown_interval(3.2, 1.1, 5.0, significant=True) == (3, 1, 5)


def test_missing_figures_stay_missing():
    assert f.shown_interval(None, None, None) == (None, None, None)


@pytest.mark.parametrize(
    ("difference", "words"),
    [
        (3.4, "3 points above White"),
        (-1.2, "1 point below White"),
        (-0.3, "less than 1 point below White"),
        (0.2, "less than 1 point above White"),
        (0.0, "level with White"),
    ],
)
def test_a_gap_always_says_its_direction(difference, words):
    assert f.relative_to(difference, "White") == words
