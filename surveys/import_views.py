"""Admin pages to import past survey results and to download a wave's results.

Individual responses come per wave as a CSV or XLSX file of up to ``MAX_RESPONSE_UPLOAD_BYTES``.
Before anything reads it as a spreadsheet the file is checked: its size, that its content is what
its name says (UTF-8 text without NUL bytes for ``.csv``; a ZIP for ``.xlsx``) and, for a
workbook, that it would not unpack too large (a zip bomb) - the same checks as the board's import
(``board.import_views``), with limits for files of hundreds of thousands of rows. A file of up to
``SMALL_FILE_ROWS`` rows is imported within the request; a larger one is stored and imported by
the task worker while a progress page refreshes itself (no script: the admin's CSP).

Aggregated counts come per survey in small files, through ``board.import_views.read_upload`` and
django-import-export (``surveys.importers.import_aggregated_counts``).
"""

from __future__ import annotations

import codecs
import csv
import logging
import zipfile

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
from django.views.decorators.http import require_GET
from django.views.defaults import permission_denied

from wagtail.log_actions import log

from board import import_views as board_import
from board.import_views import (
    OLE_MAGIC,
    XLSX_CONTENT_TYPE,
    ZIP_MAGIC,
    UploadRefused,
    read_upload,
)
from cms.reauthentication import sensitive_action
from surveys import exports, import_tasks
from surveys.importers import (
    FileProblem,
    ImportResult,
    Row,
    count_rows,
    import_aggregated_counts,
    import_responses,
    rows_for,
    upload_opener,
    wave_problems,
)
from surveys.models import AggregatedCount, Response, Survey, Wave
from surveys.resources import COUNT_COLUMNS, AggregatedCountResource, ResponseColumnsResource

logger = logging.getLogger(__name__)

IMPORT_RESPONSES = "surveys.add_response"
IMPORT_COUNTS = "surveys.add_aggregatedcount"
EXPORT_RESPONSES = "surveys.view_response"

MAX_RESPONSE_UPLOAD_BYTES = 200 * 1024 * 1024
#: A workbook of 700,000 responses unpacks to a few hundred MB of XML, which openpyxl streams.
MAX_XLSX_UNPACKED_BYTES = 1024 * 1024 * 1024
#: Past this size an archive that unpacks more than ``MAX_XLSX_RATIO`` times is a zip bomb.
MAX_XLSX_RATIO = 100
RATIO_CHECKED_FROM = 50 * 1024 * 1024
#: openpyxl reads the shared strings (the workbook's text) whole, so they are bounded.
MAX_SHARED_STRINGS_BYTES = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
#: Files of more rows are imported by the task worker.
SMALL_FILE_ROWS = 5000
#: Aggregated counts are read whole by ``board.import_views.read_upload``: its limits apply.
MAX_COUNT_UPLOAD_BYTES = board_import.MAX_UPLOAD_BYTES
MAX_COUNT_FILE_ROWS = board_import.MAX_ROWS
HEAD_BYTES = 64 * 1024


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _denied(request):
    # A 403 here, not Wagtail's redirect to the dashboard, for a PermissionDenied.
    return permission_denied(request, PermissionDenied())


# --- File checks ---------------------------------------------------------------------------------


def _check_csv_head(head: bytes, *, whole_file: bool) -> None:
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
    if not head.strip().strip(codecs.BOM_UTF8):
        raise UploadRefused("The file is empty.")


def check_xlsx_archive(fileobj) -> None:
    """Refuse a workbook that is not a ZIP, or would unpack too large, before it is parsed."""
    fileobj.seek(0)
    head = fileobj.read(8)
    if head.startswith(OLE_MAGIC):
        raise UploadRefused(
            "This is an old Excel 97-2003 (.xls) file. Save it as an Excel Workbook (.xlsx) or "
            "as CSV UTF-8."
        )
    if not head.startswith(ZIP_MAGIC):
        raise UploadRefused(
            "This file is not an Excel workbook, although its name ends in .xlsx. Upload a "
            "workbook saved as .xlsx, or a CSV file."
        )
    fileobj.seek(0)
    try:
        entries = zipfile.ZipFile(fileobj).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise UploadRefused(
            "This file is damaged or is not an Excel workbook. Save it again as .xlsx."
        ) from None
    finally:
        fileobj.seek(0)
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRefused(
            f"This workbook holds more than {MAX_ZIP_ENTRIES:,} parts, so it was not opened. "
            "Save the rows as CSV UTF-8."
        )
    unpacked = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries) or 1
    if unpacked > MAX_XLSX_UNPACKED_BYTES or (
        unpacked > RATIO_CHECKED_FROM and unpacked / packed > MAX_XLSX_RATIO
    ):
        raise UploadRefused(
            f"This workbook would unpack to {_megabytes(unpacked)}, more than this page accepts, "
            "so it was not opened. Save the rows as CSV UTF-8."
        )
    shared = sum(
        entry.file_size for entry in entries if entry.filename.lower().endswith("sharedstrings.xml")
    )
    if shared > MAX_SHARED_STRINGS_BYTES:
        raise UploadRefused(
            f"This workbook holds {_megabytes(shared)} of text, more than the "
            f"{_megabytes(MAX_SHARED_STRINGS_BYTES)} a workbook may; save it as CSV UTF-8 "
            "instead (a CSV file is read a row at a time)."
        )


