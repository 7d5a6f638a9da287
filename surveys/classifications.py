"""The ONS 2021 ethnic groups and the agreement scale, as the surveys app uses them.

The data is held by the statistics kernel, ``surveys.analysis.classifications``, so that the
statistics import nothing from the app; forms, models, imports and templates keep reading it
from here. These are the same objects, not copies.
"""

from __future__ import annotations

from surveys.analysis.classifications import (
    ASIAN,
    BLACK,
    ETHNIC_GROUPS,
    ETHNIC_GROUPS_BY_CODE,
    ETHNIC_MINORITIES,
    ETHNIC_MINORITIES_LABEL,
    HIGH_LEVEL_BY_CODE,
    HIGH_LEVEL_GROUPS,
    LIKERT_POSITIVE,
    LIKERT_SCALE,
    MIXED,
    OTHER,
    PREFER_NOT_TO_SAY,
    PREFER_NOT_TO_SAY_LABEL,
    WHITE,
    WHITE_BRITISH,
    EthnicGroup,
    HighLevelGroup,
    ethnicity_choices,
    high_level_of,
    is_ethnic_minority,
    presentation_order,
    valid_ethnicity_codes,
)

__all__ = [
    "ASIAN",
    "BLACK",
    "ETHNIC_GROUPS",
    "ETHNIC_GROUPS_BY_CODE",
    "ETHNIC_MINORITIES",
    "ETHNIC_MINORITIES_LABEL",
    "HIGH_LEVEL_BY_CODE",
    "HIGH_LEVEL_GROUPS",
    "LIKERT_POSITIVE",
    "LIKERT_SCALE",
    "MIXED",
    "OTHER",
    "PREFER_NOT_TO_SAY",
    "PREFER_NOT_TO_SAY_LABEL",
    "WHITE",
    "WHITE_BRITISH",
    "EthnicGroup",
    "HighLevelGroup",
    "ethnicity_choices",
    "high_level_of",
    "is_ethnic_minority",
    "presentation_order",
    "valid_ethnicity_codes",
]
