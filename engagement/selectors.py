"""Reads for engagement pages. Every listing runs a fixed number of queries, however many
children a page has: one query per list (plus Wagtail's view-restriction check), with related
rows joined or prefetched, and pagination doing the counting.
"""

from __future__ import annotations

from calendar import month_name
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, Prefetch, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone

from wagtail.images import get_image_model
from wagtail.models import Page

from cms.platform.disclosure import Relation, disclosure_threshold, suppress
from engagement.models import (
    ActivityAction,
    ActivityPage,
    CalendarDate,
    EventPage,
    NewsletterSubscriber,
    NewsPage,
    StoryPage,
)

LISTING_IMAGE_FILTER = "fill-640x360"
HUB_ITEMS = 3
SEARCH_RESULTS_PER_PAGE = 10


def _live(model, *, parent):
    return model.objects.live().public().child_of(parent)


def _with_listing_image(queryset):
    images = get_image_model().objects.prefetch_renditions(LISTING_IMAGE_FILTER)
    return queryset.prefetch_related(Prefetch("image", queryset=images))


# --- Hub --------------------------------------------------------------------------------------


def hub_sections(*, hub, now: datetime) -> dict:
    """What the hub shows: open activities, upcoming events, recent stories and news."""
    today = timezone.localdate(now)
    activities = (
        ActivityPage.objects.live()
        .public()
        .descendant_of(hub)
        .filter(status=ActivityPage.Status.OPEN, ends_on__gte=today)
        .order_by("ends_on", "pk")[:HUB_ITEMS]
    )
    events = (
        EventPage.objects.live()
        .public()
        .descendant_of(hub)
        .filter(ends_at__gte=now)
        .select_related("venue", "organiser")
        .order_by("starts_at", "pk")[:HUB_ITEMS]
    )
    stories = _with_listing_image(
        StoryPage.objects.live().public().descendant_of(hub).order_by("-first_published_at")
    )[:HUB_ITEMS]
    news = NewsPage.objects.live().public().descendant_of(hub).order_by("-date", "-pk")[:HUB_ITEMS]
    sections = list(hub.get_children().live().public().specific())
    by_type = {type(section).__name__: section for section in sections}
    return {
        "sections": sections,
        "activity_index": by_type.get("ActivityIndexPage"),
        "event_index": by_type.get("EventIndexPage"),
        "calendar_page": by_type.get("CulturalCalendarPage"),
        "story_index": by_type.get("StoryIndexPage"),
        "news_index": by_type.get("NewsIndexPage"),
        "newsletter_index": by_type.get("NewsletterIndexPage"),
        "open_activities": list(activities),
        "upcoming_events": list(events),
        "recent_stories": list(stories),
        "recent_news": list(news),
    }


# --- Activities -------------------------------------------------------------------------------


def _activity_status_q(status: str, today: date) -> Q:
    """An open activity past its end date counts as closed, as the page shows it."""
    Status = ActivityPage.Status
    if status == Status.OPEN:
        return Q(status=Status.OPEN, ends_on__gte=today)
    if status == Status.CLOSED:
        return Q(status=Status.CLOSED) | Q(status=Status.OPEN, ends_on__lt=today)
    return Q(status=status)


def activities(*, index, filters: dict, today: date):
    queryset = _live(ActivityPage, parent=index)
    if filters.get("status"):
        queryset = queryset.filter(_activity_status_q(filters["status"], today))
    if filters.get("year"):
        year = filters["year"]
        queryset = queryset.filter(starts_on__lte=date(year, 12, 31), ends_on__gte=date(year, 1, 1))
    return queryset.order_by("-starts_on", "-pk")


def activities_page(*, index, filters: dict, today: date, page_number, per_page: int):
    return Paginator(activities(index=index, filters=filters, today=today), per_page).get_page(
        page_number
    )


def activity_years(*, index) -> list[int]:
    """Every year an activity under ``index`` ran in, newest first."""
    span = _live(ActivityPage, parent=index).aggregate(first=Min("starts_on"), last=Max("ends_on"))
    if not span["first"]:
        return []
    return list(range(span["last"].year, span["first"].year - 1, -1))


