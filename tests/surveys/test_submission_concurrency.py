"""Concurrent submissions, in real threads with their own database connections.

One link submitted from several places at once stores exactly one response (the used flag is
claimed with a conditional UPDATE inside the transaction), and many different links submitted at
once all land (on SQLite, IMMEDIATE transactions and the busy timeout queue the writers rather
than failing them with "database is locked").

On SQLite the threads must share one database: Django's in-memory test database is a shared-cache
URI, but shared-cache connections lock per table and fail at once with "database table is
locked" instead of waiting, so these tests need a file test database and skip otherwise.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from django.db import connection

from surveys import services
from surveys.models import Answer, FreeTextAnswer, PendingResponse, Response, SurveyInvitation
from tests.surveys.factories import close_wave, invite, staff_survey_wave

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _threads_can_share_the_database():
    # Checked once the test database exists (its name is only known then).
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "threads need a file test database on SQLite: in-memory shared-cache connections "
            "fail with 'database table is locked' instead of waiting (set DATABASES TEST NAME)"
        )


ANSWERS = {
    "equal_opportunity": "4",
    "belonging": "2",
    "directorate": "place",
    "improve": "Fairer promotion panels",
    "ethnicity": "black_african",
}


def _run_at_once(tokens: list[str]) -> Counter:
    """Submit each token in its own thread, all released together; count the outcomes."""
    barrier = threading.Barrier(len(tokens))
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def submit(token: str) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                services.response_submit(token=token, answers=ANSWERS)
            except services.SubmissionError as error:
                outcome = f"refused:{error.reason}"
            except Exception as error:
                outcome = f"error:{type(error).__name__}:{error}"
            else:
                outcome = "stored"
            with lock:
                outcomes[outcome] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a submission never finished"
    return outcomes


def _close_and_release(wave) -> None:
    """Release what still waits for a full batch, as the daily command does once a wave closes."""
    services.responses_release(wave=close_wave(wave))
    assert not PendingResponse.objects.filter(wave=wave).exists()


def test_one_link_submitted_eight_times_at_once_stores_one_response():
    wave = staff_survey_wave()
    token = invite(wave, "one@example.org")

    outcomes = _run_at_once([token] * 8)

    assert outcomes == Counter({"stored": 1, "refused:used": 7}), outcomes
    assert PendingResponse.objects.filter(wave=wave).count() == 1
    _close_and_release(wave)
    assert Response.objects.filter(wave=wave).count() == 1
    assert Answer.objects.filter(response__wave=wave).count() == 4
    assert FreeTextAnswer.objects.filter(question__wave=wave).count() == 1
    invitation = SurveyInvitation.objects.get(wave=wave)
    assert invitation.used is True
    assert invitation.email == ""


def test_twenty_links_submitted_at_once_are_all_stored():
    wave = staff_survey_wave()
    tokens = [invite(wave, f"person{n}@example.org") for n in range(20)]

    outcomes = _run_at_once(tokens)

    assert outcomes == Counter({"stored": 20}), outcomes
    # Batches are released as they fill (how many depends on which commits each submission saw),
    # and two releasers never take the same rows: every response is in exactly one place.
    released = Response.objects.filter(wave=wave).count()
    assert released == 0 or released >= 10  # never a batch smaller than ten
    assert released + PendingResponse.objects.filter(wave=wave).count() == 20
    _close_and_release(wave)
    assert Response.objects.filter(wave=wave).count() == 20
    assert Answer.objects.filter(response__wave=wave).count() == 20 * 4
    assert FreeTextAnswer.objects.filter(question__wave=wave).count() == 20
    assert SurveyInvitation.objects.filter(wave=wave, used=True).count() == 20
    assert not SurveyInvitation.objects.filter(wave=wave).exclude(email="").exists()
