"""The platform's upload toolkit: every check refuses what it should and lets a real file by.

Each file is built here for real (a workbook saved by openpyxl, a zip bomb deflated from zeros),
and small limits stand in for the kinds' own, so a bomb of a few megabytes trips them.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from contextlib import nullcontext
from datetime import date, datetime
from types import SimpleNamespace

import openpyxl
import pytest

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import SimpleUploadedFile

from cms.platform import imports, uploads
from cms.platform.imports import (
    ChoiceWidget,
    FlexibleDateWidget,
    RowError,
    YesNoWidget,
    read_upload,
    row_errors,
)
from cms.platform.uploads import (
    MEGABYTE,
    STREAMED_WORDING,
    CsvRows,
    UploadLimits,
    UploadRefused,
    XlsxRows,
    check_upload,
    check_xlsx_archive,
    read_table,
)

SMALL = UploadLimits(
    max_upload_bytes=MEGABYTE,
    max_rows=5,
    max_columns=4,
    max_zip_entries=10,
    max_unpacked_bytes=8 * MEGABYTE,
    ratio_checked_from=MEGABYTE,
    max_ratio=100,
    max_shared_strings_bytes=64 * 1024,
)
STREAMED = dataclasses.replace(
    SMALL, max_rows=None, csv_checked_bytes=1024, wording=STREAMED_WORDING
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


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return output.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def refusal(name: str, data: bytes, limits: UploadLimits = SMALL) -> str:
    with pytest.raises(UploadRefused) as refused:
        check_upload(upload(name, data), limits)
    return str(refused.value)


def opener(data: bytes):
    return lambda: nullcontext(io.BytesIO(data))


GOOD_CSV = csv_bytes([["email", "term_starts"], ["a@example.org", "2024-01-01"]])


# --- check_upload: the name and the size --------------------------------------------------------


@pytest.mark.parametrize("name", ["data.txt", "data", "data.csv.exe", "data.xlsm", "data.csv.txt"])
def test_a_name_that_is_not_csv_or_xlsx_is_refused(name):
    assert refusal(name, GOOD_CSV) == "Upload a .csv or .xlsx file."


def test_a_csv_file_and_a_workbook_are_accepted_whatever_the_case_of_their_ending():
    assert check_upload(upload("DATA.CSV", GOOD_CSV), SMALL) == "csv"
    assert check_upload(upload("data.Xlsx", xlsx_bytes([["email"], ["a"]])), SMALL) == "xlsx"


def test_a_file_over_its_kinds_size_is_refused_in_that_kinds_words():
    data = GOOD_CSV + b"a@example.org,2024-01-01\n" * 50_000
    assert len(data) > MEGABYTE

    assert refusal("data.csv", data) == (
        "The file is 1.2 MB; the limit is 1.0 MB. Split it into smaller files."
    )
    assert refusal("data.csv", data, STREAMED) == (
        "The file is 1.2 MB; the limit is 1.0 MB. Split it into smaller files, or save a "
        "workbook as CSV (which is smaller)."
    )
    assert check_upload(
        upload("data.csv", data), dataclasses.replace(SMALL, max_upload_bytes=2 * MEGABYTE)
    )


def test_an_empty_file_is_refused():
    assert refusal("data.csv", b"") == "The file is empty."
    assert refusal("data.csv", b"\xef\xbb\xbf \r\n\r\n") == "The file is empty."


# --- check_upload: a CSV file is UTF-8 text ------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (xlsx_bytes([["email"]]), "This file is an Excel workbook, not a CSV file."),
        (GOOD_CSV.replace(b"a@", b"a\x00@"), "This is not a CSV text file (it holds binary data)."),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "This is not a CSV text file (it holds binary data).",
        ),
        ("email\ncafé\n".encode("latin-1"), "This file is not UTF-8 text"),
        ("email\n".encode("utf-16"), "This is not a CSV text file (it holds binary data)."),
    ],
)
def test_a_csv_file_that_is_not_utf8_text_is_refused(data, message):
    assert refusal("data.csv", data).startswith(message)


def test_a_csv_file_is_checked_whole_unless_its_kind_checks_only_its_head():
    bad_late = GOOD_CSV + b"a@example.org,2024-01-01\n" * 100 + b"\xff\xfe\n"

    assert "not UTF-8 text" in refusal("data.csv", bad_late)
    # Streamed: only the head is checked here; the reader finds the rest (below).
    assert check_upload(upload("data.csv", bad_late), STREAMED) == "csv"
    # A character cut in two at the end of the head is not a fault of the file.
    cut = b"email\n" + "é".encode() * 600
    assert len(cut) > STREAMED.csv_checked_bytes
    assert check_upload(upload("data.csv", cut), STREAMED) == "csv"


# --- check_upload: a workbook is a ZIP, and no zip bomb -----------------------------------------


def test_a_real_workbook_passes_every_archive_check():
    data = xlsx_bytes([["email", "term_starts"], *[["a@example.org", "2024-01-01"]] * 50])

    check_xlsx_archive(io.BytesIO(data), SMALL)


@pytest.mark.parametrize(
    ("data", "whole", "streamed"),
    [
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
            "This is an old Excel 97-2003 (.xls) file.",
            "This is an old Excel 97-2003 (.xls) file.",
        ),
        (
            GOOD_CSV,
            "This file is not an Excel workbook, although its name ends in .xlsx. Upload a "
            "workbook saved from Excel (or another spreadsheet) as .xlsx, or a CSV file.",
            "This file is not an Excel workbook, although its name ends in .xlsx. Upload a "
            "workbook saved as .xlsx, or a CSV file.",
        ),
        (
            b"%PDF-1.4\n" + xlsx_bytes([["email"]]),
            "This file is not an Excel workbook",
            "This file is not an Excel workbook",
        ),
        (
            b"PK\x03\x04" + bytes(range(256)) * 4,
            "This file is damaged or is not an Excel workbook.",
            "This file is damaged or is not an Excel workbook.",
        ),
    ],
)
def test_a_workbook_that_is_not_a_zip_is_refused(data, whole, streamed):
    assert refusal("data.xlsx", data).startswith(whole)
    assert refusal("data.xlsx", data, STREAMED).startswith(streamed)


def test_a_workbook_of_too_many_parts_is_refused():
    data = zip_bytes({f"xl/part{i}.xml": b"" for i in range(11)})

    assert refusal("data.xlsx", data) == (
        "This workbook holds more than 10 parts, so it was not opened. Copy the rows into a new "
        "workbook, or save them as CSV."
    )
    assert refusal("data.xlsx", data, STREAMED) == (
        "This workbook holds more than 10 parts, so it was not opened. Save the rows as CSV UTF-8."
    )
    assert (
        check_xlsx_archive(io.BytesIO(data), dataclasses.replace(SMALL, max_zip_entries=11)) is None
    )


def test_a_workbook_that_would_unpack_past_the_limit_is_refused():
    data = zip_bytes({"xl/worksheets/sheet1.xml": b"\x00" * (9 * MEGABYTE)})

    assert refusal("data.xlsx", data) == (
        "This workbook would unpack to 9.0 MB, more than the 8.0 MB limit, so it was not opened. "
        "Copy the rows into a new workbook, or save them as CSV."
    )
    assert refusal("data.xlsx", data, STREAMED) == (
        "This workbook would unpack to 9.0 MB, more than this page accepts, so it was not "
        "opened. Save the rows as CSV UTF-8."
    )


def test_a_zip_bomb_by_ratio_is_refused_under_the_size_limit():
    """2 MB of zeros deflates to about 2 KB: a thousand times, where a spreadsheet packs ten."""
    data = zip_bytes({"xl/worksheets/sheet1.xml": b"\x00" * (2 * MEGABYTE)})
    assert 2 * MEGABYTE / len(data) > 500

    assert refusal("bomb.xlsx", data) == (
        "This workbook would unpack to 2.0 MB, more than 100 times its own size, so it was not "
        "opened. Copy the rows into a new workbook, or save them as CSV."
    )
    assert refusal("bomb.xlsx", data, STREAMED) == (
        "This workbook would unpack to 2.0 MB, more than this page accepts, so it was not "
        "opened. Save the rows as CSV UTF-8."
    )
    # Below the size the ratio is checked from, packing tightly is no sign of a bomb.
    check_xlsx_archive(
        io.BytesIO(data), dataclasses.replace(SMALL, ratio_checked_from=4 * MEGABYTE)
    )


def test_a_bomb_by_declared_size_is_refused():
    data = bytearray(xlsx_bytes([["email"], ["a@example.org"]]))
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) != -1:
        data[at + 24 : at + 28] = (0xFFFFFFF0).to_bytes(4, "little")
        at += 4

    assert "would unpack to" in refusal("bomb.xlsx", bytes(data))


def workbook_with_shared_strings(texts: list[str]) -> bytes:
    """A workbook as Excel saves one: its text in xl/sharedStrings.xml, one answer a row."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    kind = relationships + "/"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" t="s"><v>{n - 1}</v></c></row>' for n in range(1, len(texts) + 1)
    )
    strings = "".join(f"<si><t>{text}</t></si>" for text in texts)
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return zip_bytes(
        {
            "[Content_Types].xml": (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" '
                f'ContentType="{content_type}.sheet.main+xml"/>'
                '<Override PartName="/xl/worksheets/sheet1.xml" '
                f'ContentType="{content_type}.worksheet+xml"/>'
                '<Override PartName="/xl/sharedStrings.xml" '
                f'ContentType="{content_type}.sharedStrings+xml"/>'
                "</Types>"
            ).encode(),
            "_rels/.rels": (
                f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
                f'Type="{kind}officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ).encode(),
            "xl/workbook.xml": (
                f'<workbook xmlns="{main}" xmlns:r="{relationships}"><sheets>'
                '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ).encode(),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{package}">'
                f'<Relationship Id="rId1" Type="{kind}worksheet" Target="worksheets/sheet1.xml"/>'
                f'<Relationship Id="rId2" Type="{kind}sharedStrings" Target="sharedStrings.xml"/>'
                "</Relationships>"
            ).encode(),
            "xl/worksheets/sheet1.xml": (
                f'<worksheet xmlns="{main}"><sheetData>{cells}</sheetData></worksheet>'
            ).encode(),
            "xl/sharedStrings.xml": (
                f'<sst xmlns="{main}" count="{len(texts)}" uniqueCount="{len(texts)}">'
                f"{strings}</sst>"
            ).encode(),
        }
    )


def test_a_workbook_with_oversized_shared_strings_is_refused_before_openpyxl_reads_them():
    """A workbook holding about 100 KB of distinct text, in its shared strings."""
    texts = ["answer", *[f"answer number {i:06d} " * 4 for i in range(1200)]]
    data = workbook_with_shared_strings(texts)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        text = archive.getinfo("xl/sharedStrings.xml").file_size
    assert text > SMALL.max_shared_strings_bytes

    assert refusal("data.xlsx", data) == (
        "This workbook holds 0.1 MB of text, more than the 0.1 MB a workbook may, so it was not "
        "opened. Split it into smaller files."
    )
    assert refusal("data.xlsx", data, STREAMED) == (
        "This workbook holds 0.1 MB of text, more than the 0.1 MB a workbook may; save it as "
        "CSV UTF-8 instead (a CSV file is read a row at a time)."
    )
    # Within a roomier limit the same workbook is accepted, and openpyxl reads its text.
    roomy = dataclasses.replace(SMALL, max_shared_strings_bytes=text)
    assert check_upload(upload("data.xlsx", data), roomy) == "xlsx"
    rows = list(XlsxRows(opener(data), roomy))
    assert [row["answer"] for row in rows] == texts[1:]


# --- The readers ---------------------------------------------------------------------------------


def test_csv_rows_are_numbered_as_a_spreadsheet_numbers_them_and_read_afresh_each_time():
    data = b'\xef\xbb\xbfemail,\'-key\r\na,1\r\n\r\n,,\r\n"multi\nline",2\r\nb,3,,\r\nc,4,extra\r\n'
    rows = CsvRows(opener(data), SMALL)

    first = [(row.number, dict(row), row.overflow) for row in rows]

    assert rows.headers == ["email", "-key"]  # An escaped heading loses its apostrophe.
    assert first == [
        (2, {"email": "a", "-key": "1"}, False),
        (5, {"email": "multi\nline", "-key": "2"}, False),
        (6, {"email": "b", "-key": "3"}, False),  # Empty cells past the headings are nothing.
        (7, {"email": "c", "-key": "4"}, True),
    ]
    assert [(row.number, dict(row), row.overflow) for row in rows] == first


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b" , \r\na,b\r\n", "The first row must hold the column headings; it is empty."),
        (b"a,b,c,d,e\r\n", "The file has more than 4 columns."),
        (
            b"a\n" + b"x\n" * 3 + b"\xff\n",
            # The text is decoded a block at a time: the row given is where the block starts.
            "The file is not UTF-8 text (at about row 2), so it is not a CSV file this page can "
            "read. In Excel choose Save as, then CSV UTF-8.",
        ),
        (
            b"a\nx\n" + b"y" * 200_000 + b"\n",
            "The CSV file could not be read at row 3: field larger than field limit (131072).",
        ),
    ],
)
def test_a_csv_file_the_reader_cannot_read_is_refused(data, message):
    with pytest.raises(UploadRefused) as refused:
        list(CsvRows(opener(data), STREAMED))

    assert str(refused.value) == message


