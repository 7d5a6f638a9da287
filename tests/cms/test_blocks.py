"""Every shared StreamField block renders through its template, and the accessibility rules the
blocks carry stop a page being saved: an image needs alt text, a video captions or a transcript."""

from __future__ import annotations

import re

import pytest
import wagtail_factories

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.loader import get_template

from wagtail.blocks import StreamValue
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms import blocks
from cms.models import HomePage

pytestmark = pytest.mark.django_db

BLOCK_TEMPLATES = {
    "rich_text": "rich_text.html",
    "call_out": "call_out.html",
    "accordion": "accordion.html",
    "image": "image.html",
    "video": "video.html",
    "document": "document.html",
    "quote": "quote.html",
    "key_figure": "key_figure.html",
    "alternative_formats": "alternative_formats.html",
}


def document(title: str, filename: str, content: bytes = b"x" * 2048):
    doc = wagtail_factories.DocumentFactory(title=title)
    doc.file.save(filename, ContentFile(content), save=False)
    doc.file_size = len(content)
    doc.save()
    return doc


def render(block, raw: dict | str) -> str:
    return str(block.render(block.to_python(raw) if isinstance(raw, dict) else raw))


def clean(block, value: dict):
    return block.clean(block.to_python(value))


def test_every_body_block_has_a_template_that_exists():
    body = blocks.BodyBlock()
    assert set(body.child_blocks) == set(BLOCK_TEMPLATES)
    for name, child in body.child_blocks.items():
        template = child.meta.template
        assert template == f"components/streamfield/blocks/{BLOCK_TEMPLATES[name]}"
        get_template(template)  # raises if missing
    get_template(body.meta.template)


# --- Rich text and call-out -------------------------------------------------------------------


def test_rich_text_block_renders():
    html = str(blocks.RichTextBlock().render(blocks.RichTextBlock().to_python("<p>Hello</p>")))
    assert html.strip() == '<div class="govuk-body app-prose"><p>Hello</p></div>'


def test_call_out_block_renders():
    html = render(blocks.CallOutBlock(), {"heading": "Formats", "text": "<p>Large print</p>"})
    assert '<div class="govuk-inset-text">' in html
    assert '<h2 class="govuk-heading-m">Formats</h2>' in html
    assert "<p>Large print</p>" in html


# --- Accordion --------------------------------------------------------------------------------


def test_accordion_block_renders_govuk_accordion_with_unique_ids():
    block = blocks.AccordionBlock()
    value = {
        "sections": [
            {"heading": "Why we ask", "content": "<p>Because it matters.</p>"},
            {"heading": "How we report", "content": "<p>You said, we did.</p>"},
        ]
    }
    html = render(block, value)
    assert 'class="govuk-accordion" data-module="govuk-accordion"' in html
    assert html.count('class="govuk-accordion__section"') == 2
    accordion_id = re.search(r'class="govuk-accordion" [^>]*id="([^"]+)"', html).group(1)
    assert f'id="{accordion_id}-heading-1"' in html
    assert f'id="{accordion_id}-content-2"' in html
    assert "<p>Because it matters.</p>" in html
    # Two accordions on one page never share ids.
    assert accordion_id != re.search(r'id="(accordion-[^"]+)"', render(block, value)).group(1)


def test_accordion_ids_come_from_the_stream_block_id():
    body = blocks.BodyBlock()
    stream = StreamValue(
        body,
        [
            {
                "type": "accordion",
                "id": "0c4c5f2a-1111-2222-3333-444455556666",
                "value": {"sections": [{"heading": "A", "content": "<p>B</p>"}]},
            }
        ],
        is_lazy=True,
    )
    html = str(stream.render_as_block())
    assert 'id="accordion-0c4c5f2a-1111-2222-3333-444455556666"' in html


def test_accordion_needs_a_section():
    with pytest.raises(ValidationError):
        clean(blocks.AccordionBlock(), {"sections": []})


# --- Image ------------------------------------------------------------------------------------


def test_image_block_renders_with_its_alt_text_and_caption():
    image = wagtail_factories.ImageFactory()
    html = render(
        blocks.ImageBlock(),
        {"image": image.pk, "alt_text": "Volunteers at the food bank.", "caption": "March 2026"},
    )
    assert re.search(r'<img [^>]*alt="Volunteers at the food bank\."', html)
    assert 'class="app-image"' in html
    assert "<figcaption" in html and "March 2026" in html


