"""News and newsletters, with their RSS feeds."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property

from wagtail.admin.panels import (
    FieldPanel,
    HelpPanel,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.search import index

from cms.blocks import BodyBlock
from cms.models import BasePage
from engagement.models.common import (
    PAGE_TEMPLATE_DIR,
)
from engagement.models.mixins import LeadImageMixin


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
