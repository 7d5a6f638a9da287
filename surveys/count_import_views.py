"""Admin pages for reversible imports of aggregated counts (``surveys.count_imports``).

An upload (new, or a correction of an earlier import) is staged and previewed; nothing is
written until the analyst confirms. A survey's imports are listed with a Replace and a Remove
action, each behind a confirmation page. The same permission as importing counts throughout.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods
from django.views.defaults import permission_denied

from surveys import count_imports
from surveys.count_imports import BatchChanged, StalePreview
from surveys.importers import COUNT_LIMITS, ImportResult
from surveys.models import CountImportBatch, Survey

IMPORT_COUNTS = "surveys.add_aggregatedcount"


class CountsConfirmForm(forms.Form):
    """The preview's buttons: the checksum shown is the one confirmed."""

    checksum = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[("confirm", "Confirm"), ("cancel", "Cancel")])


def _denied(request):
    # A 403 here, not Wagtail's redirect to the dashboard, as on the other import pages.
    return permission_denied(request, PermissionDenied())


def _same_file_message(batch: CountImportBatch) -> str:
    when = batch.imported_at.strftime("%-d %B %Y")
    name = batch.file_name or "a file"
    return (
        f"This file is identical to one already imported on {when} ({name}, import "
        f"{batch.pk}), so nothing was imported. To correct that import, replace it from the "
        "list of this survey's imports."
    )


def refused_as_same_file(form, *, survey: Survey, upload, replacing=None) -> bool:
    """Whether the upload is the very file of an import in use (or of the one it replaces);
    the refusal goes on the form."""
    checksum = count_imports.checksum_of(count_imports.uploaded_bytes(upload))
    if replacing is not None and checksum == replacing.checksum:
        form.add_error(
            "file", "This is the same file as the import you are replacing: nothing would change."
        )
        return True
    same = count_imports.same_file_as(survey=survey, checksum=checksum)
    if same is not None:
        form.add_error("file", _same_file_message(same))
        return True
    return False


def counts_upload_staged(request, *, survey: Survey, replacing=None):
    """Stage a checked upload and go to its preview."""
    token = count_imports.stage(
        upload=request.FILES["file"], survey=survey, by=request.user, replacing=replacing
    )
    return redirect("surveys_import_counts_preview", token=token)


def _expired(request, survey_id: int | None, message: str):
    messages.error(request, message)
    if survey_id is None:
        return redirect("surveys_data")
    return redirect("surveys_count_batches", survey_id=survey_id)


def _replacing(state: dict) -> CountImportBatch | None:
    if not state.get("replacing"):
        return None
    return CountImportBatch.objects.filter(pk=state["replacing"]).first()


@require_http_methods(["GET", "POST"])
def preview_page(request, token: str):
    if not request.user.has_perm(IMPORT_COUNTS):
        return _denied(request)
    state = count_imports.staged(token)
    if state is None or state["user_id"] != request.user.pk:
        return _expired(
            request,
            None,
            "This preview has expired or was already used (previews last an hour). "
            "Nothing was imported: upload the file again.",
        )
    survey = get_object_or_404(Survey, pk=state["survey_id"])
    replacing = _replacing(state)
    if state.get("replacing") and (replacing is None or not replacing.is_active):
        count_imports.discard(token, state)
        return _expired(
            request, survey.pk, "The import you were replacing has been removed or replaced since."
        )
    form = CountsConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            return _expired(request, survey.pk, "The preview could not be read. Nothing changed.")
        if form.cleaned_data["action"] == "cancel":
            count_imports.discard(token, state)
            messages.info(request, f"Cancelled: nothing was imported from {state['file_name']}.")
            return redirect("surveys_count_batches", survey_id=survey.pk)
        return _confirm(request, token, state, survey, replacing, form.cleaned_data["checksum"])
    try:
        parsed = count_imports.read_staged(state)
    except StalePreview as stale:
        count_imports.discard(token, state)
        return _expired(request, survey.pk, str(stale))
    preview = count_imports.preview_counts(
        survey=survey, parsed=parsed, by=request.user, replacing=replacing
    )
    return TemplateResponse(
        request,
        "surveys/admin/import_counts_preview.html",
        {
            "header_title": (
                f"Check the corrected counts: {survey}"
                if replacing
                else f"Check the counts before importing: {survey}"
            ),
            "survey": survey,
            "state": state,
            "replacing": replacing,
            "preview": preview,
            "result": preview.result,
            "group_totals": count_imports.group_totals(preview),
            "ignored_columns": parsed.ignored_columns,
            "form": CountsConfirmForm(initial={"checksum": state["checksum"]}),
        },
    )


