"""Downloading a wave's results: responses as CSV and XLSX (minimised by default, in full only
with its own permission and a reason), free text apart, every cell escaped, nothing from an
invitation, every download in the audit log."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections import Counter
from datetime import date

import openpyxl
import pytest

from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from wagtail.models import ModelLogEntry

from cms import roles
from cms.exports import FORMULA_PREFIXES
from cms.platform.disclosure import disclosure_threshold
from surveys import classifications, demo, exports
from surveys.analysis.microdata import WITHHELD
from surveys.import_views import EXPORT_FULL_RESPONSES
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


def grant_full_export(user) -> None:
    app_label, codename = EXPORT_FULL_RESPONSES.split(".")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )


@pytest.fixture
def full_analyst(make_user):
    user = make_user(roles.INCLUSION_ANALYSTS)
    grant_full_export(user)
    return user


@pytest.fixture
def client_full(signed_in, full_analyst):
    return signed_in(full_analyst)


REASON = "Comparing the 19 detailed groups with the 2021 Census, approved by the DPO."


def content_of(response) -> bytes:
    return (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )


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


def download_full(client, wave, fmt: str, reason: str = REASON):
    response = client.post(
        reverse("surveys_export_responses", args=[wave.pk, fmt]), {"reason": reason}
    )
    assert response.status_code == 200, response
    return response, content_of(response)


def test_the_full_csv_has_one_row_per_response_with_coded_values(client_full):
    wave = payload_wave()
    fill(wave)

    response, content = download_full(client_full, wave, "csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        'filename="hyperlinkhttpevilexample-2022-responses-full.csv"'
        in (response["Content-Disposition"])
    )
    header, *rows = csv_cells(content)
    assert header == ["submitted_on", "equal_opportunity", "'-payload", "support", "ethnicity"]
    assert len(rows) == Response.objects.filter(wave=wave).count() == 7
    by_date = {row[0]: row for row in rows}
    assert by_date["2022-03-11"] == ["2022-03-11", "2", "'+cmd", "'@a;=c", "white_british"]
    assert by_date["2022-03-10"] == ["2022-03-10", "1", "'=1+1", "plain", "black_caribbean"]
    assert by_date["2022-03-31"] == ["2022-03-31", "5", "", "", "asian_indian"]


def test_the_minimised_csv_has_high_level_groups_no_dates_and_withholds_rare_combinations(
    client_as_analyst,
):
    wave = payload_wave()
    rows = [
        # 12 alike: shown as they are (the ethnic group high-level).
        *({"equal_opportunity": "4", "support": "plain", "ethnicity": "white_british"},) * 12,
        # 12 with the same ethnic group and choices but different answers to "-payload".
        *(
            {"equal_opportunity": "2", "-payload": "=1+1", "support": "plain",
             "ethnicity": "black_african" if i % 2 else "black_caribbean"}
            for i in range(12)
        ),
        # 3 alike, and rare: still 3 with "support", then "-payload", then the ethnic group
        # withheld, so the smallest other combination is withheld entirely with them.
        *({"equal_opportunity": "5", "-payload": "+cmd", "support": "@a", "ethnicity":
           "asian_indian"},) * 3,
    ]  # fmt: skip
    assert import_responses(wave=wave, rows=rows).ok

    _, content = download(client_as_analyst, "surveys_export_responses", wave, "csv")

    header, *written = csv_cells(content)
    assert header == ["equal_opportunity", "'-payload", "support", "ethnicity"]
    combinations = Counter(tuple(row[1:]) for row in written)
    assert all(n >= disclosure_threshold() for n in combinations.values()), combinations
    assert {row[3] for row in written} <= {"white", "black", WITHHELD}
    assert not {"white_british", "black_african", "asian_indian"} & {v for r in written for v in r}
    # Opinions are never withheld; the rows are all there.
    assert Counter(row[0] for row in written) == {"4": 12, "2": 12, "5": 3}
    assert combinations[(WITHHELD,) * 3] == 15


def test_a_wave_of_fewer_responses_than_the_threshold_has_no_minimised_rows(client_as_analyst):
    wave = payload_wave()
    fill(wave)  # 7 responses

    _, content = download(client_as_analyst, "surveys_export_responses", wave, "csv")
    _, workbook = download(client_as_analyst, "surveys_export_responses", wave, "xlsx")

    assert csv_cells(content) == [["equal_opportunity", "'-payload", "support", "ethnicity"]]
    sheets = xlsx_cells(workbook)
    assert sheets["Responses"] == [["equal_opportunity", "'-payload", "support", "ethnicity"]]
    assert ["Rows", 0] in sheets["About"]


def demo_sized_wave():
    """A wave of 3,000 responses as the demo makes them: detailed ethnic groups, directorates,
    pay bands and training taken."""
    survey = SurveyFactory(name="Staff survey", slug="demo-sized")
    wave = WaveFactory(survey=survey, year=2024, opens_on=date(2024, 10, 1),
                       closes_on=date(2024, 10, 31))  # fmt: skip
    questions = demo._create_questions(wave)
    demo._staff_wave_responses(
        rng=random.Random(2024), wave=wave, questions=questions, count=3000, wave_index=0,
        until=wave.closes_on,
    )  # fmt: skip
    return wave


KEYS = ("directorate", "pay_band", "training", "ethnicity")


def test_the_minimised_export_of_a_demo_sized_wave_shares_every_combination(client_full):
    """The attack: know a colleague's ethnic group, directorate and pay band, find their row."""
    wave = demo_sized_wave()
    threshold = disclosure_threshold()

    _, full = download_full(client_full, wave, "csv")
    _, minimised = download(client_full, "surveys_export_responses", wave, "csv")

    header, *rows = csv_cells(full)
    at = [header.index(key) for key in KEYS]
    detailed = Counter(tuple(row[i] for i in at[:2] + at[3:]) for row in rows)
    unique = sum(1 for n in detailed.values() if n == 1)
    assert unique > 50  # The full export: many responses alone on three answers.

    header, *rows = csv_cells(minimised)
    assert len(rows) == 3000
    assert "submitted_on" not in header
    at = [header.index(key) for key in KEYS]
    combinations = Counter(tuple(row[i] for i in at) for row in rows)
    assert min(combinations.values()) >= threshold, sorted(combinations.items())[:5]
    high_level = {g.code for g in classifications.HIGH_LEVEL_GROUPS}
    assert {row[at[3]] for row in rows} <= high_level | {"prefer_not_to_say", WITHHELD}
    # Any combination of fewer of the fields is shared at least as widely.
    for pair in ((0, 3), (1, 3), (0, 1)):
        sub = Counter(tuple(row[at[i]] for i in pair) for row in rows)
        assert min(sub.values()) >= threshold
    # Most of it is still there to analyse.
    withheld = sum(row[i] == WITHHELD for row in rows for i in at)
    assert withheld < 0.25 * len(rows) * len(at)
    assert sum(row[at[3]] == WITHHELD for row in rows) < 0.02 * len(rows)


