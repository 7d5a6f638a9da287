"""Importing past survey results: individual responses (streamed, checked, all or nothing,
written in bulk) and aggregated counts from an earlier provider."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import zipfile
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime
from unittest import mock

import openpyxl
import pytest

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse

from wagtail.models import ModelLogEntry

from cms import roles
from cms.platform import uploads
from cms.platform.uploads import Row
from surveys import classifications, import_tasks, import_views, importers, services
from surveys.importers import CsvRows, import_aggregated_counts, import_responses
from surveys.models import (
    AggregatedCount,
    Answer,
    FreeTextAnswer,
    Question,
    Response,
    Wave,
)
from tests.surveys.count_import_helpers import confirm_preview
from tests.surveys.factories import QuestionFactory, SurveyFactory, staff_survey_wave

pytestmark = pytest.mark.django_db

HEADINGS = ["equal_opportunity", "belonging", "directorate", "improve", "ethnicity"]
COUNT_HEADINGS = ["year", "question_key", "group", "n_answering", "n_positive"]


def closed_wave(year: int = 2022, **fields) -> Wave:
    return staff_survey_wave(
        year=year, opens_on=date(year, 3, 1), closes_on=date(year, 3, 31), **fields
    )


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def upload(client, url, name: str, data: bytes, content_type: str = "text/csv"):
    return client.post(
        url, {"file": SimpleUploadedFile(name, data, content_type=content_type)}, follow=True
    )


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def import_url(wave) -> str:
    return reverse("surveys_import_responses", args=[wave.pk])


def counts_url(survey) -> str:
    return reverse("surveys_import_counts", args=[survey.pk])


def rows_of(data: bytes) -> CsvRows:
    @contextmanager
    def opener():
        yield io.BytesIO(data)

    return CsvRows(opener)


@pytest.fixture
def analyst(make_user):
    return make_user(roles.INCLUSION_ANALYSTS)


@pytest.fixture
def client_as_analyst(signed_in, analyst):
    return signed_in(analyst)


# --- Individual responses: the happy path ----------------------------------------------------


def test_a_valid_csv_imports_every_response_through_the_admin(client_as_analyst, analyst):
    wave = closed_wave()
    data = csv_bytes(
        [
            [*HEADINGS, "submitted_on"],
            ["5", "4", "place", "More training", "white_british", "2022-03-05"],
            ["2", "", "", "", "black_african", "07/03/2022"],
            [" 4 ", "1", "people", "=1+1", "prefer_not_to_say", ""],
        ]
    )

    page = upload(client_as_analyst, import_url(wave), "wave.csv", data)

    assert "Imported 3 responses" in text_of(page)
    responses = Response.objects.filter(wave=wave)
    assert responses.count() == 3
    assert set(responses.values_list("source", flat=True)) == {Response.Source.IMPORTED}
    assert sorted(responses.values_list("submitted_on", flat=True)) == [
        date(2022, 3, 5),
        date(2022, 3, 7),
        wave.closes_on,  # No date given: the day the wave closed.
    ]
    assert Counter(
        Answer.objects.filter(question__key="equal_opportunity").values_list("value", flat=True)
    ) == Counter({"5": 1, "2": 1, "4": 1})
    assert Answer.objects.filter(response__wave=wave).count() == 4 + 2 + 4
    # Free text is stored as written (never run), and apart from any response.
    assert sorted(FreeTextAnswer.objects.values_list("text", flat=True)) == [
        "=1+1",
        "More training",
    ]
    assert not [f.name for f in FreeTextAnswer._meta.get_fields() if f.name == "response"]
    entry = ModelLogEntry.objects.get(action="surveys.import")
    assert entry.user_id == analyst.pk
    assert entry.data["responses"] == 3
    assert entry.data["free_text"] == 2


def test_a_workbook_imports_with_numbers_and_dates_as_a_spreadsheet_stores_them(
    client_as_analyst,
):
    wave = closed_wave()
    data = xlsx_bytes(
        [
            [*HEADINGS, "submitted_on"],
            [5, 4.0, "corporate", "Fine", "asian_indian", datetime(2022, 3, 9)],
            [3, None, None, None, "other_arab", None],
        ]
    )

    page = upload(client_as_analyst, import_url(wave), "wave.xlsx", data)

    assert "Imported 2 responses" in text_of(page)
    assert sorted(
        Answer.objects.filter(question__key="equal_opportunity").values_list("value", flat=True)
    ) == ["3", "5"]
    assert set(Response.objects.values_list("submitted_on", flat=True)) == {
        date(2022, 3, 9),
        wave.closes_on,
    }


def test_multiple_choice_cells_become_one_answer_per_choice():
    wave = closed_wave()
    QuestionFactory(
        wave=wave,
        key="support",
        kind=Question.Kind.MULTIPLE,
        required=False,
        options=[["mentor", "Mentoring"], ["network", "Staff network"], ["none", "None"]],
    )
    rows = [
        {"equal_opportunity": "4", "ethnicity": "white_irish", "support": "mentor; network"},
        {"equal_opportunity": "4", "ethnicity": "white_irish", "support": "network;network"},
    ]

    result = import_responses(wave=wave, rows=rows)

    assert result.ok, result.errors
    assert Counter(
        Answer.objects.filter(question__key="support").values_list("value", flat=True)
    ) == Counter({"network": 2, "mentor": 1})


def test_free_text_is_written_in_a_random_order_with_no_link_to_its_response():
    wave = closed_wave()
    rows = [
        {"equal_opportunity": "4", "ethnicity": "white_british", "improve": f"comment {i:03}"}
        for i in range(60)
    ]

    assert import_responses(wave=wave, rows=rows).ok

    stored = list(FreeTextAnswer.objects.order_by("pk").values_list("text", flat=True))
    assert sorted(stored) == [f"comment {i:03}" for i in range(60)]
    assert stored != sorted(stored)  # 1 chance in 60! of a false failure


def test_free_text_beyond_one_piece_is_shuffled_through_temporary_files(monkeypatch):
    monkeypatch.setattr(importers, "SHUFFLE_CHUNK_ROWS", 7)
    wave = closed_wave()
    rows = [
        {"equal_opportunity": "4", "ethnicity": "white_british", "improve": f"note {i:02}"}
        for i in range(40)
    ]

    assert import_responses(wave=wave, rows=rows).ok

    stored = list(FreeTextAnswer.objects.order_by("pk").values_list("text", flat=True))
    assert sorted(stored) == [f"note {i:02}" for i in range(40)]
    assert stored != sorted(stored)


# --- Checked first, all or nothing -----------------------------------------------------------


def test_one_bad_row_imports_nothing_and_reports_the_row_and_the_reason(client_as_analyst):
    wave = closed_wave()
    data = csv_bytes(
        [
            HEADINGS,
            ["5", "4", "place", "", "white_british"],
            ["6", "4", "place", "", "white_british"],
            ["4", "4", "place", "", "white_british"],
        ]
    )

    page = upload(client_as_analyst, import_url(wave), "wave.csv", data)

    content = text_of(page)
    assert "Nothing was imported" in content
    errors = page.context["result"].errors
    assert [(e.row, e.column) for e in errors] == [(3, "equal_opportunity")]
    assert "“6” is not an answer to this question" in errors[0].message
    assert "<td>3</td><td>equal_opportunity</td>" in content
    assert Response.objects.count() == 0
    assert Answer.objects.count() == 0
    assert FreeTextAnswer.objects.count() == 0
    assert not ModelLogEntry.objects.filter(action="surveys.import").exists()


def test_every_kind_of_problem_is_reported_against_its_row_and_column():
    wave = closed_wave()
    rows = [
        {"equal_opportunity": "", "ethnicity": "white_british"},  # required, empty
        {"equal_opportunity": "4", "ethnicity": "bame"},  # not an ethnic group code
        {"equal_opportunity": "4", "ethnicity": "white_british", "directorate": "finance"},
        {"equal_opportunity": "4", "ethnicity": "asian_chinese", "improve": "x" * 5001},
        {"equal_opportunity": "4", "ethnicity": "asian_chinese", "submitted_on": "31/02/2022"},
        {"equal_opportunity": "4", "ethnicity": "asian_chinese", "submitted_on": "2099-01-01"},
    ]

    result = import_responses(wave=wave, rows=rows)

    assert [(e.row, e.column) for e in result.errors] == [
        (2, "equal_opportunity"),
        (3, "ethnicity"),
        (4, "directorate"),
        (5, "improve"),
        (6, "submitted_on"),
        (7, "submitted_on"),
    ]
    assert "must be answered" in result.errors[0].message
    assert "at most 5,000 characters" in result.errors[3].message
    assert "is not a date" in result.errors[4].message
    assert "in the future" in result.errors[5].message
    assert Response.objects.count() == 0


def test_unknown_and_missing_columns_are_refused_once_each():
    wave = closed_wave()
    data = csv_bytes(
        [["staff_number", "belonging", "belonging", "equal_opportunity"], ["123", "4", "4", "5"]]
    )

    result = import_responses(wave=wave, rows=rows_of(data))

    problems = {(e.row, e.column): e.message for e in result.errors}
    assert "No question in this wave has this key" in problems[(1, "staff_number")]
    assert "appears more than once" in problems[(1, "belonging")]
    assert "the file has no column" in problems[(1, "ethnicity")]
    assert Response.objects.count() == 0


def test_a_row_with_cells_beyond_the_headings_is_refused():
    wave = closed_wave()
    data = csv_bytes([["equal_opportunity", "ethnicity"], ["5", "white_british", "oops"]])

    result = import_responses(wave=wave, rows=rows_of(data))

    assert [(e.row, e.message) for e in result.errors] == [
        (2, "This row has more cells than there are column headings.")
    ]


def test_problems_past_the_limit_are_counted_not_listed():
    wave = closed_wave()
    rows = [{"equal_opportunity": "9", "ethnicity": "white_british"} for _ in range(250)]

    result = import_responses(wave=wave, rows=rows)

    assert result.error_count == 250
    assert len(result.errors) == importers.MAX_REPORTED_ERRORS
    assert result.errors_not_listed == 50
    assert Response.objects.count() == 0


def test_a_failure_while_writing_rolls_everything_back(monkeypatch):
    wave = closed_wave()
    rows = [{"equal_opportunity": "4", "ethnicity": "white_british"} for _ in range(30)]
    monkeypatch.setattr(importers, "WRITE_BATCH", 10)
    real_answers = importers._BulkWriter.answers
    calls = []

    def failing(self, batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_answers(self, batch)

    monkeypatch.setattr(importers._BulkWriter, "answers", failing)

    with pytest.raises(RuntimeError):
        import_responses(wave=wave, rows=rows)

    assert calls == [20, 20]
    assert Response.objects.count() == 0
    assert Answer.objects.count() == 0


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("open", "has not closed yet"),
        ("responses", "already has 1 responses"),
        ("counts", "holds aggregated counts"),
        ("no_questions", "has no questions yet"),
    ],
)
def test_a_wave_that_cannot_take_an_import_is_refused_before_reading(setup, message):
    if setup == "no_questions":
        wave = Wave.objects.create(
            survey=SurveyFactory(), year=2020, opens_on=date(2020, 1, 1), closes_on=date(2020, 2, 1)
        )
    else:
        wave = closed_wave() if setup != "open" else staff_survey_wave()
    if setup == "responses":
        Response.objects.create(wave=wave, submitted_on=wave.closes_on)
    if setup == "counts":
        AggregatedCount.objects.create(
            wave=wave, question_key="equal_opportunity", group="all", n_answering=5, n_positive=2
        )
    opened = []

    @contextmanager
    def opener():
        opened.append(True)
        yield io.BytesIO(b"equal_opportunity,ethnicity\n4,white_british\n")

    result = import_responses(wave=wave, rows=CsvRows(opener))

    assert not result.ok
    assert message in result.errors[0].message
    assert result.errors[0].row == 0
    assert not opened


def test_a_second_import_into_the_same_wave_is_refused(client_as_analyst):
    wave = closed_wave()
    data = csv_bytes([["equal_opportunity", "ethnicity"], ["5", "white_british"]])
    upload(client_as_analyst, import_url(wave), "wave.csv", data)

    page = upload(client_as_analyst, import_url(wave), "wave.csv", data)

    assert "This wave cannot take an import" in text_of(page)
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    "row",
    [
        {"equal_opportunity": "5", "ethnicity": "white_british"},
        {"equal_opportunity": "5", "ethnicity": "white_british", "belonging": "0"},
        {"equal_opportunity": "", "ethnicity": "white_british"},
        {"equal_opportunity": "3", "ethnicity": "Prefer not to say"},
        {"equal_opportunity": "3", "ethnicity": "prefer_not_to_say", "directorate": "people"},
        {"equal_opportunity": "3", "ethnicity": "mixed_other", "directorate": "People"},
        {"equal_opportunity": "1", "ethnicity": "black_other", "improve": "y" * 5000},
        {"equal_opportunity": "1", "ethnicity": "black_other", "improve": "y" * 5001},
        {"ethnicity": "black_other"},
    ],
)
def test_rows_are_checked_by_the_same_rules_as_an_online_answer(row):
    wave = closed_wave()
    questions = list(wave.questions.all())
    try:
        services.clean_answers(wave=wave, data=row, questions=questions)
        accepted_online = True
    except ValidationError:
        accepted_online = False

    result = import_responses(wave=wave, rows=[row])

    assert result.ok == accepted_online, result.errors


# --- Files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("wave.txt", b"equal_opportunity\n5\n", "Upload a .csv or .xlsx file."),
        ("wave.csv", b"PK\x03\x04rest-of-a-zip", "is an Excel workbook, not a CSV file"),
        ("wave.csv", b"equal_opportunity\x00\n", "holds binary data"),
        ("wave.csv", "equal_opportunity\nd\xe9j\xe0\n".encode("latin-1"), "not UTF-8 text"),
        ("wave.xlsx", b"equal_opportunity,ethnicity\n5,white_british\n", "not an Excel workbook"),
        ("wave.xlsx", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old Excel 97-2003 (.xls)"),
        ("wave.xlsx", b"PK\x03\x04" + b"\x00" * 100, "damaged or is not an Excel workbook"),
        ("wave.csv", b"", "The submitted file is empty."),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused_with_a_message(
    client_as_analyst, name, data, message
):
    wave = closed_wave()

    page = upload(client_as_analyst, import_url(wave), name, data)

    assert page.status_code == 200
    assert any(message in error for error in page.context["form"].errors["file"])
    assert Response.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_unread(client_as_analyst, monkeypatch):
    monkeypatch.setattr(import_views, "MAX_RESPONSE_UPLOAD_BYTES", 100)
    wave = closed_wave()
    data = csv_bytes([["equal_opportunity", "ethnicity"], *[["5", "white_british"]] * 20])

    with mock.patch.object(import_views, "count_rows") as count_rows:
        page = upload(client_as_analyst, import_url(wave), "wave.csv", data)

    (error,) = page.context["form"].errors["file"]
    assert "the limit is 0.0 MB" in error
    count_rows.assert_not_called()
    assert Response.objects.count() == 0


def test_a_zip_bomb_is_refused_before_it_is_parsed(client_as_analyst, monkeypatch):
    monkeypatch.setattr(
        import_views,
        "RESPONSE_LIMITS",
        dataclasses.replace(importers.RESPONSE_LIMITS, ratio_checked_from=1024 * 1024),
    )
    wave = closed_wave()
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 1024 * 1024))

    with mock.patch("openpyxl.load_workbook") as load_workbook:
        page = upload(client_as_analyst, import_url(wave), "bomb.xlsx", output.getvalue())

    (error,) = page.context["form"].errors["file"]
    assert "would unpack to 20.0 MB" in error
    load_workbook.assert_not_called()


def test_a_workbook_with_too_much_text_is_refused_before_it_is_parsed():
    """openpyxl reads a workbook's shared strings (as Excel saves its text) whole."""
    limits = dataclasses.replace(importers.RESPONSE_LIMITS, max_shared_strings_bytes=1000)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
        archive.writestr("xl/sharedStrings.xml", b"<si><t>a long answer</t></si>" * 100)

    with pytest.raises(uploads.UploadRefused, match="of text"):
        uploads.check_xlsx_archive(io.BytesIO(output.getvalue()), limits)


