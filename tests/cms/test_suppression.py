"""Disclosure control: no small cell shown, no suppressed count recoverable from what is shown.

Two attackers of our own check the product's integer-programming check: subtraction along the
relations (``solved_by_subtraction``), and a brute-force search (``alternative_worlds``) over
every table near the true one that shows the same figures. A hidden count is safe only when
some such table gives it another value.
"""

from itertools import chain, product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cms.platform.suppression import Relation, recoverable, suppress, unsafe

MINORITY_PARTS = ("asian", "black", "mixed", "other")
RELATIONS = [
    Relation("all", ("white", "ethnic_minorities", "prefer_not_to_say")),
    Relation("ethnic_minorities", MINORITY_PARTS),
    Relation("white", ("white_british", "white_not_british")),
]


def table(white_british, white_not_british, asian, black, mixed, other, prefer_not):
    counts = {
        "white_british": white_british,
        "white_not_british": white_not_british,
        "asian": asian,
        "black": black,
        "mixed": mixed,
        "other": other,
        "prefer_not_to_say": prefer_not,
    }
    counts["white"] = white_british + white_not_british
    counts["ethnic_minorities"] = asian + black + mixed + other
    counts["all"] = counts["white"] + counts["ethnic_minorities"] + prefer_not
    return counts


def test_small_cell_is_suppressed_and_a_sibling_with_it():
    counts = table(400, 30, 25, 4, 12, 15, 20)
    hidden = suppress(counts, RELATIONS, threshold=10)
    assert "black" in hidden
    # Black alone hidden would be ethnic_minorities - asian - mixed - other: a second cell goes.
    assert len(hidden & set(MINORITY_PARTS)) >= 2 or "ethnic_minorities" in hidden
    assert recoverable(counts, RELATIONS, hidden) == set()
    assert solved_by_subtraction(RELATIONS, hidden) == set()


def test_nothing_suppressed_when_every_cell_is_large():
    assert suppress(table(400, 30, 25, 40, 12, 15, 20), RELATIONS, threshold=10) == set()


def test_zero_is_not_a_small_cell():
    assert suppress({"a": 0, "b": 50}, [], threshold=10) == set()


def solved_by_subtraction(relations, hidden):
    """An independent check: repeatedly solve any relation with exactly one unknown member."""
    unknown = set(hidden)
    changed = True
    while changed:
        changed = False
        for relation in relations:
            missing = [m for m in (relation.total, *relation.parts) if m in unknown]
            if len(missing) == 1:
                unknown.discard(missing[0])
                changed = True
    return set(hidden) - unknown


counts_strategy = st.tuples(*[st.integers(min_value=0, max_value=60)] * 7)


@settings(max_examples=300, deadline=None)
@given(counts_strategy, st.integers(min_value=2, max_value=15))
def test_no_small_cell_shown_and_nothing_recoverable(values, threshold):
    counts = table(*values)
    hidden = suppress(counts, RELATIONS, threshold=threshold)
    for name, n in counts.items():
        if 0 < n < threshold:
            assert name in hidden
    assert recoverable(counts, RELATIONS, hidden) == set()
    assert solved_by_subtraction(RELATIONS, hidden) == set()


def test_a_cell_reached_only_through_a_chain_of_relations_is_still_protected():
    """Ethnic minorities' parts are all hidden or empty, so no relation it is in has a shown
    sibling to hide; but All less White less Prefer not to say gives it. This raised
    "Cannot protect ethnic_minorities" and took the measure's report down."""
    counts = {
        "all": 210,
        "white": 0,
        "prefer_not_to_say": 207,
        "not_answered": 0,
        "ethnic_minorities": 3,
        "asian": 3,
        "asian_indian": 3,
    }
    relations = [
        Relation("all", ("white", "ethnic_minorities", "prefer_not_to_say", "not_answered")),
        Relation("ethnic_minorities", ("asian",)),
        Relation("asian", ("asian_indian",)),
    ]
    hidden = suppress(counts, relations, threshold=10)
    assert {"ethnic_minorities", "asian", "asian_indian"} <= hidden
    assert hidden & {"all", "prefer_not_to_say"}
    assert recoverable(counts, relations, hidden) == set()


