"""Import existing board members and recommendations from a CSV or XLSX file, all or nothing.

The file is checked before anything reads it as a spreadsheet: its size, that its content is what
its name says (a ZIP for ``.xlsx``; UTF-8 text without NUL bytes for ``.csv``) and, for a
workbook, that it does not unpack to more than ``MAX_UNCOMPRESSED_BYTES`` (a zip bomb). Every row
is then tried in a dry run; only a file without a single problem is imported, in one transaction.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections import Counter
from dataclasses import dataclass, field

import tablib
from import_export.formats import base_formats

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.defaults import permission_denied

from wagtail.log_actions import log

from board.resources import (
    CreateOnlyResource,
    MembershipResource,
    RecommendationResource,
    cell_text,
)

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_ROWS = 5000
MAX_COLUMNS = 200
# The most rows a worksheet can have in Excel: reading stops there whatever the file claims.
EXCEL_MAX_ROWS = 1_048_576

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # The old binary .xls format.
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ImportKind:
    slug: str
    permission: str
    resource_class: type[CreateOnlyResource]
    singular: str
    plural: str
    listing_url_name: str
    descriptions: dict[str, str] = field(default_factory=dict)


MEMBER_COLUMNS = {
    "email": "The member's email address. If nobody has an account with it, one is made for "
    "them as a board member, with no password: invite them separately.",
    "term_starts": "The date the term starts: YYYY-MM-DD or DD/MM/YYYY.",
    "term_ends": "The date the term ends, after it starts. Terms of one member may not overlap.",
    "first_name": "Needed when a new account is made; ignored for an existing account.",
    "last_name": "Used when a new account is made; ignored for an existing account.",
    "role": "Member, Chair or Vice-chair (or member, chair, vice_chair). Empty means Member.",
}

RECOMMENDATION_COLUMNS = {
    "title": "A short title, up to 200 characters.",
    "what_should_change": "What should change.",
    "lived_experience": "Why: the lived experience behind it.",
    "service_area": "The service area's name. A name not yet in the site creates it.",
    "desired_outcome": "What difference it would make.",
    "submitted_at": "The date it was made: YYYY-MM-DD or DD/MM/YYYY, not in the future.",
    "reference": "Optional. If given it must be unique; if empty one is made, like R-2024-007, "
    "from the year it was submitted.",
    "evidence": "Optional. Why: the evidence.",
    "author_email": "Optional. The email of the author's existing account.",
    "author_named": "Optional. yes or no: name the author when it is published. Empty means no.",
    "status": "Optional. Received, Acknowledged, Under consideration, Response drafted, "
    "Response approved or Response published (or the stored values, such as received). "
    "Empty means Received. No council response is imported or published.",
}

KINDS = {
    "members": ImportKind(
        slug="members",
        permission="board.add_membership",
        resource_class=MembershipResource,
        singular="member",
        plural="members",
        listing_url_name="board_membership:index",
        descriptions=MEMBER_COLUMNS,
    ),
    "recommendations": ImportKind(
        slug="recommendations",
        permission="board.add_recommendation",
        resource_class=RecommendationResource,
        singular="recommendation",
        plural="recommendations",
        listing_url_name="board_recommendation:index",
        descriptions=RECOMMENDATION_COLUMNS,
    ),
}


class UploadRefused(Exception):
    """The file cannot be imported at all; the message says why, for the person uploading."""


@dataclass
class ParsedUpload:
    dataset: tablib.Dataset
    #: The spreadsheet row number (heading row = 1) of each dataset row, in order.
    row_numbers: list[int]
    ignored_columns: list[str]
    name: str


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


def _normalise_heading(value) -> str:
    return "_".join(cell_text(value).lower().replace("-", " ").split())


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _read_csv(data: bytes) -> tuple[tablib.Dataset, list[int]]:
    if data.startswith(ZIP_MAGIC):
        raise UploadRefused(
            "This file is an Excel workbook, not a CSV file. Save it with the .xlsx ending, "
            "or save it from your spreadsheet as CSV UTF-8."
        )
    if b"\x00" in data:
        raise UploadRefused(
            "This is not a CSV text file (it holds binary data). Upload a .csv saved as "
            "CSV UTF-8, or an .xlsx workbook."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRefused(
            "This file is not UTF-8 text, so it is not a CSV file this page can read. In Excel "
            "choose Save as, then CSV UTF-8 (comma delimited)."
        ) from None
    if not text.strip():
        raise UploadRefused("The file is empty.")

    # One pass to number the rows as a spreadsheet shows them (the CSV reader skips blank
    # lines, which would otherwise shift every later row number) and to check the shape.
    row_numbers: list[int] = []
    width = 0
    try:
        for index, record in enumerate(csv.reader(io.StringIO(text)), start=1):
            if index == 1:
                if not any(cell.strip() for cell in record):
                    raise UploadRefused("The first row must hold the column headings; it is empty.")
                if len(record) > MAX_COLUMNS:
                    raise UploadRefused(f"The file has more than {MAX_COLUMNS} columns.")
                width = len(record)
                continue
            if not record:
                continue
            if len(record) > width:
                raise UploadRefused(
                    f"Row {index} has more cells than there are column headings. Give the extra "
                    "cells a heading, or delete them."
                )
            row_numbers.append(index)
            if len(row_numbers) > MAX_ROWS:
                raise UploadRefused(
                    f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files."
                )
    except csv.Error as error:
        raise UploadRefused(f"The CSV file could not be read: {error}.") from None

    try:
        dataset = base_formats.CSV().create_dataset(text)
    except (csv.Error, tablib.InvalidDimensions) as error:
        raise UploadRefused(f"The CSV file could not be read ({error}).") from None
    if len(dataset) != len(row_numbers):  # pragma: no cover - the two readers agree
        row_numbers = list(range(2, len(dataset) + 2))
    return dataset, row_numbers


def _check_zip(data: bytes) -> None:
    """Refuse a workbook that is not a ZIP, or that would unpack too large, before parsing it."""
    if data.startswith(OLE_MAGIC):
        raise UploadRefused(
            "This is an old Excel 97-2003 (.xls) file. Save it as an Excel Workbook (.xlsx) "
            "or as CSV UTF-8."
        )
    if not data.startswith(ZIP_MAGIC):
        raise UploadRefused(
            "This file is not an Excel workbook, although its name ends in .xlsx. Upload a "
            "workbook saved from Excel (or another spreadsheet) as .xlsx, or a CSV file."
        )
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise UploadRefused(
            "This file is damaged or is not an Excel workbook. Save it again as .xlsx."
        ) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRefused(
            f"This workbook holds more than {MAX_ZIP_ENTRIES:,} parts, so it was not opened. "
            "Copy the rows into a new workbook, or save them as CSV."
        )
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        raise UploadRefused(
            f"This workbook would unpack to {_megabytes(unpacked)}, more than the "
            f"{_megabytes(MAX_UNCOMPRESSED_BYTES)} limit, so it was not opened. Copy the rows "
            "into a new workbook, or save them as CSV."
        )


class BoundedXLSX(base_formats.XLSX):
    """import-export's XLSX reader (first sheet, values not formulas), reading at most the
    rows and columns an import can use.

    A worksheet may claim any size in a few bytes: a cell at row 1,000,000 makes openpyxl
    produce every empty row before it, and the stock reader would keep them all.
    """

    def create_dataset(self, in_stream):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        try:
            sheet = book.active
            if sheet is None:
                raise UploadRefused("The workbook has no worksheet.")
            # The sheet's own dimensions may be missing or wrong, so they are not trusted.
            rows = sheet.iter_rows(max_col=MAX_COLUMNS, max_row=EXCEL_MAX_ROWS, values_only=True)
            headers = [cell_text(value) for value in next(rows, ())]
            width = max((i + 1 for i, heading in enumerate(headers) if heading), default=0)
            if not width:
                raise UploadRefused("The first row must hold the column headings; it is empty.")
            dataset = tablib.Dataset(headers=headers[:width])
            kept: list[list] = []
            last_filled = 0
            for row in rows:
                row = row[:width]
                filled = row.count(None) != len(row) and any(cell_text(v) for v in row)
                if len(kept) < MAX_ROWS + 1:
                    kept.append(list(row))
                    if filled:
                        last_filled = len(kept)
                elif filled:
                    last_filled = len(kept) + 1
                    break
            if last_filled > MAX_ROWS:
                raise UploadRefused(
                    f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files."
                )
            # Empty rows after the last one with anything in it are formatting, not data.
            for row in kept[:last_filled]:
                dataset.append(row)
            return dataset
        finally:
            book.close()


def _read_xlsx(data: bytes) -> tuple[tablib.Dataset, list[int]]:
    _check_zip(data)
    try:
        dataset = BoundedXLSX().create_dataset(data)
    except UploadRefused:
        raise
    except Exception:  # Any failure to read a workbook is the file's problem, not a 500.
        logger.info("An uploaded workbook could not be read", exc_info=True)
        raise UploadRefused(
            "This workbook could not be read. Open it in your spreadsheet, save it again as "
            ".xlsx, and upload it again, or save it as CSV UTF-8."
        ) from None
    # openpyxl yields every row from the first, so the dataset's rows follow the sheet's.
    return dataset, list(range(2, len(dataset) + 2))


def read_upload(upload, resource_class: type[CreateOnlyResource]) -> ParsedUpload:
    """Check an uploaded file and read it into a dataset of just the resource's columns."""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ("csv", "xlsx"):
        raise UploadRefused("Upload a .csv or .xlsx file.")
    if upload.size > MAX_UPLOAD_BYTES:
        raise UploadRefused(
            f"The file is {_megabytes(upload.size)}; the limit is "
            f"{_megabytes(MAX_UPLOAD_BYTES)}. Split it into smaller files."
        )
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRefused(f"The file is larger than the {_megabytes(MAX_UPLOAD_BYTES)} limit.")
    if not data:
        raise UploadRefused("The file is empty.")
    if extension == "csv":
        dataset, row_numbers = _read_csv(data)
    else:
        dataset, row_numbers = _read_xlsx(data)

    headings = [_normalise_heading(value) for value in dataset.headers or []]
    repeated = sorted(h for h, count in Counter(headings).items() if h and count > 1)
    if repeated:
        raise UploadRefused(
            "These column headings appear more than once: " + ", ".join(repeated) + "."
        )
    missing = [column for column in resource_class.REQUIRED_COLUMNS if column not in headings]
    if missing:
        raise UploadRefused(
            "The file is missing these columns: "
            + ", ".join(missing)
            + ". The first row must hold the column headings."
        )
    dataset.headers = headings
    known = set(resource_class.columns())
    ignored = [h for h in headings if h and h not in known]
    # Only the known columns go on (an "id" column, say, must never reach the resource).
    for heading in [h for h in headings if h not in known]:
        del dataset[heading]
    if not any(any(cell_text(value) for value in row) for row in dataset):
        raise UploadRefused("The file has column headings but no rows to import.")
    return ParsedUpload(dataset, row_numbers, ignored, name)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="A .csv file (saved as CSV UTF-8) or an .xlsx workbook, up to 5 MB.",
        widget=forms.ClearableFileInput(
            attrs={"accept": f".csv,.xlsx,text/csv,{XLSX_CONTENT_TYPE}"}
        ),
    )

    def __init__(self, *args, kind: ImportKind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            return read_upload(upload, self.kind.resource_class)
        except UploadRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None


def _row_errors(result, row_numbers: list[int], resource_class) -> list[RowError]:
    def row_number(index: int) -> int:
        # import-export numbers the data rows from 1.
        return row_numbers[index - 1] if 0 < index <= len(row_numbers) else index + 1

    errors: list[RowError] = []
    for base in result.base_errors:
        logger.warning("Import failed outside any row: %r", base.error)
        errors.append(RowError(0, "", "The file could not be imported. Nothing was changed."))
    for invalid in result.invalid_rows:
        for name, texts in invalid.error_dict.items():
            for message in texts:
                errors.append(
                    RowError(row_number(invalid.number), resource_class.column_for(name), message)
                )
    for failed in result.error_rows:
        for error in failed.errors:
            logger.warning("Import row %s failed: %r", failed.number, error.error)
        errors.append(
            RowError(
                row_number(failed.number),
                "",
                "This row could not be saved. Check it against the column notes below.",
            )
        )
    return sorted(errors, key=lambda e: (e.row, e.column))


class ImportRolledBack(Exception):
    def __init__(self, result):
        super().__init__("The import was rolled back.")
        self.result = result


def run_import(kind: ImportKind, parsed: ParsedUpload, *, user) -> tuple[list[RowError], int]:
    """Dry-run every row; import them all in one transaction only if none has a problem."""
    resource_class = kind.resource_class
    dry = resource_class().import_data(
        parsed.dataset,
        dry_run=True,
        raise_errors=False,
        use_transactions=True,
        collect_failed_rows=True,
    )
    if dry.has_errors() or dry.has_validation_errors():
        return _row_errors(dry, parsed.row_numbers, resource_class), 0
    try:
        with transaction.atomic():
            result = resource_class().import_data(
                parsed.dataset,
                dry_run=False,
                raise_errors=False,
                use_transactions=True,
                collect_failed_rows=True,
            )
            if result.has_errors() or result.has_validation_errors():
                raise ImportRolledBack(result)
            created = [row.instance for row in result.valid_rows() if row.is_new()]
            for instance in created:
                index = getattr(instance, "_import_row_number", None)
                log(
                    instance=instance,
                    action="board.import",
                    user=user,
                    data={
                        "file": parsed.name[:200],
                        "row": parsed.row_numbers[index - 1] if index else None,
                        "account_created": getattr(instance, "_account_created", False),
                    },
                )
    except ImportRolledBack as rolled_back:
        return _row_errors(rolled_back.result, parsed.row_numbers, resource_class), 0
    return [], len(created)


def _template_csv(kind: ImportKind) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind.slug}-import-template.csv"'
    csv.writer(response).writerow(kind.resource_class.columns())
    return response