def test_the_page_lists_the_columns_and_offers_a_template(client_as_analyst):
    wave = closed_wave()

    page = client_as_analyst.get(import_url(wave))

    content = text_of(page)
    for heading in [*HEADINGS, "submitted_on"]:
        assert f"<code>{heading}</code>" in content
    template = client_as_analyst.get(import_url(wave) + "?download=template")
    assert template["Content-Type"].startswith("text/csv")
    assert template.content.decode().strip().split(",") == [*HEADINGS, "submitted_on"]


# --- Background import for large files --------------------------------------------------------


def test_a_large_file_is_imported_in_the_background_with_progress(
    client_as_analyst, analyst, monkeypatch
):
    monkeypatch.setattr(import_views, "SMALL_FILE_ROWS", 5)
    monkeypatch.setattr(importers, "PROGRESS_EVERY", 4)
    states = []
    real_set_state = import_tasks.set_state
    monkeypatch.setattr(
        import_tasks,
        "set_state",
        lambda import_id, **changes: states.append(changes) or real_set_state(import_id, **changes),
    )
    wave = closed_wave()
    data = csv_bytes(
        [
            ["equal_opportunity", "ethnicity"],
            *[[str(1 + i % 5), "white_british"] for i in range(12)],
        ]
    )
    saved = []
    real_save = default_storage.save
    monkeypatch.setattr(
        default_storage,
        "save",
        lambda name, content: saved.append(real_save(name, content)) or saved[-1],
    )

    page = upload(client_as_analyst, import_url(wave), "big.csv", data)

    assert page.redirect_chain[-1][0].startswith("/admin/survey-data/imports/")
    content = text_of(page)
    assert "Imported 12 responses" in content
    assert 'http-equiv="refresh"' not in content  # Finished: no more refreshing.
    assert Response.objects.filter(wave=wave).count() == 12
    assert [s["status"] for s in states if "status" in s] == [
        "queued",
        "checking",
        "checking",
        "checking",
        "checking",
        "checking",
        "writing",
        "writing",
        "writing",
        "writing",
        "done",
    ]
    assert {"status": "writing", "done": 8, "total": 12} in states
    (name,) = saved
    assert name.startswith(import_tasks.UPLOAD_FOLDER + "/")
    assert not default_storage.exists(name)  # Deleted once imported.
    assert ModelLogEntry.objects.get(action="surveys.import").user_id == analyst.pk


