"""Reads for the board. Listings keep a fixed number of queries whatever their length."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone

from board.models import (
    BoardAsk,
    ImplementedChange,
    Meeting,
    Membership,
    ProgressUpdate,
    Recommendation,
)

# A new term that starts within this many days of the last one ending counts as consecutive.
CONSECUTIVE_GAP = timedelta(days=31)


def _published_queryset():
    return (
        Recommendation.objects.published()
        .select_related("service_area", "author", "response")
        .prefetch_related(
            Prefetch("changes", queryset=ImplementedChange.objects.select_related("service_area")),
            Prefetch("progress_updates", queryset=ProgressUpdate.objects.all()),
        )
        .order_by("-published_at", "-pk")
    )


def published_recommendations(*, filters: dict | None = None):
    queryset = _published_queryset()
    filters = filters or {}
    if filters.get("outcome"):
        queryset = queryset.filter(response__outcome=filters["outcome"])
    if filters.get("service_area"):
        queryset = queryset.filter(service_area=filters["service_area"])
    if filters.get("year"):
        queryset = queryset.filter(published_at__year=filters["year"])
    return queryset


def published_recommendations_page(*, filters: dict, page_number, per_page: int):
    return Paginator(published_recommendations(filters=filters), per_page).get_page(page_number)


def published_recommendation(*, reference: str) -> Recommendation | None:
    return _published_queryset().filter(reference=reference).first()


def published_years() -> list[int]:
    return sorted(
        {
            year
            for year in Recommendation.objects.published()
            .annotate(year=ExtractYear("published_at"))
            .values_list("year", flat=True)
            if year
        },
        reverse=True,
    )


def changes_by_year(*, years: int, this_year: int) -> list[dict]:
    """Service or policy changes influenced by the board, counted by the year they were made.

    Only implemented changes count, and only where the council's response is published.
    """
    first = this_year - years + 1
    counts = dict(
        ImplementedChange.objects.filter(
            implemented_on__year__gte=first,
            implemented_on__year__lte=this_year,
            recommendation__response__live=True,
        )
        .annotate(year=ExtractYear("implemented_on"))
        .values("year")
        .annotate(n=Count("pk"))
        .values_list("year", "n")
    )
    return [
        {"year": year, "count": counts.get(year, 0)} for year in range(this_year, first - 1, -1)
    ]


def meetings_with_published_notes():
    return Meeting.objects.filter(notes_status=Meeting.NotesStatus.APPROVED).order_by("-starts_at")


# --- Member area ------------------------------------------------------------------------------


def recommendations_by_author(*, author):
    return (
        Recommendation.objects.filter(author=author)
        .select_related("service_area", "response")
        .order_by("-submitted_at")
    )


def recommendations_for_board():
    """What every member can see: recommendations once the council has acknowledged them."""
    return (
        Recommendation.objects.visible_to_board()
        .select_related("service_area", "author", "response")
        .order_by("-submitted_at")
    )


def recommendation_for_member(*, member, reference: str) -> Recommendation | None:
    if "\x00" in reference:
        # From the URL: no reference holds NUL, and PostgreSQL refuses it in a query (a 500).
        return None
    return (
        Recommendation.objects.filter(reference=reference)
        .filter(Q(author=member) | ~Q(status=Recommendation.Status.RECEIVED))
        .select_related("service_area", "author", "response")
        .prefetch_related("progress_updates", "changes")
        .first()
    )


def expense_claims_for_member(*, member):
    return member.expense_claims.select_related("meeting").order_by("-submitted_at")


# --- Engagement managers ----------------------------------------------------------------------


@dataclass
class MemberOverview:
    member: object
    current: Membership | None
    consecutive_terms: int
    meetings_attended: int = 0
    asks: int = 0
    asks_by_kind: dict = field(default_factory=dict)

    @property
    def load(self) -> int:
        return self.meetings_attended + self.asks


def consecutive_terms(memberships: list[Membership], *, as_of: date) -> int:
    """How many terms in a row end with the one current at ``as_of`` (or the latest before it)."""
    terms = sorted((m for m in memberships if m.term_starts <= as_of), key=lambda m: m.term_starts)
    if not terms:
        return 0
    run = 1
    for earlier, later in zip(reversed(terms[:-1]), reversed(terms[1:]), strict=True):
        if later.term_starts - earlier.term_ends <= CONSECUTIVE_GAP:
            run += 1
        else:
            break
    return run


def board_overview(
    *, today: date | None = None, ending_within_days: int = 90, max_consecutive_terms: int = 2
) -> dict:
    """Members with current terms, whose terms end soon, who are past the term limit, and load.

    Load counts meetings attended and other asks in the last 12 months, in four queries.
    """
    today = today or timezone.localdate()
    year_ago = today - timedelta(days=365)
    memberships = list(Membership.objects.select_related("member").order_by("term_starts"))
    by_member: dict[int, list[Membership]] = defaultdict(list)
    for membership in memberships:
        by_member[membership.member_id].append(membership)

    attended = dict(
        get_user_model()
        .objects.filter(pk__in=by_member)
        .annotate(
            n=Count(
                "board_attendance",
                filter=Q(
                    board_attendance__attended=True,
                    board_attendance__meeting__starts_at__date__gte=year_ago,
                    board_attendance__meeting__starts_at__date__lte=today,
                ),
            )
        )
        .values_list("pk", "n")
    )
    asks_by_member: dict[int, dict[str, int]] = defaultdict(dict)
    for member_id, kind, n in (
        BoardAsk.objects.filter(member_id__in=by_member, date__gte=year_ago, date__lte=today)
        .values("member_id", "kind")
        .annotate(n=Count("pk"))
        .values_list("member_id", "kind", "n")
    ):
        asks_by_member[member_id][kind] = n

    rows = []
    for member_id, terms in by_member.items():
        current = next((t for t in terms if t.term_starts <= today <= t.term_ends), None)
        asks = asks_by_member.get(member_id, {})
        rows.append(
            MemberOverview(
                member=terms[0].member,
                current=current,
                consecutive_terms=consecutive_terms(terms, as_of=today) if current else 0,
                meetings_attended=attended.get(member_id, 0),
                asks=sum(asks.values()),
                asks_by_kind=asks,
            )
        )
    current_rows = sorted(
        (row for row in rows if row.current), key=lambda row: (-row.load, str(row.member))
    )
    ending_by = today + timedelta(days=ending_within_days)
    return {
        "current": current_rows,
        "ending_soon": sorted(
            (row for row in current_rows if row.current.term_ends <= ending_by),
            key=lambda row: row.current.term_ends,
        ),
        "past_term_limit": [
            row for row in current_rows if row.consecutive_terms > max_consecutive_terms
        ],
        "total_load": sum(row.load for row in current_rows),
    }


def overdue_recommendations(*, today: date | None = None):
    return Recommendation.objects.overdue(today).select_related("owner", "service_area")


# --- People's rights (UK GDPR) ----------------------------------------------------------------

ERASED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606: .invalid can never be delivered to


def erased_email(*, user_id: int) -> str:
    """The unique, undeliverable address an erased account keeps (email must stay unique)."""
    return f"erased-{user_id}@{ERASED_EMAIL_DOMAIN}"


def is_erased(user) -> bool:
    return user.email.endswith(f"@{ERASED_EMAIL_DOMAIN}")


def personal_data_held(*, member) -> dict:
    """Everything the platform holds on one board member, for them to download (Article 15).

    Only their own records: no other member appears, and council officers appear by role, not
    name (who decided a claim or owns a response is the council's business record, and the
    officers' names are their personal data, not the member's). Receipts are listed, not copied.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from board.models import Attendance, ExpenseClaim, MemberSupportNeeds
    from cms.models import Invitation
    from cms.roles import role_names
    from engagement.models import NewsletterSubscriber

    account = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "account_created": member.date_joined,
        "last_signed_in": member.last_login,
        "active": member.is_active,
        "roles": sorted(role_names(member)),
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=member).order_by("email")
        ],
        # That a second factor exists and when it was used: never its secret or codes.
        "second_factors": [
            {
                "type": authenticator.get_type_display(),
                "added": authenticator.created_at,
                "last_used": authenticator.last_used_at,
            }
            for authenticator in Authenticator.objects.filter(user=member).order_by("created_at")
        ],
    }
    needs = MemberSupportNeeds.objects.filter(member=member).first()
    support_needs = (
        {
            "access_needs": needs.access_needs,
            "preferred_language": needs.preferred_language,
            "interpreter_needed": needs.interpreter_needed,
            "interpreter_language": needs.interpreter_language,
            "updated": needs.updated_at,
        }
        if needs
        else None
    )
    claims = []
    for claim in ExpenseClaim.objects.filter(claimant=member).select_related("meeting"):
        claims.append(
            {
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
                    {"file": claim.receipt.name.rsplit("/", 1)[-1], "kept": True}
                    if claim.receipt
                    else None
                ),
            }
        )
    recommendations = []
    for recommendation in (
        Recommendation.objects.filter(author=member)
        .select_related("service_area", "response")
        .prefetch_related("progress_updates", "changes__service_area")
        .order_by("submitted_at", "pk")
    ):
        response = getattr(recommendation, "response", None)
        published = response is not None and response.live
        recommendations.append(
            {
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
                # Only a published response: drafts are the council's until approved.
                "council_response": (
                    {
                        "outcome": response.get_outcome_display(),
                        "response": response.response,
                        "reasons": response.reasons,
                        "alternatives_explored": response.alternatives_explored,
                        "next_steps": response.next_steps,
                        "review_date": response.review_date,
                    }
                    if published
                    else None
                ),
                "progress_updates": [
                    {"date": update.date, "update": update.update}
                    for update in recommendation.progress_updates.all()
                ]
                if published
                else [],
                "changes_made": [
                    {
                        "kind": change.get_kind_display(),
                        "description": change.description,
                        "service": change.service_area.name,
                        "date": change.implemented_on,
                    }
                    for change in recommendation.changes.all()
                ]
                if published
                else [],
            }
        )
    subscriber = NewsletterSubscriber.objects.filter(email__iexact=member.email).first()
    return {
        "about": (
            "The personal data this platform holds on you, as a board member. Receipts you "
            "uploaded are listed, not included: ask the engagement team for a copy."
        ),
        "generated": timezone.now(),
        "account": account,
        "memberships": [
            {
                "role": membership.get_role_display(),
                "term_starts": membership.term_starts,
                "term_ends": membership.term_ends,
            }
            for membership in Membership.objects.filter(member=member).order_by("term_starts")
        ],
        "support_needs": support_needs,
        "asks": [
            {"date": ask.date, "kind": ask.get_kind_display(), "description": ask.description}
            for ask in BoardAsk.objects.filter(member=member).order_by("date", "pk")
        ],
        "meetings": [
            {
                "meeting": attendance.meeting.title,
                "date": timezone.localtime(attendance.meeting.starts_at).date(),
                "attended": attendance.attended,
            }
            for attendance in Attendance.objects.filter(member=member)
            .select_related("meeting")
            .order_by("meeting__starts_at")
        ],
        "expense_claims": claims,
        "recommendations": recommendations,
        "newsletter": (
            {
                "email": subscriber.email,
                "status": subscriber.status,
                "signed_up": subscriber.created_at,
                "confirmed": subscriber.confirmed_at,
            }
            if subscriber
            else None
        ),
        "invitations": [
            {
                "role": invitation.role.name,
                "sent": invitation.created_at,
                "expires": invitation.expires_at,
                "accepted": invitation.accepted_at,
            }
            for invitation in Invitation.objects.filter(email__iexact=member.email)
            .select_related("role")
            .order_by("created_at")
        ],
        # Who has looked at your data, by date and what (the officer's name is theirs).
        "viewed_by_council_staff": _views_of(member),
    }


