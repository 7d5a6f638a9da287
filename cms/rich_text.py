"""Page and document links in a StreamField's rich text, fetched once for the whole field.

Wagtail expands the links of each rich text value on its own: a body of twenty paragraphs or
accordion sections that each link a page costs forty queries. ``links_prefetched(stream)``
reads every link in the stream first (two queries for pages, one for documents) and, while the
stream renders, the link handlers below (registered in ``cms.wagtail_hooks``) answer from what
it read. Outside it they behave exactly as Wagtail's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from wagtail.documents import get_document_model
from wagtail.documents.rich_text import DocumentLinkHandler
from wagtail.models import Page
from wagtail.rich_text.pages import PageLinkHandler
from wagtail.rich_text.rewriters import FIND_A_TAG, extract_attrs

# {link type: {id as text: instance, or None where it no longer exists}}
_prefetched: ContextVar[dict[str, dict[str, object]] | None] = ContextVar(
    "rich_text_links", default=None
)


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def link_ids(raw_stream) -> dict[str, set[str]]:
    """The ids of the pages and documents linked from rich text anywhere in a stream's JSON.

    A malformed id is left out: its block then asks Wagtail's own handler, as it always did.
    """
    ids: dict[str, set[str]] = {"page": set(), "document": set()}
    for text in _strings(list(raw_stream)):
        if "linktype=" not in text:
            continue
        for attr_string in FIND_A_TAG.findall(text):
            attrs = extract_attrs(attr_string)
            if attrs.get("linktype") in ids and attrs.get("id", "").isdigit():
                ids[attrs["linktype"]].add(attrs["id"])
    return ids


def _fetch(ids: dict[str, set[str]]) -> dict[str, dict[str, object]]:
    fetched: dict[str, dict[str, object]] = {}
    if ids["page"]:
        pages = Page.objects.filter(id__in=ids["page"]).defer_streamfields().specific()
        found = {str(page.pk): page for page in pages}
        fetched["page"] = {pk: found.get(pk) for pk in ids["page"]}
    if ids["document"]:
        found = get_document_model().objects.in_bulk(ids["document"])
        fetched["document"] = {pk: found.get(int(pk)) for pk in ids["document"]}
    return fetched


@contextmanager
def links_prefetched(stream_value):
    ids = link_ids(stream_value.raw_data)
    token = _prefetched.set(_fetch(ids) if ids["page"] or ids["document"] else {})
    try:
        yield
    finally:
        _prefetched.reset(token)


class _FromPrefetched:
    identifier: str

    @classmethod
    def get_many(cls, attrs_list: list[dict]) -> list:
        known = (_prefetched.get() or {}).get(cls.identifier)
        wanted = [str(attrs.get("id")) for attrs in attrs_list]
        if known is None or any(pk not in known for pk in wanted):
            return super().get_many(attrs_list)
        return [known[pk] for pk in wanted]


class PrefetchedPageLinkHandler(_FromPrefetched, PageLinkHandler):
    pass


class PrefetchedDocumentLinkHandler(_FromPrefetched, DocumentLinkHandler):
    pass
