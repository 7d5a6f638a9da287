"""Activities: "We asked, you said, we did", who was heard from, and what the council did."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
)
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable
from wagtail.search import index

from cms.blocks import BodyBlock, DocumentDownloadBlock
from cms.models import BasePage
from engagement.models.common import (
    PAGE_TEMPLATE_DIR,
    TEXT_FEATURES,
)


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
