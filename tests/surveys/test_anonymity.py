"""Anonymity is structural: these tests read the schema and fail if a response could be joined to
the person who gave it (see DESIGN.md, "Surveys and analysis")."""

from __future__ import annotations

import uuid

import pytest

from django.contrib.auth import get_user_model
from django.db import models

from surveys import services
from surveys.models import (
    Answer,
    FreeTextAnswer,
    InvitationBatch,
    PendingResponse,
    Response,
    SurveyDraft,
    SurveyInvitation,
    WaveInvitee,
)
from tests.surveys.factories import invite, staff_survey_wave

ANSWER_MODELS = (Response, Answer, FreeTextAnswer, PendingResponse, SurveyDraft)
PERSON_MODELS = (SurveyInvitation, InvitationBatch, WaveInvitee, get_user_model())
# Field names that would carry who, where from or when exactly.
IDENTIFYING_WORDS = ("ip", "user", "session", "agent", "useragent", "ua", "browser", "host")
IDENTIFYING_PARTS = ("ip_addr", "ipaddr", "user", "session", "agent", "remote_addr", "cookie")

ANSWERS = {
    "equal_opportunity": "5",
    "belonging": "4",
    "directorate": "corporate",
    "improve": "Publish the pay gap by grade",
    "ethnicity": "mixed_white_asian",
}


def relations(model):
    """Every relation on a model, forward and reverse, with the model at its other end."""
    return [
        (field.name, field.related_model)
        for field in model._meta.get_fields(include_hidden=True)
        if field.is_relation and field.related_model is not None
    ]


def own_fields(model):
    return [*model._meta.concrete_fields, *model._meta.many_to_many]


@pytest.mark.parametrize("answer_model", ANSWER_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("person_model", PERSON_MODELS, ids=lambda m: m.__name__)
def test_no_relation_between_answers_and_people(answer_model, person_model):
    assert not [name for name, other in relations(answer_model) if other is person_model], (
        f"{answer_model.__name__} has a relation to {person_model.__name__}"
    )
    assert not [name for name, other in relations(person_model) if other is answer_model], (
        f"{person_model.__name__} has a relation to {answer_model.__name__}"
    )


def test_free_text_has_no_relation_to_a_response():
    assert not [name for name, other in relations(FreeTextAnswer) if other is Response]
    assert not [name for name, other in relations(Response) if other is FreeTextAnswer]
    # Nor through an answer, which carries the response (and so the ethnic group).
    assert not [name for name, other in relations(FreeTextAnswer) if other is Answer]


def test_response_key_is_a_uuid():
    primary_key = Response._meta.pk
    assert isinstance(primary_key, models.UUIDField)
    assert primary_key.default is uuid.uuid4  # random, not time-based (uuid1) or sequential


@pytest.mark.django_db
@pytest.mark.usefixtures("release_at_once")
def test_two_responses_keys_are_random_not_consecutive():
    wave = staff_survey_wave()
    services.response_submit(token=invite(wave, "a@example.org"), answers=ANSWERS)
    services.response_submit(token=invite(wave, "b@example.org"), answers=ANSWERS)

    keys = list(Response.objects.values_list("pk", flat=True))
    assert len(keys) == 2
    for key in keys:
        assert isinstance(key, uuid.UUID)
        assert not isinstance(key, int)
        assert key.version == 4
    assert abs(keys[0].int - keys[1].int) > 1


@pytest.mark.parametrize(
    "model", [*ANSWER_MODELS, SurveyInvitation], ids=lambda model: model.__name__
)
def test_no_timestamp_finer_than_a_date(model):
    timed = [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateTimeField | models.TimeField)
    ]
    assert not timed, f"{model.__name__} stores a time: {timed}"


@pytest.mark.parametrize(
    "model", [*ANSWER_MODELS, SurveyInvitation], ids=lambda model: model.__name__
)
def test_no_field_names_an_ip_address_user_agent_session_or_user(model):
    suspicious = []
    for field in own_fields(model):
        for name in {field.name.lower(), field.column.lower() if field.column else ""} - {""}:
            words = set(name.split("_"))
            if words & set(IDENTIFYING_WORDS) or any(part in name for part in IDENTIFYING_PARTS):
                suspicious.append(name)
        if isinstance(field, models.GenericIPAddressField):
            suspicious.append(field.name)
    assert not suspicious, f"{model.__name__} has fields that identify: {suspicious}"


def test_response_and_invitation_share_no_column_but_the_wave():
    def columns(model):
        return {field.column for field in model._meta.concrete_fields} | {
            field.name for field in model._meta.concrete_fields
        }

    shared = columns(Response) & columns(SurveyInvitation)
    assert shared <= {"id", "wave", "wave_id"}, f"shared columns: {shared}"


def test_invitation_has_no_field_referencing_a_response():
    answer_tables = {model._meta.db_table for model in ANSWER_MODELS}
    for field in SurveyInvitation._meta.get_fields(include_hidden=True):
        if field.is_relation and field.related_model is not None:
            assert field.related_model._meta.db_table not in answer_tables, field.name
    names = {field.name for field in SurveyInvitation._meta.concrete_fields}
    assert not any("response" in name or "answer" in name for name in names)