def _confirm(request, token, state, survey, replacing, checksum: str):
    if checksum != state["checksum"]:
        return _expired(
            request,
            survey.pk,
            "The file changed after this preview was shown. Nothing was imported: check the "
            "new preview.",
        )
    try:
        parsed = count_imports.read_staged(state)
        if replacing is not None:
            result = count_imports.count_batch_replace(
                batch=replacing, parsed=parsed, checksum=checksum, by=request.user
            )
        else:
            result = count_imports.count_batch_import(
                survey=survey, parsed=parsed, checksum=checksum, by=request.user
            )
    except (StalePreview, BatchChanged) as problem:
        count_imports.discard(token, state)
        return _expired(request, survey.pk, str(problem))
    if not result.ok:
        # The data changed since the preview (another import, say): show why, keep the file.
        messages.error(request, "Nothing was imported: the counts no longer import cleanly.")
        return redirect("surveys_import_counts_preview", token=token)
    count_imports.discard(token, state)
    messages.success(request, _done_message(result, survey, state["file_name"], replacing))
    return redirect("surveys_count_batches", survey_id=survey.pk)


def _done_message(result: ImportResult, survey, file_name: str, replacing) -> str:
    if replacing is not None:
        message = f"Replaced import {replacing.pk} with {result.imported:,} counts from {file_name}"
    else:
        message = f"Imported {result.imported:,} aggregated counts into {survey} from {file_name}"
    if result.waves_created:
        years = ", ".join(str(year) for year in result.waves_created)
        message += f", with new imported waves for {years}"
    return message + "."


def batches_page(request, survey_id: int):
    if not request.user.has_perm(IMPORT_COUNTS):
        return _denied(request)
    survey = get_object_or_404(Survey, pk=survey_id)
    return TemplateResponse(
        request,
        "surveys/admin/count_batches.html",
        {
            "header_title": f"Imports of aggregated counts: {survey}",
            "survey": survey,
            "batches": count_imports.survey_batches(survey=survey),
            "unbatched": count_imports.unbatched_counts(survey=survey),
        },
    )


def _batch_or_404(batch_id: int) -> CountImportBatch:
    return get_object_or_404(CountImportBatch.objects.select_related("survey"), pk=batch_id)


@require_http_methods(["GET", "POST"])
def remove_page(request, batch_id: int):
    if not request.user.has_perm(IMPORT_COUNTS):
        return _denied(request)
    batch = _batch_or_404(batch_id)
    if request.method == "POST":
        try:
            waves_removed = count_imports.count_batch_remove(batch=batch, by=request.user)
        except BatchChanged as changed:
            messages.error(request, str(changed))
            return redirect("surveys_count_batches", survey_id=batch.survey_id)
        message = f"Removed import {batch.pk}: {batch.counts:,} counts taken out."
        if waves_removed:
            years = ", ".join(str(year) for year in waves_removed)
            message += f" The imported waves for {years} held nothing else and were deleted."
        messages.success(request, message)
        return redirect("surveys_count_batches", survey_id=batch.survey_id)
    if not batch.is_active:
        messages.error(request, f"Import {batch.pk} has already been {batch.state}.")
        return redirect("surveys_count_batches", survey_id=batch.survey_id)
    return TemplateResponse(
        request,
        "surveys/admin/count_batch_remove.html",
        {"header_title": f"Remove import {batch.pk}: {batch.survey}", "batch": batch},
    )


@require_http_methods(["GET", "POST"])
def replace_page(request, batch_id: int):
    from surveys.import_views import CountsUploadForm

    if not request.user.has_perm(IMPORT_COUNTS):
        return _denied(request)
    batch = _batch_or_404(batch_id)
    if not batch.is_active:
        messages.error(request, f"Import {batch.pk} has already been {batch.state}.")
        return redirect("surveys_count_batches", survey_id=batch.survey_id)
    form = CountsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = request.FILES["file"]
        if not refused_as_same_file(form, survey=batch.survey, upload=upload, replacing=batch):
            return counts_upload_staged(request, survey=batch.survey, replacing=batch)
    return TemplateResponse(
        request,
        "surveys/admin/count_batch_replace.html",
        {
            "header_title": f"Replace import {batch.pk}: {batch.survey}",
            "batch": batch,
            "form": form,
            "max_rows": COUNT_LIMITS.max_rows,
            "import_url": reverse("surveys_import_counts", args=[batch.survey_id]),
        },
    )


def admin_urls():
    return [
        path(
            "survey-data/surveys/<int:survey_id>/count-imports/",
            batches_page,
            name="surveys_count_batches",
        ),
        path(
            "survey-data/count-imports/preview/<str:token>/",
            preview_page,
            name="surveys_import_counts_preview",
        ),
        path(
            "survey-data/count-imports/<int:batch_id>/remove/",
            remove_page,
            name="surveys_count_batch_remove",
        ),
        path(
            "survey-data/count-imports/<int:batch_id>/replace/",
            replace_page,
            name="surveys_count_batch_replace",
        ),
    ]