def test_a_background_import_with_problems_shows_them(client_as_analyst, monkeypatch):
    monkeypatch.setattr(import_views, "SMALL_FILE_ROWS", 2)
    wave = closed_wave()
    data = csv_bytes(
        [
            ["equal_opportunity", "ethnicity"],
            ["5", "white_british"],
            ["5", "x"],
            ["7", "asian_other"],
        ]
    )

    page = upload(client_as_analyst, import_url(wave), "big.csv", data)

    content = text_of(page)
    assert "Nothing was imported" in content
    assert [(e.row, e.column) for e in page.context["result"].errors] == [
        (3, "ethnicity"),
        (4, "equal_opportunity"),
    ]
    assert Response.objects.count() == 0


def test_a_background_import_that_crashes_says_so_and_deletes_the_file(
    client_as_analyst, monkeypatch
):
    monkeypatch.setattr(import_views, "SMALL_FILE_ROWS", 2)
    monkeypatch.setattr(importers, "import_responses", mock.Mock(side_effect=RuntimeError("boom")))
    wave = closed_wave()
    data = csv_bytes([["equal_opportunity", "ethnicity"], *[["5", "white_british"]] * 3])

    page = upload(client_as_analyst, import_url(wave), "big.csv", data)

    content = text_of(page)
    assert "The import stopped with an error. Nothing was imported." in content
    assert 'http-equiv="refresh"' not in content
    assert default_storage.listdir(import_tasks.UPLOAD_FOLDER)[1] == []


