"""The django-import-export pieces every spreadsheet import shares.

``CreateOnlyResource``: rows only ever create records (a row never updates or deletes anything),
each validated with the model's own ``full_clean()``, every problem worded in plain English
against the column it came from. The generic widgets read cells as a person types them into a
spreadsheet. ``read_upload`` checks and reads a small file (``cms.platform.uploads``) into a
dataset of just a resource's columns; ``import_all_or_nothing`` dry-runs every row and imports
them all in one transaction only if none has a problem, listing each problem as a ``RowError``
by the row number the person sees.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

import tablib
from import_export import resources, widgets
from import_export.results import RowResult

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from cms.platform.uploads import (
    UploadLimits,
    UploadRefused,
    cell_text,
    check_upload,
    megabytes,
    read_table,
)

logger = logging.getLogger(__name__)

__all__ = [
    "REQUIRED_MESSAGE",
    "ChoiceWidget",
    "CreateOnlyResource",
    "FlexibleDateWidget",
    "ParsedUpload",
    "RowError",
    "TextWidget",
    "YesNoWidget",
    "cell_text",
    "import_all_or_nothing",
    "quoted",
    "read_upload",
    "row_errors",
]

REQUIRED_MESSAGE = "This is required, but the cell is empty."

Saved = TypeVar("Saved")


def quoted(text: str, limit: int = 60) -> str:
    """A cell's text as quoted in a message, cut short when long."""
    return f"“{text[:limit]}…”" if len(text) > limit else f"“{text}”"


def _choice_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


# --- Widgets ------------------------------------------------------------------------------------


class TextWidget(widgets.Widget):
    """Text kept exactly as typed (less surrounding spaces): ``=HYPERLINK(..)`` stays plain text."""

    def clean(self, value, row=None, **kwargs):
        return cell_text(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class FlexibleDateWidget(widgets.Widget):
    """ISO dates (2025-04-01) or British ones (01/04/2025); a spreadsheet's own dates too."""

    FORMATS = ("%Y-%m-%d", "%d/%m/%Y")

    def parse(self, value) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = cell_text(value)
        if not text:
            return None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]00:00(:00)?", text):
            text = text[:10]
        for fmt in self.FORMATS:
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValueError(
            f"{quoted(text)} is not a date. Write it as YYYY-MM-DD or DD/MM/YYYY, "
            "for example 2025-04-01 or 01/04/2025."
        )

    def clean(self, value, row=None, **kwargs):
        return self.parse(value)

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class ChoiceWidget(widgets.Widget):
    """One of a model's choices, by its stored value or its label, in any case."""

    def __init__(self, choices, *, default: str, noun: str):
        super().__init__()
        self.choices = list(choices)
        self.default = default
        self.noun = noun

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return self.default
        key = _choice_key(text)
        for stored, label in self.choices:
            if key in (_choice_key(stored), _choice_key(str(label))):
                return stored
        allowed = ", ".join(f"{label} ({stored})" for stored, label in self.choices)
        raise ValueError(f"{quoted(text)} is not a {self.noun}. Use one of: {allowed}.")

    def render(self, value, obj=None, **kwargs):
        return value or ""


class YesNoWidget(widgets.Widget):
    TRUE = {"yes", "y", "true", "1"}
    FALSE = {"no", "n", "false", "0", ""}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = cell_text(value).lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"{quoted(cell_text(value))} is not yes or no. Write yes or no.")

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


# --- Resources ----------------------------------------------------------------------------------


