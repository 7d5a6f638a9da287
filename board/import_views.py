"""Import existing board members and recommendations from a CSV or XLSX file, all or nothing.

The file is checked before anything reads it as a spreadsheet, against the board's
``BOARD_LIMITS`` (``cms.platform.uploads.check_upload``: its size, that its content is what its
name says, and for a workbook that it is no zip bomb). Every row is then tried in a dry run; only
a file without a single problem is imported, in one transaction
(``cms.platform.imports.import_all_or_nothing``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.defaults import permission_denied

from wagtail.log_actions import log

from board.resources import MembershipResource, RecommendationResource
from cms.platform.imports import (
    CreateOnlyResource,
    ParsedUpload,
    RowError,
    import_all_or_nothing,
    read_upload,
)
from cms.platform.uploads import MEGABYTE, UploadLimits, UploadRefused, spreadsheet_field

#: Both board imports: files of a few hundred rows, read whole.
BOARD_LIMITS = UploadLimits(max_upload_bytes=5 * MEGABYTE, max_rows=5000)


@dataclass(frozen=True)
class ImportKind:
    slug: str
    permission: str
    resource_class: type[CreateOnlyResource]
    singular: str
    plural: str
    listing_url_name: str
    descriptions: dict[str, str] = field(default_factory=dict)
    limits: UploadLimits = BOARD_LIMITS


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


class ImportForm(forms.Form):
    file = spreadsheet_field(
        "A .csv file (saved as CSV UTF-8) or an .xlsx workbook, up to "
        f"{BOARD_LIMITS.max_upload_bytes // MEGABYTE} MB."
    )

    def __init__(self, *args, kind: ImportKind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            return read_upload(upload, self.kind.resource_class, self.kind.limits)
        except UploadRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None


def run_import(kind: ImportKind, parsed: ParsedUpload, *, user) -> tuple[list[RowError], int]:
    """Dry-run every row; import them all in one transaction only if none has a problem."""

    def log_created(resource, result) -> int:
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
        return len(created)

    errors, created = import_all_or_nothing(
        kind.resource_class,
        parsed.dataset,
        parsed.row_numbers,
        unsaved="This row could not be saved. Check it against the column notes below.",
        saved=log_created,
    )
    return errors, created or 0


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
            "max_rows": config.limits.max_rows,
        },
    )