def test_the_progress_page_refreshes_while_the_import_runs(client_as_analyst, analyst, make_user):
    wave = closed_wave()
    import_tasks.set_state(
        "abc123",
        status="writing",
        wave_id=wave.pk,
        user_id=analyst.pk,
        file="big.csv",
        done=250,
        total=1000,
    )
    url = reverse("surveys_import_progress", args=["abc123"])

    content = text_of(client_as_analyst.get(url))

    assert '<meta http-equiv="refresh" content="2">' in content
    assert "250 of 1000 rows imported (25% done)" in content
    assert '<progress id="import-progress" max="100" value="25">' in content
    assert (
        client_as_analyst.get(reverse("surveys_import_progress", args=["nope"])).status_code == 404
    )


def test_only_the_analyst_who_started_an_import_sees_its_progress(signed_in, make_user):
    wave = closed_wave()
    import_tasks.set_state("abc123", status="checking", wave_id=wave.pk, user_id=-1, file="x.csv")

    client = signed_in(make_user(roles.INCLUSION_ANALYSTS))

    assert client.get(reverse("surveys_import_progress", args=["abc123"])).status_code == 403


def test_the_progress_page_finds_the_outcome_in_the_task_result(client_as_analyst, analyst):
    """With a cache the worker does not share, the stored task result has the outcome."""
    wave = closed_wave()
    import_tasks.set_state("abc123", status="queued", wave_id=wave.pk, user_id=analyst.pk)
    import_tasks.cache.set(import_tasks.state_key("abc123") + ":task", "task-1")
    finished = mock.Mock(
        status="SUCCESSFUL",
        return_value={"result": importers.ImportResult(rows=7, imported=7, answers=14).as_dict()},
    )

    with mock.patch.object(
        type(import_tasks.import_responses_file), "get_result", return_value=finished
    ) as get_result:
        content = text_of(
            client_as_analyst.get(reverse("surveys_import_progress", args=["abc123"]))
        )

    get_result.assert_called_once_with("task-1")
    assert "Imported 7 responses" in content
    assert "refresh" not in content


