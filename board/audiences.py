"""The board's audiences for other apps (``cms.platform.audiences``)."""

from __future__ import annotations

from django.utils import timezone

from board.models import Membership
from cms.platform.audiences import CURRENT_BOARD_MEMBERS, audience


@audience(CURRENT_BOARD_MEMBERS, label="Current board members")
def current_board_members() -> list[str]:
    """Active accounts with a term that includes today."""
    today = timezone.localdate()
    return sorted(
        set(
            Membership.objects.filter(
                term_starts__lte=today, term_ends__gte=today, member__is_active=True
            ).values_list("member__email", flat=True)
        )
    )
