"""The anonymity review: with the database in hand, try to line responses up with invitations.

Each test is one attempt described in the README's "Surveys and anonymity" section. A response
identifies its submission here by its pair of agree/disagree answers, which the tests make
unique; an attacker would use whatever made a response stand out.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import timedelta

import pytest

from django.core import mail
from django.db import connection
from django.utils import timezone

from surveys import services
from surveys.models import (
    Answer,
    FreeTextAnswer,
    PendingResponse,
    Response,
    SurveyInvitation,
    WaveInvitee,
)
from tests.surveys.factories import close_wave, invite, staff_survey_wave
from tests.surveys.test_anonymity import every_row, rows_holding

POINTS = ["1", "2", "3", "4", "5"]
LINK = re.compile(r"/survey/([^/\s]+)/")


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
def test_by_the_sessions_table(client, client_as):
    """Attempt: read the sessions table, where drafts were kept while people answered: a board
    member signed in to the site left their ethnic group and free text beside ``_auth_user_id``.
    Now no survey page writes to a session, and the draft table can be read by nobody."""
    from django.contrib.sessions.models import Session

    from surveys.models import SurveyDraft

    member = client_as("member")
    wave = staff_survey_wave()
    token = invite(wave, "person@example.org")
    sessions_before = every_row()["django_session"]
    member.post(
        f"/survey/{token}/page/1/",
        {"action": "continue", "answer-equal_opportunity": "4", "answer-directorate": "people"},
    )
    member.post(
        f"/survey/{token}/page/2/",
        {
            "action": "continue",
            "answer-ethnicity": "asian_indian",
            "answer-improve": "Something only I would say",
        },
    )

    assert every_row()["django_session"] == sessions_before
    assert not rows_holding("Something only I would say")
    assert not rows_holding("asian_indian")
    assert SurveyDraft.objects.count() == 1

    assert member.post(f"/survey/{token}/check/").status_code == 302

    # The submitted draft is gone with the submission; the sign-in session never changed.
    assert not SurveyDraft.objects.exists()
    assert every_row()["django_session"] == sessions_before
    assert PendingResponse.objects.count() == 1
    assert Session.objects.count() == 1  # the member's own


@pytest.mark.django_db
def test_answering_leaves_no_session_row_behind(client):
    """Attempt: the sessions table's expiry dates. A session saved by a survey page would date
    the moment someone answered to the second; no survey page makes or saves a session."""
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
    assert not Session.objects.exists()

    assert client.post(f"/survey/{token}/check/").status_code == 302

    assert not Session.objects.exists()


# --- Who answered ------------------------------------------------------------------------------


def send_invitations(wave, emails) -> dict[str, str]:
    """Queue and send a batch as the admin does; each address's token, read from its email."""
    mail.outbox.clear()
    batch = services.invitation_batch_create(wave=wave, emails=emails, by=None)
    services.invitation_batch_send(batch_id=batch.pk)
    return {message.to[0]: LINK.search(message.body).group(1) for message in mail.outbox}


def what_the_database_says_about(email: str, tables: dict) -> list:
    """The rows that mention an address, each without the address and its own row key: what
    a reader of the database could learn about that person."""
    seen = []
    for table, row in rows_holding(email, tables):
        seen.append(
            (
                table,
                tuple(
                    sorted(
                        (column, value.replace(email, "<address>"))
                        for column, value in row.items()
                        if column != "id"
                    )
                ),
            )
        )
    return sorted(seen)


@pytest.mark.django_db
def test_who_answered_in_the_standard_mode_is_in_the_database():
    """Attempt: take the invited list and remove the addresses still on unused links: the rest
    answered. The standard mode allows this (it keeps an address for reminders until its link is
    used) and says so in the README; the hidden mode is for when it matters."""
    wave = staff_survey_wave()
    invited = [f"person{n}@example.org" for n in range(6)]
    tokens = send_invitations(wave, invited)
    answered = {"person1@example.org", "person4@example.org"}
    for email in answered:
        services.response_submit(token=tokens[email], answers=answers(0))

    still_unused = set(
        SurveyInvitation.objects.filter(wave=wave, used=False).values_list("email", flat=True)
    )
    assert set(invited) - still_unused == answered


@pytest.mark.django_db
def test_who_answered_in_the_hidden_mode_is_in_no_row(monkeypatch, settings):
    """Attempt: with the whole database and the invited list, tell who answered a wave that
    hides participation: by any row that mentions an address, by a link's address, date or
    reminder count, or by a later batch's links (a member who joined mid-wave) standing out."""
    settings.SURVEY_RELEASE_BATCH = 5
    wave = services.wave_participation_set(
        wave=staff_survey_wave(), participation="hidden", by=None
    )
    first = [f"person{n}@example.org" for n in range(12)]
    tokens = send_invitations(wave, first)
    before_second = max(SurveyInvitation.objects.values_list("pk", flat=True))
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)  # a link's date follows the clock
    tokens |= send_invitations(wave, ["joined.late@example.org"])
    answered = {*first[::2], "joined.late@example.org"}
    for n, email in enumerate(sorted(answered)):
        services.response_submit(token=tokens[email], answers=answers(n))
    mail.outbox.clear()
    services.invitation_batch_send(batch_id=services.reminders_create(wave=wave, by=None).pk)
    assert len(mail.outbox) == 13  # everyone, answered or not, and no link to answer again
    assert not any(LINK.search(message.body) for message in mail.outbox)

    tables = every_row()
    views = {email: what_the_database_says_about(email, tables) for email in tokens}
    assert all(views.values()), "the invited list is in the database"
    assert len({repr(view) for view in views.values()}) == 1, (
        "some row tells answered and unanswered invitees apart"
    )
    links = SurveyInvitation.objects.filter(wave=wave)
    assert set(links.values_list("email", "reminders_sent")) == {("", 0)}
    assert links.values("created_on").distinct().count() == 1
    # Every link was rewritten after the late batch: its link does not stand out by key.
    assert min(links.values_list("pk", flat=True)) > before_second
    assert links.filter(used=True).count() == len(answered)


@pytest.mark.django_db
def test_who_answered_in_the_hidden_mode_by_the_order_of_rows():
    """Attempt: line the n-th address on the invited list up with the n-th link, by key or by
    the order rows lie in their tables, and read the links' used flags as who answered."""
    wave = services.wave_participation_set(
        wave=staff_survey_wave(), participation="hidden", by=None
    )
    invited = [f"person{n:02}@example.org" for n in range(24)]
    tokens = send_invitations(wave, invited)
    answered = set(invited[:12])
    for n, email in enumerate(sorted(answered)):
        services.response_submit(token=tokens[email], answers=answers(n))

    used = dict(SurveyInvitation.objects.filter(wave=wave).values_list("pk", "used"))
    email_of = dict(WaveInvitee.objects.filter(wave=wave).values_list("pk", "email"))
    link_orders = [sorted(used), physical_order(SurveyInvitation, wave_id=wave.pk)]
    list_orders = [sorted(email_of), physical_order(WaveInvitee, wave_id=wave.pk), None]
    for links in link_orders:
        for listed in list_orders:
            addresses = invited if listed is None else [email_of[pk] for pk in listed]
            guessed = {email for email, pk in zip(addresses, links, strict=True) if used[pk]}
            assert guessed != answered, "the order of the links follows the invited list"
