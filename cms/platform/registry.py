"""Registries: how a feature app hands the platform a duty without the platform importing it.

Modelled on ONSdigital/dis-wagtail's ``cms/post_publish_actions/registry.py``: an app registers
an entry from a module of its own (``<app>/personal_data.py``, ``<app>/audiences.py``,
``<app>/demo.py``), found by Django's ``autodiscover_modules`` the first time the registry is
read; a second entry under the same key is ``ImproperlyConfigured``, never a silent override;
entries come back by ``order`` (default 0), then in ``INSTALLED_APPS`` order, so "what runs
first" is decided in one place. See cms/docs/architecture.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    key: str
    app_label: str
    order: int
    value: T


class Registry(Generic[T]):
    """Entries keyed by name, contributed by the installed apps' ``module`` modules."""

    def __init__(self, *, name: str, module: str):
        self.name = name
        self.module = module
        self._entries: dict[str, Entry[T]] = {}
        self._discovered = False
        self._lock = threading.RLock()

    def register(self, key: str, value: T, *, app_label: str, order: int = 0) -> T:
        with self._lock:
            if key in self._entries:
                existing = self._entries[key]
                raise ImproperlyConfigured(
                    f"{self.name}: {key!r} is registered twice ({existing.app_label} and "
                    f"{app_label}). Give the second one another key."
                )
            self._entries[key] = Entry(key=key, app_label=app_label, order=order, value=value)
        return value

    def unregister(self, key: str) -> None:
        """For tests that register a throwaway entry."""
        with self._lock:
            self._entries.pop(key, None)

    def decorator(self, key: str, *, order: int = 0) -> Callable[[T], T]:
        """``@registry.decorator("key")`` on a class or function in an app module."""

        def register(value: T) -> T:
            return self.register(key, value, app_label=app_label_of(value), order=order)

        return register

    def discover(self) -> None:
        with self._lock:
            if not self._discovered:
                # Set first: a module that reads the registry while it is imported must not
                # start a second discovery.
                self._discovered = True
                autodiscover_modules(self.module)

    def entries(self) -> list[Entry[T]]:
        self.discover()
        position = {config.label: i for i, config in enumerate(apps.get_app_configs())}
        return sorted(
            self._entries.values(),
            key=lambda entry: (entry.order, position.get(entry.app_label, len(position))),
        )

    def __iter__(self) -> Iterator[T]:
        return iter([entry.value for entry in self.entries()])

    def get(self, key: str) -> T:
        self.discover()
        try:
            return self._entries[key].value
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            message = f"{self.name}: nothing registered as {key!r} (known: {known})."
            raise LookupError(message) from None

    def __contains__(self, key: str) -> bool:
        self.discover()
        return key in self._entries


def app_label_of(value) -> str:
    config = apps.get_containing_app_config(value.__module__)
    if config is None:
        raise ImproperlyConfigured(f"{value!r} is not in an installed app.")
    return config.label
