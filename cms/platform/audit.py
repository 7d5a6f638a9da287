"""The audit trail of personal data, and ending a person's sessions.

Who viewed or exported personal data goes into Wagtail's audit log (Reports > Site history). A
view of one person's data is logged against their account, so "who has seen my data" is one
query; a list or an export of many people is logged against the content type of what was listed.
The label is the account number, never the name, so the trail outlives an erasure unchanged.
Every app logs through these functions; ``cms.personal_data`` reads them back for the person.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.utils import timezone

from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

PERSONAL_DATA_VIEW = "cms.personal_data.view"
PERSONAL_DATA_EXPORT = "cms.personal_data.export"
PERSONAL_DATA_DOWNLOAD = "cms.personal_data.download"


def account_label(user) -> str:
    return f"Account {user.pk}"


def scrub_log_labels(model, pks, *, label: str = "") -> None:
    """Rewrite the labels of earlier audit entries about these rows: they were labelled with
    str(object), which could name the person being erased."""
    pks = [str(pk) for pk in pks]
    if pks:
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=pks
        ).update(label=label or f"{model._meta.verbose_name.capitalize()} of an erased member")


def personal_data_viewed(*, subject, by, what: str) -> None:
    log(
        instance=subject,
        action=PERSONAL_DATA_VIEW,
        user=by,
        title=account_label(subject),
        data={"what": what},
    )


def personal_data_listed(*, model, by, what: str, account_ids: list[int]) -> None:
    log(
        instance=ContentType.objects.get_for_model(model),
        action=PERSONAL_DATA_VIEW,
        user=by,
        title=what,
        data={"what": what, "accounts": sorted(set(account_ids))},
    )


def personal_data_exported(
    *, model, by, export: str, file_format: str, filters: dict | None = None
) -> None:
    log(
        instance=ContentType.objects.get_for_model(model),
        action=PERSONAL_DATA_EXPORT,
        user=by,
        title=export,
        data={"export": export, "format": file_format, "filters": filters or {}},
    )


def personal_data_downloaded(*, subject) -> None:
    """A person downloaded the data the platform holds on them (UK GDPR, Article 15)."""
    log(
        instance=subject,
        action=PERSONAL_DATA_DOWNLOAD,
        user=subject,
        title=account_label(subject),
    )


def sessions_end(*, user) -> int:
    """Delete every stored session signed in as this user; returns how many.

    Sessions cannot be filtered by user in SQL (their data is signed and encoded), so each live
    one is decoded. Only erasure calls this, and it is rare; changing the password hash already
    makes Django refuse the user's sessions on their next request.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator(chunk_size=2000):
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            store(session_key=session.session_key).delete()
            ended += 1
    return ended
