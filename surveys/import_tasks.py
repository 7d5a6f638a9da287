"""Large response files are imported by the task worker; the analyst watches a progress page.

Progress is kept in the cache under the import's id (no model holds it): the page reads it and
refreshes itself. The cache must be shared by the web servers and the worker in production
(``CACHE_URL``, see README); if it is not, the page still finds the outcome in the task's own
result, which the database task backend stores.
"""

from __future__ import annotations

import logging
import re
import uuid

from django_tasks import task

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)

STATE_TIMEOUT = 24 * 60 * 60
#: Where uploaded files wait for the worker (random names; deleted once imported).
UPLOAD_FOLDER = "survey-imports"


#: The ids this module makes (uuid4 hex), or might have made: short, letters and digits only.
IMPORT_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


def new_import_id() -> str:
    return uuid.uuid4().hex


def state_key(import_id: str) -> str:
    return f"surveys:import:{import_id}"


def get_state(import_id: str) -> dict | None:
    # The id comes from the progress page's URL: one new_import_id() cannot have made has no
    # state, and is never made a cache key (NUL fails the database cache on PostgreSQL, and
    # control characters or long keys fail memcached).
    if not IMPORT_ID.fullmatch(import_id):
        return None
    return cache.get(state_key(import_id))


def set_state(import_id: str, **changes) -> dict:
    state = {**(get_state(import_id) or {}), **changes}
    cache.set(state_key(import_id), state, STATE_TIMEOUT)
    return state


@task()
def import_responses_file(
    *, import_id: str, wave_id: int, storage_name: str, extension: str, file_name: str, user_id
) -> dict:
    """Check and import a stored response file, then delete it. Returns the outcome, which is
    also left in the cache for the progress page."""
    from surveys.importers import ImportResult, import_responses, rows_for, storage_opener
    from surveys.models import Wave

    def progress(stage: str, done: int, total: int | None) -> None:
        set_state(import_id, status=stage, done=done, total=total)

    set_state(
        import_id,
        status="checking",
        done=0,
        total=None,
        wave_id=wave_id,
        user_id=user_id,
        file=file_name,
    )
    try:
        wave = Wave.objects.select_related("survey").get(pk=wave_id)
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        result: ImportResult = import_responses(
            wave=wave,
            rows=rows_for(storage_opener(storage_name), extension),
            by=user,
            file_name=file_name,
            progress=progress,
        )
    except Exception:
        logger.exception("Import %s stopped", import_id)
        set_state(import_id, status="failed", result=None)
        raise
    finally:
        try:
            default_storage.delete(storage_name)
        except Exception:  # pragma: no cover - the import's outcome matters more
            logger.exception("Could not delete the uploaded file %s", storage_name)
    outcome = {"import_id": import_id, "user_id": user_id, "result": result.as_dict()}
    set_state(import_id, status="done", result=outcome["result"])
    return outcome
