"""Audiences: named groups of people another app may write to, without importing the app that
knows who they are.

The board registers "current board members" in ``board/audiences.py``; surveys invites that
audience to the board's annual evaluation by asking here. A later group (a staff network, an
advisory group of organisations) registers its own audience the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cms.platform.registry import Registry, app_label_of

CURRENT_BOARD_MEMBERS = "current board members"


@dataclass(frozen=True)
class Audience:
    label: str
    #: The email addresses of the people in the audience today, sorted, each once.
    emails: Callable[[], list[str]]


audiences: Registry[Audience] = Registry(name="Audiences", module="audiences")


def audience(key: str, *, label: str):
    """Function decorator: register ``emails()`` as the audience ``key``."""

    def register(emails: Callable[[], list[str]]) -> Callable[[], list[str]]:
        audiences.register(
            key,
            Audience(label=label, emails=emails),
            app_label=app_label_of(emails),
        )
        return emails

    return register


def emails_of(key: str) -> list[str]:
    return audiences.get(key).emails()
