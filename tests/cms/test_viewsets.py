"""The admin listings' shared behaviour: searching and sorting together never fail."""

from __future__ import annotations

import re
from html import unescape

import pytest

from django.urls import reverse

from wagtail.admin.viewsets import viewsets
from wagtail.admin.viewsets.model import ModelViewSet

from cms.viewsets import EscapedExportIndexView, EscapedExportSnippetIndexView
from engagement.models import Venue

pytestmark = pytest.mark.django_db

ORDERING_LINK = re.compile(r"[?&]ordering=([^&\"'#]+)")


def our_listings() -> list[ModelViewSet]:
    found = []
    for viewset in viewsets.viewsets:
        view_class = getattr(viewset, "index_view_class", None)
        if view_class and issubclass(
            view_class, (EscapedExportIndexView, EscapedExportSnippetIndexView)
        ):
            found.append(viewset)
    return found


def test_every_sort_of_every_searched_listing_answers(superuser_client):
    listings = our_listings()
    assert len(listings) >= 15  # every viewset of ours, not a handful
    failures = []
    for viewset in listings:
        name = (
            "list"
            if issubclass(viewset.index_view_class, EscapedExportSnippetIndexView)
            else "index"
        )
        url = reverse(viewset.get_url_name(name))
        page = superuser_client.get(url, {"q": "a"})
        assert page.status_code == 200, url
        orderings = set(ORDERING_LINK.findall(unescape(page.content.decode()))) | {"zz"}
        for ordering in sorted(orderings):
            response = superuser_client.get(url, {"q": "a", "ordering": ordering})
            if response.status_code != 200:
                failures.append(f"{url}?q=a&ordering={ordering}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_a_sorted_search_finds_the_matches_and_sorts_them(superuser_client):
    for name in ("Alpha Hall", "Beta Hall", "Gamma Room"):
        Venue.objects.create(name=name, address="1 High Street")
    url = reverse("wagtailsnippets_engagement_venue:list")
    body = superuser_client.get(url, {"q": "hall", "ordering": "-name"}).content.decode()
    assert "Gamma Room" not in body
    assert body.index("Beta Hall") < body.index("Alpha Hall")
    body = superuser_client.get(url, {"q": "hall", "ordering": "name"}).content.decode()
    assert body.index("Alpha Hall") < body.index("Beta Hall")


@pytest.fixture
def superuser_client(client_as):
    return client_as("superuser")
