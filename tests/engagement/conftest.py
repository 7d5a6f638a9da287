import pytest

from cms.models import HomePage
from tests.engagement.factories import (
    ActivityIndexPageFactory,
    CulturalCalendarPageFactory,
    EngagementHubPageFactory,
    EventIndexPageFactory,
    NewsIndexPageFactory,
    NewsletterIndexPageFactory,
    StoryIndexPageFactory,
)


@pytest.fixture
def home(db):
    return HomePage.objects.get()


@pytest.fixture
def hub(home):
    return EngagementHubPageFactory(parent=home)


@pytest.fixture
def activity_index(hub):
    return ActivityIndexPageFactory(parent=hub)


@pytest.fixture
def event_index(hub):
    return EventIndexPageFactory(parent=hub)


@pytest.fixture
def calendar_page(hub):
    return CulturalCalendarPageFactory(parent=hub)


@pytest.fixture
def story_index(hub):
    return StoryIndexPageFactory(parent=hub)


@pytest.fixture
def news_index(hub):
    return NewsIndexPageFactory(parent=hub)


@pytest.fixture
def newsletter_index(hub):
    return NewsletterIndexPageFactory(parent=hub)


@pytest.fixture
def run_on_commit(monkeypatch):
    """Run on-commit callbacks (emails) at once inside the test transaction."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda callback, *a, **k: callback())