def test_the_report_with_that_table_builds_and_hides_the_small_group():
    from surveys.analysis.report import MeasureSpec, WaveInfo, build_report

    spec = MeasureSpec(key="k", name="Measure", groups=("prefer_not_to_say", "white"))
    counts = {(2025, "asian_indian"): (3, 2), (2025, "prefer_not_to_say"): (207, 0)}
    report = build_report(spec, [WaveInfo(2025)], counts)
    rows = {row.group: row for row in report.rows}
    assert rows["prefer_not_to_say"].suppressed
    assert rows["prefer_not_to_say"].n is None


# --- Positive and negative counts ---------------------------------------------------------------

LEAVES = ("white_british", "white_not_british", "asian", "black", "mixed", "other",
          "prefer_not_to_say")  # fmt: skip
TOTALS = {
    "white": ("white_british", "white_not_british"),
    "ethnic_minorities": MINORITY_PARTS,
    "all": LEAVES,
}


def leaves_of(**given) -> dict:
    """(positive, negative) for each leaf; (0, 0) for those not given."""
    return {leaf: given.get(leaf, (0, 0)) for leaf in LEAVES}


#: The issue's table: White 100/60, Asian 50/20, Black 5/0, Mixed 6/0, Other 40/10.
ISSUE = leaves_of(white_british=(60, 40), asian=(20, 30), black=(0, 5), mixed=(0, 6),
                  other=(10, 30))  # fmt: skip


def cells_of(leaves: dict) -> dict:
    """Every cell's (positive, negative) from the leaves', by adding (not by the product)."""
    cells = dict(leaves)
    for total, parts in TOTALS.items():
        cells[total] = tuple(sum(leaves[p][j] for p in parts) for j in (0, 1))
    return cells


def alternative_worlds(leaves: dict, hidden: set, unshown: set, protect: set, radius: int = 1):
    """For each cell in ``protect``, the (answering, positive, negative) it has in tables of
    leaves within ``radius`` of the true one that show the same figures (searching only until
    each count has been seen with two values).

    The reader knows every shown cell's counts, that counts are not negative and that a hidden
    ([c]) cell has someone in it. Alternatives are looked for near the truth: the relations are
    sums, so a hidden count that can differ can differ by one, with one more or one fewer in a
    sibling or the total.
    """
    truth = cells_of(leaves)
    unknown = [leaf for leaf in LEAVES if leaf in hidden | unshown]
    shown = [name for name in truth if name not in hidden | unshown]

    def column(j):
        found = []
        for steps in product(range(-radius, radius + 1), repeat=len(unknown)):
            values = {leaf: leaves[leaf][j] for leaf in LEAVES}
            for leaf, step in zip(unknown, steps, strict=True):
                values[leaf] += step
            if min(values.values()) < 0:
                continue
            cells = dict(values)
            for total, parts in TOTALS.items():
                cells[total] = sum(values[p] for p in parts)
            if all(cells[name] == truth[name][j] for name in shown):
                found.append(cells)
        return found

    positives, negatives = column(0), column(1)
    true_positive = {name: value[0] for name, value in truth.items()}
    true_negative = {name: value[1] for name, value in truth.items()}
    # Change one kind of count at a time first, then both together.
    pairs = chain(
        ((p, true_negative) for p in positives),
        ((true_positive, n) for n in negatives),
        product(positives, negatives),
    )
    seen = {name: {(sum(truth[name]), *truth[name])} for name in protect}
    for positive, negative in pairs:
        if all(len({v[i] for v in values}) > 1 for values in seen.values() for i in range(3)):
            break
        if any(positive[name] + negative[name] < 1 for name in hidden):
            continue
        for name in protect:
            seen[name].add((positive[name] + negative[name], positive[name], negative[name]))
    return seen


def exposed_counts(leaves: dict, hidden: set, unshown: set, threshold: int) -> dict:
    """The hidden (and unsafe unshown) cells with a count that has one possible value."""
    truth = cells_of(leaves)
    protect = set(hidden) | {n for n in unshown if unsafe(truth[n], threshold=threshold)}
    worlds = alternative_worlds(leaves, hidden, unshown, protect)
    exposed = {}
    for name in protect:
        values = worlds[name]
        fixed = [what for i, what in enumerate(("answering", "positive", "negative"))
                 if len({value[i] for value in values}) < 2]  # fmt: skip
        if fixed:
            exposed[name] = fixed
    return exposed


