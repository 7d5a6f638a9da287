"""The groups a measure compares, built from counts by detailed or high-level ethnic group.

Counts arrive keyed by the code a response (or an imported count) carries: one of the 19
detailed ONS 2021 codes, a high-level code (imported counts may only have those), "Prefer not
to say", "not answered" (the ethnicity question was skipped), or "all" (an imported total).
From them this module makes the cells a report shows, and the additive relations between them
that disclosure control needs so that no hidden cell can be worked out by subtraction. The
relations hold for each kind of count alike (answering, positive, and so negative), which is
how disclosure control protects a hidden group's positive count as well as its size.

Pure Python; no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cms.platform.suppression import Relation
from surveys.analysis import classifications as c

ALL = "all"
NOT_ANSWERED = "not_answered"
# Never shown: White minus White British. It is a cell so that disclosure control protects it.
WHITE_NOT_BRITISH = "white_not_british"

GROUP_LABELS: dict[str, str] = {
    "asian": c.ASIAN.label,
    "black": c.BLACK.label,
    c.ETHNIC_MINORITIES: c.ETHNIC_MINORITIES_LABEL,
    "mixed": c.MIXED.label,
    "white": c.WHITE.label,
    c.WHITE_BRITISH: "White British",
    "other": c.OTHER.label,
    c.PREFER_NOT_TO_SAY: c.PREFER_NOT_TO_SAY_LABEL,
    NOT_ANSWERED: "Ethnic group not given",
    ALL: "All answers",
}
HIGH_LEVEL_CODES = tuple(group.code for group in c.HIGH_LEVEL_GROUPS)
MINORITY_CODES = tuple(code for code in HIGH_LEVEL_CODES if code != c.WHITE.code)
#: The groups an analyst can choose to show; "All answers" is always shown.
CHOOSABLE_GROUPS = (
    *HIGH_LEVEL_CODES,
    c.ETHNIC_MINORITIES,
    c.WHITE_BRITISH,
    c.PREFER_NOT_TO_SAY,
)
DEFAULT_GROUPS = CHOOSABLE_GROUPS
#: Each group is compared with this one for the gap and rate ratio.
REFERENCE_GROUP = c.WHITE.code
#: Groups compared with the reference (Prefer not to say and the totals are not).
GAP_GROUPS = (*MINORITY_CODES, c.ETHNIC_MINORITIES)


def presentation_order(codes: Iterable[str]) -> list[str]:
    """Alphabetical by label with "Other ethnic group" last, then Prefer not to say, not
    given, and All answers."""
    codes = list(dict.fromkeys(codes))
    tail = ("other", c.PREFER_NOT_TO_SAY, NOT_ANSWERED, ALL)
    main = sorted((code for code in codes if code not in tail), key=lambda x: GROUP_LABELS[x])
    return [*main, *[code for code in tail if code in codes]]


@dataclass(frozen=True)
class Cell:
    n: int
    k: int


@dataclass(frozen=True)
class WaveCells:
    """Every cell of one wave (shown or not) and the relations between them."""

    cells: dict[str, Cell]
    relations: tuple[Relation, ...]
    has_white_british: bool


def build_wave_cells(counts: Mapping[str, tuple[int, int]]) -> WaveCells:
    """Cells for one wave from ``{code: (n_answering, n_positive)}``.

    A high-level group is the sum of its detailed codes plus any count given for it directly.
    White British is available only when the wave's data has detailed White codes. If an
    imported total ("all") exceeds the groups, the difference is "ethnic group not given".
    """
    n: dict[str, int] = dict.fromkeys(
        (*HIGH_LEVEL_CODES, c.PREFER_NOT_TO_SAY, NOT_ANSWERED, c.WHITE_BRITISH), 0
    )
    k: dict[str, int] = dict(n)
    detailed_white = False
    total: tuple[int, int] | None = None
    for code, (answering, positive) in counts.items():
        if answering < 0 or positive < 0 or positive > answering:
            raise ValueError(f"Impossible count for {code}: {positive} positive of {answering}.")
        if code == ALL:
            total = (answering, positive)
            continue
        if code in c.ETHNIC_GROUPS_BY_CODE:
            high = c.ETHNIC_GROUPS_BY_CODE[code].high_level
            if high == c.WHITE.code:
                detailed_white = True
            if code == c.WHITE_BRITISH:
                n[c.WHITE_BRITISH] += answering
                k[c.WHITE_BRITISH] += positive
        elif code in (*HIGH_LEVEL_CODES, c.PREFER_NOT_TO_SAY, NOT_ANSWERED):
            high = code
        else:
            raise ValueError(f"Unknown group code {code!r}.")
        n[high] += answering
        k[high] += positive
    parts = (*HIGH_LEVEL_CODES, c.PREFER_NOT_TO_SAY, NOT_ANSWERED)
    if total is not None:
        missing_n = total[0] - sum(n[p] for p in parts)
        missing_k = total[1] - sum(k[p] for p in parts)
        if missing_n < 0 or missing_k < 0 or missing_k > missing_n:
            raise ValueError("The total is smaller than the groups it should contain.")
        n[NOT_ANSWERED] += missing_n
        k[NOT_ANSWERED] += missing_k
    cells = {code: Cell(n[code], k[code]) for code in parts}
    cells[c.ETHNIC_MINORITIES] = Cell(
        sum(n[x] for x in MINORITY_CODES), sum(k[x] for x in MINORITY_CODES)
    )
    cells[ALL] = Cell(sum(n[x] for x in parts), sum(k[x] for x in parts))
    relations = [
        Relation(ALL, parts),
        Relation(c.ETHNIC_MINORITIES, MINORITY_CODES),
    ]
    has_white_british = detailed_white
    if has_white_british:
        cells[c.WHITE_BRITISH] = Cell(n[c.WHITE_BRITISH], k[c.WHITE_BRITISH])
        cells[WHITE_NOT_BRITISH] = Cell(
            n[c.WHITE.code] - n[c.WHITE_BRITISH], k[c.WHITE.code] - k[c.WHITE_BRITISH]
        )
        relations.append(Relation(c.WHITE.code, (c.WHITE_BRITISH, WHITE_NOT_BRITISH)))
    return WaveCells(cells=cells, relations=tuple(relations), has_white_british=has_white_british)