class CreateOnlyResource(resources.ModelResource):
    """Rows only ever create records, and every problem is worded for the person importing."""

    #: Columns the file must have, in the order the template lists them.
    REQUIRED_COLUMNS: tuple[str, ...] = ()
    #: Columns the file may have.
    OPTIONAL_COLUMNS: tuple[str, ...] = ()
    #: Where an error keyed by a model field is reported, when the column has another name.
    COLUMN_FOR_FIELD: dict[str, str] = {}

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return cls.REQUIRED_COLUMNS + cls.OPTIONAL_COLUMNS

    @classmethod
    def column_for(cls, field_name: str) -> str:
        if field_name == NON_FIELD_ERRORS:
            return ""
        return cls.COLUMN_FOR_FIELD.get(field_name, field_name)

    def get_instance(self, instance_loader, row):
        # Never look an existing record up (an ``id`` column must not overwrite anything).
        return None

    def import_row(self, row, instance_loader, **kwargs):
        if all(cell_text(value) == "" for value in row.values()):
            skipped = self.get_row_result_class()()
            skipped.import_type = RowResult.IMPORT_TYPE_SKIP
            return skipped
        return super().import_row(row, instance_loader, **kwargs)

    def excluded_from_validation(self, instance) -> set[str]:
        return set()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = {name: list(errs) for name, errs in (import_validation_errors or {}).items()}
        try:
            instance.full_clean(
                exclude=set(errors) | self.excluded_from_validation(instance),
                validate_unique=validate_unique,
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(
                {name: [self.plain_message(name, e) for e in errs] for name, errs in errors.items()}
            )

    def plain_message(self, field_name: str, error) -> str:
        if not isinstance(error, ValidationError):
            return str(error)
        params = error.params or {}
        if error.code in ("blank", "null", "required"):
            return REQUIRED_MESSAGE
        if error.code == "max_length":
            return (
                f"This is too long: at most {params.get('limit_value')} characters "
                f"(it has {params.get('show_value')})."
            )
        return str(error.message % params if params else error.message)

    def after_save_instance(self, instance, row, **kwargs):
        # The position in the dataset, so the audit log can name the row the record came from.
        instance._import_row_number = kwargs.get("row_number")


# --- Reading a small file for a resource --------------------------------------------------------


@dataclass
class ParsedUpload:
    dataset: tablib.Dataset
    #: The spreadsheet row number (heading row = 1) of each dataset row, in order.
    row_numbers: list[int]
    ignored_columns: list[str]
    name: str


def _normalise_heading(value) -> str:
    return "_".join(cell_text(value).lower().replace("-", " ").split())


def read_upload(
    upload, resource_class: type[CreateOnlyResource], limits: UploadLimits
) -> ParsedUpload:
    """Check an uploaded file and read it into a dataset of just the resource's columns."""
    extension = check_upload(upload, limits)
    upload.seek(0)
    data = upload.read(limits.max_upload_bytes + 1)
    if len(data) > limits.max_upload_bytes:
        raise UploadRefused(
            f"The file is larger than the {megabytes(limits.max_upload_bytes)} limit."
        )
    table = read_table(data, extension, limits)
    dataset = table.dataset

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
    return ParsedUpload(dataset, table.row_numbers, ignored, upload.name or "")


# --- Importing, all or nothing ------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    #: The spreadsheet row (headings = row 1); 0 for the file as a whole.
    row: int
    column: str
    message: str


def row_errors(result, row_numbers: list[int], resource, *, unsaved: str) -> list[RowError]:
    """The problems of an import-export result, by spreadsheet row and column, in order.

    ``unsaved``: the message for a row that was valid but failed to save (the error itself is
    logged, not shown).
    """

    def row_number(index: int) -> int:
        # import-export numbers the data rows from 1.
        return row_numbers[index - 1] if 0 < index <= len(row_numbers) else index + 1

    name = type(resource).__name__
    errors: list[RowError] = []
    for base in result.base_errors:
        logger.warning("%s import failed outside any row: %r", name, base.error)
        errors.append(RowError(0, "", "The file could not be imported. Nothing was changed."))
    for invalid in result.invalid_rows:
        for field_name, texts in invalid.error_dict.items():
            column = resource.column_for(field_name)
            errors.extend(RowError(row_number(invalid.number), column, text) for text in texts)
    for failed in result.error_rows:
        for error in failed.errors:
            logger.warning("%s import row %s failed: %r", name, failed.number, error.error)
        errors.append(RowError(row_number(failed.number), "", unsaved))
    return sorted(errors, key=lambda e: (e.row, e.column))


class _RolledBack(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__("The import was rolled back.")
        self.errors = errors


def import_all_or_nothing(
    new_resource: Callable[[], CreateOnlyResource],
    dataset: tablib.Dataset,
    row_numbers: list[int],
    *,
    unsaved: str,
    saved: Callable[[CreateOnlyResource, object], Saved],
) -> tuple[list[RowError], Saved | None]:
    """Dry-run every row; import them all in one transaction only if none has a problem.

    ``saved(resource, result)`` runs inside that transaction once every row is in (to write the
    audit log, say); what it returns comes back with the empty list of problems. A problem in the
    real run rolls every row back.
    """
    options = {"raise_errors": False, "use_transactions": True, "collect_failed_rows": True}
    checking = new_resource()
    dry = checking.import_data(dataset, dry_run=True, **options)
    errors = row_errors(dry, row_numbers, checking, unsaved=unsaved)
    if errors:
        return errors, None
    try:
        with transaction.atomic():
            resource = new_resource()
            result = resource.import_data(dataset, dry_run=False, **options)
            errors = row_errors(result, row_numbers, resource, unsaved=unsaved)
            if errors:
                raise _RolledBack(errors)
            return [], saved(resource, result)
    except _RolledBack as rolled_back:
        return rolled_back.errors, None