@dataclass(frozen=True)
class HeardFromRow:
    label: str
    count: int
    shown: str
    suppressed: bool


@dataclass(frozen=True)
class HeardFrom:
    rows: list[HeardFromRow]
    total: HeardFromRow | None
    any_suppressed: bool
    threshold: int


def _shown(count: int, hidden: bool, threshold: int) -> str:
    if not hidden:
        return f"{count:,}"
    if 0 < count < threshold:
        return f"fewer than {threshold}"
    return "withheld"


def heard_from_counts(counts: list[tuple[str, int]]) -> HeardFrom:
    """Counts by type of respondent, with the analysis's small-number suppression.

    A count from 1 to the threshold less one shows as "fewer than <threshold>" (the setting
    ``DISCLOSURE_THRESHOLD``, 10 by default); any other count (a part or the total) that would
    let a hidden one be worked out by subtraction is withheld.
    """
    threshold = disclosure_threshold()
    if not counts:
        return HeardFrom(rows=[], total=None, any_suppressed=False, threshold=threshold)
    cells = {f"part-{i}": count for i, (_, count) in enumerate(counts)}
    cells["total"] = sum(cells.values())
    hidden = suppress(
        cells,
        [Relation(total="total", parts=tuple(name for name in cells if name != "total"))],
        threshold=threshold,
    )
    rows = [
        HeardFromRow(
            label=label,
            count=count,
            shown=_shown(count, f"part-{i}" in hidden, threshold),
            suppressed=f"part-{i}" in hidden,
        )
        for i, (label, count) in enumerate(counts)
    ]
    total = HeardFromRow(
        label="Total",
        count=cells["total"],
        shown=_shown(cells["total"], "total" in hidden, threshold),
        suppressed="total" in hidden,
    )
    return HeardFrom(rows=rows, total=total, any_suppressed=bool(hidden), threshold=threshold)


def heard_from(*, activity: ActivityPage) -> HeardFrom:
    groups = activity.respondent_groups.all()
    return heard_from_counts([(group.label, group.count) for group in groups])


@dataclass(frozen=True)
class ActionLink:
    text: str
    url: str


@dataclass(frozen=True)
class ActionView:
    action: ActivityAction
    recommendation: ActionLink | None
    survey_summary: ActionLink | None


def activity_actions(*, activity: ActivityPage) -> list[ActionView]:
    """'We did' actions, linked to a board recommendation only once its response is public,
    and to a survey summary only while that page is live and public."""
    actions = list(activity.actions.all())
    # The board's recommendations, reached through the model relation (no import of the board).
    recommendations = ActivityAction._meta.get_field("recommendation").related_model
    recommendation_ids = [a.recommendation_id for a in actions if a.recommendation_id]
    links = (
        recommendations.objects.filter(pk__in=recommendation_ids).public_links()
        if recommendation_ids
        else {}
    )
    summary_ids = [a.survey_summary_id for a in actions if a.survey_summary_id]
    summaries = (
        {page.pk: page for page in Page.objects.live().public().filter(pk__in=summary_ids)}
        if summary_ids
        else {}
    )
    views = []
    for action in actions:
        link = links.get(action.recommendation_id)
        recommendation_link = ActionLink(text=link[0], url=link[1]) if link else None
        summary = summaries.get(action.survey_summary_id)
        summary_link = ActionLink(text=summary.title, url=summary.url) if summary else None
        views.append(
            ActionView(
                action=action, recommendation=recommendation_link, survey_summary=summary_link
            )
        )
    return views


# --- Events and the calendar of dates ---------------------------------------------------------


def events(*, index, now: datetime, past: bool):
    queryset = _live(EventPage, parent=index).select_related("venue", "organiser")
    if past:
        return queryset.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    return queryset.filter(ends_at__gte=now).order_by("starts_at", "pk")