def test_xlsx_rows_stop_at_the_column_limit_and_flag_cells_past_the_headings():
    data = xlsx_bytes(
        [
            ["email", "'=term", None],
            ["a@example.org", datetime(2024, 1, 1), None],
            [None, "  ", None],
            ["b@example.org", 3.0, "stray", "x", "y", "past the limit"],
        ]
    )
    rows = XlsxRows(opener(data), SMALL)

    read = [(row.number, dict(row), row.overflow) for row in rows]

    assert rows.headers == ["email", "=term"]
    assert read == [
        (2, {"email": "a@example.org", "=term": datetime(2024, 1, 1)}, False),
        (4, {"email": "b@example.org", "=term": 3}, True),
    ]


def test_a_workbook_openpyxl_cannot_open_is_refused_in_its_kinds_words():
    data = zip_bytes({"hello.txt": b"hello"})

    with pytest.raises(UploadRefused) as whole:
        list(XlsxRows(opener(data), SMALL))
    with pytest.raises(UploadRefused) as streamed:
        list(XlsxRows(opener(data), STREAMED))

    assert str(whole.value) == (
        "This workbook could not be read. Open it in your spreadsheet, save it again as .xlsx, "
        "and upload it again, or save it as CSV UTF-8."
    )
    assert str(streamed.value) == (
        "This workbook could not be read. Open it in your spreadsheet, save it again as .xlsx, "
        "or save it as CSV UTF-8."
    )


