"""The groups a measure compares, built from counts at whatever level they were published.

Counts arrive keyed by the code a response (or an imported count) carries: one of the 19
detailed ONS 2021 codes, a high-level code, the two-way split (``white`` and
``ethnic_minorities``), White British and White other than White British, "Prefer not to
say", "not answered" (the ethnicity question was skipped), or "all" (an imported total).

The groups form one tree (``TREE``): All answers is White, ethnic minorities, Prefer not to
say and not given; ethnic minorities is the four other high-level groups; White is White
British and White other than White British, which is the four other detailed White groups;
each other high-level group is its detailed groups. A wave may give any nodes of that tree, at
several levels at once. Totals and parts are reconciled, never added: where a group's parts
are all known, the group is their sum (the finer figures are kept; ``surveys.resources``
refuses a file whose totals and parts disagree); where a group is given with all but one of
its parts, that part is the difference; a group known neither way is "not collected" and has
no cell, so no report shows it as 0 (Asian in a table of White and ethnic minorities, White
British in a table of high-level groups). A table without a total (``all``) lists every group
anyone is in, as individual responses do: a group it leaves out, and that no group it gives
contains, is 0 (Prefer not to say, or Mixed, missing from a table of high-level groups). With
a total, the total says who is left over: the part of it no published group accounts for is
"ethnic group not given" (Prefer not to say, if not published, is then not collected), and
where it leaves nobody over, the parts not given are 0.

From the cells this module makes the additive relations between them that disclosure control
needs, so that no hidden cell can be worked out by subtraction: one for each group whose parts
are known, and where only some parts are known, one with the rest as a cell of its own (never
shown, protected when small). The relations hold for each kind of count alike (answering,
positive, and so negative).

Pure Python; no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cms.platform.suppression import Relation
from surveys.analysis import classifications as c

ALL = "all"
NOT_ANSWERED = "not_answered"
#: White other than White British: Irish, Gypsy or Irish Traveller, Roma, Any other White.
WHITE_NOT_BRITISH = "white_not_british"
#: The comparison group "all other groups": everyone else who gave an ethnic group.
ALL_OTHER_GROUPS = "all_other_groups"
#: The prefix of a cell holding the parts of a group that were not published one by one.
REST_PREFIX = "rest_of_"

DETAILED_CODES = tuple(group.code for group in c.ETHNIC_GROUPS)
HIGH_LEVEL_CODES = tuple(group.code for group in c.HIGH_LEVEL_GROUPS)
MINORITY_CODES = tuple(code for code in HIGH_LEVEL_CODES if code != c.WHITE.code)
WHITE_NOT_BRITISH_CODES = tuple(
    code for code in DETAILED_CODES if c.high_level_of(code) == c.WHITE.code
)[1:]

#: Each group and its parts; every code a count may carry is a node.
TREE: dict[str, tuple[str, ...]] = {
    ALL: (c.WHITE.code, c.ETHNIC_MINORITIES, c.PREFER_NOT_TO_SAY, NOT_ANSWERED),
    c.ETHNIC_MINORITIES: MINORITY_CODES,
    c.WHITE.code: (c.WHITE_BRITISH, WHITE_NOT_BRITISH),
    WHITE_NOT_BRITISH: WHITE_NOT_BRITISH_CODES,
    **{
        high: tuple(code for code in DETAILED_CODES if c.high_level_of(code) == high)
        for high in MINORITY_CODES
    },
}
PARENT = {part: group for group, parts in TREE.items() for part in parts}
#: The codes nobody can be in two of: a response's own code.
LEAF_CODES = (*DETAILED_CODES, c.PREFER_NOT_TO_SAY, NOT_ANSWERED)
#: Every code a count may be given for.
KNOWN_CODES = frozenset({*TREE, *PARENT})


def _detailed_label(group: c.EthnicGroup) -> str:
    """E.g. "Asian: Indian"; White British by its usual name."""
    if group.code == c.WHITE_BRITISH:
        return "White British"
    high = c.HIGH_LEVEL_BY_CODE[group.high_level].label.split(",")[0]
    return f"{high}: {group.label}"


DETAILED_LABELS = {group.code: _detailed_label(group) for group in c.ETHNIC_GROUPS}
GROUP_LABELS: dict[str, str] = {
    "asian": c.ASIAN.label,
    "black": c.BLACK.label,
    c.ETHNIC_MINORITIES: c.ETHNIC_MINORITIES_LABEL,
    "mixed": c.MIXED.label,
    "white": c.WHITE.label,
    WHITE_NOT_BRITISH: "White other than White British",
    "other": c.OTHER.label,
    c.PREFER_NOT_TO_SAY: c.PREFER_NOT_TO_SAY_LABEL,
    NOT_ANSWERED: "Ethnic group not given",
    ALL: "All answers",
    ALL_OTHER_GROUPS: "All other groups",
    **DETAILED_LABELS,
}

#: The levels of the classification a wave may hold, finest first.
DETAILED = "detailed"
HIGH_LEVEL = "high_level"
WHITE_BRITISH_SPLIT = "white_british"
TWO_WAY = "two_way"
TOTAL = "total"
LEVELS: dict[str, tuple[str, ...]] = {
    DETAILED: DETAILED_CODES,
    HIGH_LEVEL: HIGH_LEVEL_CODES,
    WHITE_BRITISH_SPLIT: (c.WHITE_BRITISH, WHITE_NOT_BRITISH),
    TWO_WAY: (c.WHITE.code, c.ETHNIC_MINORITIES),
    TOTAL: (ALL,),
}
LEVEL_LABELS = {
    DETAILED: "the 19 detailed ethnic groups",
    HIGH_LEVEL: "the 5 high-level ethnic groups",
    WHITE_BRITISH_SPLIT: "White British and White other than White British",
    TWO_WAY: "White and ethnic minorities",
    TOTAL: "all answers",
}

#: The groups an analyst can choose to show; "All answers" is always shown.
CHOOSABLE_GROUPS = (
    *HIGH_LEVEL_CODES,
    c.ETHNIC_MINORITIES,
    c.WHITE_BRITISH,
    WHITE_NOT_BRITISH,
    *DETAILED_CODES[1:],
    c.PREFER_NOT_TO_SAY,
)
DEFAULT_GROUPS = (
    *HIGH_LEVEL_CODES,
    c.ETHNIC_MINORITIES,
    c.WHITE_BRITISH,
    c.PREFER_NOT_TO_SAY,
)
#: The comparison groups a measure may choose, and the one used where it is not collected.
COMPARATORS = (c.WHITE_BRITISH, c.WHITE.code, ALL_OTHER_GROUPS)
DEFAULT_COMPARATOR = c.WHITE_BRITISH
COMPARATOR_FALLBACK = {c.WHITE_BRITISH: c.WHITE.code}
#: Compared with no comparator: the totals, and who gave no ethnic group.
NOT_COMPARED = (c.PREFER_NOT_TO_SAY, NOT_ANSWERED, ALL)
#: Kept for callers that name the classic reference group.
REFERENCE_GROUP = c.WHITE.code
GAP_GROUPS = (*MINORITY_CODES, c.ETHNIC_MINORITIES)


def presentation_order(codes: Iterable[str]) -> list[str]:
    """Alphabetical by label with "Other ethnic group" last, then Prefer not to say, not
    given, and All answers; the detailed groups follow their high-level group's place."""
    codes = list(dict.fromkeys(codes))
    tail = ("other", c.PREFER_NOT_TO_SAY, NOT_ANSWERED, ALL)
    main = sorted((code for code in codes if code not in tail), key=_sort_key)
    return [*main, *[code for code in tail if code in codes]]