@pytest.mark.django_db
@pytest.mark.usefixtures("release_at_once")
def test_a_used_invitation_keeps_only_a_hash_and_a_flag(client):
    wave = staff_survey_wave()
    token = invite(wave, "named.person@example.org")
    invite(wave, "someone.else@example.org")

    services.response_submit(token=token, answers=ANSWERS)

    used = SurveyInvitation.objects.filter(used=True).values().get()
    assert set(used) == {
        "id",
        "wave_id",
        "email",
        "token_hash",
        "used",
        "reminders_sent",
        "created_on",
    }, "the invitation gained a field: check it cannot identify a response"
    assert used["email"] == ""
    assert used["wave_id"] == wave.pk
    assert used["used"] is True
    # Nothing in the used row names the response; the response names nothing of the link.
    response = Response.objects.values().get()
    assert set(response) == {"id", "wave_id", "submitted_on", "source"}
    invitation_values = {str(value) for value in used.values()}
    assert str(response["id"]) not in invitation_values
    assert response["id"].hex not in invitation_values
    # The person still to answer keeps their address (for reminders) and nothing else changed.
    unused = SurveyInvitation.objects.get(used=False)
    assert unused.email == "someone.else@example.org"


@pytest.mark.django_db
def test_ordering_by_any_column_does_not_line_responses_up_with_invitations(settings):
    """No column on either side records when, or in which order, links were used."""
    settings.SURVEY_RELEASE_BATCH = 12
    wave = staff_survey_wave()
    tokens = [invite(wave, f"person{n}@example.org") for n in range(12)]
    # A reminder went to half of them before anyone answered.
    SurveyInvitation.objects.filter(email__in=[f"person{n}@example.org" for n in range(6)]).update(
        reminders_sent=1
    )
    before = {row["id"]: row for row in SurveyInvitation.objects.values()}
    answered_in = [5, 0, 11, 3, 8, 1, 10, 2, 7, 4, 9, 6]  # not the order they were invited in
    for n in answered_in:
        services.response_submit(token=tokens[n], answers=ANSWERS)

    # Submitting changes a used invitation only to constants: used, the address erased, and
    # the reminder count back to 0 (or it would tell who answered before the reminder).
    for row in SurveyInvitation.objects.values():
        changed = {key: value for key, value in row.items() if before[row["id"]][key] != value}
        assert changed == {"used": True, "email": "", "reminders_sent": 0} or changed == {
            "used": True,
            "email": "",
        }
    # So the only invitation columns that tell used links apart were set when they were made.
    used = SurveyInvitation.objects.filter(used=True)
    varying = {
        field.attname
        for field in SurveyInvitation._meta.concrete_fields
        if used.values(field.attname).distinct().count() > 1
    }
    assert varying <= {"id", "token_hash"}
    # And the responses differ only by their random key: released together, on one date.
    responses = Response.objects.filter(wave=wave)
    assert responses.count() == 12
    varying = {
        field.attname
        for field in Response._meta.concrete_fields
        if responses.values(field.attname).distinct().count() > 1
    }
    assert varying == {"id"}


def test_free_text_keys_do_not_reveal_submission_order():
    """A sequential key would line the n-th free text up with the n-th response's answers."""
    assert isinstance(FreeTextAnswer._meta.pk, models.UUIDField)


# --- The whole database, as an attacker reads it ---------------------------------------------


def every_row() -> dict[str, list[dict]]:
    """Every row of every table, each column as text (binary as hex and as Latin-1 text), and
    for ``django_session`` the decoded session too: what a copy of the database shows."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    codec = SessionStore()
    tables: dict[str, list[dict]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            rows = []
            for values in cursor.fetchall():
                row = {}
                for column, value in zip(columns, values, strict=True):
                    if isinstance(value, memoryview | bytes):
                        value = bytes(value)
                        row[column] = f"{value.hex()} {value.decode('latin-1')}"
                    else:
                        row[column] = "" if value is None else str(value)
                if table == "django_session":
                    row["decoded"] = repr(codec.decode(row["session_data"]))
                rows.append(row)
            tables[table] = rows
    return tables


def rows_holding(text: str, tables: dict[str, list[dict]] | None = None) -> list[tuple]:
    """(table, row) for every row in which ``text`` appears, in any column."""
    tables = every_row() if tables is None else tables
    return [
        (table, row)
        for table, rows in tables.items()
        for row in rows
        if any(text in value for value in row.values())
    ]


def changed_rows(before: dict, after: dict) -> list[tuple]:
    """(table, row) for every row of ``after`` that is not, whole, in ``before``."""
    changed = []
    for table, rows in after.items():
        old = {tuple(sorted(row.items())) for row in before.get(table, [])}
        changed += [(table, row) for row in rows if tuple(sorted(row.items())) not in old]
    return changed


def test_the_draft_and_invitee_tables_hold_nothing_that_names_a_person():
    assert {field.name for field in own_fields(SurveyDraft)} == {
        "id",
        "wave",
        "sealed",
        "expires_on",
    }, "the draft gained a field: check it cannot name who is answering"
    # The invited list of a wave that hides participation has no path to its links.
    assert not [name for name, other in relations(WaveInvitee) if other is SurveyInvitation]
    assert not [name for name, other in relations(SurveyInvitation) if other is WaveInvitee]
    assert {field.name for field in own_fields(WaveInvitee)} == {"id", "wave", "email"}
