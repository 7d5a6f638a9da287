"""Shared StreamField blocks. Each has a template under templates/components/streamfield/blocks/.

Accessibility rules live in the blocks themselves, so no page can be saved without them: an
image needs alt text, a video needs captions or a transcript, a document shows its format and
size, a language link carries its ``lang``.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

BLOCK_TEMPLATE_DIR = "components/streamfield/blocks"

INLINE_FEATURES = ["bold", "italic", "link", "document-link", "ul", "ol"]

# Alt text that says nothing about the image.
MEANINGLESS_ALT_TEXT = {"image", "picture", "photo", "photograph", "graphic", "img", "alt"}

VIDEO_EXTENSIONS = {"mp4": "video/mp4", "webm": "video/webm"}
CAPTION_EXTENSIONS = {"vtt"}

# Human names for the document formats the library accepts (WAGTAILDOCS_EXTENSIONS).
DOCUMENT_FORMATS = {
    "csv": "CSV",
    "docx": "Word document (DOCX)",
    "mp4": "MP4 video",
    "odp": "OpenDocument presentation (ODP)",
    "ods": "OpenDocument spreadsheet (ODS)",
    "odt": "OpenDocument text (ODT)",
    "pdf": "PDF",
    "pptx": "PowerPoint presentation (PPTX)",
    "rtf": "Rich Text Format (RTF)",
    "txt": "Plain text",
    "vtt": "WebVTT captions",
    "webm": "WebM video",
    "xlsx": "Excel spreadsheet (XLSX)",
}

language_code_validator = RegexValidator(
    r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
    "Enter a language code such as pl, ur, pa-Guru or zh-Hant.",
)


def _error(message: str) -> ValidationError:
    return ValidationError(message)


def _rich_text_is_empty(value) -> bool:
    source = getattr(value, "source", value) or ""
    return not re.sub(r"<[^>]+>|&nbsp;|\s", "", str(source))


def document_format(document) -> str:
    extension = (document.file_extension or "").lower()
    return DOCUMENT_FORMATS.get(extension, extension.upper() or "File")


class RichTextBlock(blocks.RichTextBlock):
    class Meta:
        template = f"{BLOCK_TEMPLATE_DIR}/rich_text.html"
        icon = "pilcrow"
        features = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]


class CallOutBlock(blocks.StructBlock):
    """Text set apart from the content around it (GOV.UK inset text)."""

    heading = blocks.CharBlock(required=False, max_length=120)
    text = blocks.RichTextBlock(features=["bold", "italic", "link", "ul", "ol"])

    class Meta:
        template = f"{BLOCK_TEMPLATE_DIR}/call_out.html"
        icon = "help"
        label = "Call-out"


class AccordionSectionBlock(blocks.StructBlock):
    # No summary line: it sits inside the section's button, and GOV.UK's accessibility review
    # found that much text in a button unexpected (alphagov/govuk-frontend#2336).
    heading = blocks.CharBlock(max_length=120)
    content = blocks.RichTextBlock(features=["h3", *INLINE_FEATURES])

    class Meta:
        icon = "list-ul"
        label = "Section"


class AccordionBlock(blocks.StructBlock):
    """Sections that open and close (GOV.UK accordion); all open without JavaScript."""

    sections = blocks.ListBlock(AccordionSectionBlock(), min_num=1)

    class Meta:
        template = f"{BLOCK_TEMPLATE_DIR}/accordion.html"
        icon = "list-ul"
        label = "Accordion"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        # The stream child's id keeps the section ids stable between renders; a bare render
        # (a preview, a test) gets a random one. Ids must be unique on the page either way.
        block = (parent_context or {}).get("block")
        block_id = getattr(block, "id", None) if block is not None else None
        context["accordion_id"] = f"accordion-{block_id or uuid.uuid4().hex[:12]}"
        return context


class ImageBlock(blocks.StructBlock):
    """An image with the alt text it must have, and an optional caption."""

    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        max_length=250,
        help_text="Describe what the image shows for people who cannot see it. "
        "Required: a page with an image and no alt text cannot be saved.",
    )
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        template = f"{BLOCK_TEMPLATE_DIR}/image.html"
        icon = "image"
        label = "Image"

    def clean(self, value):
        result = super().clean(value)
        alt_text = (result.get("alt_text") or "").strip()
        if alt_text.lower().rstrip(".") in MEANINGLESS_ALT_TEXT:
            raise StructBlockValidationError(
                block_errors={"alt_text": _error("Describe what the image shows.")}
            )
        return result


class VideoBlock(blocks.StructBlock):
    """A video file played on the page, or a link to a video elsewhere, always with captions
    (for a file) or a transcript.

    Videos on other sites are linked, not embedded: the site's Content-Security-Policy allows no
    third-party frames, and a link sends no visitor data to the video host until they choose.
    """

    title = blocks.CharBlock(max_length=200)
    video = DocumentChooserBlock(
        required=False,
        help_text="A video file (MP4 or WebM) from the documents library, played on this page.",
    )
    url = blocks.URLBlock(
        required=False,
        label="Video address",
        help_text="Or the address of the video on another site (for example YouTube).",
    )
    captions = DocumentChooserBlock(
        required=False, help_text="Captions for the video file, as a WebVTT (.vtt) document."
    )
    transcript = blocks.RichTextBlock(
        required=False,
        features=["bold", "italic", "link", "ul", "ol"],
        help_text="What is said and shown in the video. Required for a linked video.",
    )

    class Meta:
        template = f"{BLOCK_TEMPLATE_DIR}/video.html"
        icon = "media"
        label = "Video"

    def clean(self, value):
        result = super().clean(value)
        errors = {}
        video, url, captions = result.get("video"), result.get("url"), result.get("captions")
        if video and url:
            errors["url"] = _error("Choose a video file or enter a video address, not both.")
        elif not video and not url:
            errors["video"] = _error("Choose a video file or enter the video's address.")
        if video and (video.file_extension or "").lower() not in VIDEO_EXTENSIONS:
            errors["video"] = _error("The video file must be an MP4 or WebM file.")
        if captions:
            if not video:
                errors["captions"] = _error(
                    "Captions can only be added to a video file. For a linked video, add a "
                    "transcript."
                )
            elif (captions.file_extension or "").lower() not in CAPTION_EXTENSIONS:
                errors["captions"] = _error("Captions must be a WebVTT (.vtt) file.")
        has_transcript = not _rich_text_is_empty(result.get("transcript"))
        if not captions and not has_transcript:
            errors["transcript"] = _error(
                "Add captions or a transcript: every video needs one."
                if video
                else "Add a transcript: a linked video needs one."
            )
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return result

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        if value.get("video"):
            extension = (value["video"].file_extension or "").lower()
            context["video_type"] = VIDEO_EXTENSIONS.get(extension, "")
        if value.get("url"):
            host = urlparse(value["url"]).hostname or ""
            context["video_host"] = host.removeprefix("www.")
        context["has_transcript"] = not _rich_text_is_empty(value.get("transcript"))
        return context


class DocumentDownloadBlock(blocks.StructBlock):
    """A document to download, with its format and size shown (GOV.UK attachment)."""

    document = DocumentChooserBlock()
    title = blocks.CharBlock(
        required=False, max_length=200, help_text="Leave blank to use the document's title."
    )
    description = blocks.CharBlock(required=False, max_length=300)

    class Meta:
        template = f"{BLOCK_TEMPLATE_DIR}/document.html"
        icon = "doc-full"
        label = "Document download"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        document = value.get("document")
        if document is not None:
            context["document"] = document
            context["title"] = value.get("title") or document.title
            context["format"] = document_format(document)
            context["size"] = document.get_file_size()
        return context


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(
        required=False, max_length=120, help_text="Who said it. Only with their consent."
    )
    role = blocks.CharBlock(
        required=False, max_length=120, help_text="For example: resident, Weston-super-Mare."
    )

    class Meta:
        template = f"{BLOCK_TEMPLATE_DIR}/quote.html"
        icon = "openquote"
        label = "Quote"


class KeyFigureBlock(blocks.StructBlock):
    """One number that matters, said in words beside it."""

    figure = blocks.CharBlock(max_length=20, help_text="For example: 72% or 1,240.")
    label = blocks.CharBlock(
        max_length=200,
        help_text="What the figure counts, as the rest of a sentence: "
        "'of staff agree the council promotes equality of opportunity'.",
    )
    source = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        template = f"{BLOCK_TEMPLATE_DIR}/key_figure.html"
        icon = "order"
        label = "Key figure"


class LanguageVersionBlock(blocks.StructBlock):
    language = blocks.CharBlock(max_length=60, help_text="In English, for example: Polish.")
    native_name = blocks.CharBlock(
        required=False, max_length=60, help_text="In the language itself, for example: Polski."
    )
    language_code = blocks.CharBlock(
        required=False,
        max_length=20,
        validators=[language_code_validator],
        help_text="Needed with the name in the language, so screen readers pronounce it: pl, "
        "ur, ar, pa, zh-Hant.",
    )
    document = DocumentChooserBlock(required=False)
    url = blocks.URLBlock(required=False, label="Or a web address")

    class Meta:
        icon = "globe"
        label = "Language"

    def clean(self, value):
        result = super().clean(value)
        errors = {}
        if result.get("native_name") and not result.get("language_code"):
            errors["language_code"] = _error(
                "Enter the language code, so the name is read out in its own language."
            )
        if result.get("document") and result.get("url"):
            errors["url"] = _error("Choose a document or enter a web address, not both.")
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return result


class AlternativeFormatsBlock(blocks.StructBlock):
    """How to get this information in another format or language."""

    heading = blocks.CharBlock(max_length=120, default="Other formats and languages")
    text = blocks.RichTextBlock(
        required=False,
        features=INLINE_FEATURES,
        help_text="Leave blank to use the council's standard text from Council details.",
    )
    languages = blocks.ListBlock(
        LanguageVersionBlock(),
        default=[],
        help_text="Translations of this information, or languages it is available in on request.",
    )

    class Meta:
        template = f"{BLOCK_TEMPLATE_DIR}/alternative_formats.html"
        icon = "globe"
        label = "Alternative formats and languages"

    def get_context(self, value, parent_context=None):
        from cms.models.settings import DEFAULT_ALTERNATIVE_FORMATS_TEXT

        context = super().get_context(value, parent_context=parent_context)
        context["default_text"] = DEFAULT_ALTERNATIVE_FORMATS_TEXT
        return context


class BodyBlock(blocks.StreamBlock):
    rich_text = RichTextBlock()
    call_out = CallOutBlock()
    accordion = AccordionBlock()
    image = ImageBlock()
    video = VideoBlock()
    document = DocumentDownloadBlock()
    quote = QuoteBlock()
    key_figure = KeyFigureBlock()
    alternative_formats = AlternativeFormatsBlock()

    class Meta:
        template = f"{BLOCK_TEMPLATE_DIR}/body.html"

    def render(self, value, context=None):
        # Every page and document linked from the body's rich text in three queries, not one
        # or two for each block that links (cms.rich_text).
        from cms.rich_text import links_prefetched

        with links_prefetched(value):
            return super().render(value, context)
