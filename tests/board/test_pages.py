"""The board's public pages: where each may go, what each shows."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateformat import format as format_date

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from board.models import (
    BoardIndexPage,
    Meeting,
    MeetingNotesPage,
    TermsOfReferencePage,
    YouSaidWeDidPage,
)
from cms.models import HomePage
from tests.board.factories import (
    BoardIndexPageFactory,
    MeetingFactory,
    TermsOfReferencePageFactory,
)

pytestmark = pytest.mark.django_db

BOARD_CHILDREN = {TermsOfReferencePage, YouSaidWeDidPage, MeetingNotesPage}

# Field name -> the heading shown for it.
SECTIONS = {
    "purpose": "Purpose",
    "membership": "Membership",
    "decision_rights": "Decision rights",
    "confidentiality": "Confidentiality",
    "escalation_routes": "Escalation routes",
    "accessibility": "Accessibility",
    "remuneration_and_expenses": "Remuneration and expenses",
    "safeguarding": "Safeguarding",
    "trauma_informed_practice": "Trauma-informed practice",
    "translation_and_interpretation": "Translation and interpretation",
}


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def publish(page: Page) -> Page:
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def notes_page(parent, **fields) -> MeetingNotesPage:
    page = MeetingNotesPage(title="Meeting notes", slug="meeting-notes", **fields)
    parent.add_child(instance=page)
    return publish(page)


# --- Where each page may go -------------------------------------------------------------------


class TestBoardPageRules(WagtailPageTestCase):
    def test_board_index_sits_under_the_home_page_only_once_in_a_branch(self):
        self.assertCanCreateAt(HomePage, BoardIndexPage)
        for board_page_type in (BoardIndexPage, *BOARD_CHILDREN):
            self.assertCanNotCreateAt(board_page_type, BoardIndexPage)

    def test_board_index_holds_exactly_the_board_pages(self):
        self.assertAllowedSubpageTypes(BoardIndexPage, BOARD_CHILDREN)
        for child in BOARD_CHILDREN:
            self.assertCanCreateAt(BoardIndexPage, child)

    def test_board_pages_go_only_under_the_board_index_and_have_no_children(self):
        for child in BOARD_CHILDREN:
            self.assertAllowedParentPageTypes(child, {BoardIndexPage})
            self.assertCanNotCreateAt(HomePage, child)
            self.assertCanNotCreateAt(Page, child)
            self.assertAllowedSubpageTypes(child, set())


def test_one_of_each_board_page_per_board(board_page, you_said_page):
    assert TermsOfReferencePage.can_create_at(board_page)
    assert MeetingNotesPage.can_create_at(board_page)
    assert not YouSaidWeDidPage.can_create_at(board_page)  # the fixture made one

    TermsOfReferencePageFactory(parent=board_page)
    notes_page(board_page)

    board_page.refresh_from_db()
    assert not TermsOfReferencePage.can_create_at(board_page)
    assert not MeetingNotesPage.can_create_at(board_page)
    assert not YouSaidWeDidPage.can_create_at(board_page)
    # Each is still allowed by type: it is the count that stops a second.
    assert set(board_page.specific_class.allowed_subpage_models()) == BOARD_CHILDREN


# --- Every page renders -----------------------------------------------------------------------


def test_every_board_page_renders(client, board_page, you_said_page):
    board_page.intro = "Residents with lived experience advising the council."
    publish(board_page)
    terms = publish(TermsOfReferencePageFactory(parent=board_page))
    notes = notes_page(board_page, intro="What the board discussed.")

    body = page_text(client.get(board_page.url))
    assert '<h1 class="govuk-heading-xl">The board</h1>' in body
    assert "Residents with lived experience advising the council." in body
    for child in (terms, you_said_page, notes):
        assert f'href="{child.url}"' in body, child
        page_text(client.get(child.url))

    assert "Terms of Reference" in page_text(client.get(terms.url))
    assert "You said, we did" in page_text(client.get(you_said_page.url))
    assert "What the board discussed." in page_text(client.get(notes.url))


def test_board_index_lists_only_published_sections(client, board_page):
    draft = TermsOfReferencePageFactory(parent=board_page, title="Draft terms", live=False)
    body = page_text(client.get(board_page.url))
    assert "Draft terms" not in body
    assert client.get(draft.url or "/board/terms-of-reference/").status_code == 404

    publish(draft)
    assert "Draft terms" in page_text(client.get(board_page.url))


# --- Terms of Reference -----------------------------------------------------------------------


def test_terms_of_reference_shows_every_section_and_its_dates(client, board_page):
    texts = {name: f"<p>Text of the {name.upper()} section.</p>" for name in SECTIONS}
    terms = TermsOfReferencePageFactory(parent=board_page, agreed_on=date(2026, 3, 4), **texts)
    terms = publish(terms)

    body = page_text(client.get(terms.url))

    assert "Agreed on 4 March 2026." in body
    published = format_date(timezone.localtime(terms.last_published_at), "j F Y")
    assert f"This version was published on {published}." in body

    positions = []
    for name, heading in SECTIONS.items():
        anchor = name.replace("_", "-")
        assert f'<h3 class="govuk-heading-m" id="{anchor}">{heading}</h3>' in body, heading
        assert f'<a class="govuk-link" href="#{anchor}">{heading}</a>' in body, heading
        assert f"Text of the {name.upper()} section." in body, name
        positions.append(body.index(f"Text of the {name.upper()} section."))
    # In the order the action plan sets out, under two headings.
    assert positions == sorted(positions)
    assert body.index('<h2 class="govuk-heading-l">The board</h2>') < positions[0]
    assert '<h2 class="govuk-heading-l">How we work with members</h2>' in body
    assert len(re.findall(r'<h3 class="govuk-heading-m" id=', body)) == 10


def test_a_new_version_shows_its_new_published_date(client, board_page):
    terms = publish(TermsOfReferencePageFactory(parent=board_page))
    earlier = timezone.now() - timedelta(days=400)
    TermsOfReferencePage.objects.filter(pk=terms.pk).update(last_published_at=earlier)
    body = page_text(client.get(terms.url))
    assert f"published on {format_date(timezone.localtime(earlier), 'j F Y')}" in body


@pytest.mark.parametrize("missing", sorted(SECTIONS))
def test_terms_of_reference_needs_every_section(board_page, missing):
    with pytest.raises(ValidationError) as error:
        TermsOfReferencePageFactory(parent=board_page, **{missing: ""})
    assert missing in error.value.message_dict
    assert not TermsOfReferencePage.objects.exists()


def test_terms_of_reference_full_clean_refuses_a_blanked_section(board_page):
    terms = TermsOfReferencePageFactory(parent=board_page)
    terms.full_clean()  # complete: valid
    terms.safeguarding = ""
    with pytest.raises(ValidationError) as error:
        terms.full_clean()
    assert set(error.value.message_dict) == {"safeguarding"}

    terms.safeguarding = "<p>Safe.</p>"
    terms.agreed_on = None
    with pytest.raises(ValidationError) as error:
        terms.full_clean()
    assert "agreed_on" in error.value.message_dict


# --- Meeting notes ----------------------------------------------------------------------------


def test_meeting_notes_page_shows_only_approved_notes(client, board_page):
    approved = MeetingFactory(
        title="March board meeting",
        notes="<p>APPROVED-NOTES: we agreed the letters review.</p>",
        notes_status=Meeting.NotesStatus.APPROVED,
        location="Town hall",
    )
    MeetingFactory(
        title="April board meeting",
        notes="<p>DRAFT-NOTES: not yet agreed by members.</p>",
        notes_status=Meeting.NotesStatus.DRAFT,
    )
    MeetingFactory(title="May board meeting", notes="", notes_status=Meeting.NotesStatus.NONE)
    page = notes_page(board_page)

    body = page_text(client.get(page.url))

    assert "March board meeting" in body
    assert "APPROVED-NOTES: we agreed the letters review." in body
    assert "Town hall" in body
    assert format_date(timezone.localtime(approved.starts_at), "l j F Y") in body
    assert "DRAFT-NOTES" not in body
    assert "April board meeting" not in body
    assert "May board meeting" not in body


def test_meeting_notes_page_without_approved_notes_says_so(client, board_page):
    MeetingFactory(notes="<p>DRAFT-NOTES</p>", notes_status=Meeting.NotesStatus.DRAFT)
    body = page_text(client.get(notes_page(board_page).url))
    assert "No meeting notes have been published yet." in body
    assert "DRAFT-NOTES" not in body


def test_unpublished_board_page_is_not_served(client):
    home = HomePage.objects.get()
    page = BoardIndexPageFactory(parent=home, slug="hidden-board", live=False)
    assert client.get("/hidden-board/").status_code == 404
    publish(page)
    assert client.get("/hidden-board/").status_code == 200