# --- read_table: a small file, whole ------------------------------------------------------------


def test_read_table_reads_a_csv_file_into_a_dataset_with_its_row_numbers():
    table = read_table(b"email,role\r\na,chair\r\n\r\nb\r\n", "csv", SMALL)

    assert table.dataset.headers == ["email", "role"]
    assert [list(row) for row in table.dataset] == [["a", "chair"], ["b", ""]]
    assert table.row_numbers == [2, 4]


def test_read_table_refuses_a_row_past_the_limit_counting_rows_as_a_spreadsheet_does():
    at_the_limit = b"email\n" + b"a\n" * 4 + b"\n" + b"b\n"  # The last row is row 7.

    assert len(read_table(at_the_limit[:-2], "csv", SMALL).row_numbers) == 4
    with pytest.raises(UploadRefused, match=r"^The file has more than 5 rows\. Split it"):
        read_table(at_the_limit + b"c\n", "csv", SMALL)


def test_read_table_stops_at_the_first_row_past_the_limit_of_a_sheet_claiming_a_million():
    book = openpyxl.Workbook()
    book.active.append(["email"])
    book.active.cell(row=1_000_000, column=1, value="far away")
    output = io.BytesIO()
    book.save(output)

    with pytest.raises(UploadRefused, match="more than 5 rows"):
        read_table(output.getvalue(), "xlsx", SMALL)


