"""Demo data: each app registers the builder of its part of the demo site.

``manage.py demo`` walks the builders by ``order``, then in ``INSTALLED_APPS`` order (accounts,
then the board, the surveys that invite its members, and the pages that link to both), so a new
app adds its demo by registering in its own ``demo.py``::

    @demo_builder("board")
    @transaction.atomic
    def build(*, stdout) -> list[str]:   # lines to print at the end (sign-ins, say)
        ...

Every builder must be safe to run twice.
"""

from __future__ import annotations

from collections.abc import Callable

from cms.platform.registry import Registry, app_label_of

Builder = Callable[..., list[str] | None]

builders: Registry[Builder] = Registry(name="Demo builders", module="demo")


def demo_builder(key: str, *, order: int = 0):
    def register(build: Builder) -> Builder:
        builders.register(key, build, app_label=app_label_of(build), order=order)
        return build

    return register
