from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    ModelLogEntry,
    RevisionMixin,
    TaskState,
    WorkflowMixin,
)
from wagtail.search import index

FORMER_MEMBER = "a former board member"

# The audit-log actions of a council response's two-person rule (registered in wagtail_hooks).
# A withdrawal request is an entry in Wagtail's audit log, pending until one of the later
# actions follows it: the log is the record of who asked, who agreed and why.
WITHDRAWAL_REQUEST = "board.response.withdrawal_request"
WITHDRAWAL_CANCEL = "board.response.withdrawal_cancel"
WITHDRAWAL_REFUSE = "board.response.withdrawal_refuse"
WITHDRAWAL_AGREE = "board.response.withdrawal_agree"
OVERRIDE = "board.response.override"
WITHDRAWAL_ACTIONS = (
    WITHDRAWAL_REQUEST,
    WITHDRAWAL_CANCEL,
    WITHDRAWAL_REFUSE,
    WITHDRAWAL_AGREE,
    OVERRIDE,
)


class ServiceArea(models.Model):
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RecommendationQuerySet(models.QuerySet):
    def published(self):
        """Recommendations whose council response is live: the public "You said, we did"."""
        return self.filter(response__live=True)

    def visible_to_board(self):
        return self.exclude(status=Recommendation.Status.RECEIVED)

    def open(self):
        return self.exclude(status=Recommendation.Status.PUBLISHED)

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.open().filter(due_date__lt=today)

    def public_links(self) -> dict[int, tuple[str, str]]:
        """pk -> (text, url) on "You said, we did" for the published ones among these; two
        queries whatever their number. Other apps that link to a recommendation through a
        model relation (engagement's "We did") ask here rather than import the board."""
        from board.models.pages import YouSaidWeDidPage

        published = list(self.published().only("pk", "reference", "title"))
        if not published:
            return {}
        page = YouSaidWeDidPage.objects.live().public().first()
        if page is None:
            return {}
        return {
            r.pk: (f"board recommendation {r.reference}: {r.title}", f"{page.url}{r.reference}/")
            for r in published
        }


class Recommendation(index.Indexed, models.Model):
    """What a board member asks the council to change, and where it is in its lifecycle."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        UNDER_CONSIDERATION = "under_consideration", "Under consideration"
        RESPONSE_DRAFTED = "response_drafted", "Response drafted"
        APPROVED = "approved", "Response approved"
        PUBLISHED = "published", "Response published"

    reference = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    what_should_change = models.TextField("What should change")
    lived_experience = models.TextField(
        "Why: lived experience", help_text="What you or others have experienced."
    )
    evidence = models.TextField("Why: evidence", blank=True)
    service_area = models.ForeignKey(
        ServiceArea, on_delete=models.PROTECT, related_name="recommendations"
    )
    desired_outcome = models.TextField("What difference it would make")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recommendations",
    )
    author_named = models.BooleanField(
        "Name me when this is published",
        default=False,
        help_text="If not ticked, it is shown as from the board.",
    )
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_recommendations",
        help_text="The council officer responsible for the response.",
    )
    due_date = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now, editable=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_escalated_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = RecommendationQuerySet.as_manager()

    search_fields = [
        index.SearchField("title"),
        index.SearchField("what_should_change"),
        index.FilterField("status"),
    ]

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def public_author(self) -> str:
        """The name shown in public: the author's only if they chose it."""
        if self.author_id is None:
            return FORMER_MEMBER if self.author_named else "the board"
        if self.author_named:
            return self.author.get_full_name() or "a board member"
        return "the board"

    @property
    def is_overdue(self) -> bool:
        return (
            self.status != self.Status.PUBLISHED
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )


class CouncilResponse(
    WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, index.Indexed, models.Model
):
    """The council's public answer to a recommendation, approved through a Wagtail workflow."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        PARTLY_ACCEPTED = "partly_accepted", "Partly accepted"
        NOT_ACCEPTED = "not_accepted", "Not accepted"
        DEFERRED = "deferred", "Deferred"

    NEEDS_EXPLANATION = (Outcome.PARTLY_ACCEPTED, Outcome.NOT_ACCEPTED)

    recommendation = models.OneToOneField(
        Recommendation, on_delete=models.CASCADE, related_name="response"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    response = models.TextField("Our response", help_text="What the council will do, and why.")
    reasons = models.TextField(
        blank=True, help_text="Required when the outcome is not accepted or partly accepted."
    )
    alternatives_explored = models.TextField(
        blank=True, help_text="Required when the outcome is not accepted or partly accepted."
    )
    next_steps = models.TextField(
        "Agreed next steps",
        blank=True,
        help_text="Required when the outcome is not accepted or partly accepted.",
    )
    review_date = models.DateField(
        null=True, blank=True, help_text="Required when the outcome is deferred."
    )

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="council_response")
    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="council_response",
        for_concrete_model=False,
    )

    search_fields = [index.SearchField("response")]

    class Meta:
        verbose_name = "council response"

    def __str__(self) -> str:
        return f"Response to {self.recommendation}"

    @property
    def revisions(self):
        return self._revisions

    # --- The two-person rule: reads (the writes are board.services) ---------------------------

    def withdrawal_request(self) -> ModelLogEntry | None:
        """The pending request to take this published answer down, or None."""
        if not self.live:
            return None
        latest = (
            ModelLogEntry.objects.for_instance(self)
            .filter(action__in=WITHDRAWAL_ACTIONS)
            .select_related("user")
            .order_by("-timestamp", "-pk")
            .first()
        )
        return latest if latest is not None and latest.action == WITHDRAWAL_REQUEST else None

    @classmethod
    def pending_withdrawals(cls) -> list[tuple[CouncilResponse, ModelLogEntry]]:
        """Every published answer someone has asked to withdraw, with the request."""
        latest = {}
        for entry in (
            ModelLogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(cls),
                action__in=WITHDRAWAL_ACTIONS,
            )
            .select_related("user")
            .order_by("timestamp", "pk")
        ):
            latest[entry.object_id] = entry
        pending = {
            int(object_id): entry
            for object_id, entry in latest.items()
            if entry.action == WITHDRAWAL_REQUEST and object_id.isdigit()
        }
        responses = cls.objects.filter(pk__in=pending, live=True).select_related("recommendation")
        return [(response, pending[response.pk]) for response in responses]

    def approval_of(self, revision) -> TaskState | None:
        """The workflow approval of exactly this revision (who approved the text), if any."""
        if revision is None:
            return None
        return (
            TaskState.objects.filter(revision=revision, status=TaskState.STATUS_APPROVED)
            .select_related("finished_by")
            .order_by("-finished_at", "-pk")
            .first()
        )

    @staticmethod
    def is_own_text(user, task_state) -> bool:
        """Whether ``user`` wrote the revision under review or submitted it."""
        return user.pk in (task_state.revision.user_id, task_state.workflow_state.requested_by_id)

    def review_refusal(self, *, user, task_state, approving: bool) -> str:
        """Why ``user`` may not approve (or ask for changes to) this task now; "" if they may.

        Wagtail publishes the *latest* revision when the last task is approved, and records no
        check that the approver is someone other than the writer; both are checked here.
        """
        current = self.current_workflow_task_state
        if current is None or current.pk != task_state.pk:
            return "This response is not waiting for this decision any more."
        action = "approve" if approving else "reject"
        offered = {name for name, _label, _modal in current.task.specific.get_actions(self, user)}
        if action not in offered:
            return "Only an approver can decide on a council response."
        if not approving:
            return ""
        revision = current.revision
        if revision.pk != self.latest_revision_id or revision.created_at > current.started_at:
            return (
                "The text has changed since it was submitted, so it cannot be approved: the "
                "engagement manager must submit it again."
            )
        if self.is_own_text(user, current) and not user.is_superuser:
            return "You wrote or submitted this text: another approver must approve it."
        return ""

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.outcome in self.NEEDS_EXPLANATION:
            for field in ("reasons", "alternatives_explored", "next_steps"):
                if not (getattr(self, field) or "").strip():
                    label = self._meta.get_field(field).verbose_name
                    errors[field] = (
                        f"Give the {label.lower()} when the outcome is "
                        f"{self.get_outcome_display().lower()}."
                    )
        if self.outcome == self.Outcome.DEFERRED and not self.review_date:
            errors["review_date"] = "Give the date the council will review a deferred decision."
        if errors:
            raise ValidationError(errors)


class ProgressUpdate(models.Model):
    """A dated update on putting an accepted recommendation into practice."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="progress_updates"
    )
    date = models.DateField(default=timezone.localdate)
    update = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.recommendation.reference} on {self.date}"


class ImplementedChange(models.Model):
    """The service or policy change a recommendation led to. These are what the target counts."""

    class Kind(models.TextChoices):
        SERVICE = "service", "Service change"
        POLICY = "policy", "Policy change"

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="changes"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.TextField()
    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="+")
    implemented_on = models.DateField()

    class Meta:
        ordering = ["-implemented_on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.implemented_on}): {self.description[:60]}"
