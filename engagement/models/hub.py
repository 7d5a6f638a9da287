"""The engagement hub: the front door to everything residents can take part in."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from wagtail.admin.panels import (
    FieldPanel,
)
from wagtail.fields import StreamField
from wagtail.search import index

from cms.blocks import BodyBlock
from cms.models import BasePage
from engagement.models.common import (
    PAGE_TEMPLATE_DIR,
)


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