def import_records(request, kind: str):
    config = KINDS.get(kind)
    if config is None:
        raise Http404
    if not request.user.has_perm(config.permission):
        # A 403 here, not Wagtail's redirect to the dashboard, for a PermissionDenied.
        return permission_denied(request, PermissionDenied())
    if request.GET.get("download") == "template":
        return _template_csv(config)

    form = ImportForm(request.POST or None, request.FILES or None, kind=config)
    row_errors: list[RowError] = []
    ignored_columns: list[str] = []
    if request.method == "POST" and form.is_valid():
        parsed = form.cleaned_data["file"]
        ignored_columns = parsed.ignored_columns
        row_errors, imported = run_import(config, parsed, user=request.user)
        if not row_errors:
            noun = config.singular if imported == 1 else config.plural
            message = f"Imported {imported} {noun} from {parsed.name}."
            if ignored_columns:
                message += " These columns were ignored: " + ", ".join(ignored_columns) + "."
            messages.success(request, message)
            return redirect(request.path)

    resource_class = config.resource_class
    return TemplateResponse(
        request,
        "board/admin/import.html",
        {
            "header_title": f"Import {config.plural}",
            "kind": config,
            "form": form,
            "row_errors": row_errors,
            "ignored_columns": ignored_columns,
            "required_columns": [
                (name, config.descriptions.get(name, ""))
                for name in resource_class.REQUIRED_COLUMNS
            ],
            "optional_columns": [
                (name, config.descriptions.get(name, ""))
                for name in resource_class.OPTIONAL_COLUMNS
            ],
            "template_url": f"{request.path}?download=template",
            "listing_url": reverse(config.listing_url_name),
            "max_rows": MAX_ROWS,
        },
    )
