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
from cms.personal_data import ERASED_EMAIL_DOMAIN, is_erased
from cms.roles import BOARD_MEMBERS, STAFF_ROLES, role_names

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


def erasure_refusal(*, member, today: date | None = None) -> str | None:
    """Why this account cannot be erased as a former board member, or None when it can."""

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


def former_members():
    """Accounts an engagement manager may erase: board members with no current or future term.

    One query, whatever the number of members (the last term's end is an aggregate).
    """
    from django.db.models import Max

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