def _sort_key(code: str) -> tuple:
    if code in DETAILED_LABELS and code != c.WHITE_BRITISH:
        high = c.high_level_of(code)
        other_last = 1 if code.endswith("_other") or code == "other_any" else 0
        return (1 if high == "other" else 0, GROUP_LABELS[high], 1, other_last, code)
    if code in (c.WHITE_BRITISH, WHITE_NOT_BRITISH):
        return (0, GROUP_LABELS[c.WHITE.code], 0, 0 if code == c.WHITE_BRITISH else 1, code)
    return (0, GROUP_LABELS.get(code, code), -1, 0, code)


@dataclass(frozen=True)
class Cell:
    n: int
    k: int

    def __add__(self, other: Cell) -> Cell:
        return Cell(self.n + other.n, self.k + other.k)

    def __sub__(self, other: Cell) -> Cell:
        return Cell(self.n - other.n, self.k - other.k)


ZERO = Cell(0, 0)


@dataclass(frozen=True)
class WaveCells:
    """Every cell of one wave (shown or not) and the relations between them."""

    cells: dict[str, Cell]
    relations: tuple[Relation, ...]
    has_white_british: bool

    @property
    def levels(self) -> tuple[str, ...]:
        return levels_of(self.cells)


def levels_of(cells: Iterable[str]) -> tuple[str, ...]:
    """The levels of the classification every group of which is in ``cells``, finest first."""
    present = set(cells)
    return tuple(level for level, codes in LEVELS.items() if set(codes) <= present)


def levels_available(
    counts: Mapping[str, tuple[int, int]], *, complete: bool = False
) -> tuple[str, ...]:
    """The levels a wave's counts support (directly or by reconciling totals and parts)."""
    return build_wave_cells(counts, complete=complete).levels


