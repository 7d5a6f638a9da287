"""What the board holds on a member: terms, support needs, asks, attendance, expense claims and
recommendations; how each goes when a former member is erased; receipts past retention.

Registered with ``cms.platform.personal_data``. Officers appear by role, never by name (who
decided a claim is the council's business record, and the officer's name is theirs, not the
member's). Receipts are listed, not copied.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html

from board.models import (
    Attendance,
    BoardAsk,
    ExpenseClaim,
    Membership,
    MemberSupportNeeds,
    Recommendation,
)
from board.models.expenses import receipt_storage
from cms.platform import personal_data
from cms.platform.audit import scrub_log_labels
from cms.platform.personal_data import Erasure, ErasurePreview, Section

ERASED_TEXT = "[erased]"

personal_data.exempt(
    "board.CouncilResponse",
    reason="the council's answer; its only user link is the officer editing it",
)
personal_data.exempt(
    "board.ProgressUpdate", reason="the council's dated progress note, written by an officer"
)


def _plural(count: int, suffix: str = "s") -> str:
    return "" if count == 1 else suffix


def _section(key: str, data) -> Section:
    return Section(key, data, f"board/personal_data/{key}.html")


def _claim(claim: ExpenseClaim) -> dict:
    return {
        "submitted": claim.submitted_at,
        "kind": claim.get_kind_display(),
        "amount": str(claim.amount),
        "description": claim.description,
        "meeting": str(claim.meeting) if claim.meeting else None,
        "status": claim.get_status_display(),
        "decided": claim.decided_at,
        "decided_by": "an engagement manager" if claim.decided_at else None,
        "decision_reason": claim.decision_reason,
        "receipt": (
            {"file": claim.receipt.name.rsplit("/", 1)[-1], "kept": True} if claim.receipt else None
        ),
    }


def _published_parts(recommendation: Recommendation) -> dict:
    """The council's response, its progress and the change made: only once published, as
    drafts are the council's until approved."""
    response = getattr(recommendation, "response", None)
    if response is None or not response.live:
        return {"council_response": None, "progress_updates": [], "changes_made": []}
    return {
        "council_response": {
            "outcome": response.get_outcome_display(),
            "response": response.response,
            "reasons": response.reasons,
            "alternatives_explored": response.alternatives_explored,
            "next_steps": response.next_steps,
            "review_date": response.review_date,
        },
        "progress_updates": [
            {"date": update.date, "update": update.update}
            for update in recommendation.progress_updates.all()
        ],
        "changes_made": [
            {
                "kind": change.get_kind_display(),
                "description": change.description,
                "service": change.service_area.name,
                "date": change.implemented_on,
            }
            for change in recommendation.changes.all()
        ],
    }


def _recommendation(recommendation: Recommendation) -> dict:
    return {
        "reference": recommendation.reference,
        "title": recommendation.title,
        "what_should_change": recommendation.what_should_change,
        "lived_experience": recommendation.lived_experience,
        "evidence": recommendation.evidence,
        "service": recommendation.service_area.name,
        "desired_outcome": recommendation.desired_outcome,
        "named_when_published": recommendation.author_named,
        "shown_in_public_as": recommendation.public_author,
        "status": recommendation.get_status_display(),
        "submitted": recommendation.submitted_at,
        "acknowledged": recommendation.acknowledged_at,
        "response_due": recommendation.due_date,
        "published": recommendation.published_at,
        **_published_parts(recommendation),
    }


def _support_needs(member) -> dict | None:
    needs = MemberSupportNeeds.objects.filter(member=member).first()
    if needs is None:
        return None
    return {
        "access_needs": needs.access_needs,
        "preferred_language": needs.preferred_language,
        "interpreter_needed": needs.interpreter_needed,
        "interpreter_language": needs.interpreter_language,
        "updated": needs.updated_at,
    }


def _delete_receipt_files(names: list[str]) -> None:
    """Delete receipt files from their private storage; one already gone is not an error."""
    storage = receipt_storage()
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            storage.delete(name)


def _delete(queryset) -> int:
    """How many rows of the queryset's own model were deleted (not counting cascades)."""
    return queryset.delete()[1].get(queryset.model._meta.label, 0)


