"""Engagement pages: the hub, activities ("We asked, you said, we did"), events and the calendar
of dates, stories, news and newsletters.

Listings read through ``engagement.selectors`` and keep a fixed number of queries however many
children a page has. Feeds (RSS, iCalendar) are routes on the pages they belong to.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.functional import cached_property

from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    InlinePanel,
    MultiFieldPanel,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable
from wagtail.search import index

from cms.blocks import BodyBlock, DocumentDownloadBlock
from cms.models import BasePage
from engagement.models.mixins import LeadImageMixin

TEXT_FEATURES = ["h3", "bold", "italic", "ol", "ul", "link", "document-link"]
PAGE_TEMPLATE_DIR = "pages/engagement"
ICALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _calendar_response(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=ICALENDAR_CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- The hub ----------------------------------------------------------------------------------


class EngagementHubPage(BasePage):
    """The front door to engagement: what is open, what is on, stories and news."""

    intro = models.TextField(max_length=600, blank=True)
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [*BasePage.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = [
        "engagement.ActivityIndexPage",
        "engagement.EventIndexPage",
        "engagement.CulturalCalendarPage",
        "engagement.StoryIndexPage",
        "engagement.NewsIndexPage",
        "engagement.NewsletterIndexPage",
    ]
    max_count_per_parent = 1
    template = f"{PAGE_TEMPLATE_DIR}/engagement_hub_page.html"

    class Meta:
        verbose_name = "engagement hub"

    def get_context(self, request, *args, **kwargs):
        from engagement import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.hub_sections(hub=self, now=timezone.now()))
        return context


# --- Activities: we asked, you said, we did ---------------------------------------------------


class ActivityIndexPage(BasePage):
    intro = models.TextField(max_length=600, blank=True)
    per_page = models.PositiveSmallIntegerField(default=10)

    content_panels = [*BasePage.content_panels, FieldPanel("intro")]
    settings_panels = [*BasePage.settings_panels, FieldPanel("per_page")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro")]
    parent_page_types = ["engagement.EngagementHubPage"]
    subpage_types = ["engagement.ActivityPage"]
    max_count_per_parent = 1
    template = f"{PAGE_TEMPLATE_DIR}/activity_index_page.html"

    class Meta:
        verbose_name = "activities page"

    def get_context(self, request, *args, **kwargs):
        from engagement import selectors
        from engagement.forms import ActivityFilterForm

        context = super().get_context(request, *args, **kwargs)
        today = timezone.localdate()
        form = ActivityFilterForm(request.GET or None, years=selectors.activity_years(index=self))
        filters = form.cleaned_filters() if form.is_valid() else {}
        context["filter_form"] = form
        context["page_obj"] = selectors.activities_page(
            index=self,
            filters=filters,
            today=today,
            page_number=request.GET.get("page"),
            per_page=self.per_page,
        )
        context["query_string"] = form.query_string() if form.is_valid() else ""
        return context


class ActivityPageForm(WagtailAdminPageForm):
    """A reported activity must say what we heard and what we did about it."""

    def clean(self):
        cleaned_data = super().clean()
        if getattr(self, "is_deferred_validation", False):
            return cleaned_data
        if cleaned_data.get("status") == ActivityPage.Status.REPORTED:
            for name, label in (("themes", "'You said' theme"), ("actions", "'We did' action")):
                formset = self.formsets.get(name)
                if formset is None:
                    continue
                formset.is_valid()
                deleted = set(formset.deleted_forms) if formset.can_delete else set()
                kept = [
                    form
                    for form in formset.forms
                    if form not in deleted and (form.has_changed() or form.instance.pk)
                ]
                if not kept:
                    self.add_error(
                        "status", f"Add at least one {label} before marking this reported."
                    )
        return cleaned_data


class ActivityPage(BasePage):
    """A consultation, listening session or research exercise, and what came of it."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        LISTENING_SESSION = "listening_session", "Listening session"
        RESEARCH = "research", "Research exercise"
        CO_PRODUCTION = "co_production", "Co-production workshop"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        ANALYSING = "analysing", "Analysing"
        REPORTED = "reported", "Reported"

    STATUS_TAGS = {
        Status.OPEN: "govuk-tag--green",
        Status.CLOSED: "govuk-tag--grey",
        Status.ANALYSING: "govuk-tag--yellow",
        Status.REPORTED: "govuk-tag--blue",
    }

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CONSULTATION)
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.OPEN,
        db_index=True,
        help_text="An open activity whose end date has passed is shown as closed.",
    )
    what_we_asked = RichTextField("we asked", features=TEXT_FEATURES)
    run_by = models.CharField(
        "who ran it",
        max_length=200,
        help_text="For example: the Engagement and Partnerships team with Race Equality "
        "North Somerset.",
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    how_to_take_part = RichTextField(
        features=TEXT_FEATURES, blank=True, help_text="Shown while the activity is open."
    )
    take_part_url = models.URLField(
        "take part link", blank=True, help_text="Where to take part, for example an online survey."
    )
    reported_on = models.DateField(
        "reported back on",
        null=True,
        blank=True,
        help_text="The date we published what we heard and did. Required once reported.",
    )
    body = StreamField(BodyBlock(), blank=True, verbose_name="more about this activity")
    documents = StreamField(
        [("document", DocumentDownloadBlock())],
        blank=True,
        help_text="Reports, easy read versions, translations.",
    )

    content_panels = [
        *BasePage.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("kind"),
                FieldPanel("status"),
                FieldPanel("run_by"),
                FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
                FieldPanel("reported_on"),
            ],
            heading="About the activity",
        ),
        FieldPanel("what_we_asked"),
        MultiFieldPanel(
            [FieldPanel("how_to_take_part"), FieldPanel("take_part_url")],
            heading="Taking part",
        ),
        InlinePanel(
            "respondent_groups",
            heading="Who we heard from",
            label="Group of respondents",
            help_text="Counts from 1 to 9 are shown as 'fewer than 10', and any other count "
            "that would let them be worked out is withheld.",
        ),
        InlinePanel("themes", heading="You said", label="Theme"),
        InlinePanel("actions", heading="We did", label="Action"),
        FieldPanel("body"),
        FieldPanel("documents"),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("what_we_asked"),
        index.SearchField("run_by"),
        index.SearchField("body"),
        index.RelatedFields(
            "themes", [index.SearchField("title"), index.SearchField("description")]
        ),
        index.RelatedFields("actions", [index.SearchField("description")]),
        index.FilterField("status"),
    ]
    base_form_class = ActivityPageForm
    parent_page_types = ["engagement.ActivityIndexPage"]
    subpage_types: list[str] = []
    template = f"{PAGE_TEMPLATE_DIR}/activity_page.html"

    class Meta:
        verbose_name = "engagement activity"
        verbose_name_plural = "engagement activities"

    def clean(self):
        super().clean()
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = "The end date must be on or after the start date."
        if self.status == self.Status.REPORTED and not self.reported_on:
            errors["reported_on"] = "Enter the date we reported back."
        if errors:
            raise ValidationError(errors)

    def effective_status(self, today: date | None = None) -> str:
        today = today or timezone.localdate()
        if self.status == self.Status.OPEN and self.ends_on and self.ends_on < today:
            return self.Status.CLOSED
        return self.status

    def status_label(self, today: date | None = None) -> str:
        return self.Status(self.effective_status(today)).label

    @property
    def status_tag_class(self) -> str:
        return self.STATUS_TAGS[self.effective_status()]

    @property
    def is_open(self) -> bool:
        return self.effective_status() == self.Status.OPEN

    def get_context(self, request, *args, **kwargs):
        from engagement import selectors

        context = super().get_context(request, *args, **kwargs)
        context["heard_from"] = selectors.heard_from(activity=self)
        context["themes"] = list(self.themes.all())
        context["actions"] = selectors.activity_actions(activity=self)
        return context