# --- Streaming: the file is read twice and never held -------------------------------------------


class CountedRow(Row):
    """A row that counts how many rows are alive at once (CPython frees them when dropped)."""

    alive = 0
    peak = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        CountedRow.alive += 1
        CountedRow.peak = max(CountedRow.peak, CountedRow.alive)

    def __del__(self):
        CountedRow.alive -= 1


def test_the_file_is_read_twice_streaming_and_never_held_whole(monkeypatch):
    wave = closed_wave()
    data = csv_bytes(
        [["equal_opportunity", "ethnicity", "improve"]]
        + [[str(1 + i % 5), "white_british", f"text {i}"] for i in range(3000)]
    )
    opened = []
    read_sizes = []

    class Stream(io.BytesIO):
        def read(self, size=-1):
            read_sizes.append(size)
            return super().read(size)

        def read1(self, size=-1):
            read_sizes.append(size)
            return super().read1(size)

    @contextmanager
    def opener():
        opened.append(True)
        yield Stream(data)

    monkeypatch.setattr(uploads, "Row", CountedRow)
    monkeypatch.setattr(importers, "WRITE_BATCH", 500)
    CountedRow.alive = CountedRow.peak = 0

    result = import_responses(wave=wave, rows=CsvRows(opener))

    assert result.ok and result.imported == 3000
    assert len(opened) == 2  # Checked on one read, written on a second.
    assert CountedRow.peak <= 3  # Rows are dropped as soon as they are used.
    assert read_sizes and all(0 < size < len(data) for size in read_sizes)  # Read in pieces.
    assert Answer.objects.count() == 6000