def _checked(counts: Mapping[str, tuple[int, int]], complete: bool) -> dict[str, Cell]:
    given: dict[str, Cell] = {}
    for code, (answering, positive) in counts.items():
        if answering < 0 or positive < 0 or positive > answering:
            raise ValueError(f"Impossible count for {code}: {positive} positive of {answering}.")
        if code not in KNOWN_CODES:
            raise ValueError(f"Unknown group code {code!r}.")
        given[code] = Cell(answering, positive)
    # A table without a total lists every group anyone is in, as responses do: a group it
    # leaves out (and no group it gives contains) is 0. With a total, the total says who is
    # left over, and the groups it does not break down are not collected.
    complete = complete or ALL not in given
    if complete:
        # Nobody chose a code without a count, unless a group above it was counted instead.
        for code in LEAF_CODES:
            above = [a for a in _ancestors(code) if a != ALL or code == NOT_ANSWERED]
            if not any(a in given for a in above):
                given.setdefault(code, ZERO)
    elif ALL not in given:
        # Nobody's ethnic group is "not given" unless a total says so.
        given.setdefault(NOT_ANSWERED, ZERO)
    return given


def _up(
    code: str, given: Mapping[str, Cell], known: dict[str, Cell], summed: set[str]
) -> Cell | None:
    """The group from its parts when they are all known, else as given, else None."""
    parts = [_up(part, given, known, summed) for part in TREE.get(code, ())]
    if parts and all(part is not None for part in parts):
        value = sum(parts, ZERO)
    elif code == ALL and code not in given and parts[0] is not None and parts[1] is not None:
        # A table of groups without a total: All answers is the groups it published.
        value = sum((part for part in parts if part is not None), ZERO)
        summed.add(code)
    else:
        value = given.get(code)
    if value is not None:
        known[code] = value
    return value


def _down(code: str, known: dict[str, Cell], summed: set[str], relations: list[Relation]) -> None:
    """Work a known group's unknown parts out from it: one alone is the difference; several
    together are a "rest" cell. Adds the group's relation, then goes down its parts."""
    parts = TREE.get(code, ())
    if code not in known or not any(part in known for part in parts):
        return
    missing = [] if code in summed else [part for part in parts if part not in known]
    rest = known[code] - sum((known[part] for part in parts if part in known), ZERO)
    if rest.n < 0 or rest.k < 0 or rest.k > rest.n:
        raise ValueError(f"The total is smaller than the groups it should contain ({code}).")
    if code == ALL and set(missing) <= {NOT_ANSWERED, c.PREFER_NOT_TO_SAY} and rest != ZERO:
        # What a total holds beyond the groups published is "ethnic group not given".
        missing = [NOT_ANSWERED]
    if rest == ZERO:
        # Nobody is left: every part not given is 0.
        known.update(dict.fromkeys(missing, ZERO))
        missing = []
    elif len(missing) == 1:
        known[missing[0]] = rest
    elif missing:
        known[REST_PREFIX + code] = rest
    present = tuple(part for part in parts if part in known)
    if len(missing) > 1:
        present = (*present, REST_PREFIX + code)
    if code == ALL and all(high in known for high in HIGH_LEVEL_CODES):
        # The same relation over the high-level groups (ethnic minorities has its own).
        others = (part for part in present if part not in (c.WHITE.code, c.ETHNIC_MINORITIES))
        present = (*HIGH_LEVEL_CODES, *others)
    relations.append(Relation(code, present))
    for part in parts:
        _down(part, known, summed, relations)


def build_wave_cells(counts: Mapping[str, tuple[int, int]], *, complete: bool = True) -> WaveCells:
    """Cells for one wave from ``{code: (n_answering, n_positive)}``.

    ``complete``: the counts come from individual responses, so a code without a count is 0.
    Otherwise (imported counts) a group is known only as published or as reconciled from its
    totals and parts; see the module docstring. A total smaller than its parts is an error.
    """
    given = _checked(counts, complete)
    known: dict[str, Cell] = {}
    summed: set[str] = set()
    _up(ALL, given, known, summed)
    relations: list[Relation] = []
    for code in TREE:
        # From the top of each known branch (All answers when known).
        if code in known and not any(a in known for a in _ancestors(code)):
            _down(code, known, summed, relations)
    has_white_british = c.WHITE_BRITISH in known and c.WHITE.code in known
    return WaveCells(cells=known, relations=tuple(relations), has_white_british=has_white_british)


def _ancestors(code: str) -> list[str]:
    found = []
    while code in PARENT:
        code = PARENT[code]
        found.append(code)
    return found