@personal_data.provider("board")
class BoardData(personal_data.Provider):
    models = (
        "board.Membership",
        "board.MemberSupportNeeds",
        "board.BoardAsk",
        "board.Attendance",
        "board.Meeting",
        "board.ExpenseClaim",
        "board.Recommendation",
    )

    def sections(self, *, user) -> list[Section]:
        recommendations = (
            Recommendation.objects.filter(author=user)
            .select_related("service_area", "response")
            .prefetch_related("progress_updates", "changes__service_area")
            .order_by("submitted_at", "pk")
        )
        attendance = (
            Attendance.objects.filter(member=user)
            .select_related("meeting")
            .order_by("meeting__starts_at")
        )
        claims = ExpenseClaim.objects.filter(claimant=user).select_related("meeting")
        return [
            _section(
                "memberships",
                [
                    {
                        "role": membership.get_role_display(),
                        "term_starts": membership.term_starts,
                        "term_ends": membership.term_ends,
                    }
                    for membership in Membership.objects.filter(member=user).order_by("term_starts")
                ],
            ),
            _section("support_needs", _support_needs(user)),
            _section(
                "asks",
                [
                    {"date": a.date, "kind": a.get_kind_display(), "description": a.description}
                    for a in BoardAsk.objects.filter(member=user).order_by("date", "pk")
                ],
            ),
            _section(
                "meetings",
                [
                    {
                        "meeting": row.meeting.title,
                        "date": timezone.localtime(row.meeting.starts_at).date(),
                        "attended": row.attended,
                    }
                    for row in attendance
                ],
            ),
            _section("expense_claims", [_claim(claim) for claim in claims]),
            _section("recommendations", [_recommendation(r) for r in recommendations]),
        ]

    def erasure_preview(self, *, user) -> ErasurePreview:
        claims = ExpenseClaim.objects.filter(claimant=user)
        recommendations = Recommendation.objects.filter(author=user)
        counts = {
            "memberships": Membership.objects.filter(member=user).count(),
            "support_needs": MemberSupportNeeds.objects.filter(member=user).count(),
            "asks": BoardAsk.objects.filter(member=user).count(),
            "attendance": Attendance.objects.filter(member=user).count(),
            "expense_claims": claims.count(),
            "receipts": claims.exclude(receipt="").count(),
            "recommendations": recommendations.count(),
            "recommendations_named": recommendations.filter(author_named=True).count(),
        }
        return ErasurePreview(deletes=_deletes(counts), keeps=_keeps(counts), counts=counts)

    def erase(self, *, erasure: Erasure) -> dict[str, int]:
        member = erasure.user
        counts = {
            "recommendations_kept": Recommendation.objects.filter(author=member).update(author=None)
        }
        owned = {
            model: list(model.objects.filter(member=member).values_list("pk", flat=True))
            for model in (Membership, MemberSupportNeeds, BoardAsk, Attendance)
        }
        for model, pks in owned.items():
            scrub_log_labels(model, pks)
        counts["memberships_deleted"] = _delete(Membership.objects.filter(pk__in=owned[Membership]))
        counts["support_needs_deleted"] = _delete(
            MemberSupportNeeds.objects.filter(pk__in=owned[MemberSupportNeeds])
        )
        counts["asks_deleted"] = _delete(BoardAsk.objects.filter(pk__in=owned[BoardAsk]))
        counts["attendance_kept"] = len(owned[Attendance])
        counts.update(_erase_claims(member))
        return counts

    def retention(self, *, now) -> dict[str, int]:
        submitted_before = now - timedelta(days=settings.UNAPPROVED_RECEIPT_RETENTION_DAYS)
        return {
            "receipts of claims never approved": unapproved_receipts_delete(
                submitted_before=submitted_before
            )
        }


def _deletes(counts: dict) -> list[str]:
    return [
        format_html(
            "{} term{} of membership, {} record{} of support needs and {} other ask{};",
            counts["memberships"],
            _plural(counts["memberships"]),
            counts["support_needs"],
            _plural(counts["support_needs"]),
            counts["asks"],
            _plural(counts["asks"]),
        ),
        format_html(
            "{} receipt file{} uploaded with their expense claims, and the claims' descriptions "
            "and decision reasons.",
            counts["receipts"],
            _plural(counts["receipts"]),
        ),
    ]


def _keeps(counts: dict) -> list[str]:
    named = counts["recommendations_named"]
    named_sentence = (
        format_html(
            '{} of them, where they chose to be named, will be shown in public as from "a '
            'former board member"; ',
            named,
        )
        if named
        else ""
    )
    return [
        format_html(
            "{} expense claim{}: kind, amount, meeting, status and dates, for the accounts, under "
            "the anonymised account;",
            counts["expense_claims"],
            _plural(counts["expense_claims"]),
        ),
        format_html(
            "{} meeting attendance record{}, under the anonymised account, so each meeting's "
            "attendance count stays true;",
            counts["attendance"],
            _plural(counts["attendance"]),
        ),
        format_html(
            "{} recommendation{} and the council's responses, word for word but no longer linked "
            'to them. {}the rest stay "from the board". Check their text names no one before '
            "erasing.",
            counts["recommendations"],
            _plural(counts["recommendations"]),
            named_sentence,
        ),
    ]


def _erase_claims(member) -> dict[str, int]:
    """Claims stay for the accounts without their descriptions; receipt files go after commit,
    so a rollback never loses a file."""
    claims = ExpenseClaim.objects.filter(claimant=member)
    scrub_log_labels(ExpenseClaim, list(claims.values_list("pk", flat=True)))
    receipts = list(claims.exclude(receipt="").values_list("receipt", flat=True))
    kept = claims.update(receipt="", description=ERASED_TEXT, decision_reason="")
    if receipts:
        transaction.on_commit(lambda: _delete_receipt_files(receipts))
    return {"expense_claims_kept": kept, "receipts_deleted": len(receipts)}


@transaction.atomic
def unapproved_receipts_delete(*, submitted_before) -> int:
    """Delete the receipt files of claims never approved (pending or rejected) sent before then.

    The claim stays (kind, amount, status, dates); only the file goes, and the field is cleared,
    so a second run finds nothing. A file already missing from storage is not an error.
    """
    claims = (
        ExpenseClaim.objects.exclude(status=ExpenseClaim.Status.APPROVED)
        .exclude(receipt="")
        .filter(submitted_at__lt=submitted_before)
        .select_for_update()
    )
    deleted = 0
    for claim in claims:
        # The file first, then the row: a failure in between leaves a row pointing at nothing,
        # never a file no row knows about.
        with contextlib.suppress(FileNotFoundError):
            claim.receipt.storage.delete(claim.receipt.name)
        claim.receipt = ""
        claim.save(update_fields=["receipt"])
        deleted += 1
    return deleted
