"""Admin pages to import past survey results and to download a wave's results.

Individual responses come per wave as a CSV or XLSX file of up to ``MAX_RESPONSE_UPLOAD_BYTES``.
Before anything reads it as a spreadsheet the file is checked by the platform's one upload checker
(``cms.platform.uploads.check_upload``) - its size, that its content is what its name says, and
for a workbook that it is no zip bomb - the same checks as every import, with the limits of
``surveys.importers.RESPONSE_LIMITS`` for files of hundreds of thousands of rows. A file of up to
``SMALL_FILE_ROWS`` rows is imported within the request; a larger one is stored and imported by
the task worker while a progress page refreshes itself (no script: the admin's CSP).

Aggregated counts come per survey in small files, read whole by
``cms.platform.imports.read_upload`` within ``COUNT_LIMITS`` and imported through
django-import-export (``surveys.importers.import_aggregated_counts``). Every upload of counts is
previewed and only written once confirmed, and can later be replaced or removed as a batch
(``surveys.count_import_views``).
"""

from __future__ import annotations

import csv
import dataclasses
import logging

from django_tasks.base import TaskResultStatus

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.defaults import permission_denied

from wagtail.log_actions import log

from cms.platform.disclosure import disclosure_threshold
from cms.platform.imports import read_upload
from cms.platform.uploads import (
    MEGABYTE,
    XLSX_CONTENT_TYPE,
    UploadLimits,
    UploadRefused,
    check_upload,
    spreadsheet_field,
)
from cms.reauthentication import sensitive_action
from surveys import count_import_views, count_imports, exports, import_tasks
from surveys.importers import (
    COUNT_LIMITS,
    RESPONSE_LIMITS,
    ImportResult,
    count_rows,
    import_responses,
    rows_for,
    upload_opener,
    wave_problems,
)
from surveys.models import AggregatedCount, Response, Survey, Wave
from surveys.resources import (
    RECONCILIATION_TOLERANCE,
    AggregatedCountResource,
    ResponseColumnsResource,
    counts_template_rows,
    group_codes_with_labels,
)

logger = logging.getLogger(__name__)

IMPORT_RESPONSES = "surveys.add_response"
IMPORT_COUNTS = "surveys.add_aggregatedcount"
EXPORT_RESPONSES = "surveys.view_response"
#: The responses in full (detailed ethnic group, dates, rare combinations): given to no role by
#: default (``surveys/migrations/0007_full_response_export_permission.py``).
EXPORT_FULL_RESPONSES = "surveys.export_full_responses"

#: Shown on the page, and the size ``response_limits`` checks.
MAX_RESPONSE_UPLOAD_BYTES = RESPONSE_LIMITS.max_upload_bytes
#: Files of more rows are imported by the task worker.
SMALL_FILE_ROWS = 5000


def response_limits() -> UploadLimits:
    # The size is read from this module when a file comes in: the hostile-input suite lowers
    # MAX_RESPONSE_UPLOAD_BYTES to try the limit with a small file.
    return dataclasses.replace(RESPONSE_LIMITS, max_upload_bytes=MAX_RESPONSE_UPLOAD_BYTES)


def _denied(request):
    # A 403 here, not Wagtail's redirect to the dashboard, for a PermissionDenied.
    return permission_denied(request, PermissionDenied())


