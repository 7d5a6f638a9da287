"""One checker for uploaded spreadsheets, with limits per kind of import, and one set of readers.

Before anything reads a file as a spreadsheet, ``check_upload`` checks it against its kind's
``UploadLimits``: the name ends in .csv or .xlsx; the size; that the content is what the name says
(UTF-8 text without NUL bytes for ``.csv``; a ZIP for ``.xlsx``); and, for a workbook, that it is
no zip bomb: not too many parts, not too large unpacked, not packed more tightly than a
spreadsheet packs, and no more text than openpyxl should read whole (it reads the shared strings,
where Excel keeps a workbook's text, at once). Every kind gets every check; only the numbers
differ, from the board's few thousand rows to a national survey's hundreds of thousands.

``CsvRows`` and ``XlsxRows`` then stream the rows (a file read twice is read afresh each time,
never held), stopping at the kind's column limit and at Excel's own row limit whatever the file
claims. ``read_table`` reads a small file whole into a dataset of at most ``max_rows`` rows, for
django-import-export (``cms.platform.imports``).

A file that cannot be imported at all raises ``UploadRefused``, worded for the person uploading.
The words differ between a file read whole and a file streamed (``Wording``): each import page
has kept the words it always had.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import IO

import tablib

from django import forms

from cms.exports import FORMULA_PREFIXES

logger = logging.getLogger(__name__)

MEGABYTE = 1024 * 1024
#: The most rows a worksheet can have in Excel: reading stops there whatever the file claims.
EXCEL_MAX_ROWS = 1_048_576
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # The old binary .xls format.

Opener = Callable[[], AbstractContextManager[IO[bytes]]]


class UploadRefused(Exception):
    """The file cannot be imported at all; the message says why, for the person uploading."""


@dataclass(frozen=True)
class Wording:
    """The refusals whose words depend on how a kind's files are read. Placeholders: ``size``,
    ``limit``, ``unpacked``, ``ratio``, ``text``, ``row``, ``error``."""

    too_large: str
    not_a_workbook: str
    too_many_parts: str
    too_large_unpacked: str
    too_compressed: str
    too_much_text: str
    unreadable: str
    unreadable_at_row: str
    csv_unreadable: str
    not_utf8_at_row: str


#: For small files read whole: a few thousand rows at most.
WHOLE_FILE_WORDING = Wording(
    too_large="The file is {size}; the limit is {limit}. Split it into smaller files.",
    not_a_workbook="This file is not an Excel workbook, although its name ends in .xlsx. Upload "
    "a workbook saved from Excel (or another spreadsheet) as .xlsx, or a CSV file.",
    too_many_parts="This workbook holds more than {limit:,} parts, so it was not opened. Copy "
    "the rows into a new workbook, or save them as CSV.",
    too_large_unpacked="This workbook would unpack to {unpacked}, more than the {limit} limit, "
    "so it was not opened. Copy the rows into a new workbook, or save them as CSV.",
    too_compressed="This workbook would unpack to {unpacked}, more than {ratio} times its own "
    "size, so it was not opened. Copy the rows into a new workbook, or save them as CSV.",
    too_much_text="This workbook holds {text} of text, more than the {limit} a workbook may, so "
    "it was not opened. Split it into smaller files.",
    unreadable="This workbook could not be read. Open it in your spreadsheet, save it again as "
    ".xlsx, and upload it again, or save it as CSV UTF-8.",
    unreadable_at_row="This workbook could not be read. Open it in your spreadsheet, save it "
    "again as .xlsx, and upload it again, or save it as CSV UTF-8.",
    csv_unreadable="The CSV file could not be read: {error}.",
    not_utf8_at_row="This file is not UTF-8 text, so it is not a CSV file this page can read. In "
    "Excel choose Save as, then CSV UTF-8 (comma delimited).",
)

#: For large files streamed a row at a time: hundreds of thousands of rows.
STREAMED_WORDING = Wording(
    too_large="The file is {size}; the limit is {limit}. Split it into smaller files, or save a "
    "workbook as CSV (which is smaller).",
    not_a_workbook="This file is not an Excel workbook, although its name ends in .xlsx. Upload "
    "a workbook saved as .xlsx, or a CSV file.",
    too_many_parts="This workbook holds more than {limit:,} parts, so it was not opened. Save the "
    "rows as CSV UTF-8.",
    too_large_unpacked="This workbook would unpack to {unpacked}, more than this page accepts, "
    "so it was not opened. Save the rows as CSV UTF-8.",
    too_compressed="This workbook would unpack to {unpacked}, more than this page accepts, so it "
    "was not opened. Save the rows as CSV UTF-8.",
    too_much_text="This workbook holds {text} of text, more than the {limit} a workbook may; save "
    "it as CSV UTF-8 instead (a CSV file is read a row at a time).",
    unreadable="This workbook could not be read. Open it in your spreadsheet, save it again as "
    ".xlsx, or save it as CSV UTF-8.",
    unreadable_at_row="This workbook could not be read at row {row}. Save it again as .xlsx, or "
    "save it as CSV UTF-8.",
    csv_unreadable="The CSV file could not be read at row {row}: {error}.",
    not_utf8_at_row="The file is not UTF-8 text (at about row {row}), so it is not a CSV file "
    "this page can read. In Excel choose Save as, then CSV UTF-8.",
)


@dataclass(frozen=True)
class UploadLimits:
    """What one kind of import accepts. The defaults suit a small file read whole."""

    max_upload_bytes: int
    #: Data rows in a file read whole (``read_table``); None for a file streamed, whose rows are
    #: bounded by its size and by ``EXCEL_MAX_ROWS``.
    max_rows: int | None
    max_columns: int = 200
    #: A workbook's parts, and what they would unpack to.
    max_zip_entries: int = 1000
    max_unpacked_bytes: int = 50 * MEGABYTE
    #: Past ``ratio_checked_from`` unpacked, an archive packed more than ``max_ratio`` times is a
    #: zip bomb: a real spreadsheet does not pack so tightly.
    ratio_checked_from: int = 10 * MEGABYTE
    max_ratio: int = 100
    #: openpyxl reads the shared strings (the workbook's text) whole, so they are bounded.
    max_shared_strings_bytes: int = 20 * MEGABYTE
    #: How much of a CSV file is checked before reading (the encoding is then checked as it is
    #: read); None for the whole file.
    csv_checked_bytes: int | None = None
    wording: Wording = field(default=WHOLE_FILE_WORDING)


def megabytes(size: int) -> str:
    return f"{size / MEGABYTE:.1f} MB"


def spreadsheet_field(help_text: str) -> forms.FileField:
    """The file field of an import form."""
    return forms.FileField(
        label="CSV or Excel file",
        help_text=help_text,
        widget=forms.ClearableFileInput(
            attrs={"accept": f".csv,.xlsx,text/csv,{XLSX_CONTENT_TYPE}"}
        ),
    )


# --- Checks, before anything parses the file ----------------------------------------------------


def check_upload(upload, limits: UploadLimits) -> str:
    """Check an uploaded file without parsing it; return its type ("csv" or "xlsx")."""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ("csv", "xlsx"):
        raise UploadRefused("Upload a .csv or .xlsx file.")
    if upload.size > limits.max_upload_bytes:
        raise UploadRefused(
            limits.wording.too_large.format(
                size=megabytes(upload.size), limit=megabytes(limits.max_upload_bytes)
            )
        )
    if not upload.size:
        raise UploadRefused("The file is empty.")
    if extension == "csv":
        checked = limits.csv_checked_bytes or limits.max_upload_bytes + 1
        upload.seek(0)
        head = upload.read(checked)
        upload.seek(0)
        check_csv_head(head, whole_file=len(head) < checked)
    else:
        check_xlsx_archive(upload, limits)
    return extension


def check_csv_head(head: bytes, *, whole_file: bool) -> None:
    """Refuse a CSV file that is a workbook, binary or not UTF-8, from its first bytes (or all
    of them, when ``whole_file``)."""
    if head.startswith(ZIP_MAGIC):
        raise UploadRefused(
            "This file is an Excel workbook, not a CSV file. Save it with the .xlsx ending, or "
            "save it from your spreadsheet as CSV UTF-8."
        )
    if head.startswith(OLE_MAGIC) or b"\x00" in head:
        raise UploadRefused(
            "This is not a CSV text file (it holds binary data). Upload a .csv saved as CSV "
            "UTF-8, or an .xlsx workbook."
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=whole_file)
    except UnicodeDecodeError:
        raise UploadRefused(
            "This file is not UTF-8 text, so it is not a CSV file this page can read. In Excel "
            "choose Save as, then CSV UTF-8 (comma delimited)."
        ) from None
    if not head.strip().strip(codecs.BOM_UTF8).strip():
        raise UploadRefused("The file is empty.")


def _archive_entries(fileobj, limits: UploadLimits) -> list[zipfile.ZipInfo]:
    fileobj.seek(0)
    head = fileobj.read(8)
    if head.startswith(OLE_MAGIC):
        raise UploadRefused(
            "This is an old Excel 97-2003 (.xls) file. Save it as an Excel Workbook (.xlsx) or "
            "as CSV UTF-8."
        )
    if not head.startswith(ZIP_MAGIC):
        raise UploadRefused(limits.wording.not_a_workbook)
    fileobj.seek(0)
    try:
        return zipfile.ZipFile(fileobj).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise UploadRefused(
            "This file is damaged or is not an Excel workbook. Save it again as .xlsx."
        ) from None
    finally:
        fileobj.seek(0)


def check_xlsx_archive(fileobj, limits: UploadLimits) -> None:
    """Refuse a workbook that is not a ZIP, or would unpack too large, before it is parsed.

    The sizes are the ones the archive declares; a part that unpacks to more than it declares
    fails its CRC check in openpyxl's reading, as a damaged workbook.
    """
    entries = _archive_entries(fileobj, limits)
    wording = limits.wording
    if len(entries) > limits.max_zip_entries:
        raise UploadRefused(wording.too_many_parts.format(limit=limits.max_zip_entries))
    unpacked = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries) or 1
    sizes = {"unpacked": megabytes(unpacked), "limit": megabytes(limits.max_unpacked_bytes)}
    if unpacked > limits.max_unpacked_bytes:
        raise UploadRefused(wording.too_large_unpacked.format(**sizes))
    if unpacked > limits.ratio_checked_from and unpacked / packed > limits.max_ratio:
        raise UploadRefused(wording.too_compressed.format(**sizes, ratio=limits.max_ratio))
    text = sum(
        entry.file_size for entry in entries if entry.filename.lower().endswith("sharedstrings.xml")
    )
    if text > limits.max_shared_strings_bytes:
        raise UploadRefused(
            wording.too_much_text.format(
                text=megabytes(text), limit=megabytes(limits.max_shared_strings_bytes)
            )
        )


# --- Reading, row by row, as often as needed ----------------------------------------------------


class Row(dict):
    """A data row: column heading -> cell. ``number`` is the spreadsheet row (headings = row 1);
    ``overflow`` is set when the row has filled cells beyond the last heading."""

    __slots__ = ("number", "overflow")

    def __init__(self, items=(), number: int = 0, overflow: bool = False):
        super().__init__(items)
        self.number = number
        self.overflow = overflow


def cell_text(value) -> str:
    """A cell as text: numbers from a spreadsheet lose a spurious ``.0``; blanks become ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def heading_text(value) -> str:
    """A column heading as text; one our exports escaped ("'-key") loses its apostrophe."""
    text = cell_text(value)
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


