from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


@register_setting(icon="group")
class BoardSettings(BaseSiteSetting):
    """The council's rules for the board, edited by engagement managers."""

    term_length_months = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="How long one term of membership lasts.",
    )
    max_consecutive_terms = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="The most terms a member may serve in a row before a break.",
    )
    term_ending_notice_days = models.PositiveSmallIntegerField(
        default=90, help_text="Flag members whose term ends within this many days."
    )
    changes_target_per_year = models.PositiveSmallIntegerField(
        default=2,
        help_text="Target number of service or policy changes influenced by the board each year.",
    )
    response_due_days = models.PositiveSmallIntegerField(
        default=56, help_text="Default days from acknowledgement to the council's response."
    )

    class Meta:
        verbose_name = "Board rules"

    def __str__(self) -> str:
        return "Board rules"