def events_page(*, index, now: datetime, past: bool, page_number, per_page: int):
    return Paginator(events(index=index, now=now, past=past), per_page).get_page(page_number)


def events_for_calendar(*, index, now: datetime):
    """Upcoming events, and those of the last month, for the events feed."""
    return (
        _live(EventPage, parent=index)
        .filter(ends_at__gte=now - timedelta(days=31))
        .select_related("venue", "organiser")
        .order_by("starts_at", "pk")
    )


@dataclass(frozen=True)
class CalendarMonth:
    year: int
    month: int
    dates: list[CalendarDate]

    @property
    def name(self) -> str:
        return f"{month_name[self.month]} {self.year}"

    @property
    def slug(self) -> str:
        return f"month-{self.year}-{self.month:02d}"


def calendar_months(*, today: date) -> list[CalendarMonth]:
    """The next twelve months' dates, grouped by the month each starts in (or, for one that
    began earlier and is still running, this month)."""
    months: dict[tuple[int, int], list[CalendarDate]] = {}
    for item in CalendarDate.objects.year_ahead(today).order_by("starts_on", "title"):
        shown_from = max(item.starts_on, today)
        months.setdefault((shown_from.year, shown_from.month), []).append(item)
    return [
        CalendarMonth(year=year, month=month, dates=items)
        for (year, month), items in sorted(months.items())
    ]


def calendar_dates_for_feed(*, today: date):
    """The year ahead, plus the last month so a subscriber's calendar does not lose this week."""
    return CalendarDate.objects.between(
        today - timedelta(days=31), today + timedelta(days=365)
    ).order_by("starts_on", "title")


# --- Stories, news and newsletters ------------------------------------------------------------


def stories_page(*, index, page_number, per_page: int) -> PaginatorPage:
    queryset = _with_listing_image(
        _live(StoryPage, parent=index).order_by("-first_published_at", "-pk")
    )
    return Paginator(queryset, per_page).get_page(page_number)


def dated_items(*, model, index, year: int | None = None):
    queryset = _live(model, parent=index).order_by("-date", "-pk")
    if year is not None:
        queryset = queryset.filter(date__year=year)
    return queryset


def dated_items_page(*, model, index, year: int | None, page_number, per_page: int):
    return Paginator(dated_items(model=model, index=index, year=year), per_page).get_page(
        page_number
    )


def dated_item_years(*, model, index) -> list[int]:
    return list(
        _live(model, parent=index)
        .annotate(year=ExtractYear("date"))
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )


def feed_items(*, model, index, limit: int = 20):
    return list(dated_items(model=model, index=index)[:limit])


def subscriber_counts() -> dict[str, int]:
    counts = NewsletterSubscriber.objects.aggregate(
        confirmed_count=Count("pk", filter=Q(confirmed=True)),
        awaiting_count=Count("pk", filter=Q(confirmed=False)),
    )
    return {"confirmed": counts["confirmed_count"], "awaiting": counts["awaiting_count"]}


def confirmed_subscribers():
    return NewsletterSubscriber.objects.confirmed().order_by("confirmed_at", "pk")


# --- Search -----------------------------------------------------------------------------------


def search_pages(*, query: str, page_number, per_page: int = SEARCH_RESULTS_PER_PAGE):
    """Every live, public page matching ``query``, best first, as specific pages."""
    # Double quotes mean nothing to a plain-text search, and the SQLite backend wraps each term
    # in them unescaped: a term holding one was a 500 (wagtail/wagtail#13227).
    query = query.replace('"', " ")
    if not query.split():
        return Paginator([], per_page).get_page(page_number)
    results = Page.objects.live().public().filter(depth__gt=1).search(query)
    page_obj = Paginator(results, per_page).get_page(page_number)
    ids = [page.pk for page in page_obj.object_list]
    specific = {page.pk: page for page in Page.objects.filter(pk__in=ids).specific()}
    page_obj.object_list = [specific[pk] for pk in ids if pk in specific]
    return page_obj