def test_read_table_refuses_cells_beyond_the_headings_and_makes_no_dataset(monkeypatch):
    made = []
    monkeypatch.setattr(uploads.tablib, "Dataset", lambda *a, **k: made.append(a))

    with pytest.raises(UploadRefused) as refused:
        read_table(b"email,role\na,b\nc,d,e\n", "csv", SMALL)

    assert str(refused.value) == (
        "Row 3 has more cells than there are column headings. Give the extra cells a heading, "
        "or delete them."
    )
    assert made == []


# --- read_upload, the row errors and the widgets (cms.platform.imports) -----------------------


class Columns:
    """Just what read_upload and row_errors ask of a resource."""

    REQUIRED_COLUMNS = ("email", "term_starts")
    OPTIONAL_COLUMNS = ("role",)
    column_for = staticmethod(
        lambda name: "" if name == NON_FIELD_ERRORS else {"member": "email"}.get(name, name)
    )

    @classmethod
    def columns(cls):
        return cls.REQUIRED_COLUMNS + cls.OPTIONAL_COLUMNS


def test_read_upload_keeps_only_the_resources_columns_by_their_normalised_headings():
    data = csv_bytes(
        [["E-mail ", "Term starts", "id", "Notes"], ["a@example.org", "1/1/24", "7", "x"]]
    )
    data = data.replace(b"E-mail ", b"email")

    parsed = read_upload(upload("members.csv", data), Columns, SMALL)

    assert parsed.dataset.headers == ["email", "term_starts"]
    assert list(parsed.dataset[0]) == ["a@example.org", "1/1/24"]
    assert parsed.ignored_columns == ["id", "notes"]
    assert (parsed.row_numbers, parsed.name) == ([2], "members.csv")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [["email", "Email", "term_starts"], ["a", "b", "c"]],
            "These column headings appear more than once: email.",
        ),
        (
            [["email"], ["a"]],
            "The file is missing these columns: term_starts. The first row must hold the column "
            "headings.",
        ),
        (
            [["email", "term_starts"], ["", " "]],
            "The file has column headings but no rows to import.",
        ),
    ],
)
def test_read_upload_refuses_a_file_without_the_resources_columns_or_rows(rows, message):
    with pytest.raises(UploadRefused) as refused:
        read_upload(upload("members.csv", csv_bytes(rows)), Columns, SMALL)

    assert str(refused.value) == message


