"""Writes for the board. Every status change is recorded in Wagtail's audit log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from wagtail.actions.unpublish import UnpublishAction
from wagtail.log_actions import log

from board import notifications, selectors
from board import personal_data as board_personal_data
from board.models import (
    BoardSettings,
    CouncilResponse,
    ExpenseClaim,
    ImplementedChange,
    Meeting,
    ProgressUpdate,
    Recommendation,
    ServiceArea,
)
from board.models import recommendations as recommendation_models
from cms.models import User
from cms.platform import audit, personal_data
from cms.roles import BOARD_MEMBERS, ENGAGEMENT_MANAGERS

Status = Recommendation.Status
ESCALATION_INTERVAL = timedelta(days=7)


def _board_settings() -> BoardSettings:
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    return BoardSettings.for_site(site) if site else BoardSettings()


def _next_reference(year: int) -> str:
    """The next "R-YYYY-NNN". Compared as numbers: "R-2026-1000" must follow "R-2026-999"."""
    prefix = f"R-{year}-"
    references = (
        Recommendation.objects.select_for_update()
        .filter(reference__startswith=prefix)
        .values_list("reference", flat=True)
    )
    numbers = [
        int(ref.removeprefix(prefix)) for ref in references if ref.removeprefix(prefix).isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def _set_status(recommendation: Recommendation, status: str, *, by, **fields) -> None:
    previous = recommendation.status
    recommendation.status = status
    for name, value in fields.items():
        setattr(recommendation, name, value)
    recommendation.save(update_fields=["status", *fields])
    log(
        instance=recommendation,
        action="board.recommendation.status",
        user=by,
        data={"from": previous, "to": status},
    )


@transaction.atomic
def recommendation_submit(
    *,
    author,
    title: str,
    what_should_change: str,
    lived_experience: str,
    service_area: ServiceArea,
    desired_outcome: str,
    evidence: str = "",
    author_named: bool = False,
) -> Recommendation:
    if not author.groups.filter(name=BOARD_MEMBERS).exists():
        raise PermissionDenied("Only board members can submit recommendations.")
    now = timezone.now()
    recommendation = Recommendation(
        reference=_next_reference(now.year),
        title=title.strip(),
        what_should_change=what_should_change.strip(),
        lived_experience=lived_experience.strip(),
        evidence=evidence.strip(),
        service_area=service_area,
        desired_outcome=desired_outcome.strip(),
        author=author,
        author_named=author_named,
        submitted_at=now,
    )
    recommendation.full_clean()
    recommendation.save()
    log(instance=recommendation, action="wagtail.create", user=author)
    managers = get_user_model().objects.filter(groups__name=ENGAGEMENT_MANAGERS, is_active=True)
    notifications.notify_managers_new_recommendation(recommendation, managers)
    return recommendation


@transaction.atomic
def recommendation_acknowledge(*, recommendation: Recommendation, by) -> Recommendation:
    if recommendation.status != Status.RECEIVED:
        raise ValidationError("Only a newly received recommendation can be acknowledged.")
    now = timezone.now()
    due = recommendation.due_date or (
        timezone.localdate() + timedelta(days=_board_settings().response_due_days)
    )
    _set_status(recommendation, Status.ACKNOWLEDGED, by=by, acknowledged_at=now, due_date=due)
    notifications.notify_author(recommendation, event="acknowledged")
    return recommendation


@transaction.atomic
def recommendation_assign(
    *, recommendation: Recommendation, owner, due_date: date, by
) -> Recommendation:
    """Give the recommendation a named owner and a due date: it is now under consideration."""
    if recommendation.status not in (Status.ACKNOWLEDGED, Status.UNDER_CONSIDERATION):
        raise ValidationError(
            "Acknowledge the recommendation first; once a response is drafted its owner is set."
        )
    if owner is None or not owner.is_active:
        raise ValidationError({"owner": "Choose the officer responsible for the response."})
    if due_date is None:
        raise ValidationError({"due_date": "Give the date the response is due."})
    _set_status(recommendation, Status.UNDER_CONSIDERATION, by=by, owner=owner, due_date=due_date)
    return recommendation


def response_drafted(*, response: CouncilResponse, by) -> None:
    """A response went into the approval workflow."""
    recommendation = response.recommendation
    if recommendation.status in (Status.ACKNOWLEDGED, Status.UNDER_CONSIDERATION):
        _set_status(recommendation, Status.RESPONSE_DRAFTED, by=by)


def response_published(*, response: CouncilResponse, by) -> None:
    """The response went live: the recommendation appears on "You said, we did".

    Wagtail publishes as the last workflow task is approved, so approval and publication are
    recorded together: drafted -> approved -> published, each in the audit log, by the approver
    who approved the text now live (``by``, the writer, only when no approval is on record).
    """
    approval = response.approval_of(response.live_revision)
    if approval is not None and approval.finished_by is not None:
        by = approval.finished_by
    recommendation = Recommendation.objects.select_for_update().get(pk=response.recommendation_id)
    first_time = recommendation.status != Status.PUBLISHED
    if recommendation.status == Status.RESPONSE_DRAFTED:
        _set_status(recommendation, Status.APPROVED, by=by)
    if first_time:
        _set_status(recommendation, Status.PUBLISHED, by=by, published_at=timezone.now())
    notifications.notify_author(
        recommendation, event="answered", extra={"response": response, "first_time": first_time}
    )


# --- Council responses: two people for every change to the public answer -----------------------
#
# An engagement manager writes and submits; an approver approves the text exactly as submitted
# (Wagtail then publishes it) or asks for changes. Taking a published answer down is asked for
# by one person with a reason and agreed by another. A superuser may act alone: each such act is
# an "override" in the audit log, labelled so.

CHANGE_RESPONSE = "board.change_councilresponse"
PUBLISH_RESPONSE = "board.publish_councilresponse"


@transaction.atomic
def response_override_record(
    *, response: CouncilResponse, by, what: str, reason: str = "", revision=None
) -> None:
    """Record a superuser acting alone on a council response, as an override."""
    data = {"override": what, "reason": reason.strip()}
    if revision is not None:
        data["revision"] = revision.pk
    log(
        instance=response,
        action=recommendation_models.OVERRIDE,
        user=by,
        title=f"Override: {response}",
        data=data,
    )


@transaction.atomic
def response_review(
    *, response: CouncilResponse, task_state, by, approve: bool, comment: str = ""
) -> CouncilResponse:
    """An approver's decision on the text submitted: approve it as it is (the workflow then
    publishes it) or ask for changes, saying what."""
    response = CouncilResponse.objects.select_for_update().get(pk=response.pk)
    refusal = response.review_refusal(user=by, task_state=task_state, approving=approve)
    if refusal:
        raise PermissionDenied(refusal)
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError({"comment": "Say what needs to change."})
    current = response.current_workflow_task_state
    own_text = approve and CouncilResponse.is_own_text(by, current)
    revision = current.revision
    current.task.specific.on_action(
        current, by, "approve" if approve else "reject", comment=comment
    )
    if own_text:
        response_override_record(
            response=response, by=by, what="approved their own text", revision=revision
        )
    response.refresh_from_db()
    return response


def _require_live(response: CouncilResponse) -> None:
    if not response.live:
        raise ValidationError("This answer is not published: there is nothing to withdraw.")


def _withdraw(response: CouncilResponse, *, by) -> None:
    """Take the answer off "You said, we did"; the recommendation waits for a new answer."""
    UnpublishAction(response, user=by).execute()
    recommendation = Recommendation.objects.select_for_update().get(pk=response.recommendation_id)
    if recommendation.status == Status.PUBLISHED:
        _set_status(recommendation, Status.UNDER_CONSIDERATION, by=by)


def _locked_response(response: CouncilResponse) -> CouncilResponse:
    return CouncilResponse.objects.select_for_update().get(pk=response.pk)


@transaction.atomic
def response_withdrawal_request(*, response: CouncilResponse, by, reason: str):
    """An engagement manager asks for a published answer to be taken down, and says why."""
    if not by.has_perm(CHANGE_RESPONSE):
        raise PermissionDenied("Only an engagement manager can ask for an answer's withdrawal.")
    response = _locked_response(response)
    _require_live(response)
    if response.withdrawal_request() is not None:
        raise ValidationError("Its withdrawal has already been asked for.")
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason the answer should be withdrawn."})
    return log(
        instance=response,
        action=recommendation_models.WITHDRAWAL_REQUEST,
        user=by,
        data={"reason": reason.strip()},
    )


@transaction.atomic
def response_withdrawal_cancel(*, response: CouncilResponse, by) -> None:
    response = _locked_response(response)
    request = response.withdrawal_request()
    if request is None:
        raise ValidationError("No withdrawal has been asked for.")
    if request.user_id != by.pk and not by.is_superuser:
        raise PermissionDenied("Only the person who asked can take the request back.")
    log(instance=response, action=recommendation_models.WITHDRAWAL_CANCEL, user=by)


@transaction.atomic
def response_withdrawal_decide(
    *, response: CouncilResponse, by, agree: bool, comment: str = ""
) -> CouncilResponse:
    """A second person (an approver) agrees to take the answer down, or refuses, saying why."""
    if not by.has_perm(PUBLISH_RESPONSE):
        raise PermissionDenied("Only an approver can agree to an answer's withdrawal.")
    response = _locked_response(response)
    request = response.withdrawal_request()
    if request is None:
        raise ValidationError("No withdrawal has been asked for.")
    if request.user_id == by.pk:
        raise PermissionDenied("You asked for this withdrawal: another person must decide.")
    comment = comment.strip()
    if not agree and not comment:
        raise ValidationError({"comment": "Say why the answer stays published."})
    action = (
        recommendation_models.WITHDRAWAL_AGREE if agree else recommendation_models.WITHDRAWAL_REFUSE
    )
    log(
        instance=response,
        action=action,
        user=by,
        data={"comment": comment, "request": request.pk, "requested_by": request.user_id},
    )
    if agree:
        _withdraw(response, by=by)
    return response


@transaction.atomic
def response_withdraw_override(*, response: CouncilResponse, by, reason: str) -> CouncilResponse:
    """A superuser takes a published answer down alone (say, personal data published by
    mistake): allowed, with a reason, and recorded as an override."""
    if not by.is_superuser:
        raise PermissionDenied("Only a superuser can withdraw an answer alone.")
    response = _locked_response(response)
    _require_live(response)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason the answer is withdrawn."})
    response_override_record(response=response, by=by, what="withdrew alone", reason=reason)
    _withdraw(response, by=by)
    return response


def _require_accepted(recommendation: Recommendation) -> None:
    response = CouncilResponse.objects.filter(recommendation=recommendation).first()
    if (
        response is None
        or not response.live
        or response.outcome
        not in (CouncilResponse.Outcome.ACCEPTED, CouncilResponse.Outcome.PARTLY_ACCEPTED)
    ):
        raise ValidationError(
            "Progress and changes are tracked once an accepted or partly accepted response "
            "is published."
        )


@transaction.atomic
def progress_update_add(
    *, recommendation: Recommendation, update: str, on: date | None = None, by
) -> ProgressUpdate:
    _require_accepted(recommendation)
    if not update.strip():
        raise ValidationError({"update": "Describe the progress made."})
    progress = ProgressUpdate.objects.create(
        recommendation=recommendation,
        date=on or timezone.localdate(),
        update=update.strip(),
        created_by=by,
    )
    log(instance=recommendation, action="board.recommendation.progress", user=by)
    notifications.notify_author(recommendation, event="updated", extra={"progress": progress})
    return progress


@transaction.atomic
def implemented_change_record(
    *,
    recommendation: Recommendation,
    kind: str,
    description: str,
    service_area: ServiceArea,
    implemented_on: date,
    by,
) -> ImplementedChange:
    _require_accepted(recommendation)
    if implemented_on > timezone.localdate():
        raise ValidationError({"implemented_on": "A change is recorded once it has been made."})
    change = ImplementedChange(
        recommendation=recommendation,
        kind=kind,
        description=description.strip(),
        service_area=service_area,
        implemented_on=implemented_on,
    )
    change.full_clean()
    change.save()
    log(instance=recommendation, action="board.recommendation.change", user=by)
    notifications.notify_author(recommendation, event="implemented", extra={"change": change})
    return change


@transaction.atomic
def recommendations_escalate_overdue(*, today: date | None = None) -> list[Recommendation]:
    """Email the named owner of each overdue recommendation, at most once a week each."""
    now = timezone.now()
    escalated = []
    overdue = (
        Recommendation.objects.overdue(today)
        .filter(owner__isnull=False)
        .select_related("owner")
        .select_for_update(of=("self",))
    )
    for recommendation in overdue:
        if (
            recommendation.last_escalated_at
            and now - recommendation.last_escalated_at < ESCALATION_INTERVAL
        ):
            continue
        recommendation.last_escalated_at = now
        recommendation.save(update_fields=["last_escalated_at"])
        log(instance=recommendation, action="board.recommendation.escalate", user=None)
        notifications.notify_owner_overdue(recommendation)
        escalated.append(recommendation)
    return escalated


@transaction.atomic
def expense_claim_submit(
    *,
    claimant,
    kind: str,
    amount: Decimal,
    description: str,
    meeting: Meeting | None = None,
    receipt=None,
) -> ExpenseClaim:
    if not claimant.groups.filter(name=BOARD_MEMBERS).exists():
        raise PermissionDenied("Only board members can claim expenses.")
    claim = ExpenseClaim(
        claimant=claimant,
        meeting=meeting,
        kind=kind,
        amount=amount,
        description=description.strip(),
    )
    if receipt is not None:
        claim.receipt = receipt
    claim.full_clean()
    claim.save()
    log(instance=claim, action="wagtail.create", user=claimant)
    return claim


@transaction.atomic
def expense_claim_decide(
    *, claim: ExpenseClaim, approve: bool, reason: str = "", by
) -> ExpenseClaim:
    if claim.status != ExpenseClaim.Status.SUBMITTED:
        raise ValidationError("This claim has already been decided.")
    if not approve and not reason.strip():
        raise ValidationError({"decision_reason": "Give the reason the claim is rejected."})
    claim.status = ExpenseClaim.Status.APPROVED if approve else ExpenseClaim.Status.REJECTED
    claim.decision_reason = reason.strip()
    claim.decided_by = by
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    log(
        instance=claim,
        action="board.expense.approve" if approve else "board.expense.reject",
        user=by,
    )
    return claim


@transaction.atomic
def meeting_notes_approve(*, meeting: Meeting, by) -> Meeting:
    if not (meeting.notes or "").strip():
        raise ValidationError({"notes": "Write the notes before approving them."})
    meeting.notes_status = Meeting.NotesStatus.APPROVED
    meeting.notes_approved_at = timezone.now()
    meeting.save(update_fields=["notes_status", "notes_approved_at"])
    log(instance=meeting, action="board.meeting.notes_approve", user=by)
    return meeting


# --- People's rights (UK GDPR) ----------------------------------------------------------------

ERASE_PERMISSION = "board.erase_member"
ERASED_TEXT = board_personal_data.ERASED_TEXT


@transaction.atomic
def former_member_erase(*, member, by, options: Iterable[str] = ()) -> dict:
    """Erase a former board member's personal data (UK GDPR, Article 17), in one transaction.

    Every app's personal-data provider erases its part (``cms.platform.personal_data``); for the
    board that is: deleted, their terms, support needs and asks; anonymised, their expense claims
    (amounts, kinds and dates stay for the accounts; the description does not; receipt files go
    after commit, so a rollback never loses a file); kept, their recommendations, no longer
    linked to them, shown in public as from "a former board member" if they chose to be named,
    otherwise from "the board", and meeting attendance, attached to the anonymised account, so
    attendance counts stay true. The account itself loses its name, address, password, roles
    and sessions. ``options``: the names of the confirmation page's ticked options (for example
    ``remove_newsletter_subscription``).
    """

    if not by.has_perm(ERASE_PERMISSION):
        raise PermissionDenied("You cannot erase board members' data.")
    member = User.objects.select_for_update().get(pk=member.pk)
    refusal = selectors.erasure_refusal(member=member)
    if refusal:
        raise ValidationError(refusal)
    counts = personal_data.erase(user=member, by=by, options=frozenset(options))
    log(
        instance=member,
        action="board.member.erase",
        user=by,
        title=audit.account_label(member),
        data=counts,
    )
    return counts