class ResponseUploadForm(forms.Form):
    file = spreadsheet_field(
        "A .csv file (saved as CSV UTF-8) or an .xlsx workbook, up to "
        f"{MAX_RESPONSE_UPLOAD_BYTES // MEGABYTE} MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.extension = check_upload(upload, response_limits())
            self.row_count = count_rows(
                rows_for(upload_opener(upload), self.extension), limit=SMALL_FILE_ROWS
            )
        except UploadRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None
        return upload


class CountsUploadForm(forms.Form):
    file = spreadsheet_field(
        "A .csv file (saved as CSV UTF-8) or an .xlsx workbook, up to "
        f"{COUNT_LIMITS.max_upload_bytes // MEGABYTE} MB and {COUNT_LIMITS.max_rows:,} rows.",
    )

    def clean_file(self):
        try:
            return read_upload(self.cleaned_data["file"], AggregatedCountResource, COUNT_LIMITS)
        except UploadRefused as refusal:
            raise forms.ValidationError(str(refusal)) from None


# --- Pages ---------------------------------------------------------------------------------------


def may_use(user) -> bool:
    return any(user.has_perm(p) for p in (IMPORT_RESPONSES, IMPORT_COUNTS, EXPORT_RESPONSES))


def _count_of(model):
    counted = (
        model.objects.filter(wave=OuterRef("pk"))
        .order_by()
        .values("wave")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def data_index(request):
    """Every survey and wave, with what the analyst may import or download for each."""
    if not may_use(request.user):
        return _denied(request)
    # Subqueries, not joins: joining both tables would multiply a wave's rows.
    waves = Wave.objects.annotate(
        response_count=_count_of(Response), count_rows=_count_of(AggregatedCount)
    ).order_by("-year")
    surveys = Survey.objects.prefetch_related(Prefetch("waves", queryset=waves)).order_by("name")
    return TemplateResponse(
        request,
        "surveys/admin/import_index.html",
        {
            "header_title": "Survey results: import and download",
            "surveys": surveys,
            "may_import_responses": request.user.has_perm(IMPORT_RESPONSES),
            "may_import_counts": request.user.has_perm(IMPORT_COUNTS),
            "may_export": request.user.has_perm(EXPORT_RESPONSES),
            "may_export_full": request.user.has_perm(EXPORT_RESPONSES)
            and request.user.has_perm(EXPORT_FULL_RESPONSES),
        },
    )


def _template_csv(columns, name: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # A question key may start with "-" (it is a slug): escaped as in the exports, and the
    # importers take the apostrophe off a heading again.
    csv.writer(response).writerow(exports.escaped(list(columns)))
    return response


def _counts_template() -> HttpResponse:
    """The heading row and example rows of every supported layout, each naming its label."""
    headings, *examples = counts_template_rows()
    response = _template_csv(headings, "aggregated-counts-template.csv")
    csv.writer(response).writerows(exports.escaped(list(row)) for row in examples)
    return response


def import_responses_page(request, wave_id: int):
    if not request.user.has_perm(IMPORT_RESPONSES):
        return _denied(request)
    wave = get_object_or_404(Wave.objects.select_related("survey"), pk=wave_id)
    columns = ResponseColumnsResource(wave=wave)
    if request.GET.get("download") == "template":
        return _template_csv(columns.columns(), exports.filename(wave, "template", "csv"))

    form = ResponseUploadForm(request.POST or None, request.FILES or None)
    result: ImportResult | None = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if form.row_count > SMALL_FILE_ROWS:
            return _start_background_import(request, wave, upload, form.extension)
        result = import_responses(
            wave=wave,
            rows=rows_for(upload_opener(upload), form.extension),
            by=request.user,
            file_name=upload.name,
        )
        if result.ok:
            messages.success(request, _imported_message(result, wave, upload.name))
            return redirect("surveys_data")

    return TemplateResponse(
        request,
        "surveys/admin/import_responses.html",
        {
            "header_title": f"Import responses: {wave}",
            "wave": wave,
            "form": form,
            "result": result,
            "problems": wave_problems(wave),
            "columns": columns.column_notes(),
            "template_url": f"{request.path}?download=template",
            "small_file_rows": SMALL_FILE_ROWS,
            "max_megabytes": MAX_RESPONSE_UPLOAD_BYTES // MEGABYTE,
        },
    )


def _imported_message(result: ImportResult, wave: Wave, file_name: str) -> str:
    return (
        f"Imported {result.imported:,} responses into {wave} from {file_name}: "
        f"{result.answers:,} coded answers and {result.free_text:,} free-text answers."
    )


def _start_background_import(request, wave: Wave, upload, extension: str):
    import_id = import_tasks.new_import_id()
    storage_name = default_storage.save(
        f"{import_tasks.UPLOAD_FOLDER}/{import_id}.{extension}", upload
    )
    import_tasks.set_state(
        import_id,
        status="queued",
        wave_id=wave.pk,
        user_id=request.user.pk,
        file=upload.name[:200],
        done=0,
        total=None,
    )
    queued = import_tasks.import_responses_file.enqueue(
        import_id=import_id,
        wave_id=wave.pk,
        storage_name=storage_name,
        extension=extension,
        file_name=upload.name[:200],
        user_id=request.user.pk,
    )
    import_tasks.cache.set(
        import_tasks.state_key(import_id) + ":task", queued.id, import_tasks.STATE_TIMEOUT
    )
    return redirect("surveys_import_progress", import_id=import_id)


def _state_from_task(import_id: str, state: dict) -> dict:
    """When the cache is not shared with the worker, the task's stored result has the outcome."""
    task_id = import_tasks.cache.get(import_tasks.state_key(import_id) + ":task")
    if not task_id or state.get("status") in ("done", "failed"):
        return state
    try:
        task_result = import_tasks.import_responses_file.get_result(task_id)
    except Exception:  # The backend keeps no results (or not this one): rely on the cache.
        return state
    if task_result.status == TaskResultStatus.SUCCESSFUL:
        return {**state, "status": "done", "result": task_result.return_value["result"]}
    if task_result.status == TaskResultStatus.FAILED:
        return {**state, "status": "failed"}
    return state


@require_GET
def import_progress(request, import_id: str):
    if not request.user.has_perm(IMPORT_RESPONSES):
        return _denied(request)
    state = import_tasks.get_state(import_id)
    if state is None:
        raise Http404
    if state.get("user_id") != request.user.pk and not request.user.is_superuser:
        return _denied(request)
    state = _state_from_task(import_id, state)
    wave = get_object_or_404(Wave.objects.select_related("survey"), pk=state["wave_id"])
    result = ImportResult.from_dict(state["result"]) if state.get("result") else None
    total, done = state.get("total"), state.get("done") or 0
    return TemplateResponse(
        request,
        "surveys/admin/import_progress.html",
        {
            "header_title": f"Importing responses: {wave}",
            "wave": wave,
            "state": state,
            "file_name": state.get("file", ""),
            "finished": state.get("status") in ("done", "failed"),
            "percent": int(100 * done / total) if total else None,
            "result": result,
            "imported_message": _imported_message(result, wave, state.get("file", ""))
            if result is not None and result.ok
            else "",
        },
    )


def import_counts_page(request, survey_id: int):
    if not request.user.has_perm(IMPORT_COUNTS):
        return _denied(request)
    survey = get_object_or_404(Survey, pk=survey_id)
    if request.GET.get("download") == "template":
        return _counts_template()

    form = CountsUploadForm(request.POST or None, request.FILES or None)
    result: ImportResult | None = None
    ignored: list[str] = []
    if request.method == "POST" and form.is_valid():
        parsed = form.cleaned_data["file"]
        ignored = parsed.ignored_columns
        # Every row checked now (the import run and rolled back), so a file with problems is
        # refused here as before; a clean one is staged and previewed, and written only once the
        # analyst confirms (surveys.count_import_views).
        upload = request.FILES["file"]
        if not count_import_views.refused_as_same_file(form, survey=survey, upload=upload):
            preview = count_imports.preview_counts(survey=survey, parsed=parsed, by=request.user)
            result = preview.result
            if result.ok:
                return count_import_views.counts_upload_staged(request, survey=survey)

    return TemplateResponse(
        request,
        "surveys/admin/import_counts.html",
        {
            "header_title": f"Import aggregated counts: {survey}",
            "survey": survey,
            "form": form,
            "result": result,
            "ignored_columns": ignored,
            "template_url": f"{request.path}?download=template",
            "max_rows": COUNT_LIMITS.max_rows,
            "group_codes": group_codes_with_labels(),
            "tolerance": RECONCILIATION_TOLERANCE,
            "batches_url": reverse("surveys_count_batches", args=[survey.pk]),
        },
    )


# --- Downloads -----------------------------------------------------------------------------------

FORMATS = {"csv", "xlsx"}


class FullExportForm(forms.Form):
    """Why someone needs the responses in full: kept in the audit log with the download."""

    reason = forms.CharField(
        label="Why do you need the responses in full?",
        help_text="For example, the analysis that needs the detailed ethnic groups or the "
        "dates, and who approved it. This is kept in the audit log with your download.",
        min_length=20,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


# Every response of a wave leaves the platform: only after a recent sign-in or re-authentication
# (cms.reauthentication). Those without the permission get _export's 403, not a password prompt.
# A GET is the minimised export; ``?full=1`` asks for a reason and a POST of it gives the full one.
@require_http_methods(["GET", "POST"])
@sensitive_action(permission=EXPORT_RESPONSES)
def export_responses_view(request, wave_id: int, fmt: str):
    if request.method == "POST" or "full" in request.GET:
        return _full_export(request, wave_id, fmt)
    return _export(request, wave_id, fmt, what="responses")


@require_GET
@sensitive_action(permission=EXPORT_RESPONSES)
def export_free_text_view(request, wave_id: int, fmt: str):
    return _export(request, wave_id, fmt, what="free-text")


def _full_export(request, wave_id: int, fmt: str):
    user = request.user
    if not (user.has_perm(EXPORT_RESPONSES) and user.has_perm(EXPORT_FULL_RESPONSES)):
        return _denied(request)
    if fmt not in FORMATS:
        raise Http404
    wave = get_object_or_404(Wave.objects.select_related("survey"), pk=wave_id)
    form = FullExportForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        return _export(
            request, wave_id, fmt, what="responses", full=True, reason=form.cleaned_data["reason"]
        )
    return TemplateResponse(
        request,
        "surveys/admin/export_full_responses.html",
        {
            "header_title": f"Download the responses in full: {wave}",
            "wave": wave,
            "form": form,
            "format": fmt.upper(),
            "threshold": disclosure_threshold(),
        },
    )


def _export(request, wave_id: int, fmt: str, *, what: str, full: bool = False, reason: str = ""):
    if not request.user.has_perm(EXPORT_RESPONSES):
        return _denied(request)
    if fmt not in FORMATS:
        raise Http404
    wave = get_object_or_404(Wave.objects.select_related("survey"), pk=wave_id)
    data = {"what": what, "format": fmt}
    if what == "responses":
        data |= {"detail": "full", "reason": reason} if full else {"detail": "minimised"}
    log(instance=wave, action="surveys.export", user=request.user, data=data)
    name = exports.filename(wave, f"{what}-full" if full else what, fmt)
    if fmt == "csv":
        lines = (
            exports.responses_csv(wave, full=full)
            if what == "responses"
            else exports.free_text_csv(wave)
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        workbook = (
            exports.responses_xlsx(wave, full=full)
            if what == "responses"
            else exports.free_text_xlsx(wave)
        )
        response = FileResponse(
            workbook, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE
        )
    response["Cache-Control"] = "no-store"
    return response


def admin_urls():
    from django.urls import path

    return [
        path("survey-data/", data_index, name="surveys_data"),
        path(
            "survey-data/waves/<int:wave_id>/import/",
            import_responses_page,
            name="surveys_import_responses",
        ),
        path(
            "survey-data/surveys/<int:survey_id>/import-counts/",
            import_counts_page,
            name="surveys_import_counts",
        ),
        path(
            "survey-data/imports/<str:import_id>/",
            import_progress,
            name="surveys_import_progress",
        ),
        path(
            "survey-data/waves/<int:wave_id>/responses.<str:fmt>",
            export_responses_view,
            name="surveys_export_responses",
        ),
        path(
            "survey-data/waves/<int:wave_id>/free-text.<str:fmt>",
            export_free_text_view,
            name="surveys_export_free_text",
        ),
    ]
