from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Membership(models.Model):
    """One term of board membership. A member serving again has a new membership per term."""

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        CHAIR = "chair", "Chair"
        VICE_CHAIR = "vice_chair", "Vice-chair"

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="board_memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    term_starts = models.DateField()
    term_ends = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["term_ends", "member__last_name"]
        permissions = [
            ("erase_member", "Can erase a former board member's personal data"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_ends__gt=models.F("term_starts")),
                name="membership_term_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} ({self.get_role_display()}, {self.term_starts} to {self.term_ends})"

    def clean(self) -> None:
        if self.term_starts and self.term_ends and self.term_ends <= self.term_starts:
            raise ValidationError({"term_ends": "The term must end after it starts."})
        if self.member_id and self.term_starts and self.term_ends:
            overlapping = Membership.objects.filter(
                member_id=self.member_id,
                term_starts__lt=self.term_ends,
                term_ends__gt=self.term_starts,
            ).exclude(pk=self.pk)
            if overlapping.exists():
                raise ValidationError("This overlaps another term for the same member.")
        if self.term_starts and self.term_ends:
            months = self._term_length_months()
            # A calendar month is at most 31 days; allow for that rather than count months.
            if (self.term_ends - self.term_starts).days > months * 31:
                raise ValidationError(
                    {"term_ends": f"A term lasts at most {months} months (the board's rules)."}
                )

    @staticmethod
    def _term_length_months() -> int:
        from wagtail.models import Site

        from board.models.settings import BoardSettings

        site = Site.objects.filter(is_default_site=True).first()
        return BoardSettings.for_site(site).term_length_months if site else 24

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.term_starts <= today <= self.term_ends


class MemberSupportNeeds(models.Model):
    """What a member needs to take part. Seen only by engagement managers."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_needs"
    )
    access_needs = models.TextField(blank=True)
    preferred_language = models.CharField(max_length=80, blank=True)
    interpreter_needed = models.BooleanField(default=False)
    interpreter_language = models.CharField(
        max_length=80, blank=True, help_text="Including British Sign Language."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "member support needs"
        verbose_name_plural = "member support needs"

    def __str__(self) -> str:
        return f"Support needs of {self.member}"

    def clean(self) -> None:
        if self.interpreter_needed and not self.interpreter_language:
            raise ValidationError({"interpreter_language": "Say which language is needed."})


class BoardAsk(models.Model):
    """Something asked of a member beyond meetings: it counts towards their load."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", "Consultation"
        REVIEW = "review", "Document or policy review"
        PANEL = "panel", "Interview or recruitment panel"
        EVENT = "event", "Event or speaking"
        OTHER = "other", "Other"

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="board_asks"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.CharField(max_length=255)
    date = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["-date"]
        verbose_name = "ask of a member"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"
