"""Helpers shared by every CSV and XLSX the platform produces.

Every text cell of every download goes through ``escape_cell``: the platform's own exports call
it directly, and every Wagtail listing export and report goes through it by way of
``escape_wagtail_spreadsheet_exports`` (run once, from ``cms.apps.CmsConfig.ready``).
``tests/security/test_export_escaping.py`` lists every export and feeds payloads through each.
"""

from __future__ import annotations

import functools
import re

# A spreadsheet treats a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# A plain number written as text ("-5", "+1.25", "-3e2"): a spreadsheet reads it as that number
# and nothing else, so it is left as it is - a negative figure stays a figure, not text. Anything
# more ("-2+3", "-", "- 5", "-1,000") is escaped like any other text.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def escape_cell(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe.

    Only text is escaped: numbers, dates and ``None`` come back unchanged, and so does text that
    is a plain number. Escaping is idempotent (an escaped cell starts with "'").
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_PREFIXES)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def escape_wagtail_spreadsheet_exports() -> None:
    """Escape every cell of every Wagtail spreadsheet export, in CSV and XLSX, once for all.

    Wagtail falls short here. ``SpreadsheetExportMixin`` (``wagtail.admin.views.mixins``), behind
    every ModelViewSet and SnippetViewSet listing export (``?export=csv`` / ``?export=xlsx``), the
    reports (locked pages, aging pages, site history, workflows), the redirects listing and form
    submissions, writes CSV cells exactly as stored: ``=HYPERLINK(...)`` typed into a title runs
    when the CSV is opened in a spreadsheet. In XLSX it turns a data cell that openpyxl takes for
    a formula back into text, but only one starting with "=" and never a column heading, which
    for form submissions is a field label an editor typed. Upstream considers this the
    spreadsheet's problem and will not change it: https://github.com/wagtail/wagtail/issues/3466
    and "CSV export security considerations" in Wagtail's security docs
    (https://github.com/wagtail/wagtail/pull/7554).

    So the mixin's two hooks that every cell and every heading pass through,
    ``preprocess_field_value`` and ``get_heading``, are wrapped here with ``escape_cell`` - on the
    mixin itself, so every subclass (ours, Wagtail's reports, any a later Wagtail adds) inherits
    it, and a subclass that overrides them and calls ``super()`` is escaped too.
    """
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    if getattr(SpreadsheetExportMixin, "escapes_formulas", False):
        return
    preprocess_field_value = SpreadsheetExportMixin.preprocess_field_value
    get_heading = SpreadsheetExportMixin.get_heading

    @functools.wraps(preprocess_field_value)
    def escaped_preprocess_field_value(self, field, value, export_format):
        return escape_cell(preprocess_field_value(self, field, value, export_format))

    @functools.wraps(get_heading)
    def escaped_get_heading(self, queryset, field):
        return escape_cell(get_heading(self, queryset, field))

    SpreadsheetExportMixin.preprocess_field_value = escaped_preprocess_field_value
    SpreadsheetExportMixin.get_heading = escaped_get_heading
    SpreadsheetExportMixin.escapes_formulas = True