class CsvRows:
    """The rows of a CSV file (UTF-8, with or without a byte order mark), read afresh - and
    streamed - each time they are iterated. ``headers`` is set once iteration has started.

    Blank lines and rows of empty cells are skipped, but counted in the row numbers.
    """

    def __init__(self, opener: Opener, limits: UploadLimits):
        self.opener = opener
        self.limits = limits
        self.headers: list[str] | None = None

    def __iter__(self) -> Iterator[Row]:
        wording = self.limits.wording
        with self.opener() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            number = 1
            try:
                reader = csv.reader(text)
                width = self._read_headers(next(reader, None))
                headers = self.headers
                for number, record in enumerate(reader, start=2):
                    if not any(record) or not "".join(record).strip():
                        continue  # A blank line, or a row of empty cells.
                    overflow = len(record) > width and any(cell.strip() for cell in record[width:])
                    yield Row(zip(headers, record, strict=False), number, overflow)
            except UnicodeDecodeError:
                raise UploadRefused(wording.not_utf8_at_row.format(row=number + 1)) from None
            except csv.Error as error:
                raise UploadRefused(
                    wording.csv_unreadable.format(row=number + 1, error=error)
                ) from None
            finally:
                text.detach()  # The stream belongs to whoever opened it.

    def _read_headers(self, headers: list[str] | None) -> int:
        if headers is None or not any(h.strip() for h in headers):
            raise UploadRefused("The first row must hold the column headings; it is empty.")
        if len(headers) > self.limits.max_columns:
            raise UploadRefused(f"The file has more than {self.limits.max_columns} columns.")
        self.headers = [heading_text(h) for h in headers]
        return len(headers)