def _views_of(member) -> list[dict]:
    """When council staff looked at this member's data, and what: never which officer.

    Views of their record are logged against their account; a list showing many members is
    logged once with the accounts it showed (a JSON list, read here rather than queried, as
    SQLite cannot search inside one).
    """
    from django.contrib.contenttypes.models import ContentType

    from wagtail.models import ModelLogEntry

    from board.models import MemberSupportNeeds
    from cms.services import PERSONAL_DATA_VIEW

    views = ModelLogEntry.objects.filter(action=PERSONAL_DATA_VIEW)
    own = views.filter(
        content_type=ContentType.objects.get_for_model(member), object_id=str(member.pk)
    )
    lists = views.filter(
        content_type=ContentType.objects.get_for_model(ContentType),
        object_id=str(ContentType.objects.get_for_model(MemberSupportNeeds).pk),
    )
    entries = list(own) + [e for e in lists if member.pk in (e.data or {}).get("accounts", [])]
    return [
        {"when": entry.timestamp, "what": (entry.data or {}).get("what", "")}
        for entry in sorted(entries, key=lambda entry: (entry.timestamp, entry.pk))
    ]


def erasure_refusal(*, member, today: date | None = None) -> str | None:
    """Why this account cannot be erased as a former board member, or None when it can."""
    from cms.roles import BOARD_MEMBERS, STAFF_ROLES, role_names

    today = today or timezone.localdate()
    if is_erased(member):
        return "This account has already been erased."
    if member.is_staff or member.is_superuser or role_names(member) & set(STAFF_ROLES):
        return (
            "This is a council staff account. Staff accounts are not erased here: ask a "
            "superuser to deactivate it."
        )
    terms = Membership.objects.filter(member=member)
    if terms.filter(term_ends__gte=today).exists():
        return (
            "They have a current or future term on the board. End or remove the term first: "
            "only a former member can be erased."
        )
    if BOARD_MEMBERS not in role_names(member) and not terms.exists():
        return "This account has never been a board member."
    return None


