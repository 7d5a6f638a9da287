"""Demographic classifications, maintained in one place and used by surveys and analysis alike.

Ethnicity follows the ONS 2021 Census classification for England and Wales: 19 groups in 5
high-level groups, in the order of the GSS harmonised standard questionnaire (White first),
plus "Prefer not to say", which is always kept as its own group and never folded into another.

It lives in the statistics kernel because the statistics are defined by it (which groups make
up ethnic minorities, what White British is): the kernel then depends on nothing in the app.
The app reads the same objects through ``surveys.classifications``. Pure Python; no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFER_NOT_TO_SAY = "prefer_not_to_say"


@dataclass(frozen=True)
class EthnicGroup:
    code: str
    label: str
    high_level: str


@dataclass(frozen=True)
class HighLevelGroup:
    code: str
    label: str


# The five high-level groups, labelled as in Census 2021 outputs for England and Wales, in
# questionnaire order.
WHITE = HighLevelGroup("white", "White")
MIXED = HighLevelGroup("mixed", "Mixed or Multiple ethnic groups")
ASIAN = HighLevelGroup("asian", "Asian, Asian British or Asian Welsh")
BLACK = HighLevelGroup("black", "Black, Black British, Black Welsh, Caribbean or African")
OTHER = HighLevelGroup("other", "Other ethnic group")
HIGH_LEVEL_GROUPS: tuple[HighLevelGroup, ...] = (WHITE, MIXED, ASIAN, BLACK, OTHER)

# The 19 detailed groups, in questionnaire order within each high-level group.
ETHNIC_GROUPS: tuple[EthnicGroup, ...] = (
    EthnicGroup("white_british", "English, Welsh, Scottish, Northern Irish or British", "white"),
    EthnicGroup("white_irish", "Irish", "white"),
    EthnicGroup("white_gypsy_traveller", "Gypsy or Irish Traveller", "white"),
    EthnicGroup("white_roma", "Roma", "white"),
    EthnicGroup("white_other", "Any other White background", "white"),
    EthnicGroup("mixed_white_black_caribbean", "White and Black Caribbean", "mixed"),
    EthnicGroup("mixed_white_black_african", "White and Black African", "mixed"),
    EthnicGroup("mixed_white_asian", "White and Asian", "mixed"),
    EthnicGroup("mixed_other", "Any other Mixed or Multiple ethnic background", "mixed"),
    EthnicGroup("asian_indian", "Indian", "asian"),
    EthnicGroup("asian_pakistani", "Pakistani", "asian"),
    EthnicGroup("asian_bangladeshi", "Bangladeshi", "asian"),
    EthnicGroup("asian_chinese", "Chinese", "asian"),
    EthnicGroup("asian_other", "Any other Asian background", "asian"),
    EthnicGroup("black_caribbean", "Caribbean", "black"),
    EthnicGroup("black_african", "African", "black"),
    EthnicGroup("black_other", "Any other Black, Black British, or Caribbean background", "black"),
    EthnicGroup("other_arab", "Arab", "other"),
    EthnicGroup("other_any", "Any other ethnic group", "other"),
)

ETHNIC_GROUPS_BY_CODE = {group.code: group for group in ETHNIC_GROUPS}
HIGH_LEVEL_BY_CODE = {group.code: group for group in HIGH_LEVEL_GROUPS}
PREFER_NOT_TO_SAY_LABEL = "Prefer not to say"

# Names used in analysis and presentation (never "BAME" or "non-White").
ETHNIC_MINORITIES = "ethnic_minorities"
ETHNIC_MINORITIES_LABEL = "Ethnic minorities (all other ethnic groups combined)"
WHITE_BRITISH = "white_british"


def ethnicity_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices in questionnaire order, with "Prefer not to say" last."""
    grouped = [
        (high.label, [(g.code, g.label) for g in ETHNIC_GROUPS if g.high_level == high.code])
        for high in HIGH_LEVEL_GROUPS
    ]
    return [*grouped, (PREFER_NOT_TO_SAY_LABEL, [(PREFER_NOT_TO_SAY, PREFER_NOT_TO_SAY_LABEL)])]


def valid_ethnicity_codes() -> set[str]:
    return {*ETHNIC_GROUPS_BY_CODE, PREFER_NOT_TO_SAY}


def high_level_of(code: str) -> str | None:
    """The high-level group of a detailed code; None for "Prefer not to say" or unknown."""
    group = ETHNIC_GROUPS_BY_CODE.get(code)
    return group.high_level if group else None


def is_ethnic_minority(code: str) -> bool | None:
    """Everyone except the White groups; None when unknown or not said."""
    high = high_level_of(code)
    return None if high is None else high != WHITE.code


def presentation_order(labels: list[str], *, other_last: tuple[str, ...] = ()) -> list[str]:
    """Alphabetical, with the given "Other" labels last, as the presentation standard asks."""
    main = sorted(label for label in labels if label not in other_last)
    return [*main, *[label for label in other_last if label in labels]]


LIKERT_SCALE: tuple[tuple[str, str], ...] = (
    ("5", "Strongly agree"),
    ("4", "Agree"),
    ("3", "Neither agree nor disagree"),
    ("2", "Disagree"),
    ("1", "Strongly disagree"),
)
LIKERT_POSITIVE = ("4", "5")
