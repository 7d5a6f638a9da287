"""The platform's roles. Each is a Django group created by a data migration.

The permissions each role holds are granted by migrations (``cms`` for the site-wide ones, each
app for its own models) and pinned by ``tests/cms/test_roles.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cms.models import User

BOARD_MEMBERS = "Board members"
ENGAGEMENT_MANAGERS = "Engagement managers"
APPROVERS = "Approvers"
INCLUSION_ANALYSTS = "Inclusion analysts"

STAFF_ROLES = (ENGAGEMENT_MANAGERS, APPROVERS, INCLUSION_ANALYSTS)
ALL_ROLES = (BOARD_MEMBERS, *STAFF_ROLES)


def role_names(user: User) -> set[str]:
    """The role groups a user belongs to, cached on the user object for the request."""
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._role_names = cached
    return cached


def requires_second_factor(user: User) -> bool:
    """Every council role (and any superuser or Django staff account) must use MFA."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return bool(role_names(user) & set(STAFF_ROLES))


def roles_user_may_invite(user: User) -> tuple[str, ...]:
    """Superusers invite to any role; engagement managers invite board members."""
    if user.is_superuser:
        return ALL_ROLES
    if ENGAGEMENT_MANAGERS in role_names(user):
        return (BOARD_MEMBERS,)
    return ()
