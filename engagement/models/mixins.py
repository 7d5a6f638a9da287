"""Fields shared by engagement pages."""

from __future__ import annotations

from django.db import models

from wagtail.admin.panels import FieldPanel, MultiFieldPanel


class LeadImageMixin(models.Model):
    """An optional image, which must come with its alt text."""

    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image_alt = models.CharField(
        "image alt text",
        max_length=250,
        blank=True,
        help_text="Describe what the image shows for people who cannot see it. Required with "
        "an image.",
    )

    image_panels = [
        MultiFieldPanel([FieldPanel("image"), FieldPanel("image_alt")], heading="Image")
    ]

    class Meta:
        abstract = True

    def image_errors(self) -> dict[str, str]:
        if self.image_id and not (self.image_alt or "").strip():
            return {"image_alt": "Enter alt text for the image: describe what it shows."}
        return {}
