"""Things editors keep in lists and reuse: venues, event organisers, and the calendar of dates."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dateformat import format as date_format

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.search import index


class Venue(index.Indexed, models.Model):
    """A place where events happen, with what a disabled visitor needs to know before coming."""

    class StepFree(models.TextChoices):
        FULL = "full", "Step-free throughout"
        PARTIAL = "partial", "Step-free to some areas"
        NONE = "none", "Not step-free"
        UNKNOWN = "unknown", "Not yet checked"

    name = models.CharField(max_length=200)
    address = models.TextField()
    postcode = models.CharField(max_length=10, blank=True)
    step_free = models.CharField(
        "step-free access", max_length=10, choices=StepFree.choices, default=StepFree.UNKNOWN
    )
    accessible_toilet = models.BooleanField(default=False)
    hearing_loop = models.BooleanField(default=False)
    accessible_parking = models.BooleanField(default=False)
    quiet_space = models.BooleanField(
        default=False, help_text="A quiet room or area away from the main event."
    )
    accessibility_notes = models.TextField(
        blank=True,
        help_text="Anything else: the nearest bus stop, the entrance to use, lighting, seating.",
    )
    access_guide_url = models.URLField(
        "access guide", blank=True, help_text="A detailed access guide, for example on AccessAble."
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("address"),
        FieldPanel("postcode"),
        MultiFieldPanel(
            [
                FieldPanel("step_free"),
                FieldRowPanel(
                    [
                        FieldPanel("accessible_toilet"),
                        FieldPanel("hearing_loop"),
                        FieldPanel("accessible_parking"),
                        FieldPanel("quiet_space"),
                    ]
                ),
                FieldPanel("accessibility_notes"),
                FieldPanel("access_guide_url"),
            ],
            heading="Accessibility",
        ),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def access_features(self) -> list[str]:
        """The features a visitor can count on, in words."""
        features = []
        if self.step_free != self.StepFree.UNKNOWN:
            features.append(self.get_step_free_display())
        if self.accessible_toilet:
            features.append("Accessible toilet")
        if self.hearing_loop:
            features.append("Hearing loop")
        if self.accessible_parking:
            features.append("Accessible parking")
        if self.quiet_space:
            features.append("Quiet space")
        return features


class EventOrganiser(index.Indexed, models.Model):
    class Kind(models.TextChoices):
        COUNCIL = "council", "The council"
        PARTNER = "partner", "Partner organisation"
        COMMUNITY_GROUP = "community_group", "Community group"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COMMUNITY_GROUP)
    website = models.URLField(blank=True)
    description = models.CharField(max_length=300, blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldPanel("website"),
        FieldPanel("description"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = "event organiser"

    def __str__(self) -> str:
        return self.name


class CalendarDateQuerySet(models.QuerySet):
    def between(self, first: date, last: date):
        """Dates that fall, even in part, between ``first`` and ``last`` inclusive."""
        return self.filter(starts_on__lte=last).filter(
            models.Q(ends_on__gte=first) | models.Q(ends_on__isnull=True, starts_on__gte=first)
        )

    def year_ahead(self, today: date):
        return self.between(today, today + timedelta(days=365))


class CalendarDate(index.Indexed, models.Model):
    """A cultural or faith celebration, commemoration or awareness day, week or month."""

    class Kind(models.TextChoices):
        CULTURAL = "cultural", "Cultural celebration"
        FAITH = "faith", "Faith celebration"
        AWARENESS = "awareness", "Awareness day, week or month"
        COMMEMORATION = "commemoration", "Commemoration"

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(
        null=True, blank=True, help_text="For a week or a month. Leave blank for a single day."
    )
    date_may_vary = models.BooleanField(
        default=False,
        help_text="Tick if the date depends on the sighting of the moon or on local custom.",
    )
    description = models.TextField(
        blank=True, help_text="What it marks and who celebrates it, in a sentence or two."
    )
    more_information_url = models.URLField("more information", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CalendarDateQuerySet.as_manager()

    panels = [
        FieldPanel("title"),
        FieldPanel("kind"),
        FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
        FieldPanel("date_may_vary"),
        FieldPanel("description"),
        FieldPanel("more_information_url"),
    ]
    search_fields = [
        index.SearchField("title"),
        index.AutocompleteField("title"),
        index.SearchField("description"),
        index.FilterField("kind"),
    ]

    class Meta:
        ordering = ["starts_on", "title"]
        verbose_name = "calendar date"
        indexes = [models.Index(fields=["starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="calendar_date_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({date_format(self.starts_on, 'j F Y')})"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The end date must be on or after the start date."})

    @property
    def last_day(self) -> date:
        return self.ends_on or self.starts_on

    @property
    def is_single_day(self) -> bool:
        return self.ends_on is None or self.ends_on == self.starts_on