class XlsxRows:
    """The rows of the first worksheet of an .xlsx workbook, streamed by openpyxl in read-only
    mode (values, not formulas), afresh each time they are iterated.

    Check the file with ``check_xlsx_archive`` first: openpyxl reads the shared strings table
    whole, so its size is bounded there. A worksheet may claim any size in a few bytes (a cell at
    row 1,000,000 makes openpyxl produce every empty row before it), and its own dimensions may
    be missing or wrong: they are not trusted, and reading stops at the kind's column limit and
    at ``EXCEL_MAX_ROWS``.
    """

    def __init__(self, opener: Opener, limits: UploadLimits):
        self.opener = opener
        self.limits = limits
        self.headers: list[str] | None = None

    def __iter__(self) -> Iterator[Row]:
        import openpyxl

        with self.opener() as raw:
            try:
                book = openpyxl.load_workbook(raw, read_only=True, data_only=True)
            except Exception:  # Any failure to open a workbook is the file's problem.
                logger.info("A workbook could not be opened", exc_info=True)
                raise UploadRefused(self.limits.wording.unreadable) from None
            try:
                yield from self._rows(book)
            finally:
                book.close()

    def _rows(self, book) -> Iterator[Row]:
        sheet = book.active
        if sheet is None or not hasattr(sheet, "iter_rows"):
            raise UploadRefused("The workbook has no worksheet.")
        number = 1
        try:
            values = sheet.iter_rows(
                max_col=self.limits.max_columns, max_row=EXCEL_MAX_ROWS, values_only=True
            )
            headers = [heading_text(value) for value in next(values, ())]
            width = max((i + 1 for i, heading in enumerate(headers) if heading), default=0)
            if not width:
                raise UploadRefused("The first row must hold the column headings; it is empty.")
            headers = headers[:width]
            self.headers = headers
            for number, cells in enumerate(values, start=2):
                if all(
                    cell is None or (cell.__class__ is str and not cell.strip()) for cell in cells
                ):
                    continue
                overflow = any(cell_text(cell) for cell in cells[width:])
                yield Row(zip(headers, cells[:width], strict=False), number, overflow)
        except UploadRefused:
            raise
        except Exception:
            logger.info("A workbook could not be read at row %s", number + 1, exc_info=True)
            raise UploadRefused(
                self.limits.wording.unreadable_at_row.format(row=number + 1)
            ) from None


