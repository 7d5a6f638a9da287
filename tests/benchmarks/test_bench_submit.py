"""The submission load test: its pieces in process, then the whole command at a tiny size.

The whole command needs a database that gunicorn's processes can share, which the in-memory test
database is not, so that test runs ``bench_submit`` in a subprocess against a SQLite file of its
own: a copy of the migrated test database (or, on PostgreSQL runs, a freshly migrated file).
"""

from __future__ import annotations

import importlib
import os
import random
import sqlite3
import subprocess
import sys
from io import StringIO

import pytest

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.urls import resolve

from surveys.models import Answer, FreeTextAnswer, Response, Survey, SurveyInvitation, Wave
from surveys.tokens import hash_token
from tests.benchmarks import load, submit_fixture
from tests.benchmarks.management.commands import bench_submit
from tests.benchmarks.urls import BASELINE_TEXT, baseline_submit
from tests.surveys.factories import staff_survey_wave

# --- The baseline view and the benchmark's settings -------------------------------------------


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.benchmarks.urls")
def test_baseline_view_writes_the_rows_a_submission_writes(client):
    wave = staff_survey_wave()

    response = client.post(f"/bench/baseline/{wave.pk}/")

    assert response.status_code == 201
    stored = Response.objects.get(wave=wave)
    assert sorted(
        Answer.objects.filter(response=stored).values_list("question__key", flat=True)
    ) == ["belonging", "directorate", "equal_opportunity", "ethnicity"]
    assert FreeTextAnswer.objects.get(question__wave=wave).text == BASELINE_TEXT
    assert client.get(f"/bench/baseline/{wave.pk}/").status_code == 405
    assert client.post("/bench/baseline/999999/").status_code == 404


def test_the_site_never_routes_the_baseline_view():
    assert resolve("/bench/baseline/1/").func is not baseline_submit
    assert resolve("/bench/baseline/1/", urlconf="tests.benchmarks.urls").func is baseline_submit


def test_bench_settings_are_production_over_plain_http(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "bench-test-secret")
    bench = importlib.import_module("tests.benchmarks.settings")

    assert bench.DEBUG is False
    assert bench.ROOT_URLCONF == "tests.benchmarks.urls"
    assert bench.SECURE_SSL_REDIRECT is False
    assert bench.SESSION_COOKIE_SECURE is False
    assert bench.CSRF_COOKIE_SECURE is False


# --- The load generator's pieces ---------------------------------------------------------------


QUESTION_PAGE = """
<form method="post" action="/survey/abc/page/1/" novalidate>
  <input type="hidden" name="csrfmiddlewaretoken" value="tok">
  <input class="govuk-radios__input" name="answer-q" type="radio" value="4">
  <input class="govuk-radios__input" name="answer-q" type="radio" value="5">
  <input name="answer-many" type="checkbox" value="a">
  <textarea name="answer-improve"></textarea>
  <button type="submit" name="action" value="continue">Continue</button>
  <button type="submit" name="action" value="back">Back</button>
</form>
"""


def test_the_form_reader_answers_every_question_with_the_csrf_token():
    form = load.SurveyForm(QUESTION_PAGE)

    answers = form.answers(random.Random(1))

    assert form.action == "/survey/abc/page/1/"
    assert not form.is_check_page
    assert answers["csrfmiddlewaretoken"] == "tok"
    assert answers["answer-q"] in {"4", "5"}
    assert answers["answer-many"] == ["a"]
    assert answers["answer-improve"] in load.FREE_TEXT
    assert answers["action"] == "continue"


def test_the_form_reader_knows_the_check_page():
    form = load.SurveyForm(
        '<form method="post" action="/survey/abc/check/">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="t"><button>Submit</button></form>'
    )
    assert form.is_check_page
    assert form.answers(random.Random(1)) == {"csrfmiddlewaretoken": "t"}


def test_percentile_interpolates():
    assert load.percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert load.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.95) == pytest.approx(4.8)
    assert load.percentile([7.0], 0.95) == 7.0


def test_tallies_merge():
    one = load.Tally(accepted=2, requests=14, request_seconds=[0.1], session_keys={"a"})
    two = load.Tally(accepted=1, other=1, examples=["submit: 403"], session_keys={"b"})
    one.merge(two)
    assert (one.accepted, one.other, one.requests) == (3, 1, 14)
    assert one.examples == ["submit: 403"]
    assert one.session_keys == {"a", "b"}


def _results(*, accepted=10, server_errors=0, locked=0, twice=2, reopened=2):
    def phase(tally, seconds=1.0):
        return load.Phase(tally=tally, seconds=seconds, attempted=10, cut_short=False)

    survey = load.Tally(accepted=accepted, requests=7 * accepted, server_errors=server_errors)
    survey.locked = locked
    return bench_submit.Results(
        flow=phase(survey, seconds=2.0),
        step=phase(load.Tally(accepted=accepted, requests=accepted)),
        baseline=phase(load.Tally(accepted=10, requests=10), seconds=0.5),
        walked=phase(load.Tally()),
        twice=load.Tally(accepted=twice, refused_used=4 - twice),
        reopened=load.Tally(refused_used=reopened),
        reopened_links=2,
    )