def test_the_attacker_finds_what_the_issue_found():
    """White 100/60, Asian 50/20, Black 5/0, Mixed 6/0, Other 40/10 (answering/positive) with
    only Black and Mixed hidden: ethnic minorities 101/30 less Asian and Other leaves Black and
    Mixed 11 answering and 0 positive, so each hidden respondent answered negatively."""
    leaves = ISSUE
    only_small = {"black", "mixed"}
    assert exposed_counts(leaves, only_small, set(), 10) == {
        "black": ["positive"],
        "mixed": ["positive"],
    }
    # A rank test over the relations alone sees nothing wrong with that.
    counts = {name: sum(value) for name, value in cells_of(leaves).items()}
    assert recoverable(counts, RELATIONS, only_small) == set()


def test_hidden_positive_counts_cannot_be_worked_out_from_a_total_of_zero():
    leaves = ISSUE
    cells = cells_of(leaves)
    hidden = suppress(cells, RELATIONS, threshold=10, keep=("white", "ethnic_minorities"))
    assert {"black", "mixed"} < hidden
    assert "other" in hidden  # the smallest sibling, so 0 + 0 + 10 positive hides who said what
    assert recoverable(cells, RELATIONS, hidden, threshold=10) == set()
    assert exposed_counts(leaves, hidden, set(), 10) == {}


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((25, 0), True),  # none agreed: 0% of 25 is a disclosure
        ((0, 25), True),  # all agreed
        ((9, 40), True),  # 9 agreed
        ((40, 9), True),  # 9 did not
        ((10, 10), False),
        ((0, 0), False),  # nobody: nothing to disclose
        (5, True),  # one count: 0 < n < 10
        (10, False),
        (0, False),
    ],
)
def test_a_group_is_unsafe_with_fewer_than_the_threshold_either_way(counts, expected):
    assert unsafe(counts, threshold=10) is expected


def test_a_group_where_everyone_agreed_is_hidden_and_so_is_what_gives_it_away():
    leaves = leaves_of(white_british=(80, 60), asian=(30, 20), black=(25, 0), mixed=(12, 15),
                       other=(40, 40))  # fmt: skip
    cells = cells_of(leaves)
    hidden = suppress(cells, RELATIONS, threshold=10)
    assert "black" in hidden  # 25 answered, all positively
    assert recoverable(cells, RELATIONS, hidden, threshold=10) == set()
    assert exposed_counts(leaves, hidden, set(), 10) == {}


def test_an_unsafe_unshown_cell_is_protected_and_a_safe_one_need_not_be():
    # White other than White British: 12 answered, none positively. Never shown, but White less
    # White British would give it.
    leaves = leaves_of(white_british=(80, 60), white_not_british=(0, 12), asian=(30, 20),
                       black=(25, 20), mixed=(12, 15), other=(40, 40),
                       prefer_not_to_say=(20, 20))  # fmt: skip
    cells = cells_of(leaves)
    unshown = {"white_not_british"}
    hidden = suppress(cells, RELATIONS, threshold=10, unshown=unshown, keep=("white",))
    assert hidden == {"white_british"}
    assert exposed_counts(leaves, hidden, unshown, 10) == {}
    safe = dict(leaves, white_not_british=(12, 12))
    assert suppress(cells_of(safe), RELATIONS, threshold=10, unshown=unshown) == set()


def two_counts(maximum):
    return st.tuples(st.integers(0, maximum), st.integers(0, maximum))


def leaves_strategy(maximum=25):
    # Mostly small, sometimes a whole group answering one way.
    count = st.one_of(
        two_counts(maximum),
        st.tuples(st.just(0), st.integers(0, maximum)),
        st.tuples(st.integers(0, maximum), st.just(0)),
    )
    return st.fixed_dictionaries(dict.fromkeys(LEAVES, count))


@settings(max_examples=250, deadline=None)
@given(leaves_strategy(), st.integers(min_value=2, max_value=12), st.booleans())
def test_no_hidden_count_positive_or_negative_can_be_worked_out(leaves, threshold, white_unshown):
    cells = cells_of(leaves)
    unshown = {"white_not_british"} if white_unshown else set()
    hidden = suppress(cells, RELATIONS, threshold=threshold, unshown=unshown,
                      keep=("white", "ethnic_minorities"))  # fmt: skip
    for name, value in cells.items():
        if name not in unshown and unsafe(value, threshold=threshold):
            assert name in hidden, (name, value)
        if name not in hidden | unshown and sum(value):
            # Nobody's answer follows from a shown group's: at least the threshold each way.
            assert min(value) >= threshold, (name, value)
    assert not hidden & unshown
    assert exposed_counts(leaves, hidden, unshown, threshold) == {}
    assert recoverable(cells, RELATIONS, hidden, unshown=unshown, threshold=threshold) == set()
