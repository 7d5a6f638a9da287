"""Stories, published only with the teller's consent."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    MultiFieldPanel,
)
from wagtail.fields import StreamField
from wagtail.search import index

from cms.blocks import BodyBlock
from cms.models import BasePage
from engagement.models.common import (
    PAGE_TEMPLATE_DIR,
)
from engagement.models.mixins import LeadImageMixin


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