@pytest.mark.parametrize(("name", "fmt"), EXPORTS)
def test_every_cell_of_every_download_is_escaped_against_formulas(client_full, name, fmt):
    """The full export here (seven responses have no minimised rows); the security suite's
    export inventory checks the minimised one with enough responses to show every value."""
    wave = payload_wave()
    fill(wave)

    if name == "surveys_export_responses":
        _, content = download_full(client_full, wave, fmt)
    else:
        _, content = download(client_full, name, wave, fmt)

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


def test_the_xlsx_has_the_responses_a_codebook_and_notes(client_full):
    wave = payload_wave()
    fill(wave)

    response, content = download_full(client_full, wave, "xlsx")

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
    assert ("ethnicity", "asian_indian", "Indian") in {
        (row[0], row[3], row[4]) for row in sheets["Codebook"]
    }


def test_the_minimised_xlsx_codebook_has_the_high_level_groups_and_withheld(client_as_analyst):
    wave = payload_wave()
    fill(wave)

    _, content = download(client_as_analyst, "surveys_export_responses", wave, "xlsx")

    sheets = xlsx_cells(content)
    codebook = {(row[0], row[3]) for row in sheets["Codebook"][1:]}
    assert ("ethnicity", "asian") in codebook and ("ethnicity", "asian_indian") not in codebook
    assert {("ethnicity", WITHHELD), ("'-payload", WITHHELD), ("support", WITHHELD)} <= codebook
    assert ("equal_opportunity", WITHHELD) not in codebook  # Opinions are never withheld.
    assert any(row[0] == "Note" and row[1].startswith("Minimised") for row in sheets["About"])


def test_downloads_never_hold_invitation_data(client_full):
    wave = payload_wave()
    invite(wave, email="waiting.person@example.org", token="unused-token")
    invite(wave, email="answered.person@example.org", token="used-token")
    SurveyInvitation.objects.filter(email="answered.person@example.org").update(used=True, email="")
    fill(wave)
    hashes = list(SurveyInvitation.objects.values_list("token_hash", flat=True))
    assert len(hashes) == 2

    downloads = [download(client_full, name, wave, fmt)[1] for name, fmt in EXPORTS]
    downloads += [download_full(client_full, wave, fmt)[1] for fmt in ("csv", "xlsx")]
    formats = [fmt for _, fmt in EXPORTS] + ["csv", "xlsx"]
    for content, fmt in zip(downloads, formats, strict=True):
        name = "the download"
        text = content.decode("utf-8") if fmt == "csv" else xlsx_text(content)
        for secret in ("waiting.person@example.org", "unused-token", "used-token", *hashes):
            assert secret not in text, (name, fmt, secret)
        assert "invit" not in text.split("\n", 1)[0].lower()  # Not even a column for it.


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_responses_download_never_holds_free_text(client_full, fmt):
    wave = payload_wave()
    fill(wave)

    _, content = download_full(client_full, wave, fmt)
    _, free_text = download(client_full, "surveys_export_free_text", wave, fmt)

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