class ActivityRespondentGroup(Orderable):
    """How many of one type of respondent took part."""

    class RespondentType(models.TextChoices):
        RESIDENTS = "residents", "Residents"
        COMMUNITY_GROUPS = "community_groups", "Community groups"
        STAFF = "staff", "Council staff"
        PARTNERS = "partners", "Partner organisations"
        BOARD_MEMBERS = "board_members", "Lived Experience Advisory Board members"
        YOUNG_PEOPLE = "young_people", "Young people"
        OTHER = "other", "Other"

    page = ParentalKey(ActivityPage, on_delete=models.CASCADE, related_name="respondent_groups")
    respondent_type = models.CharField(max_length=20, choices=RespondentType.choices)
    description = models.CharField(
        max_length=100, blank=True, help_text="For 'Other': who they were."
    )
    count = models.PositiveIntegerField(help_text="How many took part.")

    panels = [FieldPanel("respondent_type"), FieldPanel("description"), FieldPanel("count")]

    class Meta(Orderable.Meta):
        verbose_name = "group of respondents"

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.respondent_type == self.RespondentType.OTHER and self.description:
            return self.description
        return self.get_respondent_type_display()

    def clean(self):
        if self.respondent_type == self.RespondentType.OTHER and not self.description.strip():
            raise ValidationError({"description": "Say who the other respondents were."})


