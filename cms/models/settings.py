from django.db import models

from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

DEFAULT_ALTERNATIVE_FORMATS_TEXT = (
    "This information is available in large print, Braille, audio or other languages on request."
)


@register_setting(icon="cog")
class SiteSettings(BaseSiteSetting):
    """The council's details, shown in the header and footer of every page."""

    council_name = models.CharField(max_length=120, default="Your Council")
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    accessibility_statement_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The site's accessibility statement page, linked from every page's footer.",
    )
    accessibility_statement_url = models.URLField(
        blank=True, help_text="Use this if the statement is published elsewhere."
    )
    alternative_formats_text = models.TextField(
        default=DEFAULT_ALTERNATIVE_FORMATS_TEXT,
        help_text="Shown in the footer of every page.",
    )

    panels = [
        FieldPanel("council_name"),
        MultiFieldPanel(
            [FieldPanel("contact_email"), FieldPanel("contact_phone")], heading="Contact"
        ),
        MultiFieldPanel(
            [
                PageChooserPanel(
                    "accessibility_statement_page", page_type="cms.AccessibilityStatementPage"
                ),
                FieldPanel("accessibility_statement_url"),
            ],
            heading="Accessibility",
        ),
        FieldPanel("alternative_formats_text"),
    ]

    class Meta:
        verbose_name = "Council details"

    def __str__(self) -> str:
        return self.council_name

    @property
    def accessibility_statement_link(self) -> str:
        if self.accessibility_statement_page_id and self.accessibility_statement_page.live:
            return self.accessibility_statement_page.url
        return self.accessibility_statement_url