def check_response_upload(upload) -> str:
    """Check an uploaded response file without parsing it; return its type ("csv" or "xlsx")."""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ("csv", "xlsx"):
        raise UploadRefused("Upload a .csv or .xlsx file.")
    if upload.size > MAX_RESPONSE_UPLOAD_BYTES:
        raise UploadRefused(
            f"The file is {_megabytes(upload.size)}; the limit is "
            f"{_megabytes(MAX_RESPONSE_UPLOAD_BYTES)}. Split it into smaller files, or save a "
            "workbook as CSV (which is smaller)."
        )
    if not upload.size:
        raise UploadRefused("The file is empty.")
    if extension == "csv":
        upload.seek(0)
        head = upload.read(HEAD_BYTES)
        upload.seek(0)
        _check_csv_head(head, whole_file=len(head) < HEAD_BYTES)
    else:
        check_xlsx_archive(upload)
    return extension


class ResponseUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="A .csv file (saved as CSV UTF-8) or an .xlsx workbook, up to "
        f"{MAX_RESPONSE_UPLOAD_BYTES // (1024 * 1024)} MB.",
        widget=forms.ClearableFileInput(
            attrs={"accept": f".csv,.xlsx,text/csv,{XLSX_CONTENT_TYPE}"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.extension = check_response_upload(upload)
            self.row_count = count_rows(
                rows_for(upload_opener(upload), self.extension), limit=SMALL_FILE_ROWS
            )
        except (UploadRefused, FileProblem) as refusal:
            raise forms.ValidationError(str(refusal)) from None
        return upload


class CountsUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="A .csv file (saved as CSV UTF-8) or an .xlsx workbook, up to "
        f"{MAX_COUNT_UPLOAD_BYTES // (1024 * 1024)} MB and {MAX_COUNT_FILE_ROWS:,} rows.",
        widget=forms.ClearableFileInput(
            attrs={"accept": f".csv,.xlsx,text/csv,{XLSX_CONTENT_TYPE}"}
        ),
    )

    def clean_file(self):
        try:
            return read_upload(self.cleaned_data["file"], AggregatedCountResource)
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
        },
    )


def _template_csv(columns, name: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # A question key may start with "-" (it is a slug): escaped as in the exports, and the
    # importers take the apostrophe off a heading again.
    csv.writer(response).writerow(exports.escaped(list(columns)))
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
            "max_megabytes": MAX_RESPONSE_UPLOAD_BYTES // (1024 * 1024),
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
        return _template_csv(COUNT_COLUMNS, "aggregated-counts-template.csv")

    form = CountsUploadForm(request.POST or None, request.FILES or None)
    result: ImportResult | None = None
    ignored: list[str] = []
    if request.method == "POST" and form.is_valid():
        parsed = form.cleaned_data["file"]
        ignored = parsed.ignored_columns
        headers = parsed.dataset.headers
        rows = [
            Row(zip(headers, values, strict=False), number)
            for values, number in zip(parsed.dataset, parsed.row_numbers, strict=False)
        ]
        result = import_aggregated_counts(
            survey=survey, rows=rows, by=request.user, file_name=parsed.name
        )
        if result.ok:
            message = f"Imported {result.imported:,} aggregated counts into {survey}"
            if result.waves_created:
                years = ", ".join(str(year) for year in result.waves_created)
                message += f", with new imported waves for {years}"
            message += "."
            if ignored:
                message += " These columns were ignored: " + ", ".join(ignored) + "."
            messages.success(request, message)
            return redirect("surveys_data")

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
            "max_rows": MAX_COUNT_FILE_ROWS,
        },
    )


# --- Downloads -----------------------------------------------------------------------------------

FORMATS = {"csv", "xlsx"}


# Every response of a wave leaves the platform: only after a recent sign-in or re-authentication
# (cms.reauthentication). Those without the permission get _export's 403, not a password prompt.
@require_GET
@sensitive_action(permission=EXPORT_RESPONSES)
def export_responses_view(request, wave_id: int, fmt: str):
    return _export(request, wave_id, fmt, what="responses")


@require_GET
@sensitive_action(permission=EXPORT_RESPONSES)
def export_free_text_view(request, wave_id: int, fmt: str):
    return _export(request, wave_id, fmt, what="free-text")


def _export(request, wave_id: int, fmt: str, *, what: str):
    if not request.user.has_perm(EXPORT_RESPONSES):
        return _denied(request)
    if fmt not in FORMATS:
        raise Http404
    wave = get_object_or_404(Wave.objects.select_related("survey"), pk=wave_id)
    log(
        instance=wave,
        action="surveys.export",
        user=request.user,
        data={"what": what, "format": fmt},
    )
    name = exports.filename(wave, what, fmt)
    if fmt == "csv":
        lines = exports.responses_csv(wave) if what == "responses" else exports.free_text_csv(wave)
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        workbook = (
            exports.responses_xlsx(wave) if what == "responses" else exports.free_text_xlsx(wave)
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