class ActivityTheme(Orderable):
    """'You said': a theme in what people told us."""

    page = ParentalKey(ActivityPage, on_delete=models.CASCADE, related_name="themes")
    title = models.CharField(max_length=200)
    description = models.TextField()

    panels = [FieldPanel("title"), FieldPanel("description")]

    class Meta(Orderable.Meta):
        verbose_name = "'You said' theme"

    def __str__(self) -> str:
        return self.title


class ActivityAction(Orderable):
    """'We did': what the council did or will do, optionally linked to where it is tracked."""

    class Progress(models.TextChoices):
        DONE = "done", "Done"
        IN_PROGRESS = "in_progress", "In progress"
        PLANNED = "planned", "Planned"

    page = ParentalKey(ActivityPage, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField("what we did")
    progress = models.CharField(max_length=12, choices=Progress.choices, default=Progress.DONE)
    recommendation = models.ForeignKey(
        "board.Recommendation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="engagement_actions",
        help_text="A board recommendation this answers. Linked once its response is published.",
    )
    survey_summary = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A published survey summary with the evidence.",
    )

    panels = [
        FieldPanel("description"),
        FieldPanel("progress"),
        FieldPanel("recommendation"),
        FieldPanel("survey_summary"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "'We did' action"

    def __str__(self) -> str:
        return self.description[:80]


# --- Events and the calendar of dates ---------------------------------------------------------


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


# --- Stories ----------------------------------------------------------------------------------


def consent_errors(
    *, consent_given: bool, consent_recorded_on, name_teller: bool, teller_name: str
) -> dict[str, str]:
    """What is missing before a story may be published."""
    errors = {}
    if not consent_given:
        errors["consent_given"] = "A story can only be published with the teller's consent."
    if not consent_recorded_on:
        errors["consent_recorded_on"] = "Enter the date the teller's consent was recorded."
    elif consent_recorded_on > timezone.localdate():
        errors["consent_recorded_on"] = "The date consent was recorded cannot be in the future."
    if name_teller and not (teller_name or "").strip():
        errors["teller_name"] = "Enter the name to show, or untick 'Name the teller'."
    return errors


class StoryPageForm(WagtailAdminPageForm):
    """A draft may be saved without consent recorded; it cannot be published without it."""

    def defer_required_fields(self):
        # Saving a draft: the model's own consent check (for anything going live) waits too.
        super().defer_required_fields()
        self.instance.saving_draft = True

    def restore_required_fields(self):
        super().restore_required_fields()
        self.instance.saving_draft = False

    def clean(self):
        cleaned_data = super().clean()
        if getattr(self, "is_deferred_validation", False):
            return cleaned_data
        for field, message in consent_errors(
            consent_given=cleaned_data.get("consent_given", False),
            consent_recorded_on=cleaned_data.get("consent_recorded_on"),
            name_teller=cleaned_data.get("name_teller", False),
            teller_name=cleaned_data.get("teller_name", ""),
        ).items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned_data


class StoryIndexPage(BasePage):
    intro = models.TextField(max_length=600, blank=True)
    per_page = models.PositiveSmallIntegerField(default=12)

    content_panels = [*BasePage.content_panels, FieldPanel("intro")]
    settings_panels = [*BasePage.settings_panels, FieldPanel("per_page")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro")]
    parent_page_types = ["engagement.EngagementHubPage"]
    subpage_types = ["engagement.StoryPage"]
    max_count_per_parent = 1
    template = f"{PAGE_TEMPLATE_DIR}/story_index_page.html"

    class Meta:
        verbose_name = "stories page"

    def get_context(self, request, *args, **kwargs):
        from engagement import selectors

        context = super().get_context(request, *args, **kwargs)
        context["page_obj"] = selectors.stories_page(
            index=self, page_number=request.GET.get("page"), per_page=self.per_page
        )
        return context


class StoryPage(BasePage, LeadImageMixin):
    """Community storytelling: a resident's story, told with their recorded consent."""

    summary = models.TextField(max_length=400, help_text="Shown where the story is listed.")
    story = StreamField(BodyBlock())
    teller_description = models.CharField(
        max_length=120,
        blank=True,
        help_text="Shown instead of a name, for example: a resident of Weston-super-Mare.",
    )
    consent_given = models.BooleanField(
        "the teller has given consent to publish",
        default=False,
        help_text="If consent is withdrawn, unpublish the story.",
    )
    consent_recorded_on = models.DateField("date consent was recorded", null=True, blank=True)
    consent_reference = models.CharField(
        max_length=120,
        blank=True,
        help_text="Where the signed consent is kept. Never shown on the site.",
    )
    name_teller = models.BooleanField(
        "name the teller", default=False, help_text="Only if the teller asked to be named."
    )
    teller_name = models.CharField(
        "name to show", max_length=120, blank=True, help_text="As the teller wants it shown."
    )

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("summary"),
        *LeadImageMixin.image_panels,
        FieldPanel("story"),
        MultiFieldPanel(
            [
                FieldPanel("consent_given"),
                FieldPanel("consent_recorded_on"),
                FieldPanel("consent_reference"),
                FieldPanel("name_teller"),
                FieldPanel("teller_name"),
                FieldPanel("teller_description"),
            ],
            heading="The teller and their consent",
            help_text="Required before the story can be published.",
        ),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("summary"),
        index.SearchField("story"),
        # The shown name only: an unnamed teller's name must not find their story.
        index.SearchField("public_teller"),
    ]
    base_form_class = StoryPageForm
    parent_page_types = ["engagement.StoryIndexPage"]
    subpage_types: list[str] = []
    template = f"{PAGE_TEMPLATE_DIR}/story_page.html"

    class Meta:
        verbose_name = "story"
        verbose_name_plural = "stories"

    @property
    def public_teller(self) -> str:
        if self.name_teller and self.teller_name.strip():
            return self.teller_name.strip()
        return self.teller_description.strip()

    # Set by the admin form while a draft is saved: consent is checked when it goes live.
    saving_draft = False

    def clean(self):
        super().clean()
        errors = self.image_errors()
        if self.live and not self.saving_draft:
            errors.update(
                consent_errors(
                    consent_given=self.consent_given,
                    consent_recorded_on=self.consent_recorded_on,
                    name_teller=self.name_teller,
                    teller_name=self.teller_name,
                )
            )
        if errors:
            raise ValidationError(errors)


# --- News and newsletters ---------------------------------------------------------------------


class DatedIndexPage(RoutablePageMixin, BasePage):
    """Dated items, newest first, with an archive by year and an RSS feed (``feed/``)."""

    intro = models.TextField(max_length=600, blank=True)
    per_page = models.PositiveSmallIntegerField(default=10)

    content_panels = [*BasePage.content_panels, FieldPanel("intro")]
    settings_panels = [*BasePage.settings_panels, FieldPanel("per_page")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro")]
    parent_page_types = ["engagement.EngagementHubPage"]
    max_count_per_parent = 1
    item_model_name = ""
    feed_class_name = ""

    class Meta:
        abstract = True

    @cached_property
    def item_model(self):
        from engagement import models as engagement_models

        return getattr(engagement_models, self.item_model_name)

    @path("")
    def latest(self, request):
        return self._listing(request, year=None)

    @path("<int:year>/", name="year")
    def archive(self, request, year: int):
        return self._listing(request, year=year)

    @path("feed/", name="feed")
    def feed(self, request):
        from engagement import feeds

        return getattr(feeds, self.feed_class_name)(self)(request)

    def _listing(self, request, *, year: int | None):
        from engagement import selectors

        years = selectors.dated_item_years(model=self.item_model, index=self)
        if year is not None and year not in years:
            raise Http404("Nothing was published that year.")
        page_obj = selectors.dated_items_page(
            model=self.item_model,
            index=self,
            year=year,
            page_number=request.GET.get("page"),
            per_page=self.per_page,
        )
        return self.render(
            request,
            context_overrides={"page_obj": page_obj, "year": year, "years": years},
        )


class NewsIndexPage(DatedIndexPage):
    subpage_types = ["engagement.NewsPage"]
    template = f"{PAGE_TEMPLATE_DIR}/news_index_page.html"
    item_model_name = "NewsPage"
    feed_class_name = "NewsFeed"

    class Meta:
        verbose_name = "news page"


class NewsPage(BasePage, LeadImageMixin):
    date = models.DateField(
        default=timezone.localdate, help_text="The date shown; also orders the news."
    )
    intro = models.TextField(max_length=600, help_text="A sentence or two, shown in listings.")
    body = StreamField(BodyBlock())

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("date"),
        FieldPanel("intro"),
        *LeadImageMixin.image_panels,
        FieldPanel("body"),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]
    parent_page_types = ["engagement.NewsIndexPage"]
    subpage_types: list[str] = []
    template = f"{PAGE_TEMPLATE_DIR}/news_page.html"

    class Meta:
        verbose_name = "news item"

    def clean(self):
        super().clean()
        if errors := self.image_errors():
            raise ValidationError(errors)


class NewsletterIndexPage(DatedIndexPage):
    """Newsletter issues by year, their RSS feed, and the sign-up form."""

    subpage_types = ["engagement.NewsletterIssuePage"]
    template = f"{PAGE_TEMPLATE_DIR}/newsletter_index_page.html"
    item_model_name = "NewsletterIssuePage"
    feed_class_name = "NewsletterFeed"

    class Meta:
        verbose_name = "newsletters page"

    def get_context(self, request, *args, **kwargs):
        from engagement.forms import NewsletterSignupForm

        context = super().get_context(request, *args, **kwargs)
        context["signup_form"] = NewsletterSignupForm()
        return context


class NewsletterIssuePage(BasePage):
    date = models.DateField(
        "issue date", default=timezone.localdate, help_text="Also orders the archive."
    )
    intro = models.TextField(
        max_length=800, help_text="Opens the issue on the site and in the email to subscribers."
    )
    body = StreamField(BodyBlock())
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_to = models.PositiveIntegerField(
        "sent to", null=True, blank=True, editable=False, help_text="Confirmed subscribers."
    )

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("date"),
        FieldPanel("intro"),
        FieldPanel("body"),
        HelpPanel(
            "Once published, send the issue to subscribers from the page's menu: "
            "'Send to subscribers'. Each issue is sent once."
        ),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]
    parent_page_types = ["engagement.NewsletterIndexPage"]
    subpage_types: list[str] = []
    template = f"{PAGE_TEMPLATE_DIR}/newsletter_issue_page.html"

    class Meta:
        verbose_name = "newsletter issue"

    def get_context(self, request, *args, **kwargs):
        from engagement.forms import NewsletterSignupForm

        context = super().get_context(request, *args, **kwargs)
        context["signup_form"] = NewsletterSignupForm()
        return context