def rows_for(opener: Opener, extension: str, limits: UploadLimits) -> CsvRows | XlsxRows:
    return XlsxRows(opener, limits) if extension == "xlsx" else CsvRows(opener, limits)


# --- A small file, read whole -------------------------------------------------------------------


@dataclass
class Table:
    dataset: tablib.Dataset
    #: The spreadsheet row number (heading row = 1) of each dataset row, in order.
    row_numbers: list[int]


def read_table(data: bytes, extension: str, limits: UploadLimits) -> Table:
    """A checked file (``check_upload``), read whole into a dataset of its headings and rows.

    Refused as soon as a row is found past ``limits.max_rows`` (counted as a spreadsheet counts
    them, blank rows included), or with cells beyond the headings; no dataset is made until the
    whole file has been read.
    """
    if limits.max_rows is None:
        raise ValueError("read_table reads a file whole: its kind must have a max_rows.")
    reader = rows_for(lambda: nullcontext(io.BytesIO(data)), extension, limits)
    rows: list[list] = []
    numbers: list[int] = []
    for row in reader:
        if row.number - 1 > limits.max_rows:
            raise UploadRefused(
                f"The file has more than {limits.max_rows:,} rows. Split it into smaller files."
            )
        if row.overflow:
            raise UploadRefused(
                f"Row {row.number} has more cells than there are column headings. Give the extra "
                "cells a heading, or delete them."
            )
        rows.append([row.get(heading, "") for heading in reader.headers])
        numbers.append(row.number)
    return Table(tablib.Dataset(*rows, headers=reader.headers), numbers)
