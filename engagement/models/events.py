"""Events and the cultural calendar of dates, with their iCalendar feeds."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    MultiFieldPanel,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.search import index

from cms.blocks import BodyBlock
from cms.models import BasePage
from engagement.models.common import (
    PAGE_TEMPLATE_DIR,
    _calendar_response,
)


class EventIndexPage(RoutablePageMixin, BasePage):
    intro = models.TextField(max_length=600, blank=True)
    per_page = models.PositiveSmallIntegerField(default=10)

    content_panels = [*BasePage.content_panels, FieldPanel("intro")]
    settings_panels = [*BasePage.settings_panels, FieldPanel("per_page")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro")]
    parent_page_types = ["engagement.EngagementHubPage"]
    subpage_types = ["engagement.EventPage"]
    max_count_per_parent = 1
    template = f"{PAGE_TEMPLATE_DIR}/event_index_page.html"

    class Meta:
        verbose_name = "events page"

    @path("")
    def upcoming(self, request):
        return self._listing(request, past=False)

    @path("past/", name="past")
    def past(self, request):
        return self._listing(request, past=True)

    @path("ical/", name="ical")
    def ical(self, request):
        from engagement import ical, selectors

        events = selectors.events_for_calendar(index=self, now=timezone.now())
        body = ical.calendar(
            name=self.title,
            events=[ical.event_from_event_page(event, request=request) for event in events],
        )
        return _calendar_response(body, "events.ics")

    def _listing(self, request, *, past: bool):
        from engagement import selectors

        page_obj = selectors.events_page(
            index=self,
            now=timezone.now(),
            past=past,
            page_number=request.GET.get("page"),
            per_page=self.per_page,
        )
        return self.render(request, context_overrides={"page_obj": page_obj, "past": past})


class EventPage(RoutablePageMixin, BasePage):
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    summary = models.TextField(max_length=600, help_text="What happens, in a sentence or two.")
    body = StreamField(BodyBlock(), blank=True)
    venue = models.ForeignKey(
        "engagement.Venue",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        help_text="Leave blank for an online-only event.",
    )
    online_url = models.URLField(
        "online link", blank=True, help_text="Where to join online (a meeting link or stream)."
    )
    access_at_event = models.TextField(
        "access at the event",
        blank=True,
        help_text="For example: British Sign Language interpreter, prayer room, halal food, "
        "children welcome.",
    )
    organiser = models.ForeignKey(
        "engagement.EventOrganiser", on_delete=models.PROTECT, related_name="events"
    )
    cost = models.CharField(max_length=100, default="Free")
    booking_required = models.BooleanField(default=False)
    booking_url = models.URLField("booking link", blank=True)
    booking_details = models.TextField(
        blank=True, help_text="How to book if not online, and how to ask for adjustments."
    )

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("summary"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")], heading="When"),
        MultiFieldPanel(
            [FieldPanel("venue"), FieldPanel("online_url"), FieldPanel("access_at_event")],
            heading="Where",
        ),
        FieldPanel("organiser"),
        MultiFieldPanel(
            [
                FieldPanel("cost"),
                FieldPanel("booking_required"),
                FieldPanel("booking_url"),
                FieldPanel("booking_details"),
            ],
            heading="Booking",
        ),
        FieldPanel("body"),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("access_at_event"),
        index.RelatedFields("venue", [index.SearchField("name"), index.SearchField("address")]),
        index.RelatedFields("organiser", [index.SearchField("name")]),
        index.FilterField("starts_at"),
    ]
    parent_page_types = ["engagement.EventIndexPage"]
    subpage_types: list[str] = []
    template = f"{PAGE_TEMPLATE_DIR}/event_page.html"

    class Meta:
        verbose_name = "event"

    def clean(self):
        super().clean()
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The event must end after it starts."
        if not self.venue_id and not self.online_url:
            errors["venue"] = "Choose a venue or enter an online link (or both)."
        if self.booking_required and not (self.booking_url or self.booking_details.strip()):
            errors["booking_url"] = "Enter a booking link or say how to book."
        if errors:
            raise ValidationError(errors)

    @property
    def is_past(self) -> bool:
        return self.ends_at < timezone.now()

    @path("")
    def detail(self, request):
        return self.render(request)

    @path("ical/", name="ical")
    def ical(self, request):
        from engagement import ical

        body = ical.calendar(
            name=self.title, events=[ical.event_from_event_page(self, request=request)]
        )
        return _calendar_response(body, f"{self.slug}.ics")


class CulturalCalendarPage(RoutablePageMixin, BasePage):
    """The year ahead's cultural and faith celebrations and awareness days, weeks and months.

    Editors keep the dates under Engagement > Calendar dates; the page and its iCalendar feed
    (``ical/``) show the next twelve months.
    """

    intro = models.TextField(max_length=600, blank=True)
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("intro"),
        HelpPanel("The dates themselves are kept under Engagement > Calendar dates."),
        FieldPanel("body"),
    ]
    search_fields = [*BasePage.search_fields, index.SearchField("intro")]
    parent_page_types = ["engagement.EngagementHubPage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    template = f"{PAGE_TEMPLATE_DIR}/cultural_calendar_page.html"

    class Meta:
        verbose_name = "calendar of dates page"

    @path("")
    def year_ahead(self, request):
        from engagement import selectors

        return self.render(
            request,
            context_overrides={"months": selectors.calendar_months(today=timezone.localdate())},
        )

    @path("ical/", name="ical")
    def ical(self, request):
        from engagement import ical, selectors

        dates = selectors.calendar_dates_for_feed(today=timezone.localdate())
        body = ical.calendar(
            name=self.title,
            description=self.intro,
            events=[ical.event_from_calendar_date(item, request=request) for item in dates],
        )
        return _calendar_response(body, "calendar.ics")
