"""Engagement's models, one module per content area: the hub, activities ("We asked, you
said, we did"), events and the calendar of dates, stories, news and newsletters, plus the
snippets and newsletter subscribers.

Listings read through ``engagement.selectors`` and keep a fixed number of queries however many
children a page has. Feeds (RSS, iCalendar) are routes on the pages they belong to.
"""

from .activities import (
    ActivityAction,
    ActivityIndexPage,
    ActivityPage,
    ActivityRespondentGroup,
    ActivityTheme,
)
from .events import CulturalCalendarPage, EventIndexPage, EventPage
from .hub import EngagementHubPage
from .news import NewsIndexPage, NewsletterIndexPage, NewsletterIssuePage, NewsPage
from .newsletter import NewsletterSubscriber
from .snippets import CalendarDate, EventOrganiser, Venue
from .stories import StoryIndexPage, StoryPage

__all__ = [
    "ActivityAction",
    "ActivityIndexPage",
    "ActivityPage",
    "ActivityRespondentGroup",
    "ActivityTheme",
    "CalendarDate",
    "CulturalCalendarPage",
    "EngagementHubPage",
    "EventIndexPage",
    "EventOrganiser",
    "EventPage",
    "NewsIndexPage",
    "NewsPage",
    "NewsletterIndexPage",
    "NewsletterIssuePage",
    "NewsletterSubscriber",
    "StoryIndexPage",
    "StoryPage",
    "Venue",
]
