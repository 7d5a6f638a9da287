"""RSS feeds for news and newsletter issues (django.contrib.syndication), served by the index
pages at ``feed/``."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.syndication.views import Feed
from django.utils import timezone
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.html import escape

from engagement import selectors

FEED_LENGTH = 20


class DatedItemsFeed(Feed):
    feed_type = Rss201rev2Feed
    description_fallback = ""

    def __init__(self, index_page):
        super().__init__()
        self.index_page = index_page
        self.request = None

    def get_object(self, request, *args, **kwargs):
        self.request = request
        return self.index_page

    def title(self, obj):
        return obj.title

    def link(self, obj):
        return obj.get_full_url(self.request)

    def feed_url(self, obj):
        return self.request.build_absolute_uri() if self.request else None

    def description(self, obj):
        return obj.intro or obj.search_description or self.description_fallback

    def items(self, obj):
        return selectors.feed_items(model=obj.item_model, index=obj, limit=FEED_LENGTH)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        # Readers treat an RSS description as HTML: the plain-text intro is escaped to stay text.
        return escape(item.intro)

    def item_link(self, item):
        return item.get_full_url(self.request)

    def item_guid(self, item):
        return item.get_full_url(self.request)

    def item_pubdate(self, item):
        # The date editors set orders the archive; published time keeps same-day items apart.
        if item.first_published_at and timezone.localdate(item.first_published_at) == item.date:
            return item.first_published_at
        return timezone.make_aware(datetime.combine(item.date, time(9, 0)))

    def item_updateddate(self, item):
        return item.last_published_at


class NewsFeed(DatedItemsFeed):
    description_fallback = "News about the council's work with racially minoritised communities."


class NewsletterFeed(DatedItemsFeed):
    description_fallback = "Every issue of the newsletter."