def _stored(responses: int, *, still_waiting: int = 0) -> dict:
    return {
        "waiting": 3,
        "still_waiting": still_waiting,
        "responses": responses,
        "used": responses,
        "used_with_email": 0,
        "coded": 4 * responses,
        "texts": responses,
        "baseline_responses": 10,
    }


FIXTURE = submit_fixture.Fixture(
    survey=None,
    flow_wave=None,
    baseline_wave=None,
    flow_tokens=["t"] * 10,
    step_tokens=["t"] * 10,
    duplicate_tokens=["d1", "d2"],
    pages=2,
    coded_per_response=4,
    texts_per_response=1,
)


def _report(results, stored) -> tuple[list[str], str, bench_submit.Command]:
    out = StringIO()
    command = bench_submit.Command(stdout=out)
    command.clients = 4
    problems = command._report(results, stored, FIXTURE, server_log="")
    return problems, out.getvalue(), command


def test_a_clean_run_prints_the_table_and_its_result():
    problems, out, command = _report(_results(), _stored(22))

    assert problems == []
    assert "survey: whole flow (7 requests)" in out
    assert "ratio submit step / baseline: 0.50 (meets the goal >= 0.50" in out
    assert "ratio whole flow / baseline: 0.25" in out
    assert "result: nothing lost, nothing duplicated" in out
    assert command.result.what == "submit"
    assert command.result.met is True
    assert command.result.ratio == pytest.approx(0.5)


def test_lost_duplicated_and_erroring_runs_fail():
    lost, _, _ = _report(_results(), _stored(21))
    assert "21 survey responses stored for 22 accepted" in lost
    assert "21 links used for 22 accepted submissions" in lost

    unreleased, _, _ = _report(_results(), _stored(20, still_waiting=2))
    assert "2 responses were not released at close" in unreleased

    doubled, _, _ = _report(_results(twice=3), _stored(23))
    assert any("links submitted twice at once: 3 stored" in p for p in doubled)

    erroring, out, _ = _report(_results(server_errors=1, locked=2, reopened=1), _stored(22))
    assert "1 server errors (5xx)" in erroring
    assert "2 responses said 'database is locked'" in erroring
    assert "1 of 2 used links refused when opened again" in erroring
    assert "result: FAILED" in out


@pytest.mark.django_db
def test_the_fixture_is_created_and_deleted_without_trace():
    fixture = submit_fixture.create_fixture(submissions=3, duplicates=1)

    assert len(fixture.flow_tokens) == len(fixture.step_tokens) == 3
    assert len(fixture.duplicate_tokens) == 1
    token = fixture.flow_tokens[0]
    assert SurveyInvitation.objects.get(token_hash=hash_token(token)).wave == fixture.flow_wave
    assert fixture.flow_wave.is_open() and fixture.baseline_wave.is_open()
    assert submit_fixture.count_stored(fixture) == {
        "waiting": 0,
        "still_waiting": 0,
        "responses": 0,
        "used": 0,
        "used_with_email": 0,
        "coded": 0,
        "texts": 0,
        "baseline_responses": 0,
    }

    submit_fixture.delete_fixture(fixture, session_keys={"no-such-session"})

    assert not Survey.objects.filter(pk=fixture.survey.pk).exists()
    assert not Wave.objects.filter(survey_id=fixture.survey.pk).exists()
    assert not SurveyInvitation.objects.exists()


@pytest.mark.django_db
def test_the_command_refuses_an_in_memory_database():
    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        pytest.skip("the test database is a file or a server here")
    with pytest.raises(CommandError, match="in memory"):
        call_command("bench_submit", "--submissions", "1", stdout=StringIO())


# --- The whole command -------------------------------------------------------------------------


def _copy_of_the_test_database(path, django_db_blocker) -> bool:
    """The migrated in-memory test database, copied to a file: far quicker than migrating.

    Outside any test transaction: SQLite's backup waits for ever on a source with one open.
    """
    with django_db_blocker.unblock():
        if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
            return False
        connection.ensure_connection()
        assert not connection.in_atomic_block
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    return True


@pytest.mark.slow
def test_bench_submit_at_a_tiny_size_loses_nothing(tmp_path, django_db_setup, django_db_blocker):
    database = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DATABASE_URL": f"sqlite:///{database}",
    }

    def manage(*args: str, timeout: int) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - our interpreter, our arguments
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    if not _copy_of_the_test_database(database, django_db_blocker):
        migrated = manage("migrate", "--noinput", "-v", "0", timeout=120)
        assert migrated.returncode == 0, migrated.stderr
    result = manage(
        "bench_submit",
        "--clients",
        "4",
        "--submissions",
        "12",
        "--duplicates",
        "2",
        "--workers",
        "2",
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "survey: whole flow (7 requests)" in out
    assert "survey: submit step (1 POST)" in out
    assert "baseline: insert view (1 POST)" in out
    assert "ratio submit step / baseline:" in out
    assert "second submissions at the same moment: 2 stored, 2 refused as used" in out
    assert "used links opened again: 2 of 2 refused as used" in out
    assert "database: survey 26 responses stored for 26 accepted (" in out
    assert "released at close); 26 links used" in out
    assert "result: nothing lost, nothing duplicated" in out
    with sqlite3.connect(database) as db:
        left = {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("surveys_survey", "surveys_response", "django_session")
        }
    assert left == {"surveys_survey": 0, "surveys_response": 0, "django_session": 0}
