"""The anonymity review: with the database in hand, try to line responses up with invitations.

Each test is one attempt described in the README's "Surveys and anonymity" section. A response
identifies its submission here by its pair of agree/disagree answers, which the tests make
unique; an attacker would use whatever made a response stand out.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

import pytest

from django.db import connection
from django.utils import timezone

from surveys import services
from surveys.models import Answer, FreeTextAnswer, PendingResponse, Response, SurveyInvitation
from tests.surveys.factories import close_wave, invite, staff_survey_wave

POINTS = ["1", "2", "3", "4", "5"]


def answers(n: int) -> dict:
    """The n-th person's answers: a pair of agree/disagree points no one else gives."""
    return {
        "equal_opportunity": POINTS[n // 5],
        "belonging": POINTS[n % 5],
        "ethnicity": "black_african",
        "improve": f"Story number {n}",
    }


def who(response_id) -> int:
    """Which submission a response came from, read from its unique pair of answers."""
    given = dict(
        Answer.objects.filter(response_id=response_id).values_list("question__key", "value")
    )
    return POINTS.index(given["equal_opportunity"]) * 5 + POINTS.index(given["belonging"])


def physical_order(model, **filters) -> list:
    """Primary keys in the order the rows lie in the table: rowid on SQLite, ctid on PostgreSQL
    (neither is a column Django knows about; both follow the order rows were written)."""
    table = connection.ops.quote_name(model._meta.db_table)
    position = "ctid" if connection.vendor == "postgresql" else "rowid"
    where = " AND ".join(f"{connection.ops.quote_name(k)} = %s" for k in filters) or "1 = 1"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE {where} ORDER BY {position}",  # noqa: S608
            list(filters.values()),
        )
        return [model._meta.pk.to_python(row[0]) for row in cursor.fetchall()]


def take_survey(wave, people: range) -> list[str]:
    tokens = [invite(wave, f"person{n}@example.org") for n in people]
    for n, token in zip(people, tokens, strict=True):
        services.response_submit(token=token, answers=answers(n))
    return tokens


@pytest.mark.django_db
def test_by_the_order_rows_were_written():
    """Attempt: read responses, answers and free text in the order they lie in their tables
    (and by the answers' sequential keys) and match the n-th to the n-th link used."""
    wave = staff_survey_wave()
    take_survey(wave, range(10))

    responses = [who(pk) for pk in physical_order(Response, wave_id=wave.pk)]
    assert sorted(responses) == list(range(10))
    assert responses != list(range(10)), "responses lie in the order people submitted"

    by_key = list(Answer.objects.order_by("pk").values_list("response_id", flat=True))
    first_seen = [who(pk) for pk in dict.fromkeys(by_key)]
    assert first_seen != list(range(10)), "answer keys follow the order people submitted"
    runs = 1 + sum(1 for a, b in itertools.pairwise(by_key) if a != b)
    assert runs > 10, "each response's answers sit together, in submission order"

    texts = [
        int(FreeTextAnswer.objects.get(pk=pk).text.rsplit(" ", 1)[1])
        for pk in physical_order(FreeTextAnswer)
    ]
    assert sorted(texts) == list(range(10))
    assert texts != list(range(10)), "free text lies in the order people submitted"


@pytest.mark.django_db
def test_by_the_date_of_submission(monkeypatch):
    """Attempt: people who answered on different days are told apart by the response's date
    (and, with a reminder log, by who answered before the reminder)."""
    wave = staff_survey_wave()
    today = timezone.localdate()
    tokens = [invite(wave, f"person{n}@example.org") for n in range(10)]
    SurveyInvitation.objects.filter(email__in=["person5@example.org"]).update(reminders_sent=1)
    for n, token in enumerate(tokens):
        day = today - timedelta(days=1) if n < 5 else today
        monkeypatch.setattr(timezone, "localdate", lambda day=day: day)
        services.response_submit(token=token, answers=answers(n))

    # Five answered yesterday and five today, but every response carries the day the batch was
    # released, and the used links carry no date and the same reminder count.
    assert set(Response.objects.values_list("submitted_on", flat=True)) == {today}
    used = SurveyInvitation.objects.filter(used=True)
    assert set(used.values_list("reminders_sent", "email", "created_on")) == {(0, "", today)}


@pytest.mark.django_db
def test_by_watching_the_results_grow():
    """Attempt: compare the results (or two copies of the database) before and after one
    person submits, so the new response is theirs."""
    wave = staff_survey_wave()
    take_survey(wave, range(10))
    results_before = set(Response.objects.values_list("pk", flat=True))
    waiting_before = set(PendingResponse.objects.values_list("pk", flat=True))

    take_survey(wave, range(10, 11))

    assert set(Response.objects.values_list("pk", flat=True)) == results_before
    new = set(PendingResponse.objects.values_list("pk", flat=True)) - waiting_before
    assert len(new) == 1
    # The copy shows a row waiting, but not what it says: the answers are sealed with a key
    # the database does not hold.
    sealed = PendingResponse.objects.get(pk=new.pop()).sealed
    assert "Story number 10" not in sealed
    assert "black_african" not in sealed

    # The next responses enter the results only as a batch of ten.
    take_survey(wave, range(11, 19))
    assert Response.objects.count() == 10
    take_survey(wave, range(19, 20))
    assert Response.objects.count() == 20
    added = set(Response.objects.values_list("pk", flat=True)) - results_before
    assert sorted(who(pk) for pk in added) == list(range(10, 20))