def test_read_upload_refuses_a_file_larger_than_its_declared_size():
    lying = upload("members.csv", GOOD_CSV * 2)
    lying.size = 10
    limits = dataclasses.replace(SMALL, max_upload_bytes=len(GOOD_CSV))

    with pytest.raises(UploadRefused, match=r"^The file is larger than the 0\.0 MB limit\.$"):
        read_upload(lying, Columns, limits)


def test_row_errors_name_the_spreadsheet_row_and_column_of_every_problem():
    result = SimpleNamespace(
        base_errors=[SimpleNamespace(error=RuntimeError("gone"))],
        invalid_rows=[
            SimpleNamespace(
                number=2, error_dict={"member": ["Not a member."], NON_FIELD_ERRORS: ["Overlaps."]}
            ),
        ],
        error_rows=[SimpleNamespace(number=1, errors=[SimpleNamespace(error=RuntimeError("db"))])],
    )

    errors = row_errors(result, [2, 5], Columns, unsaved="This row could not be saved.")

    assert errors == [
        RowError(0, "", "The file could not be imported. Nothing was changed."),
        RowError(2, "", "This row could not be saved."),
        RowError(5, "", "Overlaps."),
        RowError(5, "email", "Not a member."),
    ]


def test_the_generic_widgets_read_cells_as_people_type_them():
    dates = FlexibleDateWidget()
    assert dates.clean("2025-04-01") == dates.clean("01/04/2025") == date(2025, 4, 1)
    assert (
        dates.clean("2025-04-01 00:00:00")
        == dates.clean(datetime(2025, 4, 1, 9))
        == date(2025, 4, 1)
    )
    assert dates.clean(" ") is None
    with pytest.raises(ValueError, match="“31/02/2025” is not a date"):
        dates.clean("31/02/2025")
    yes_no = YesNoWidget()
    assert (yes_no.clean("Yes"), yes_no.clean(0.0), yes_no.clean(None)) == (True, False, False)
    with pytest.raises(ValueError, match="is not yes or no"):
        yes_no.clean("maybe")
    role = ChoiceWidget([("vice_chair", "Vice-chair")], default="member", noun="role")
    assert (role.clean("vice chair"), role.clean("VICE-CHAIR"), role.clean("")) == (
        "vice_chair",
        "vice_chair",
        "member",
    )
    with pytest.raises(
        ValueError, match=r"“x” is not a role\. Use one of: Vice-chair \(vice_chair\)"
    ):
        role.clean("x")
    assert imports.cell_text(12.0) == "12" and imports.quoted("x" * 61).endswith("…”")
