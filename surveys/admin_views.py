"""Wagtail admin pages for surveys that a generic viewset does not cover.

A wave's questions (copy from the previous wave, reorder), its invitations, reminders and whether
it hides who answered, each batch's sending progress, and the board's annual evaluation. Every
page shows numbers only: nobody is ever shown who was invited, who has answered or who has not.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from wagtail import hooks

from surveys import classifications, selectors, services
from surveys.admin_forms import (
    ETHNICITY_DESCRIPTION,
    LIKERT_DESCRIPTION,
    MAX_ADDRESSES,
    BoardEvaluationForm,
    InvitationUploadForm,
    WaveParticipationForm,
)
from surveys.models import InvitationBatch, Question, Survey, Wave

# How many invalid entries are listed back to the analyst (the rest are counted).
MAX_INVALID_SHOWN = 100
# How many recent batches the invitations page lists.
RECENT_BATCHES = 20


@hooks.register("register_log_actions")
def register_participation_log_action(actions):
    # Here rather than with the other survey actions in wagtail_hooks: it belongs to this page.
    actions.register_action(
        "surveys.wave.participation",
        "Choose who answered is hidden or not",
        "Changed whether the wave hides who answered",
    )


def _require(request, *permissions: str) -> None:
    if not all(request.user.has_perm(permission) for permission in permissions):
        raise PermissionDenied


def _wave(pk: int) -> Wave:
    return get_object_or_404(Wave.objects.select_related("survey"), pk=pk)


def wave_status(wave: Wave) -> str:
    if wave.has_closed():
        return "Closed"
    if wave.is_open():
        return "Open"
    return "Not yet open"


def previous_wave_with_questions(wave: Wave) -> Wave | None:
    """The latest earlier wave of the same survey that has questions to copy."""
    return (
        Wave.objects.filter(survey_id=wave.survey_id, year__lt=wave.year, questions__isnull=False)
        .order_by("-year")
        .distinct()
        .first()
    )


def options_summary(question: Question) -> str:
    if question.kind == Question.Kind.LIKERT:
        return LIKERT_DESCRIPTION
    if question.kind == Question.Kind.ETHNICITY:
        return ETHNICITY_DESCRIPTION
    if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        return "; ".join(f"{label} ({value})" for value, label in question.choice_pairs())
    return ""


@transaction.atomic
def _question_move(*, wave: Wave, question_id: int, direction: str) -> bool:
    """Move a question one place up or down in the wave's order.

    Within a page it swaps places with its neighbour; at the edge of a page it moves to the end
    of the page before (or the start of the page after). Orders are renumbered 1, 2, 3... per page.
    """
    questions = list(wave.questions.select_for_update().order_by("page", "order", "pk"))
    index = next((i for i, q in enumerate(questions) if q.pk == question_id), None)
    if index is None:
        return False
    neighbour_index = index - 1 if direction == "up" else index + 1
    if not 0 <= neighbour_index < len(questions):
        return False
    question, neighbour = questions[index], questions[neighbour_index]
    if neighbour.page == question.page:
        questions[index], questions[neighbour_index] = neighbour, question
    else:
        question.page = neighbour.page
    positions: dict[int, int] = {}
    for item in questions:
        positions[item.page] = positions.get(item.page, 0) + 1
        item.order = positions[item.page]
    Question.objects.bulk_update(questions, ["page", "order"])
    return True


def wave_questions(request, pk: int):
    """A wave's questions in order, with add, edit, delete, reorder and copy-from-last-wave."""
    _require(request, "surveys.view_question")
    wave = _wave(pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "copy":
            _require(request, "surveys.add_question")
            source = previous_wave_with_questions(wave)
            if source is None:
                messages.error(request, "There is no earlier wave of this survey to copy from.")
            else:
                try:
                    created = services.wave_copy_questions(
                        wave=wave, from_wave=source, by=request.user
                    )
                except ValidationError as error:
                    messages.error(request, " ".join(error.messages))
                else:
                    messages.success(
                        request,
                        f"Copied {len(created)} questions from the {source.year} wave, with the "
                        "same keys so measures carry on across waves.",
                    )
        elif action in ("up", "down"):
            _require(request, "surveys.change_question")
            question_id = request.POST.get("question", "")
            if question_id.isdigit():
                _question_move(wave=wave, question_id=int(question_id), direction=action)
        return redirect("surveys_wave_questions", pk=wave.pk)

    questions = list(wave.questions.order_by("page", "order", "pk"))
    source = None if questions else previous_wave_with_questions(wave)
    rows = [
        {
            "question": question,
            "options": options_summary(question),
            "first": index == 0,
            "last": index == len(questions) - 1,
        }
        for index, question in enumerate(questions)
    ]
    return TemplateResponse(
        request,
        "surveys/admin/wave_questions.html",
        {
            "wave": wave,
            "status": wave_status(wave),
            "rows": rows,
            "copy_from": source,
            "copy_count": source.questions.count() if source else 0,
            "can_add": request.user.has_perm("surveys.add_question"),
            "can_change": request.user.has_perm("surveys.change_question"),
            "can_delete": request.user.has_perm("surveys.delete_question"),
            "can_change_wave": request.user.has_perm("surveys.change_wave"),
            "can_invite": request.user.has_perm("surveys.view_invitationbatch"),
            "ethnic_groups": classifications.ethnicity_choices(),
            "header_title": f"{wave}: questions",
        },
    )


def _count_entries(raw: str) -> int:
    """How many entries ``services.parse_email_list`` sees in the text (to count repeats)."""
    return sum(
        1
        for part in raw.replace(";", "\n").replace(",", "\n").splitlines()
        if part.strip().strip("<>").strip()
    )


def _batch_queued_message(batch: InvitationBatch, *, skipped: int, repeated: int) -> str:
    parts = [f"{batch.total} invitation{'s' if batch.total != 1 else ''} queued for sending."]
    if skipped:
        parts.append(
            f"{skipped} address{'es were' if skipped != 1 else ' was'} already invited to this "
            "wave and skipped."
        )
    if repeated:
        parts.append(
            f"{repeated} repeated address{'es were' if repeated != 1 else ' was'} sent only once."
        )
    return " ".join(parts)


def _invite_board(request, wave: Wave):
    if wave.survey.kind != Survey.Kind.BOARD_EVALUATION:
        messages.error(request, "Board members are invited only to the board evaluation.")
        return redirect("surveys_wave_invitations", pk=wave.pk)
    emails = services.board_member_emails()
    if not emails:
        messages.error(request, "There are no current board members to invite.")
        return redirect("surveys_wave_invitations", pk=wave.pk)
    try:
        batch = services.invitation_batch_create(wave=wave, emails=emails, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("surveys_wave_invitations", pk=wave.pk)
    messages.success(
        request, _batch_queued_message(batch, skipped=len(emails) - batch.total, repeated=0)
    )
    return redirect("surveys_batch_progress", pk=batch.pk)


def _set_participation(request, wave: Wave):
    form = WaveParticipationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether this wave hides who answered.")
        return redirect("surveys_wave_invitations", pk=wave.pk)
    try:
        wave = services.wave_participation_set(
            wave=wave, participation=form.cleaned_data["participation"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            "This wave hides who answered."
            if wave.hides_participation
            else "This wave keeps each address on its link until it is used.",
        )
    return redirect("surveys_wave_invitations", pk=wave.pk)


def _upload(request, wave: Wave):
    """The pasted or uploaded list: (form, invalid entries, queued batch) or a redirect."""
    form = InvitationUploadForm(request.POST, request.FILES)
    invalid: list[str] = []
    if not form.is_valid():
        return form, invalid, None
    raw = form.raw_entries()
    valid, invalid = services.parse_email_list(raw)
    if len(valid) > MAX_ADDRESSES:
        form.add_error(
            None,
            f"There are {len(valid):,} addresses: send at most {MAX_ADDRESSES:,} at a time.",
        )
        return form, invalid, None
    if not valid:
        form.add_error(None, "None of the entries is an email address.")
        return form, invalid, None
    try:
        batch = services.invitation_batch_create(wave=wave, emails=valid, by=request.user)
    except ValidationError as error:
        form.add_error(None, error.messages)
        return form, invalid, None
    message = _batch_queued_message(
        batch,
        skipped=len(valid) - batch.total,
        repeated=_count_entries(raw) - len(invalid) - len(valid),
    )
    if not invalid:
        messages.success(request, message)
        return redirect("surveys_batch_progress", pk=batch.pk)
    # Show what could not be used, ready to correct and send again.
    form = InvitationUploadForm(initial={"emails": "\n".join(invalid[:MAX_INVALID_SHOWN])})
    return form, invalid, {"batch": batch, "message": message}


def wave_invitations(request, pk: int):
    """Invite people to a wave by pasting or uploading addresses; counts only, never names."""
    _require(request, "surveys.view_invitationbatch")
    wave = _wave(pk)
    is_board_evaluation = wave.survey.kind == Survey.Kind.BOARD_EVALUATION
    form = InvitationUploadForm()
    invalid: list[str] = []
    queued = None
    if request.method == "POST":
        _require(request, "surveys.add_invitationbatch")
        action = request.POST.get("action")
        if action == "board":
            return _invite_board(request, wave)
        if action == "participation":
            return _set_participation(request, wave)
        outcome = _upload(request, wave)
        if not isinstance(outcome, tuple):
            return outcome
        form, invalid, queued = outcome

    rate = selectors.wave_response_rate(wave=wave)
    batches = (
        wave.invitation_batches.select_related("created_by")
        .defer("pending_emails")
        .order_by("-created_at", "-pk")[:RECENT_BATCHES]
    )
    return TemplateResponse(
        request,
        "surveys/admin/wave_invitations.html",
        {
            "wave": wave,
            "status": wave_status(wave),
            "closed": wave.has_closed(),
            "is_open": wave.is_open(),
            "rate": rate,
            "waiting": rate["invited"] - rate["responded"],
            "to_remind": selectors.wave_reminder_count(wave=wave),
            "form": form,
            "invalid": invalid[:MAX_INVALID_SHOWN],
            "invalid_more": max(0, len(invalid) - MAX_INVALID_SHOWN),
            "invalid_count": len(invalid),
            "queued": queued,
            "batches": batches,
            "is_board_evaluation": is_board_evaluation,
            "board_member_count": len(services.board_member_emails()) if is_board_evaluation else 0,
            "can_send": request.user.has_perm("surveys.add_invitationbatch"),
            "participation_form": WaveParticipationForm(
                initial={"participation": wave.participation}
            ),
            "participation_locked": selectors.wave_has_invitations(wave=wave),
            "header_title": f"{wave}: invitations",
        },
    )


def wave_reminders(request, pk: int):
    """Confirm, then remind everyone who has not answered (without showing who they are)."""
    _require(request, "surveys.add_invitationbatch")
    wave = _wave(pk)
    rate = selectors.wave_response_rate(wave=wave)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            batch = services.reminders_create(wave=wave, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("surveys_wave_invitations", pk=wave.pk)
        messages.success(request, f"{batch.total} reminders queued for sending.")
        return redirect("surveys_batch_progress", pk=batch.pk)
    return TemplateResponse(
        request,
        "surveys/admin/wave_reminders.html",
        {
            "wave": wave,
            "is_open": wave.is_open(),
            "rate": rate,
            "waiting": rate["invited"] - rate["responded"],
            "to_remind": selectors.wave_reminder_count(wave=wave),
            "header_title": f"{wave}: send reminders",
        },
    )


def batch_progress(request, pk: int):
    """Sending progress for one batch; the page refreshes itself until the worker is done."""
    _require(request, "surveys.view_invitationbatch")
    batch = get_object_or_404(
        InvitationBatch.objects.select_related("wave__survey", "created_by").defer(
            "pending_emails"
        ),
        pk=pk,
    )
    in_progress = batch.status in (InvitationBatch.Status.QUEUED, InvitationBatch.Status.SENDING)
    return TemplateResponse(
        request,
        "surveys/admin/batch_progress.html",
        {
            "batch": batch,
            "wave": batch.wave,
            "in_progress": in_progress,
            "percent": batch.percent_done,
            "header_title": f"{batch.get_kind_display()} for {batch.wave}",
        },
    )


def board_evaluation_new(request):
    """Create a year's board evaluation from the ready-made template (four questions)."""
    _require(request, "surveys.add_wave", "surveys.add_question")
    form = BoardEvaluationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if Wave.objects.filter(survey__slug="board-evaluation", year=data["year"]).exists():
            form.add_error("year", f"There is already a board evaluation for {data['year']}.")
        else:
            try:
                wave = services.board_evaluation_create(
                    year=data["year"],
                    opens_on=data["opens_on"],
                    closes_on=data["closes_on"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(
                    request,
                    f"The {wave.year} board evaluation is ready with its four questions. "
                    "Invite the board from its invitations page.",
                )
                return redirect("surveys_wave_questions", pk=wave.pk)
    return TemplateResponse(
        request,
        "surveys/admin/board_evaluation.html",
        {
            "form": form,
            "questions": services.BOARD_EVALUATION_QUESTIONS,
            "header_title": "Create this year's board evaluation",
            "cancel_url": reverse("surveys_wave:index"),
        },
    )
