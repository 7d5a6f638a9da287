"""Wagtail's admin widgets, made to answer a tampered form with a form error rather than a 500.

Wagtail's editors post what their scripts write, and three of its parts trust that:

* **Choosers** (images, documents, pages, snippets; as form fields and as StreamField blocks) look
  the posted value up with ``objects.get(pk=value)`` and catch only ``DoesNotExist``. A value
  that cannot be an id - ``"abc"``, ``" "``, a NUL character - raised ``ValueError`` instead:
  a 500 when the form was shown again with its errors (the widget) or was saved (the block). Such
  a value now means no choice, so the form says the field is required or the choice is not valid.
* **Rich text** (Draftail) parses the posted value as Draft.js JSON. Anything else - plain text,
  ``true``, ``[]``, JSON of another shape - raised on reading the form. Such a value is now kept
  as the plain text it is, escaped, in one paragraph: nothing posted runs, and nothing is lost.
* **StreamFields** read their parts by index (``body-count``, ``body-0-type``, ``body-0-order``)
  with ``data[...]`` and ``int()``: a part missing or not a number raised ``KeyError`` or
  ``ValueError``. Such a field now fails validation with a message, and nothing is saved.

Patched once at start-up, from ``cms.apps``.
"""

from __future__ import annotations

import functools
import logging

from django.core.exceptions import ValidationError
from django.utils.html import format_html

logger = logging.getLogger(__name__)

#: What a lookup by primary key raises for a value that cannot be a primary key at all.
INVALID_ID_ERRORS = (ValueError, TypeError, OverflowError, ValidationError)


def _none_for_invalid_ids(method):
    if getattr(method, "tolerates_invalid_ids", False):
        return method

    @functools.wraps(method)
    def lookup(self, value, *args, **kwargs):
        try:
            return method(self, value, *args, **kwargs)
        except INVALID_ID_ERRORS:
            return None

    lookup.tolerates_invalid_ids = True
    return lookup


def _plain_text_for_invalid_contentstate(method):
    if getattr(method, "tolerates_invalid_contentstate", False):
        return method

    @functools.wraps(method)
    def value_from_datadict(self, data, files, name):
        try:
            return method(self, data, files, name)
        except Exception:  # Whatever the posted structure breaks in the converter: not a 500.
            logger.info("Rich text %r was not Draft.js JSON; kept as plain text", name)
            original = data.get(name)
            return format_html("<p>{}</p>", original) if isinstance(original, str) else None

    value_from_datadict.tolerates_invalid_contentstate = True
    return value_from_datadict


#: What reading a StreamField's parts raises when the posted parts are missing or malformed.
MALFORMED_BLOCK_ERRORS = (KeyError, ValueError, TypeError, OverflowError, IndexError)
MALFORMED_BLOCK_MESSAGE = (
    "This part of the form arrived incomplete, so nothing was saved. Reload the page and make "
    "the change again."
)


def _flagged_default_for_malformed_blocks(method):
    if getattr(method, "tolerates_malformed_blocks", False):
        return method

    @functools.wraps(method)
    def value_from_datadict(self, data, files, name):
        try:
            return method(self, data, files, name)
        except MALFORMED_BLOCK_ERRORS:
            logger.info("StreamField %r was posted incomplete or malformed", name)
            value = self.block_def.get_default()
            value.posted_malformed = True  # For BlockField.clean, below.
            return value

    value_from_datadict.tolerates_malformed_blocks = True
    return value_from_datadict


def _refuse_malformed_blocks(method):
    if getattr(method, "tolerates_malformed_blocks", False):
        return method

    @functools.wraps(method)
    def clean(self, value):
        if getattr(value, "posted_malformed", False):
            raise ValidationError(MALFORMED_BLOCK_MESSAGE, code="malformed")
        return method(self, value)

    clean.tolerates_malformed_blocks = True
    return clean


def harden_wagtail_admin_input() -> None:
    from wagtail.admin.rich_text.editors.draftail import DraftailRichTextArea
    from wagtail.admin.widgets.chooser import BaseChooser
    from wagtail.blocks.base import BlockField, BlockWidget
    from wagtail.blocks.field_block import ChooserBlock

    BaseChooser.get_instance = _none_for_invalid_ids(BaseChooser.get_instance)
    ChooserBlock.to_python = _none_for_invalid_ids(ChooserBlock.to_python)
    ChooserBlock.value_from_form = _none_for_invalid_ids(ChooserBlock.value_from_form)
    DraftailRichTextArea.value_from_datadict = _plain_text_for_invalid_contentstate(
        DraftailRichTextArea.value_from_datadict
    )
    BlockWidget.value_from_datadict = _flagged_default_for_malformed_blocks(
        BlockWidget.value_from_datadict
    )
    BlockField.clean = _refuse_malformed_blocks(BlockField.clean)