@pytest.mark.parametrize("alt_text", ["", "   ", "image", "Photo."])
def test_image_block_refuses_missing_or_meaningless_alt_text(alt_text):
    image = wagtail_factories.ImageFactory()
    with pytest.raises(ValidationError) as error:
        clean(blocks.ImageBlock(), {"image": image.pk, "alt_text": alt_text, "caption": ""})
    assert "alt_text" in error.value.block_errors


# --- Video ------------------------------------------------------------------------------------


def test_video_file_with_captions_renders_a_video_element():
    video = document("Launch video", "launch.mp4")
    captions = document("Launch captions", "launch.vtt", b"WEBVTT\n")
    value = {
        "title": "Our launch",
        "video": video.pk,
        "url": "",
        "captions": captions.pk,
        "transcript": "",
    }
    assert clean(blocks.VideoBlock(), value)
    html = render(blocks.VideoBlock(), value)
    assert "<video" in html and " controls" in html
    assert f'<source src="{video.url}" type="video/mp4">' in html
    assert f'<track kind="captions" src="{captions.url}" srclang="en" label="English" default>' in (
        html
    )
    assert "Transcript" not in html


def test_linked_video_with_transcript_renders_a_link_not_an_embed():
    value = {
        "title": "Why reporting matters",
        "video": None,
        "url": "https://www.youtube.com/watch?v=abc",
        "captions": None,
        "transcript": "<p>A community worker explains.</p>",
    }
    assert clean(blocks.VideoBlock(), value)
    html = render(blocks.VideoBlock(), value)
    assert "<iframe" not in html and "<video" not in html
    assert 'href="https://www.youtube.com/watch?v=abc"' in html
    assert "Watch Why reporting matters on youtube.com" in html
    assert '<details class="govuk-details' in html
    assert "A community worker explains." in html


@pytest.mark.parametrize(
    ("value", "error_field"),
    [
        # No captions and no transcript.
        ({"url": "https://example.org/v", "transcript": ""}, "transcript"),
        ({"url": "https://example.org/v", "transcript": "<p> </p>"}, "transcript"),
        ({"video": "mp4", "transcript": ""}, "transcript"),
        # Captions belong to a video file, and must be WebVTT.
        ({"url": "https://example.org/v", "captions": "vtt", "transcript": ""}, "captions"),
        ({"video": "mp4", "captions": "pdf"}, "captions"),
        # Exactly one source, and a playable one.
        ({"transcript": "<p>Words.</p>"}, "video"),
        ({"video": "pdf", "transcript": "<p>Words.</p>"}, "video"),
        ({"video": "mp4", "url": "https://example.org/v", "transcript": "<p>W</p>"}, "url"),
    ],
)
def test_video_block_refuses_a_video_without_captions_or_transcript(value, error_field):
    files = {
        "mp4": document("Video", "film.mp4"),
        "vtt": document("Captions", "film.vtt", b"WEBVTT\n"),
        "pdf": document("Not a video", "film.pdf"),
    }
    raw = {"title": "A video", "video": None, "url": "", "captions": None, "transcript": ""}
    raw.update(value)
    for key in ("video", "captions"):
        if isinstance(raw[key], str):
            raw[key] = files[raw[key]].pk
    with pytest.raises(ValidationError) as error:
        clean(blocks.VideoBlock(), raw)
    assert error_field in error.value.block_errors


# --- Document, quote, key figure, alternative formats -----------------------------------------


def test_document_block_shows_format_and_size():
    report = document("Engagement report", "report.pdf", b"%PDF-1.4" + b"x" * 250_000)
    html = render(
        blocks.DocumentDownloadBlock(),
        {"document": report.pk, "title": "", "description": "Everything we heard."},
    )
    assert f'href="{report.url}"' in html
    assert ">Engagement report<" in html
    assert "PDF, 244.1\xa0KB" in html
    assert "Everything we heard." in html

    sheet = document("Data", "data.xlsx")
    html = render(
        blocks.DocumentDownloadBlock(),
        {"document": sheet.pk, "title": "The figures", "description": ""},
    )
    assert ">The figures<" in html
    assert "Excel spreadsheet (XLSX), 2.0\xa0KB" in html


def test_quote_block_renders_a_figure_with_attribution():
    html = render(
        blocks.QuoteBlock(),
        {"quote": "Food is how we say welcome.", "attribution": "Mrs Begum", "role": "resident"},
    )
    assert "<figure" in html and "<blockquote" in html
    assert "Food is how we say welcome." in html
    assert "<figcaption" in html and "Mrs Begum, resident" in html
    html = render(blocks.QuoteBlock(), {"quote": "Unattributed.", "attribution": "", "role": ""})
    assert "<figcaption" not in html


