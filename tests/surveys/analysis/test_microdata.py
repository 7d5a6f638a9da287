"""Minimising a row-level export: every combination of identifying answers shared by at least
the threshold, by withholding values (never by changing them)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.analysis.microdata import WITHHELD, minimise


def test_common_combinations_are_kept_and_rare_ones_withheld_least_useful_first():
    counts = {("place", "band_1", "white"): 30, ("place", "band_2", "white"): 4,
              ("place", "band_3", "white"): 8, ("people", "band_1", "asian"): 12}  # fmt: skip
    # Withhold the pay band (position 1) first, then the directorate, the ethnic group last.
    mapping = minimise(counts, threshold=10, order=(1, 0, 2))
    assert mapping[("place", "band_1", "white")] == ("place", "band_1", "white")
    assert mapping[("people", "band_1", "asian")] == ("people", "band_1", "asian")
    # 4 + 8 with the pay band withheld make 12 who share "place, [c], white".
    assert mapping[("place", "band_2", "white")] == ("place", WITHHELD, "white")
    assert mapping[("place", "band_3", "white")] == ("place", WITHHELD, "white")


def test_rows_still_rare_with_every_value_withheld_take_the_smallest_others_with_them():
    counts = {("a", "x"): 3, ("b", "y"): 12, ("c", "z"): 40}
    mapping = minimise(counts, threshold=10, order=(0, 1))
    assert mapping[("a", "x")] == (WITHHELD, WITHHELD)
    assert mapping[("b", "y")] == (WITHHELD, WITHHELD)  # 3 alone would be rare
    assert mapping[("c", "z")] == ("c", "z")


def test_fewer_rows_than_the_threshold_are_not_written_at_all():
    assert minimise({("a",): 9}, threshold=10, order=(0,)) is None
    assert minimise({}, threshold=10, order=()) is None
    assert minimise({(): 10}, threshold=10, order=()) == {(): ()}


values = st.sampled_from(["a", "b", "c", "d", ""])


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.tuples(values, values, values), st.integers(1, 30), max_size=40),
    st.integers(min_value=2, max_value=15),
    st.permutations([0, 1, 2]),
)
def test_every_written_combination_is_shared_by_at_least_the_threshold(counts, threshold, order):
    mapping = minimise(counts, threshold=threshold, order=order)
    if sum(counts.values()) < threshold:
        assert mapping is None
        return
    written = Counter()
    for combination, rows in counts.items():
        shown = mapping[combination]
        written[shown] += rows
        # Values are kept or withheld, never changed into another.
        assert all(s in (c, WITHHELD) for s, c in zip(shown, combination, strict=True))
    assert min(written.values()) >= threshold
    # So is every combination of fewer of the fields.
    for keep in ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2)):
        sub = Counter()
        for shown, rows in written.items():
            sub[tuple(shown[i] for i in keep)] += rows
        assert min(sub.values()) >= threshold
    # A combination already common is kept, unless it is the one (the smallest) withheld
    # entirely to hide the few rows that are still rare with every value withheld.
    pulled = [c for c, rows in counts.items() if rows >= threshold and mapping[c] != c]
    assert len(pulled) <= 1
    if pulled:
        assert mapping[pulled[0]] == (WITHHELD,) * 3
        alone = (
            sum(r for c, r in counts.items() if mapping[c] == (WITHHELD,) * 3) - counts[pulled[0]]
        )
        assert alone < threshold