def test_a_one_shot_iterator_is_refused_as_it_cannot_be_read_twice():
    wave = closed_wave()

    with pytest.raises(TypeError, match="re-iterable"):
        import_responses(wave=wave, rows=iter([{"equal_opportunity": "4"}]))


def test_an_xlsx_is_read_in_read_only_mode_each_time(monkeypatch):
    wave = closed_wave()
    data = xlsx_bytes(
        [["equal_opportunity", "ethnicity"], [5, "white_british"], [4, "white_irish"]]
    )
    real = openpyxl.load_workbook
    modes = []

    def spy(*args, **kwargs):
        modes.append(kwargs.get("read_only"))
        return real(*args, **kwargs)

    @contextmanager
    def opener():
        yield io.BytesIO(data)

    monkeypatch.setattr(openpyxl, "load_workbook", spy)

    result = import_responses(wave=wave, rows=importers.XlsxRows(opener))

    assert result.ok and result.imported == 2
    assert modes == [True, True]


# --- Aggregated counts ---------------------------------------------------------------------------


def test_aggregated_counts_import_and_make_the_waves_they_need(client_as_analyst, analyst):
    survey = SurveyFactory(name="Old staff survey")
    Wave.objects.create(
        survey=survey, year=2019, opens_on=date(2019, 1, 1), closes_on=date(2019, 2, 1)
    )
    data = csv_bytes(
        [
            [*COUNT_HEADINGS, "notes"],
            ["2019", "equal_opportunity", "all", "1,200", "800", "x"],
            ["2019", "equal_opportunity", "ethnic_minorities", "300", "150", ""],
            ["2020", "equal_opportunity", "black", "40", "12", ""],
            ["2020", "equal_opportunity", "prefer_not_to_say", "25", "25", ""],
            ["2020", "equal_opportunity", "white_british", "900", "0", ""],
        ]
    )

    preview = upload(client_as_analyst, counts_url(survey), "counts.csv", data)
    assert "These columns are not used, so they will be ignored: notes" in text_of(preview)
    assert not AggregatedCount.objects.exists()  # Nothing is written before it is confirmed.
    page = confirm_preview(client_as_analyst, preview)

    content = text_of(page)
    assert "Imported 5 aggregated counts into Old staff survey" in content
    assert "new imported waves for 2020" in content
    assert AggregatedCount.objects.get(wave__year=2019, group="all").n_answering == 1200
    new_wave = Wave.objects.get(survey=survey, year=2020)
    assert new_wave.imported
    assert (new_wave.opens_on, new_wave.closes_on) == (date(2020, 1, 1), date(2020, 12, 31))
    assert not Wave.objects.get(survey=survey, year=2019).imported
    entry = ModelLogEntry.objects.get(action="surveys.import")
    assert (entry.user_id, entry.data["counts"], entry.data["waves_created"]) == (
        analyst.pk,
        5,
        [2020],
    )


