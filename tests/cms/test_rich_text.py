"""Links in a body's rich text: fetched once for the whole body, expanded as Wagtail does."""

from __future__ import annotations

import pytest
import wagtail_factories

from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.models import Page
from wagtail.rich_text import RichText, expand_db_html

from cms.blocks import BodyBlock
from cms.models import HomePage

pytestmark = pytest.mark.django_db


def _body(links: list[tuple[Page, object]]):
    """One rich text block per (page, document) pair, and an accordion section for each."""
    block = BodyBlock()
    stream = []
    for page, document in links:
        html = (
            f'<p><a linktype="page" id="{page.pk}">{page.title}</a> and '
            f'<a linktype="document" id="{document.pk}">{document.title}</a></p>'
        )
        stream.append(("rich_text", RichText(html)))
        stream.append(("accordion", {"sections": [{"heading": "More", "content": RichText(html)}]}))
    return block.to_python(block.get_prep_value(block.normalize(stream)))


def _links(count: int, start: int = 0) -> list[tuple[Page, object]]:
    home = HomePage.objects.get()
    pairs = []
    for number in range(start, start + count):
        page = home.add_child(instance=Page(title=f"Linked {number}", slug=f"linked-{number}"))
        pairs.append((page, wagtail_factories.DocumentFactory(title=f"Document {number}")))
    return pairs


def test_links_expand_to_the_pages_and_documents():
    (page, document), (other, _) = _links(2)
    html = _body([(page, document), (other, document)]).render_as_block()
    assert f'<a href="{page.url}">Linked 0</a>' in html
    assert f'<a href="{other.url}">Linked 1</a>' in html
    assert f'<a href="{document.url}">Document 0</a>' in html
    assert "linktype" not in html


def test_a_link_to_a_deleted_page_loses_its_target_as_in_wagtail():
    ((page, document),) = _links(1)
    body = _body([(page, document)])
    page.delete()
    html = body.render_as_block()
    assert "<a>Linked 0</a>" in html
    assert "<a>Linked 0</a>" in expand_db_html(f'<a linktype="page" id="{page.pk}">Linked 0</a>')


def test_a_body_reads_its_links_in_the_same_queries_however_many_blocks_link():
    few, many = _links(2), _links(20, start=2)
    _body(few).render_as_block()  # settle per-process caches (site root paths)
    with CaptureQueriesContext(connection) as two:
        _body(few).render_as_block()
    with CaptureQueriesContext(connection) as twenty:
        _body(many).render_as_block()
    assert len(twenty) == len(two) <= 3, [query["sql"] for query in twenty.captured_queries]


def test_rich_text_outside_a_body_still_expands():
    ((page, _),) = _links(1)
    html = expand_db_html(f'<a linktype="page" id="{page.pk}">x</a>')
    assert html == f'<a href="{page.url}">x</a>'