@pytest.mark.django_db
def test_by_the_size_of_a_group():
    """Attempt: a directorate where only one invited person has answered. The results show
    nothing until ten people have answered, and no figure rests on fewer than ten answers
    (disclosure control, tests/surveys/analysis)."""
    wave = staff_survey_wave()
    token = invite(wave, "only.person.in.place@example.org")
    services.response_submit(token=token, answers={**answers(0), "directorate": "place"})
    assert not Answer.objects.filter(value="place").exists()
    assert Response.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_by_transaction_ids_on_postgresql():
    """Attempt: on PostgreSQL every row records the transaction that wrote it (xmin). The used
    link and the response written with it would share one."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite rows carry no transaction id")
    wave = staff_survey_wave()
    take_survey(wave, range(13))

    def xmins(model, **filters) -> Counter:
        table = connection.ops.quote_name(model._meta.db_table)
        where = " AND ".join(f"{k} = %s" for k in filters) or "TRUE"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT xmin::text FROM {table} WHERE {where}",  # noqa: S608
                list(filters.values()),
            )
            return Counter(row[0] for row in cursor.fetchall())

    used = xmins(SurveyInvitation, wave_id=wave.pk, used=True)
    released = xmins(Response, wave_id=wave.pk)
    # The ten released share one transaction: a link's transaction names ten responses at once.
    assert list(released.values()) == [10]
    assert sum(1 for xid in used if xid in released) == 1
    # The three waiting share their link's transaction, but what they say is sealed.
    assert len(set(used) & set(xmins(PendingResponse))) == 3

    services.responses_release(wave=close_wave(wave))

    # After the wave closes, all thirteen responses, their answers and free text, and all the
    # used links were rewritten together: one transaction each, nothing to line up.
    assert list(xmins(Response, wave_id=wave.pk).values()) == [13]
    assert len(xmins(Answer)) == 1
    assert len(xmins(FreeTextAnswer)) == 1
    assert list(xmins(SurveyInvitation, wave_id=wave.pk, used=True).values()) == [13]
    assert not PendingResponse.objects.exists()


@pytest.mark.django_db
def test_by_the_order_rows_were_written_after_the_wave_closed():
    """Attempt: the same reading of row order once the last few were released at close."""
    wave = staff_survey_wave()
    take_survey(wave, range(13))
    services.responses_release(wave=close_wave(wave))

    order = [who(pk) for pk in physical_order(Response, wave_id=wave.pk)]
    assert sorted(order) == list(range(13))
    # Not submission order, and the last three (released at close) are not simply at the end.
    assert order != list(range(13))
    assert order[-3:] != [10, 11, 12]


@pytest.mark.django_db
def test_by_the_sessions_table(client):
    """Attempt: read the sessions table, where the browser's draft answers were kept while the
    person answered (each draft keyed by a hash of the link's token)."""
    from django.contrib.sessions.models import Session

    from surveys.forms import DRAFTS_SESSION_KEY

    wave = staff_survey_wave()
    token = invite(wave, "person@example.org")
    given = {
        "answer-equal_opportunity": "4",
        "answer-belonging": "5",
        "answer-directorate": "people",
    }
    client.post(f"/survey/{token}/page/1/", {"action": "continue", **given})
    client.post(
        f"/survey/{token}/page/2/",
        {
            "action": "continue",
            "answer-ethnicity": "asian_indian",
            "answer-improve": "Something only I would say",
        },
    )
    assert any(DRAFTS_SESSION_KEY in s.get_decoded() for s in Session.objects.all())

    assert client.post(f"/survey/{token}/check/").status_code == 302

    # The submitted draft is gone from the database, not only from the browser's cookie.
    for session in Session.objects.all():
        assert DRAFTS_SESSION_KEY not in session.get_decoded()
        assert "Something only I would say" not in session.session_data
    assert PendingResponse.objects.count() == 1


@pytest.mark.django_db
def test_an_emptied_session_leaves_no_row_behind(client):
    """Attempt: the sessions table's expiry dates. A session emptied by submitting would be
    saved empty, its expiry recording the moment of submission to the second; it is removed."""
    from django.contrib.sessions.models import Session

    wave = staff_survey_wave()
    token = invite(wave, "person@example.org")
    client.post(
        f"/survey/{token}/page/1/",
        {"action": "continue", "answer-equal_opportunity": "4"},
    )
    client.post(
        f"/survey/{token}/page/2/", {"action": "continue", "answer-ethnicity": "white_irish"}
    )
    assert Session.objects.count() == 1

    assert client.post(f"/survey/{token}/check/").status_code == 302

    assert not Session.objects.exists()