def test_counts_with_more_positive_than_answering_or_unknown_groups_import_nothing(
    client_as_analyst,
):
    survey = SurveyFactory()
    data = csv_bytes(
        [
            COUNT_HEADINGS,
            ["2018", "equal_opportunity", "all", "100", "60"],
            ["2018", "equal_opportunity", "asian", "10", "11"],
            ["2018", "equal_opportunity", "BAME", "10", "5"],
            ["2018", "equal_opportunity", "white", "-3", "0"],
            ["2018", "equal_opportunity", "all", "100", "60"],
            ["1850", "Equal opportunity!", "mixed", "ten", "1.5"],
        ]
    )

    page = upload(client_as_analyst, counts_url(survey), "counts.csv", data)

    assert "Nothing was imported" in text_of(page)
    problems = {(e.row, e.column): e.message for e in page.context["result"].errors}
    assert problems[(3, "n_positive")] == (
        "The number positive (11) is more than the number answering (10)."
    )
    assert "“bame” is not a group" in problems[(4, "group")]
    assert "is negative" in problems[(5, "n_answering")]
    assert "already a count for this year" in problems[(6, "")]
    assert "not a survey year" in problems[(7, "year")]
    assert "not a question key" in problems[(7, "question_key")]
    assert "not a whole number" in problems[(7, "n_answering")]
    assert "not a whole number" in problems[(7, "n_positive")]
    assert (2, "year") not in problems
    assert AggregatedCount.objects.count() == 0
    assert not Wave.objects.filter(survey=survey).exists()  # The dry run's wave is gone too.


def test_counts_are_refused_for_a_wave_with_responses_and_for_unknown_keys():
    wave = closed_wave(year=2021)
    Response.objects.create(wave=wave, submitted_on=wave.closes_on)

    result = import_aggregated_counts(
        survey=wave.survey,
        rows=[
            {
                "year": 2021,
                "question_key": "equal_opportunity",
                "group": "all",
                "n_answering": 5,
                "n_positive": 1,
            },
            {
                "year": 2020,
                "question_key": "equal_oportunity",
                "group": "all",
                "n_answering": 5,
                "n_positive": 1,
            },
        ],
    )

    assert [(e.row, e.column) for e in result.errors] == [(2, "year"), (3, "question_key")]
    assert "holds individual responses" in result.errors[0].message
    assert "No question in this survey has the key “equal_oportunity”" in result.errors[1].message
    assert AggregatedCount.objects.count() == 0


def test_a_counts_file_of_the_wrong_type_is_refused(client_as_analyst):
    survey = SurveyFactory()

    page = upload(client_as_analyst, counts_url(survey), "counts.csv", b"PK\x03\x04zip")

    assert "is an Excel workbook" in page.context["form"].errors["file"][0]


