"""Uploading aggregated counts through the admin as an analyst does: upload, preview, confirm.

For tests of the reversible imports (``tests/surveys/test_import_batches.py``) and for any test
that imports counts through the admin page, which now writes nothing until the preview is
confirmed.
"""

from __future__ import annotations

import csv
import html
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

COUNT_HEADINGS = ["year", "question_key", "group", "n_answering", "n_positive"]


def counts_csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([COUNT_HEADINGS, *rows])
    return buffer.getvalue().encode("utf-8")


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def upload_counts(client, survey, name: str, data: bytes, *, replacing=None):
    """POST the file to the import page (or a batch's replace page); follows to the preview."""
    url = (
        reverse("surveys_count_batch_replace", args=[replacing.pk])
        if replacing is not None
        else reverse("surveys_import_counts", args=[survey.pk])
    )
    return client.post(
        url, {"file": SimpleUploadedFile(name, data, content_type="text/csv")}, follow=True
    )


def confirm_preview(client, preview, action: str = "confirm", checksum: str | None = None):
    """Press a button of the preview page the upload led to."""
    url = preview.redirect_chain[-1][0]
    checksum = checksum if checksum is not None else preview.context["state"]["checksum"]
    return client.post(url, {"action": action, "checksum": checksum}, follow=True)


def import_counts_through_admin(client, survey, name: str, data: bytes):
    """Upload, preview and confirm; returns the page after confirming."""
    preview = upload_counts(client, survey, name, data)
    assert "preview" in preview.redirect_chain[-1][0], text_of(preview)[:2000]
    return confirm_preview(client, preview)
