"""The admin listings' shared behaviour: searching and sorting together never fail."""

from __future__ import annotations

import re
from html import unescape

import pytest

from django.contrib.auth.models import Group
from django.urls import reverse

from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.viewsets import viewsets
from wagtail.admin.viewsets.model import ModelViewSet

from board.models import ExpenseClaim, MemberSupportNeeds
from cms import roles, services
from cms.viewsets import (
    EscapedExportIndexView,
    EscapedExportSnippetIndexView,
    YesNoColumn,
    _model_field,
)
from engagement.models import Venue
from tests.board.factories import (
    BoardMemberFactory,
    CouncilResponseFactory,
    MeetingFactory,
    publish_response,
)
from tests.surveys.factories import QuestionFactory

pytestmark = pytest.mark.django_db

ORDERING_LINK = re.compile(r"[?&]ordering=([^&\"'#]+)")


def our_listings() -> list[ModelViewSet]:
    reverse("wagtailadmin_home")  # Wagtail registers the viewsets as its URLs are first loaded.
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


# --- Headings and cells in words --------------------------------------------------------------

# "method" is what Wagtail made of a get_FOO_display heading; "Get status display" of a method.
CODE_WORDS = re.compile(r"^(method|get .*)$|_", re.IGNORECASE)
HEADING = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S)
CELL = re.compile(r"<td\b[^>]*>(.*?)</td>", re.S)
TAG = re.compile(r"<[^>]+>")


def _index_url(viewset) -> str:
    snippets = issubclass(viewset.index_view_class, EscapedExportSnippetIndexView)
    return reverse(viewset.get_url_name("list" if snippets else "index"))


def _columns(viewset):
    view = viewset.index_view_class(**viewset.get_index_view_kwargs())
    view.model = view.model or viewset.model  # a snippet's index view is given it at setup
    return view.columns


def test_every_listing_column_has_a_heading_in_words():
    wrong = []
    listings = our_listings()
    assert len(listings) >= 15
    for viewset in listings:
        for column in _columns(viewset):
            label = str(column.label).strip()
            if column.name == "bulk_actions":
                continue
            if CODE_WORDS.search(label):
                wrong.append(f"{viewset.model.__name__}: {label!r}")
            field = isinstance(column.accessor, str) and _model_field(
                viewset.model, column.accessor.replace(".", "__")
            )
            boolean = field and field.get_internal_type() == "BooleanField"
            if boolean and not isinstance(column, YesNoColumn | BooleanColumn):
                wrong.append(f"{viewset.model.__name__}: {label!r} would read True/False")
    assert not wrong, wrong


def _texts(pattern, html: str) -> list[str]:
    return [" ".join(unescape(TAG.sub(" ", cell)).split()) for cell in pattern.findall(html)]


def test_listings_read_in_words_as_the_admin_sees_them(superuser_client):
    QuestionFactory(required=True)
    MemberSupportNeeds.objects.create(member=BoardMemberFactory(), interpreter_needed=False)
    publish_response(CouncilResponseFactory())
    MeetingFactory()
    ExpenseClaim.objects.create(
        claimant=BoardMemberFactory(), kind="travel", amount="12.40", description="Bus"
    )
    services.invitation_create(
        email="new@example.org",
        role=Group.objects.get(name=roles.BOARD_MEMBERS),
        invited_by=superuser_client.user,
    )
    expected_cells = {
        "Question": "Yes",
        "MemberSupportNeeds": "No",
        "CouncilResponse": "Yes",
        "ExpenseClaim": "£12.40",
        "Invitation": "Pending",
    }
    for viewset in our_listings():
        url = _index_url(viewset)
        page = superuser_client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        headings = [h for h in _texts(HEADING, html) if h]
        cells = _texts(CELL, html)
        name = viewset.model.__name__
        assert not [h for h in headings if CODE_WORDS.search(h)], (url, headings)
        assert not {"True", "False"} & set(cells), (url, cells)
        if name in expected_cells:
            assert expected_cells[name] in cells, (url, cells)
