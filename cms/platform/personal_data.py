"""People's rights across every app: what is held on a person, erasing it, and retention.

Each app registers one provider in its ``personal_data.py``::

    @personal_data.provider("board")
    class BoardData(personal_data.Provider):
        models = ("board.Membership", ...)        # the models it answers for
        def sections(self, *, user): ...          # the member's download (UK GDPR, Article 15)
        def erasure_preview(self, *, user): ...   # what the confirmation page lists
        def erase(self, *, erasure): ...          # Article 17, inside one transaction
        def retention(self, *, now): ...          # what ``apply_retention`` deletes

The download, the erasure and ``apply_retention`` walk the providers by ``order``, then in
``INSTALLED_APPS`` order (the account itself is anonymised last, with ``order=100``). A system check
(``cms.E001``) fails when a model with a link to the user model or an email field is claimed by
no provider and not declared ``exempt`` with a reason, so a new model that holds personal data
cannot quietly miss the download, the erasure or the retention.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import models, transaction
from django.utils import timezone

from cms.platform.registry import Registry


@dataclass(frozen=True)
class Section:
    """One part of a person's download: its key in the JSON file and how the page shows it."""

    key: str
    data: object
    template: str


@dataclass(frozen=True)
class ErasureOption:
    """A choice the officer makes on the confirmation page (a checkbox, off by default)."""

    name: str
    label: str
    help_text: str = ""


@dataclass
class ErasurePreview:
    """What erasing would do, in sentences for the confirmation page, and counts for the log."""

    deletes: list[str] = field(default_factory=list)
    keeps: list[str] = field(default_factory=list)
    options: list[ErasureOption] = field(default_factory=list)
    counts: dict[str, int | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Erasure:
    """One erasure in progress: whose data, who asked, the address they had, and the options
    the officer ticked (by ``ErasureOption.name``)."""

    user: models.Model
    by: models.Model
    old_email: str
    options: frozenset[str] = frozenset()


class Provider:
    """What one app holds on a person. Override the parts that apply."""

    #: "app_label.ModelName" of every model whose rows this provider downloads, erases,
    #: anonymises, keeps on purpose or deletes on a schedule.
    models: ClassVar[tuple[str, ...]] = ()

    def sections(self, *, user) -> list[Section]:
        return []

    def erasure_preview(self, *, user) -> ErasurePreview:
        return ErasurePreview()

    def erase(self, *, erasure: Erasure) -> dict[str, int]:
        return {}

    def retention(self, *, now) -> dict[str, int]:
        return {}


providers: Registry[Provider] = Registry(name="Personal data providers", module="personal_data")
# "app_label.ModelName" -> why it holds a user link or email but is no one's to erase.
_exempt: dict[str, str] = {}


def provider(key: str, *, order: int = 0):
    """Class decorator: register one instance of the provider under ``key``."""

    def register(cls: type[Provider]) -> type[Provider]:
        providers.decorator(key, order=order)(cls())
        return cls

    return register


def exempt(model_label: str, *, reason: str) -> None:
    """Declare a model that links to a user (or holds an email) but is not personal data to
    download or erase, and say why: the check accepts it only with a reason."""
    if not reason.strip():
        raise ValueError(f"{model_label}: say why it is exempt.")
    _exempt[model_label] = reason


# --- What the walks do -------------------------------------------------------------------------


def sections(*, user) -> list[Section]:
    found: list[Section] = []
    for entry in providers:
        found.extend(entry.sections(user=user))
    _no_duplicates([section.key for section in found], "download section")
    return found


def document(*, user, about: str) -> dict:
    """The download: what it is, when it was made, then every provider's sections."""
    return {
        "about": about,
        "generated": timezone.now(),
        **{section.key: section.data for section in sections(user=user)},
    }


def erasure_preview(*, user) -> ErasurePreview:
    merged = ErasurePreview()
    for entry in providers:
        part = entry.erasure_preview(user=user)
        merged.deletes.extend(part.deletes)
        merged.keeps.extend(part.keeps)
        merged.options.extend(part.options)
        _merge_counts(merged.counts, part.counts)
    return merged


@transaction.atomic
def erase(*, user, by, options: frozenset[str] = frozenset()) -> dict[str, int]:
    """Every provider erases its part, in one transaction; the counts of each, merged."""
    erasure = Erasure(user=user, by=by, old_email=user.email, options=frozenset(options))
    counts: dict[str, int] = {}
    for entry in providers:
        _merge_counts(counts, entry.erase(erasure=erasure))
    return counts


def apply_retention(*, now=None) -> dict[str, int]:
    """Every provider's scheduled deletions; counts by kind. Each provider's steps are their own
    transactions and find nothing the second time, so a run that stops part-way is finished by
    the next one."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for entry in providers:
        _merge_counts(counts, entry.retention(now=now))
    return counts


def _merge_counts(into: dict, part: dict) -> None:
    _no_duplicates([*into, *part], "count")
    into.update(part)


def _no_duplicates(keys: list[str], what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"Two personal-data providers give the {what} {key!r}.")
        seen.add(key)


# --- The check: no model that holds personal data is left unclaimed -----------------------------


def personal_fields(model) -> list[str]:
    """The fields defined on this model (not inherited from a concrete parent) that link to the
    user model or hold an email address."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    found = []
    for model_field in model._meta.get_fields(include_hidden=False):
        if getattr(model_field, "model", None) is not model or model_field.auto_created:
            continue
        links_user = model_field.is_relation and model_field.related_model is user_model
        if links_user or isinstance(model_field, models.EmailField):
            found.append(model_field.name)
    return found


def claimed_models() -> dict[str, str]:
    """Model label -> the provider key that claims it."""
    claimed: dict[str, str] = {}
    for entry in providers.entries():
        for label in entry.value.models:
            claimed[label] = entry.key
    return claimed


def exempt_models() -> dict[str, str]:
    providers.discover()
    return dict(_exempt)


@checks.register(checks.Tags.models)
def check_personal_data_is_claimed(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    claimed = claimed_models()
    exempted = exempt_models()
    errors = []
    for model in apps.get_models():
        label = model._meta.label
        fields = personal_fields(model)
        if fields and label not in claimed and label not in exempted:
            errors.append(
                checks.Error(
                    f"{label} holds personal data ({', '.join(fields)}) but no personal-data "
                    "provider claims it.",
                    hint=(
                        "Add it to the `models` of its app's provider in personal_data.py and "
                        "download, erase or keep its rows there, or declare it with "
                        "personal_data.exempt(label, reason=...). See "
                        "cms/docs/architecture.md."
                    ),
                    obj=model,
                    id="cms.E001",
                )
            )
    known = {model._meta.label for model in apps.get_models()}
    for label in sorted((set(claimed) | set(exempted)) - known):
        errors.append(
            checks.Error(
                f"{label} is claimed as personal data but is not an installed model.",
                id="cms.E002",
            )
        )
    return errors
