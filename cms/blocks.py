"""Shared StreamField blocks. Each has a template under templates/components/streamfield/blocks/."""

from wagtail import blocks

BLOCK_TEMPLATE_DIR = "components/streamfield/blocks"


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


class BodyBlock(blocks.StreamBlock):
    rich_text = RichTextBlock()
    call_out = CallOutBlock()

    class Meta:
        template = f"{BLOCK_TEMPLATE_DIR}/body.html"