def erasure_summary(*, member) -> dict:
    """What erasing this member would delete, anonymise and keep: counts only."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from board.models import Attendance, ExpenseClaim, MemberSupportNeeds
    from cms.models import Invitation
    from engagement.models import NewsletterSubscriber

    claims = ExpenseClaim.objects.filter(claimant=member)
    recommendations = Recommendation.objects.filter(author=member)
    return {
        "memberships": Membership.objects.filter(member=member).count(),
        "support_needs": MemberSupportNeeds.objects.filter(member=member).count(),
        "asks": BoardAsk.objects.filter(member=member).count(),
        "attendance": Attendance.objects.filter(member=member).count(),
        "expense_claims": claims.count(),
        "receipts": claims.exclude(receipt="").count(),
        "recommendations": recommendations.count(),
        "recommendations_named": recommendations.filter(author_named=True).count(),
        "email_addresses": EmailAddress.objects.filter(user=member).count(),
        "second_factors": Authenticator.objects.filter(user=member).count(),
        "invitations": Invitation.objects.filter(
            Q(email__iexact=member.email) | Q(accepted_by=member)
        ).count(),
        "newsletter_subscribed": NewsletterSubscriber.objects.filter(
            email__iexact=member.email
        ).exists(),
    }


def former_members():
    """Accounts an engagement manager may erase: board members with no current or future term.

    One query, whatever the number of members (the last term's end is an aggregate).
    """
    from django.db.models import Max

    from cms.roles import BOARD_MEMBERS, STAFF_ROLES

    today = timezone.localdate()
    staff = get_user_model().objects.filter(
        Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name__in=STAFF_ROLES)
    )
    members = get_user_model().objects.filter(
        Q(groups__name=BOARD_MEMBERS) | Q(board_memberships__isnull=False)
    )
    return (
        get_user_model()
        .objects.filter(pk__in=members.values("pk"))
        .exclude(pk__in=staff.values("pk"))
        .exclude(email__endswith=f"@{ERASED_EMAIL_DOMAIN}")
        .annotate(last_term_ends=Max("board_memberships__term_ends"))
        .filter(Q(last_term_ends__lt=today) | Q(last_term_ends__isnull=True))
        .order_by("last_name", "first_name", "email")
    )