def test_key_figure_block_reads_as_one_sentence():
    html = render(
        blocks.KeyFigureBlock(),
        {"figure": "72%", "label": "of staff agree", "source": "Staff survey 2026"},
    )
    assert re.search(r"<p [^>]*>\s*<span [^>]*>72%</span> <span [^>]*>of staff agree</span>", html)
    assert "Source: Staff survey 2026" in html


def test_alternative_formats_block_marks_each_language():
    translation = document("Polish version", "polski.pdf")
    value = {
        "heading": "Other formats and languages",
        "text": "",
        "languages": [
            {
                "language": "Polish",
                "native_name": "Polski",
                "language_code": "pl",
                "document": translation.pk,
                "url": "",
            },
            {
                "language": "Urdu",
                "native_name": "اردو",
                "language_code": "ur",
                "document": None,
                "url": "https://example.org/ur",
            },
            {
                "language": "British Sign Language",
                "native_name": "",
                "language_code": "",
                "document": None,
                "url": "",
            },
        ],
    }
    html = render(blocks.AlternativeFormatsBlock(), value)
    assert '<h2 class="govuk-heading-m">Other formats and languages</h2>' in html
    assert "available in large print, Braille, audio or other languages on request" in html
    assert f'href="{translation.url}" hreflang="pl"' in html
    assert '<span lang="pl" dir="auto">Polski</span> (Polish)' in html
    assert '<span lang="ur" dir="auto">اردو</span> (Urdu)' in html
    assert "British Sign Language: on request" in html


def test_a_language_named_in_itself_needs_its_code():
    with pytest.raises(ValidationError) as error:
        clean(
            blocks.LanguageVersionBlock(),
            {"language": "Urdu", "native_name": "اردو", "language_code": "", "url": ""},
        )
    assert "language_code" in error.value.block_errors
    with pytest.raises(ValidationError):
        clean(
            blocks.LanguageVersionBlock(),
            {"language": "Urdu", "native_name": "", "language_code": "not a code!", "url": ""},
        )


def test_alternative_formats_block_uses_the_council_details_in_a_page(client):
    from wagtail.models import Site

    from cms.models import SiteSettings

    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.alternative_formats_text = "ASK-US: large print and Easy Read on request."
    site_settings.contact_email = "formats@example.org"
    site_settings.save()
    home = HomePage.objects.get()
    home.body = [("alternative_formats", {"heading": "Formats", "text": "", "languages": []})]
    home.save_revision().publish()
    body = client.get("/").content.decode()
    main = body.split('id="main-content"')[1].split("</main>")[0]
    assert "ASK-US: large print and Easy Read on request." in main
    assert 'href="mailto:formats@example.org"' in main


# --- Pages cannot be saved without the accessible parts ---------------------------------------


def _home_form(body_items):
    form_class = HomePage.get_edit_handler().get_form_class()
    home = HomePage.objects.get()
    data = nested_form_data(
        {
            "title": home.title,
            "slug": home.slug,
            "intro": "",
            "body": streamfield(body_items),
        }
    )
    return form_class(data=data, instance=home, parent_page=home.get_parent(), for_user=None)


def test_a_page_with_an_image_without_alt_text_cannot_be_saved():
    image = wagtail_factories.ImageFactory()
    form = _home_form([("image", {"image": image.pk, "alt_text": "", "caption": ""})])
    assert not form.is_valid()
    assert "body" in form.errors

    form = _home_form(
        [("image", {"image": image.pk, "alt_text": "A map of the area.", "caption": ""})]
    )
    assert form.is_valid(), form.errors


def test_a_page_with_a_video_without_captions_or_transcript_cannot_be_saved():
    video = {"title": "Launch", "video": "", "url": "https://example.org/v", "captions": ""}
    form = _home_form([("video", {**video, "transcript": rich_text("")})])
    assert not form.is_valid()
    assert "body" in form.errors

    form = _home_form([("video", {**video, "transcript": rich_text("<p>What is said.</p>")})])
    assert form.is_valid(), form.errors


def test_the_home_and_board_pages_offer_every_block():
    from board.models import BoardIndexPage

    for model in (HomePage, BoardIndexPage):
        stream_block = model._meta.get_field("body").stream_block
        assert set(stream_block.child_blocks) == set(BLOCK_TEMPLATES)
