"""Answers not yet submitted: kept for the respondent's browser only, never beside who they are.

A draft is a ``SurveyDraft`` row (wave, expiry date, answers sealed with AES-GCM) whose key and
encryption key come from a secret in the browser's own cookie, the link's token and the server's
key. These tests read the whole database as an attacker would (every table, sessions decoded).
"""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from io import StringIO

import pytest

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from surveys import forms, services
from surveys.forms import DRAFT_BUCKET_BYTES, DRAFT_COOKIE
from surveys.models import SurveyDraft
from tests.surveys.factories import invite, staff_survey_wave
from tests.surveys.test_anonymity import changed_rows, every_row, rows_holding

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Only I know what happened at the Tuesday panel"
PAGE_1 = {"answer-equal_opportunity": "2", "answer-belonging": "1", "answer-directorate": "place"}
PAGE_2 = {"answer-improve": SECRET_TEXT, "answer-ethnicity": "black_caribbean"}


def page_url(token: str, number: int) -> str:
    return f"/survey/{token}/page/{number}/"


def answer(client, token: str, *, page_2: bool = True) -> None:
    assert client.post(page_url(token, 1), {"action": "continue", **PAGE_1}).status_code == 302
    if page_2:
        assert client.post(page_url(token, 2), {"action": "continue", **PAGE_2}).status_code == 302


def days_later(monkeypatch, days: int) -> None:
    later = timezone.localdate() + timedelta(days=days)
    monkeypatch.setattr(timezone, "localdate", lambda *args: later)


# --- Nothing beside who is answering -----------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "analyst", "anonymous"])
def test_no_row_holds_draft_answers_beside_who_is_answering(client, client_as, who):
    """A board member (or an officer) signed in to the site answers a survey: no row anywhere
    holds their answers, sealed or not, beside their user id, their sign-in session, their
    email address or their IP address."""
    if who != "anonymous":
        client = client_as(who)
    wave = staff_survey_wave()
    token = invite(wave, "someone@example.org")
    before = every_row()

    answer(client, token)

    after = every_row()
    # The answers are nowhere in the clear, sessions decoded included.
    for shown in (SECRET_TEXT, "black_caribbean", "Tuesday panel"):
        assert not rows_holding(shown, after), shown
    # What changed while they answered is the draft table only: no session row (which would
    # carry _auth_user_id) was written or changed.
    changed = changed_rows(before, after)
    assert {table for table, _ in changed} == {SurveyDraft._meta.db_table}
    assert after["django_session"] == before["django_session"]
    session_keys = [row["session_key"] for row in after["django_session"]]
    for _, row in changed:
        text = repr(row)
        assert "127.0.0.1" not in text
        assert "someone@example.org" not in text
        if who != "anonymous":
            assert client.user.email not in text
        for key in session_keys:
            assert key not in text
    assert {column for _, row in changed for column in row} == {
        "id",
        "wave_id",
        "sealed",
        "expires_on",
    }


def test_a_draft_cannot_be_opened_or_found_with_the_database_and_the_server_key(client):
    """Attempt: hold the database and SECRET_KEY (the running server) and read a draft. Its
    encryption key and row key also need the secret only the browser's cookie holds."""
    wave = staff_survey_wave()
    token = invite(wave)
    answer(client, token)
    draft = SurveyDraft.objects.get()
    secret = base64.urlsafe_b64decode(client.cookies[DRAFT_COOKIE].value + "=")

    # Without the cookie's secret, every guess at the keys fails.
    for guess in (b"\0" * 32, secret[:-1] + bytes([secret[-1] ^ 1])):
        draft_id, key = forms.draft_keys(guess, token)[0]
        assert draft_id != draft.pk
        with pytest.raises(ValueError):
            forms.open_draft(draft.sealed, key=key, draft_id=draft.pk)
    # With it (the browser itself), the draft opens; moved to another row key, it does not.
    draft_id, key = forms.draft_keys(secret, token)[0]
    assert draft_id == draft.pk
    assert forms.open_draft(draft.sealed, key=key, draft_id=draft_id)["answers"]["improve"] == (
        SECRET_TEXT
    )
    with pytest.raises(ValueError):
        forms.open_draft(draft.sealed, key=key, draft_id="0" * 64)


def test_a_draft_size_shows_only_a_coarse_bucket(client):
    wave = staff_survey_wave()
    short, long = invite(wave, "a@example.org"), invite(wave, "b@example.org")
    answer(client, short)
    client.post(page_url(long, 1), {"action": "continue", **PAGE_1})
    client.post(page_url(long, 2), {"action": "continue", **PAGE_2, "answer-improve": "x" * 2000})
    sealed = SurveyDraft.objects.values_list("sealed", flat=True)
    sizes = {len(base64.urlsafe_b64decode(value)) for value in sealed}
    assert sizes == {forms.NONCE_BYTES + DRAFT_BUCKET_BYTES + 16}


def test_the_draft_cookie_is_its_own_not_the_session(client):
    wave = staff_survey_wave()
    token = invite(wave)
    response = client.post(page_url(token, 1), {"action": "continue", **PAGE_1})
    cookie = response.cookies[DRAFT_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/survey/"
    assert int(cookie["max-age"]) == 7 * 24 * 60 * 60
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie.value)
    assert "sessionid" not in response.cookies
    assert not Session.objects.exists()


# --- Coming back ---------------------------------------------------------------------------


