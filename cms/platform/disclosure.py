"""The one disclosure threshold every shown figure obeys, read in one place.

Survey reports, the annual summary, indicators and the engagement pages' "who we heard from"
counts all ask here, so a council that raises ``DISCLOSURE_THRESHOLD`` raises it everywhere (the
engagement pages once kept their own constant of 10 and ignored the setting). The suppression
itself is pure (``cms.platform.suppression``), so the statistics can use it without Django.
"""

from __future__ import annotations

from django.conf import settings

from cms.platform.suppression import (
    FOOTNOTE,
    SUPPRESSED,
    Relation,
    recoverable,
    suppress,
    unsafe,
)

# The fewest answers a shown figure may rest on, whatever the setting says.
MINIMUM_THRESHOLD = 10

__all__ = [
    "FOOTNOTE",
    "MINIMUM_THRESHOLD",
    "SUPPRESSED",
    "Relation",
    "disclosure_threshold",
    "recoverable",
    "suppress",
    "unsafe",
]


def disclosure_threshold() -> int:
    return max(int(settings.DISCLOSURE_THRESHOLD), MINIMUM_THRESHOLD)
