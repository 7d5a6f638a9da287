"""Downloading a wave's results: responses as CSV and XLSX, free text apart, every cell escaped,
nothing from an invitation."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from datetime import date

import openpyxl
import pytest

from django.urls import reverse

from wagtail.models import ModelLogEntry

from cms import roles
from cms.exports import FORMULA_PREFIXES
from surveys import exports
from surveys.importers import CsvRows, import_responses
from surveys.models import Answer, FreeTextAnswer, Question, Response, SurveyInvitation
from tests.surveys.factories import QuestionFactory, SurveyFactory, WaveFactory, invite

pytestmark = pytest.mark.django_db

PAYLOADS = ["=1+1", "+cmd", "-x", "@SUM(A1)", "\tx", "\rx"]
SECRET_TEXT = "My manager ignores racist remarks"


def payload_wave(year: int = 2022, survey=None):
    """A closed wave whose names, keys, choice values and labels are formula payloads."""
    survey = survey or SurveyFactory(name='=HYPERLINK("http://evil.example")', slug="payload")
    wave = WaveFactory(
        survey=survey, year=year, opens_on=date(year, 3, 1), closes_on=date(year, 3, 31)
    )
    QuestionFactory(wave=wave, key="equal_opportunity", order=1, text="=cmd|' /C calc'!A0")
    QuestionFactory(
        wave=wave,
        key="-payload",
        order=2,
        kind=Question.Kind.SINGLE,
        required=False,
        text="+Which?",
        options=[[payload, f"@{payload}"] for payload in PAYLOADS],
    )
    QuestionFactory(
        wave=wave,
        key="support",
        order=3,
        kind=Question.Kind.MULTIPLE,
        required=False,
        options=[["@a", "+A"], ["=c", "-C"], ["plain", "Plain"]],
    )
    QuestionFactory(wave=wave, key="improve", order=4, kind=Question.Kind.FREE_TEXT, required=False)
    QuestionFactory(wave=wave, key="ethnicity", order=5, kind=Question.Kind.ETHNICITY)
    return wave


def fill(wave):
    rows = [
        {
            "equal_opportunity": str(1 + i % 5),
            "-payload": payload,
            "support": "@a;=c" if i % 2 else "plain",
            "improve": payload,
            "ethnicity": "white_british" if i % 2 else "black_caribbean",
            "submitted_on": f"2022-03-{10 + i:02}",
        }
        for i, payload in enumerate(PAYLOADS)
    ]
    rows.append({"equal_opportunity": "5", "ethnicity": "asian_indian", "improve": SECRET_TEXT})
    result = import_responses(wave=wave, rows=rows)
    assert result.ok, result.errors
    # An import (like the online form) trims free text, so a leading tab or carriage return
    # reaches the table only some other way: the export must escape it all the same.
    improve = wave.questions.get(key="improve")
    FreeTextAnswer.objects.bulk_create(
        FreeTextAnswer(question=improve, text=text) for text in ("\tx", "\rx")
    )
    return rows


@pytest.fixture
def analyst(make_user):
    return make_user(roles.INCLUSION_ANALYSTS)


@pytest.fixture
def client_as_analyst(signed_in, analyst):
    return signed_in(analyst)


def download(client, name: str, wave, fmt: str):
    response = client.get(reverse(name, args=[wave.pk, fmt]))
    assert response.status_code == 200, response
    content = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    return response, content


def csv_cells(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def xlsx_cells(content: bytes) -> dict[str, list[list]]:
    book = openpyxl.load_workbook(io.BytesIO(content))  # Formulas kept, not calculated.
    sheets = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
        sheets[sheet.title] = [list(row) for row in sheet.iter_rows(values_only=True)]
    return sheets


def xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def assert_no_formula(cells) -> None:
    for row in cells:
        for value in row:
            assert not (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)), repr(value)


EXPORTS = [
    ("surveys_export_responses", "csv"),
    ("surveys_export_responses", "xlsx"),
    ("surveys_export_free_text", "csv"),
    ("surveys_export_free_text", "xlsx"),
]


# --- What a download holds ----------------------------------------------------------------------


def test_the_csv_has_one_row_per_response_with_coded_values(client_as_analyst):
    wave = payload_wave()
    fill(wave)

    response, content = download(client_as_analyst, "surveys_export_responses", wave, "csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        'filename="hyperlinkhttpevilexample-2022-responses.csv"'
        in (response["Content-Disposition"])
    )
    header, *rows = csv_cells(content)
    assert header == ["submitted_on", "equal_opportunity", "'-payload", "support", "ethnicity"]
    assert len(rows) == Response.objects.filter(wave=wave).count() == 7
    by_date = {row[0]: row for row in rows}
    assert by_date["2022-03-11"] == ["2022-03-11", "2", "'+cmd", "'@a;=c", "white_british"]
    assert by_date["2022-03-10"] == ["2022-03-10", "1", "'=1+1", "plain", "black_caribbean"]
    assert by_date["2022-03-31"] == ["2022-03-31", "5", "", "", "asian_indian"]


@pytest.mark.parametrize(("name", "fmt"), EXPORTS)
def test_every_cell_of_every_download_is_escaped_against_formulas(client_as_analyst, name, fmt):
    wave = payload_wave()
    fill(wave)

    _, content = download(client_as_analyst, name, wave, fmt)

    if fmt == "csv":
        cells = csv_cells(content)
        assert_no_formula(cells)
    else:
        sheets = xlsx_cells(content)
        for rows in sheets.values():
            assert_no_formula(rows)
        cells = [row for rows in sheets.values() for row in rows]
        assert "<f>" not in xlsx_text(content)
    values = {value for row in cells for value in row}
    # The payloads are there, made harmless by a leading apostrophe. (An XML reader turns a
    # carriage return into a line feed.)
    escaped = {f"'{p}".replace("\r", "\r" if fmt == "csv" else "\n") for p in PAYLOADS}
    assert escaped <= values  # Free text, or the answers to the choice question.
    if fmt == "xlsx":
        assert '\'=HYPERLINK("http://evil.example")' in values  # The survey's name.


def test_the_xlsx_has_the_responses_a_codebook_and_notes(client_as_analyst):
    wave = payload_wave()
    fill(wave)

    response, content = download(client_as_analyst, "surveys_export_responses", wave, "xlsx")

    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheets = xlsx_cells(content)
    assert list(sheets) == ["Responses", "Codebook", "About"]
    header, *rows = sheets["Responses"]
    assert header == ["submitted_on", "equal_opportunity", "'-payload", "support", "ethnicity"]
    assert len(rows) == 7
    assert {row[0].date() for row in rows} == {
        *(date(2022, 3, 10 + i) for i in range(6)),
        date(2022, 3, 31),
    }
    assert ["'-payload", "'+Which?", "Single choice", "'=1+1", "'@=1+1"] in sheets["Codebook"]
    assert ["Rows", 7] in sheets["About"]


def test_downloads_never_hold_invitation_data(client_as_analyst):
    wave = payload_wave()
    invite(wave, email="waiting.person@example.org", token="unused-token")
    invite(wave, email="answered.person@example.org", token="used-token")
    SurveyInvitation.objects.filter(email="answered.person@example.org").update(used=True, email="")
    fill(wave)
    hashes = list(SurveyInvitation.objects.values_list("token_hash", flat=True))
    assert len(hashes) == 2

    for name, fmt in EXPORTS:
        _, content = download(client_as_analyst, name, wave, fmt)
        text = content.decode("utf-8") if fmt == "csv" else xlsx_text(content)
        for secret in ("waiting.person@example.org", "unused-token", "used-token", *hashes):
            assert secret not in text, (name, fmt, secret)
        assert "invit" not in text.split("\n", 1)[0].lower()  # Not even a column for it.


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_responses_download_never_holds_free_text(client_as_analyst, fmt):
    wave = payload_wave()
    fill(wave)

    _, content = download(client_as_analyst, "surveys_export_responses", wave, fmt)
    _, free_text = download(client_as_analyst, "surveys_export_free_text", wave, fmt)

    text = content.decode("utf-8") if fmt == "csv" else xlsx_text(content)
    assert SECRET_TEXT not in text
    assert "improve" not in text
    free = free_text.decode("utf-8") if fmt == "csv" else xlsx_text(free_text)
    assert SECRET_TEXT in free


def test_free_text_is_one_row_per_answer_in_a_random_order_without_dates(client_as_analyst):
    wave = payload_wave()
    question = wave.questions.get(key="improve")
    FreeTextAnswer.objects.bulk_create(
        FreeTextAnswer(question=question, text=f"comment {i:02}") for i in range(40)
    )

    _, content = download(client_as_analyst, "surveys_export_free_text", wave, "csv")

    header, *rows = csv_cells(content)
    assert header == ["question_key", "text"]
    assert {key for key, _ in rows} == {"improve"}
    texts = [text for _, text in rows]
    assert sorted(texts) == [f"comment {i:02}" for i in range(40)]
    assert texts != sorted(texts)  # Not in the order they were stored: 1 chance in 40!


def test_responses_are_read_a_page_at_a_time_and_none_is_lost(client_as_analyst, monkeypatch):
    monkeypatch.setattr(exports, "PAGE_SIZE", 2)
    wave = payload_wave()
    other = payload_wave(year=2021, survey=wave.survey)
    fill(other)  # Another wave's answers interleave by key: they must not leak in.
    fill(wave)
    Response.objects.create(wave=wave, submitted_on=date(2022, 3, 20))  # No answers at all.

    _, content = download(client_as_analyst, "surveys_export_responses", wave, "csv")

    _, *rows = csv_cells(content)
    assert len(rows) == 8
    assert ["2022-03-20", "", "", "", ""] in rows
    exported = Counter(value for row in rows for value in row[4:] if value)
    stored = Counter(
        Answer.objects.filter(response__wave=wave, question__key="ethnicity").values_list(
            "value", flat=True
        )
    )
    assert exported == stored


def test_a_download_imports_back_unchanged():
    """What is downloaded (escaped) can be imported again into a wave with the same questions."""
    wave = payload_wave()
    fill(wave)
    copy = payload_wave(year=2021, survey=wave.survey)
    content = "".join(exports.responses_csv(wave)).encode("utf-8")

    class Opener:
        def __call__(self):
            return self

        def __enter__(self):
            return io.BytesIO(content)

        def __exit__(self, *exc):
            return False

    result = import_responses(wave=copy, rows=CsvRows(Opener()))

    assert result.ok, result.errors
    assert result.imported == 7

    def answers(of):
        return Counter(
            Answer.objects.filter(response__wave=of).values_list("question__key", "value")
        )

    assert answers(copy) == answers(wave)
    assert sorted(copy.responses.values_list("submitted_on", flat=True)) == sorted(
        wave.responses.values_list("submitted_on", flat=True)
    )


def test_a_download_is_recorded_in_the_audit_log(client_as_analyst, analyst):
    wave = payload_wave()

    download(client_as_analyst, "surveys_export_responses", wave, "xlsx")
    download(client_as_analyst, "surveys_export_free_text", wave, "csv")

    entries = ModelLogEntry.objects.filter(action="surveys.export").order_by("pk")
    assert [(e.user_id, e.data["what"], e.data["format"]) for e in entries] == [
        (analyst.pk, "responses", "xlsx"),
        (analyst.pk, "free-text", "csv"),
    ]


def test_an_unknown_format_is_not_found(client_as_analyst):
    wave = payload_wave()

    assert (
        client_as_analyst.get(
            reverse("surveys_export_responses", args=[wave.pk, "json"])
        ).status_code
        == 404
    )


# --- Who may download ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), EXPORTS)
def test_an_approver_gets_403(signed_in, make_user, name, fmt):
    wave = payload_wave()
    fill(wave)
    client = signed_in(make_user(roles.APPROVERS))

    assert client.get(reverse(name, args=[wave.pk, fmt])).status_code == 403
    assert not ModelLogEntry.objects.filter(action="surveys.export").exists()


@pytest.mark.parametrize(("name", "fmt"), EXPORTS)
def test_a_board_member_cannot_reach_a_download(signed_in, make_user, name, fmt):
    wave = payload_wave()
    fill(wave)
    client = signed_in(make_user(roles.BOARD_MEMBERS), enrol=False)
    url = reverse(name, args=[wave.pk, fmt])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == reverse("account_login") + "?next=" + url