def test_responses_are_read_a_page_at_a_time_and_none_is_lost(client_full, monkeypatch):
    monkeypatch.setattr(exports, "PAGE_SIZE", 2)
    wave = payload_wave()
    other = payload_wave(year=2021, survey=wave.survey)
    fill(other)  # Another wave's answers interleave by key: they must not leak in.
    fill(wave)
    Response.objects.create(wave=wave, submitted_on=date(2022, 3, 20))  # No answers at all.

    _, content = download_full(client_full, wave, "csv")

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
    content = "".join(exports.responses_csv(wave, full=True)).encode("utf-8")

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


def test_every_download_is_recorded_in_the_audit_log_the_full_one_with_its_reason(
    client_full, full_analyst
):
    wave = payload_wave()

    download(client_full, "surveys_export_responses", wave, "xlsx")
    download(client_full, "surveys_export_free_text", wave, "csv")
    download_full(client_full, wave, "csv")

    entries = ModelLogEntry.objects.filter(action="surveys.export").order_by("pk")
    assert [(e.user_id, e.object_id, e.data) for e in entries] == [
        (full_analyst.pk, str(wave.pk), {"what": "responses", "format": "xlsx",
                                          "detail": "minimised"}),
        (full_analyst.pk, str(wave.pk), {"what": "free-text", "format": "csv"}),
        (full_analyst.pk, str(wave.pk), {"what": "responses", "format": "csv", "detail": "full",
                                          "reason": REASON}),
    ]  # fmt: skip


def test_the_full_export_asks_why_before_anything_is_downloaded(client_full):
    wave = payload_wave()
    fill(wave)
    url = reverse("surveys_export_responses", args=[wave.pk, "csv"])

    page = client_full.get(f"{url}?full=1")

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert b"Why do you need the responses in full?" in page.content
    assert not ModelLogEntry.objects.filter(action="surveys.export").exists()


@pytest.mark.parametrize("reason", [None, "", "   ", "because", "x" * 1001])
def test_the_full_export_is_refused_without_a_reason(client_full, reason):
    wave = payload_wave()
    fill(wave)
    url = reverse("surveys_export_responses", args=[wave.pk, "csv"])

    response = client_full.post(url, {} if reason is None else {"reason": reason})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")  # The form again, not the file.
    assert b"asian_indian" not in response.content
    assert not ModelLogEntry.objects.filter(action="surveys.export").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_full_export_is_refused_without_its_permission(client_as_analyst, fmt):
    """Inclusion analysts download the minimised export; the full one is no role's."""
    wave = payload_wave()
    fill(wave)
    url = reverse("surveys_export_responses", args=[wave.pk, fmt])

    assert client_as_analyst.get(f"{url}?full=1").status_code == 403
    assert client_as_analyst.post(url, {"reason": REASON}).status_code == 403
    assert not ModelLogEntry.objects.filter(action="surveys.export").exists()
    # The page of downloads offers only the minimised export.
    index = client_as_analyst.get(reverse("surveys_data")).content.decode()
    assert f"{url}?full=1" not in index and url in index


def test_the_page_of_downloads_offers_the_full_export_to_those_who_may(client_full):
    wave = payload_wave()
    fill(wave)
    url = reverse("surveys_export_responses", args=[wave.pk, "xlsx"])

    assert f"{url}?full=1" in client_full.get(reverse("surveys_data")).content.decode()


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

    assert response.status_code == 403
    assert "This part of the site is for council staff" in response.content.decode()
    assert not ModelLogEntry.objects.filter(action="surveys.export").exists()


def test_a_superuser_can_give_the_full_export_through_the_group_editor(signed_in, make_user):
    """Nobody has it by default; a superuser can grant it where Wagtail lists the wave's."""
    client = signed_in(make_user(is_superuser=True))
    permission = Permission.objects.get(codename="export_full_responses")
    group = Group.objects.get(name=roles.INCLUSION_ANALYSTS)

    page = client.get(reverse("wagtailusers_groups:edit", args=[group.pk])).content.decode()

    assert f'value="{permission.pk}"' in page
