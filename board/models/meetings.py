from django.conf import settings
from django.db import models

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.search import index


class Meeting(index.Indexed, ClusterableModel):
    class NotesStatus(models.TextChoices):
        NONE = "none", "No notes yet"
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved and published"

    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    location = models.CharField(max_length=255, blank=True)
    online_link = models.URLField(blank=True)
    agenda = RichTextField(blank=True, features=["h3", "bold", "italic", "ol", "ul", "link"])
    notes = RichTextField(blank=True, features=["h3", "bold", "italic", "ol", "ul", "link"])
    notes_status = models.CharField(
        max_length=10, choices=NotesStatus.choices, default=NotesStatus.NONE
    )
    notes_approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Attendance", related_name="board_meetings", blank=True
    )

    search_fields = [index.SearchField("title"), index.SearchField("notes")]

    panels = [
        FieldPanel("title"),
        MultiFieldPanel(
            [FieldPanel("starts_at"), FieldPanel("location"), FieldPanel("online_link")],
            heading="When and where",
        ),
        FieldPanel("agenda"),
        InlinePanel("attendance", heading="Attendance", label="Member"),
        MultiFieldPanel(
            [FieldPanel("notes"), FieldPanel("notes_status")],
            heading="Notes",
            help_text="Notes are published on the board's meeting notes page once approved.",
        ),
    ]

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%d %B %Y})"


class Attendance(models.Model):
    meeting = ParentalKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="board_attendance"
    )
    attended = models.BooleanField(default=True)

    panels = [FieldPanel("member"), FieldPanel("attended")]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member} at {self.meeting}"