def test_leaving_and_coming_back_on_the_same_browser_keeps_the_answers(client, monkeypatch):
    """The browser is closed and opened again days later (its cookies kept): the answers are
    there; another browser, or a forged cookie, sees none of them."""
    wave = staff_survey_wave()
    token = invite(wave)
    answer(client, token)

    days_later(monkeypatch, 6)
    reopened = Client()
    reopened.cookies[DRAFT_COOKIE] = client.cookies[DRAFT_COOKIE].value
    again = reopened.get(f"/survey/{token}/")
    assert again.status_code == 302
    assert again.url == f"/survey/{token}/check/"
    check = reopened.get(again.url).content.decode()
    assert SECRET_TEXT in check
    assert "Caribbean" in check

    forged = Client()
    forged.cookies[DRAFT_COOKIE] = "A" * 43
    for other in (Client(), forged):
        assert "checked" not in other.get(page_url(token, 1)).content.decode()
    assert reopened.post(f"/survey/{token}/check/").status_code == 302
    assert not SurveyDraft.objects.exists()


def test_a_draft_survives_a_secret_key_rotation(client, settings):
    wave = staff_survey_wave()
    token = invite(wave)
    client.post(page_url(token, 1), {"action": "continue", **PAGE_1})
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    settings.SECRET_KEY_FALLBACKS = [old]

    page = client.get(page_url(token, 1)).content.decode()
    assert 'value="place" checked' in page
    client.post(page_url(token, 2), {"action": "continue", **PAGE_2})
    # Saved again under the new key only.
    assert SurveyDraft.objects.count() == 1
    settings.SECRET_KEY_FALLBACKS = []
    assert SECRET_TEXT in client.get(f"/survey/{token}/check/").content.decode()


# --- An abandoned draft --------------------------------------------------------------------


def test_an_expired_abandoned_draft_leaves_nothing_after_the_purge(client, client_as, monkeypatch):
    member = client_as("member")
    wave = staff_survey_wave()
    token = invite(wave)
    answer(member, token)
    sessions = every_row()["django_session"]
    assert SurveyDraft.objects.count() == 1

    # Still kept on its last day; the daily command leaves it.
    days_later(monkeypatch, 7)
    call_command("release_survey_responses", stdout=StringIO())
    assert SurveyDraft.objects.count() == 1

    days_later(monkeypatch, 8)
    # Expired: refused even before the purge, whatever cookie the browser still sends.
    assert 'value="place" checked' not in member.get(page_url(token, 1)).content.decode()
    out = StringIO()
    call_command("release_survey_responses", stdout=out)

    assert "Deleted 1 expired survey drafts." in out.getvalue()
    assert not SurveyDraft.objects.exists()
    tables = every_row()
    assert not tables[SurveyDraft._meta.db_table]
    assert not rows_holding(SECRET_TEXT, tables)
    assert tables["django_session"] == sessions  # the member's sign-in was never touched
    again = StringIO()
    call_command("release_survey_responses", stdout=again)
    assert "Deleted 0 expired survey drafts." in again.getvalue()


def test_a_draft_never_outlives_its_wave(client):
    today = timezone.localdate()
    wave = staff_survey_wave(closes_on=today + timedelta(days=2))
    token = invite(wave)
    client.post(page_url(token, 1), {"action": "continue", **PAGE_1})
    assert SurveyDraft.objects.get().expires_on == wave.closes_on


def test_expired_sessions_are_deleted_by_the_daily_command(make_user):
    store = SessionStore()
    store["_auth_user_id"] = str(make_user().pk)
    store.set_expiry(-60)
    store.save()
    live = SessionStore()
    live["something"] = 1
    live.save()

    out = StringIO()
    call_command("release_survey_responses", stdout=out)

    assert "Deleted 1 expired sessions." in out.getvalue()
    assert list(Session.objects.values_list("pk", flat=True)) == [live.session_key]


# --- Drafts kept in sessions before this change ------------------------------------------------


def test_the_migration_takes_old_drafts_out_of_sessions(make_user):
    import importlib

    migration = importlib.import_module(
        "surveys.migrations.0008_survey_drafts_and_hidden_participation"
    )
    from django.apps import apps

    signed_in = SessionStore()
    signed_in["_auth_user_id"] = str(make_user().pk)
    signed_in["survey_drafts"] = {"k": {"answers": {"improve": SECRET_TEXT}, "at": 2}}
    signed_in.save()
    only_a_draft = SessionStore()
    only_a_draft["survey_drafts"] = {"k": {"answers": {"improve": SECRET_TEXT}, "at": 2}}
    only_a_draft.save()
    untouched = SessionStore()
    untouched["other"] = "kept"
    untouched.save()

    migration.drafts_out_of_sessions(apps, None)

    assert not rows_holding(SECRET_TEXT)
    assert set(Session.objects.values_list("pk", flat=True)) == {
        signed_in.session_key,
        untouched.session_key,
    }
    assert SessionStore(signed_in.session_key).load() == {
        "_auth_user_id": signed_in["_auth_user_id"]
    }
    assert SessionStore(untouched.session_key).load() == {"other": "kept"}


def test_the_service_purge_deletes_only_what_has_expired():
    wave = staff_survey_wave()
    today = timezone.localdate()
    for n, expires_on in enumerate((today - timedelta(days=1), today, today + timedelta(days=3))):
        services.draft_save(draft_id=f"{n:064}", wave=wave, sealed="x", expires_on=expires_on)
    assert services.drafts_purge() == 1
    assert SurveyDraft.objects.count() == 2