def test_individual_responses_and_their_counts_agree_by_ethnicity():
    """The same results imported both ways give the same totals by group."""
    wave = closed_wave(year=2023)
    codes = ["white_british", "black_african", "asian_pakistani", "prefer_not_to_say"]
    source = [
        {"equal_opportunity": str(1 + (i * 7) % 5), "ethnicity": codes[(i * 3) % len(codes)]}
        for i in range(200)
    ]
    assert import_responses(wave=wave, rows=source).ok

    # The counts an earlier provider would have sent for the same answers, worked out by hand.
    expected: dict[str, list[int]] = {}
    for row in source:
        for group in (row["ethnicity"], "all"):
            answering, positive = expected.setdefault(group, [0, 0])
            expected[group] = [
                answering + 1,
                positive + (row["equal_opportunity"] in classifications.LIKERT_POSITIVE),
            ]
    other_survey = SurveyFactory(name="Earlier provider")
    counts_result = import_aggregated_counts(
        survey=other_survey,
        rows=[
            {
                "year": 2023,
                "question_key": "equal_opportunity",
                "group": group,
                "n_answering": n,
                "n_positive": p,
            }
            for group, (n, p) in expected.items()
        ],
    )
    assert counts_result.ok, counts_result.errors

    # From the imported responses, with one GROUP BY in the database.
    ethnicity = Answer.objects.filter(
        response=OuterRef("response"), question__wave=wave, question__key="ethnicity"
    ).values("value")[:1]
    by_group = (
        Answer.objects.filter(question__wave=wave, question__key="equal_opportunity")
        .annotate(group=Subquery(ethnicity))
        .values("group")
        .annotate(
            n=Count("pk"), positive=Count("pk", filter=Q(value__in=classifications.LIKERT_POSITIVE))
        )
        .order_by("group")
    )
    from_responses = {row["group"]: (row["n"], row["positive"]) for row in by_group}
    from_responses["all"] = (
        sum(n for n, _ in from_responses.values()),
        sum(p for _, p in from_responses.values()),
    )
    from_counts = {
        count.group: (count.n_answering, count.n_positive)
        for count in AggregatedCount.objects.filter(wave__survey=other_survey, wave__year=2023)
    }
    assert from_responses == from_counts
    assert from_counts["all"][0] == 200


# --- Who may import ------------------------------------------------------------------------------


def test_an_approver_gets_403_everywhere(signed_in, make_user):
    wave = closed_wave()
    client = signed_in(make_user(roles.APPROVERS))
    data = csv_bytes([["equal_opportunity", "ethnicity"], ["5", "white_british"]])

    for url in (reverse("surveys_data"), import_url(wave), counts_url(wave.survey)):
        assert client.get(url).status_code == 403
        assert client.get(url + "?download=template").status_code == 403
        assert client.post(url, {"file": SimpleUploadedFile("w.csv", data)}).status_code == 403
    assert Response.objects.count() == 0


def test_a_board_member_cannot_reach_the_import(signed_in, make_user):
    wave = closed_wave()
    client = signed_in(make_user(roles.BOARD_MEMBERS), enrol=False)
    data = csv_bytes([["equal_opportunity", "ethnicity"], ["5", "white_british"]])

    for url in (reverse("surveys_data"), import_url(wave), counts_url(wave.survey)):
        for response in (
            client.get(url),
            client.post(url, {"file": SimpleUploadedFile("w.csv", data)}),
        ):
            assert response.status_code == 403, url
            assert "This part of the site is for council staff" in response.content.decode()
    assert Response.objects.count() == 0


def test_the_menu_item_is_shown_only_to_those_who_may_use_it(signed_in, make_user, client):
    analyst_page = signed_in(make_user(roles.INCLUSION_ANALYSTS)).get("/admin/")
    assert "Import and download results" in analyst_page.content.decode()
    client.logout()
    approver_page = signed_in(make_user(roles.APPROVERS)).get("/admin/")
    assert approver_page.status_code == 200
    assert "Import and download results" not in approver_page.content.decode()


def test_the_index_links_each_wave_to_what_the_analyst_may_do(client_as_analyst):
    imported = closed_wave(year=2021)
    Response.objects.create(wave=imported, submitted_on=imported.closes_on)
    empty = closed_wave(year=2022, survey=imported.survey)

    content = text_of(client_as_analyst.get(reverse("surveys_data")))

    assert import_url(empty) in content
    assert import_url(imported) not in content
    assert reverse("surveys_export_responses", args=[imported.pk, "csv"]) in content
    assert reverse("surveys_import_counts", args=[imported.survey.pk]) in content
