import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import BodyBlock


class BasePage(Page):
    """Every page type inherits this: social and search metadata, listing summary."""

    listing_summary = models.CharField(
        max_length=255,
        blank=True,
        help_text="A sentence shown where this page is listed. Defaults to the search description.",
    )
    social_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown when the page is shared on social media.",
    )

    promote_panels = [
        *Page.promote_panels,
        FieldPanel("listing_summary"),
        FieldPanel("social_image"),
    ]

    search_fields = [*Page.search_fields, index.SearchField("listing_summary")]

    class Meta:
        abstract = True

    @property
    def summary(self) -> str:
        return self.listing_summary or self.search_description

    def get_meta_title(self) -> str:
        return self.seo_title or self.title


class HomePage(BasePage):
    """The site's front page."""

    intro = models.TextField(max_length=500, blank=True)
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [*BasePage.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1
    template = "pages/home_page.html"

    class Meta:
        verbose_name = "home page"


ENFORCEMENT_PROCEDURE = (
    "<p>The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public "
    "Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 "
    "(the 'accessibility regulations'). If you're not happy with how we respond to your "
    'complaint, <a href="https://www.equalityadvisoryservice.com/">contact the Equality '
    "Advisory and Support Service (EASS)</a>.</p>"
)
STATEMENT_FEATURES = ["h3", "bold", "italic", "ol", "ul", "link", "document-link"]


class AccessibilityStatementPage(BasePage):
    """The site's accessibility statement, in the structure the 2018 regulations require.

    Point *Settings > Council details > Accessibility statement* at it to link it from the
    footer of every page.
    """

    class Compliance(models.TextChoices):
        FULL = "full", "Fully compliant"
        PARTIAL = "partial", "Partially compliant"
        NONE = "none", "Not compliant"

    intro = models.TextField(
        max_length=600,
        help_text="Which website this statement is for and who runs it.",
    )
    how_accessible = RichTextField(
        "how accessible this website is",
        features=STATEMENT_FEATURES,
        help_text="What people may find difficult, in plain English.",
    )
    feedback_and_contact = RichTextField(
        "feedback and contact information",
        features=STATEMENT_FEATURES,
        help_text="How to ask for information in another format, and how long a reply takes.",
    )
    reporting_problems = RichTextField(
        "reporting accessibility problems with this website", features=STATEMENT_FEATURES
    )
    enforcement_procedure = RichTextField(
        features=STATEMENT_FEATURES, default=ENFORCEMENT_PROCEDURE
    )
    compliance = models.CharField(
        "compliance with WCAG 2.2 AA", max_length=10, choices=Compliance.choices
    )
    non_accessible_content = RichTextField(
        features=STATEMENT_FEATURES,
        blank=True,
        help_text="Required unless fully compliant: each non-compliance, anything that would be "
        "a disproportionate burden, and content outside the regulations.",
    )
    improvements = RichTextField(
        "what we're doing to improve accessibility", features=STATEMENT_FEATURES, blank=True
    )
    prepared_on = models.DateField("statement prepared on")
    last_reviewed_on = models.DateField("statement last reviewed on")
    tested_on = models.DateField("website last tested on")
    tested_by = models.CharField(
        "how it was tested",
        max_length=300,
        help_text="Who tested it and how, for example: by our digital team, with axe-core and "
        "manual checks with a screen reader.",
    )

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("intro"),
        FieldPanel("how_accessible"),
        FieldPanel("feedback_and_contact"),
        FieldPanel("reporting_problems"),
        FieldPanel("enforcement_procedure"),
        MultiFieldPanel(
            [FieldPanel("compliance"), FieldPanel("non_accessible_content")],
            heading="Technical information",
        ),
        FieldPanel("improvements"),
        MultiFieldPanel(
            [
                FieldPanel("prepared_on"),
                FieldPanel("last_reviewed_on"),
                FieldPanel("tested_on"),
                FieldPanel("tested_by"),
            ],
            heading="Preparation of this statement",
        ),
    ]
    search_fields = [
        *BasePage.search_fields,
        index.SearchField("intro"),
        index.SearchField("how_accessible"),
        index.SearchField("non_accessible_content"),
    ]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count = 1
    template = "pages/accessibility_statement_page.html"

    class Meta:
        verbose_name = "accessibility statement"

    def clean(self):
        super().clean()
        errors = {}
        if self.compliance and self.compliance != self.Compliance.FULL:
            text = re.sub(r"<[^>]+>|\s", "", self.non_accessible_content or "")
            if not text:
                errors["non_accessible_content"] = (
                    "List the content that is not accessible, since the site is not fully "
                    "compliant."
                )
        if self.prepared_on and self.last_reviewed_on and self.last_reviewed_on < self.prepared_on:
            errors["last_reviewed_on"] = "The review cannot be before the statement was prepared."
        if self.tested_on and self.tested_on > timezone.localdate():
            errors["tested_on"] = "The test date cannot be in the future."
        if errors:
            raise ValidationError(errors)
