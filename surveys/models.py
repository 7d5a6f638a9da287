"""Surveys, waves, questions, invitations and anonymous responses.

Anonymity is structural. A ``SurveyInvitation`` (hashed token, used flag, and the email address
only until it is used) and a ``Response`` share nothing but their wave: no foreign key either
way, no user, no IP address, no timestamp finer than a date, and responses have random UUID
keys. Free-text answers are stored in their own table with no link to a response at all, so
they can never be shown next to demographic answers. A wave that hides participation keeps its
invited addresses in ``WaveInvitee``, apart from the links, so not even who answered can be
read. Answers not yet submitted wait in a ``SurveyDraft`` that only the respondent's browser can
open. See the README's "Surveys and anonymity" section.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField

from cms.models.pages import BasePage
from surveys import classifications


class Survey(models.Model):
    class Kind(models.TextChoices):
        STAFF = "staff", "Staff survey"
        BOARD_EVALUATION = "board_evaluation", "Board annual evaluation"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STAFF)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Wave(models.Model):
    """One year's run of a survey."""

    class Participation(models.TextChoices):
        # What someone holding the database can tell: see the README's "Who answered".
        STANDARD = "standard", "Standard: reminders go only to those who have not answered"
        HIDDEN = "hidden", "Hidden: nobody can tell who answered, even from the database"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="waves")
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    opens_on = models.DateField()
    closes_on = models.DateField()
    introduction = models.TextField(
        blank=True, help_text="Shown before the first question: why we ask, how answers are used."
    )
    break_in_series = models.BooleanField(
        default=False,
        help_text="Tick if questions changed so this wave must not be joined to earlier ones "
        "in a trend.",
    )
    imported = models.BooleanField(
        default=False, editable=False, help_text="Results came from an earlier survey provider."
    )
    # Used invitation records removed by the retention task (apply_retention) are still counted
    # as invited and responded, so the wave's response rate does not change when they go.
    used_invitations_deleted = models.PositiveIntegerField(default=0, editable=False)
    participation = models.CharField(
        max_length=8,
        choices=Participation.choices,
        default=Participation.STANDARD,
        editable=False,
        help_text="Set on the wave's invitations page until the first invitation is queued.",
    )

    class Meta:
        ordering = ["survey", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "year"], name="one_wave_per_survey_year"),
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="wave_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey.name} {self.year}"

    def clean(self) -> None:
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            raise ValidationError({"closes_on": "The wave must close on or after it opens."})

    def is_open(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.opens_on <= today <= self.closes_on

    def has_closed(self, today=None) -> bool:
        return (today or timezone.localdate()) > self.closes_on

    @property
    def hides_participation(self) -> bool:
        return self.participation == self.Participation.HIDDEN


class Question(models.Model):
    class Kind(models.TextChoices):
        LIKERT = "likert", "Agree/disagree (five-point)"
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        FREE_TEXT = "free_text", "Free text"
        ETHNICITY = "ethnicity", "Ethnic group (ONS 2021)"

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(
        max_length=60,
        help_text="Stays the same across waves so a measure can follow it when wording changes.",
    )
    text = models.CharField(max_length=500)
    help_text = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    required = models.BooleanField(default=False)
    options = models.JSONField(
        default=list,
        blank=True,
        help_text="For single and multiple choice: a list of [value, label] pairs.",
    )
    page = models.PositiveSmallIntegerField(
        default=1, help_text="Questions are asked page by page."
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["wave", "page", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "key"], name="question_key_unique_in_wave")
        ]
        indexes = [models.Index(fields=["wave", "key"])]

    def __str__(self) -> str:
        return f"{self.key}: {self.text}"

    def clean(self) -> None:
        if self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE):
            if not isinstance(self.options, list) or len(self.options) < 2:
                raise ValidationError({"options": "Give at least two options."})
            for option in self.options:
                if not (
                    isinstance(option, list | tuple)
                    and len(option) == 2
                    and all(isinstance(part, str) and part.strip() for part in option)
                ):
                    raise ValidationError({"options": 'Each option is a pair: ["value", "Label"].'})
            values = [option[0] for option in self.options]
            if len(set(values)) != len(values):
                raise ValidationError({"options": "Option values must be different."})
        elif self.options:
            raise ValidationError({"options": "Only choice questions have options."})

    @property
    def is_demographic(self) -> bool:
        return self.kind == self.Kind.ETHNICITY

    def choice_pairs(self) -> list[tuple[str, str]]:
        if self.kind == self.Kind.LIKERT:
            return list(classifications.LIKERT_SCALE)
        if self.kind == self.Kind.ETHNICITY:
            return [pair for _, pairs in classifications.ethnicity_choices() for pair in pairs]
        return [tuple(option) for option in self.options]

    def valid_values(self) -> set[str]:
        return {value for value, _ in self.choice_pairs()}


class InvitationBatch(models.Model):
    """One upload of email addresses, sent by the task worker; the analyst watches progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        DONE = "done", "Sent"
        FAILED = "failed", "Stopped with errors"

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitations"
        REMINDER = "reminder", "Reminders"

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitation_batches")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INVITATION)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The addresses wait here only until the worker has sent to them.
    pending_emails = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "invitation batches"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.wave} ({self.sent}/{self.total})"

    @property
    def percent_done(self) -> int:
        return int(100 * (self.sent + self.failed) / self.total) if self.total else 100


class SurveyInvitation(models.Model):
    """A single-use link to a wave. Nothing here points at a response, or is pointed at by one.

    The email address is kept only while the link is unused (for reminders) and erased when the
    response is stored, so a used record holds no more than a hash and a flag. In a wave that
    hides participation it never holds an address (they are in ``WaveInvitee``), and every batch
    sent rewrites the wave's links in random order with one date (``services``), so no row tells
    whose link it is.
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    used = models.BooleanField(default=False)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    created_on = models.DateField(default=timezone.localdate)

    class Meta:
        indexes = [models.Index(fields=["wave", "used"])]

    def __str__(self) -> str:
        return f"Invitation to {self.wave}"


class WaveInvitee(models.Model):
    """An address invited to a wave that hides participation: the list reminders go to.

    No link to ``SurveyInvitation`` in either direction and nothing that records when or in
    which batch the address was added, so the list says who was invited and nothing about who
    has answered. Deleted when the wave has closed (``release_survey_responses``).
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitees")
    email = models.EmailField()

    class Meta:
        constraints = [
            # The invitation service skips addresses already on the list; this makes it a rule.
            models.UniqueConstraint(fields=["wave", "email"], name="one_invitee_per_wave_address")
        ]

    def __str__(self) -> str:
        return f"Invitee to {self.wave}"


class SurveyDraft(models.Model):
    """The answers given so far through one link in one browser, before they are submitted.

    Never in the sign-in session, and nothing here names the browser or the person: the key and
    the encryption key are both derived from a random secret held only in that browser's own
    survey cookie, the link's token and ``SECRET_KEY`` (``surveys.forms.SurveyDraft``), so the
    database, even with the server's key, can neither open a draft nor tie it to an invitation.
    Kept only until a date (never a time) a few days ahead, then deleted by
    ``release_survey_responses``; submitting deletes it in the same transaction.
    """

    id = models.CharField(primary_key=True, max_length=64, editable=False)
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="+")
    sealed = models.TextField(editable=False)
    expires_on = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["expires_on"])]

    def __str__(self) -> str:
        return f"Unsubmitted answers to {self.wave}"


class Response(models.Model):
    """One anonymous set of answers. Random key; only the date; no link to who gave it."""

    class Source(models.TextChoices):
        ONLINE = "online", "Online"
        IMPORTED = "imported", "Imported"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="responses")
    submitted_on = models.DateField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ONLINE)

    class Meta:
        indexes = [models.Index(fields=["wave"])]

    def __str__(self) -> str:
        return f"Response to {self.wave}"


class PendingResponse(models.Model):
    """A submitted response waiting to enter the results with others of its wave.

    Written in the transaction that uses the link, so it shares that moment with the invitation;
    ``services.responses_release`` deletes it when it moves the answers, with those of at least
    ``settings.SURVEY_RELEASE_BATCH`` others, into ``Response``, ``Answer`` and ``FreeTextAnswer``
    in random order. No date, a random key, and the cleaned answers keyed by question key,
    sealed with a key the database does not hold (``surveys.sealing``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="pending_responses")
    sealed = models.TextField(editable=False)

    def __str__(self) -> str:
        return f"Response waiting for release, {self.wave}"

    @property
    def answers(self) -> dict:
        from surveys.sealing import unseal

        return unseal(self.sealed)


class Answer(models.Model):
    """A coded answer (Likert point, choice value, ethnic group code). One row per choice."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.CharField(max_length=60)

    class Meta:
        indexes = [
            models.Index(fields=["question", "value"]),
            models.Index(fields=["question", "response"]),
        ]

    def __str__(self) -> str:
        return f"{self.question.key}={self.value}"


class FreeTextAnswer(models.Model):
    """Free text, deliberately unlinked from its response and its date.

    With no path to the response, free text can never be shown beside someone's ethnic group.
    Its key is random too: a sequential key would line its rows up with the order of responses.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="text_answers")
    text = models.TextField()

    def __str__(self) -> str:
        return f"Free text for {self.question.key}"


class CountImportBatch(models.Model):
    """One upload of aggregated counts: what came in together, so it can be removed or replaced
    together (``surveys.count_imports``).

    A batch is never deleted: once removed or replaced it loses its counts but stays as the
    record of what was there, which years it fed and when it changed (a published annual
    summary reads that to say the data under it changed). Counts imported before batches were
    recorded belong to one legacy batch per survey (``0009_import_batches``).
    """

    class State(models.TextChoices):
        ACTIVE = "active", "In use"
        REMOVED = "removed", "Removed"
        REPLACED = "replaced", "Replaced"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="count_batches")
    # SET_NULL: erasing the analyst's account must not lose the record of the import.
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=200, blank=True)
    rows = models.PositiveIntegerField(default=0)
    counts = models.PositiveIntegerField(default=0)
    #: SHA-256 of the uploaded bytes (hex); empty for the legacy batches.
    checksum = models.CharField(max_length=64, blank=True, db_index=True)
    legacy = models.BooleanField(default=False)
    #: The years it held counts for, and the years whose waves it created (kept after removal).
    years = models.JSONField(default=list, blank=True)
    created_years = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.ACTIVE)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    class Meta:
        ordering = ["survey", "-imported_at", "-pk"]
        verbose_name = "count import"

    def __str__(self) -> str:
        return f"{self.survey.name}: import {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class AggregatedCount(models.Model):
    """Results imported as counts from an earlier survey provider (no individual responses).

    ``group`` is an ethnic group code from ``surveys.classifications`` (detailed or high-level),
    ``prefer_not_to_say``, or ``all``. Every count belongs to the upload it came in
    (``CountImportBatch``).
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="aggregated_counts")
    # Null only for counts written outside the import page (a shell, a test's fixture): every
    # upload sets it, and 0009_import_batches gave the counts before it a legacy batch.
    batch = models.ForeignKey(
        CountImportBatch,
        null=True,
        on_delete=models.PROTECT,
        related_name="aggregated_counts",
    )
    question_key = models.SlugField(max_length=60)
    group = models.CharField(max_length=60)
    n_answering = models.PositiveIntegerField()
    n_positive = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "question_key", "group"], name="one_count_per_wave_key_group"
            ),
            models.CheckConstraint(
                condition=models.Q(n_positive__lte=models.F("n_answering")),
                name="positive_not_more_than_answering",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.wave} {self.question_key} {self.group}: {self.n_positive}/{self.n_answering}"


def default_measure_groups() -> list[str]:
    from surveys.analysis.groups import DEFAULT_GROUPS

    return list(DEFAULT_GROUPS)


def default_positive_values() -> list[str]:
    return list(classifications.LIKERT_POSITIVE)


class Measure(models.Model):
    """A question followed year on year: the share of answers that are positive, by group.

    The statistics are computed by ``surveys.selectors.measure_report`` (one GROUP BY) and
    ``surveys.analysis.report`` (pure); nothing is stored but the definition.
    """

    class Direction(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"

    class ComparisonGroup(models.TextChoices):
        # The values are ``surveys.analysis.groups.COMPARATORS``.
        WHITE_BRITISH = "white_british", "White British"
        WHITE = "white", "White (all White groups)"
        ALL_OTHER_GROUPS = (
            "all_other_groups",
            ("All other groups (everyone else who gave an ethnic group)"),
        )

    class Adjustment(models.TextChoices):
        BH = "bh", "Benjamini-Hochberg (controls the false discovery rate)"
        HOLM = "holm", "Holm (controls the chance of any false positive)"

    key = models.SlugField(
        max_length=60, unique=True, help_text="Used on the command line: survey_report --measure."
    )
    name = models.CharField(max_length=200)
    description = models.TextField(
        blank=True, help_text="Why this measure matters, e.g. the action plan's measure of success."
    )
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="measures")
    question_key = models.SlugField(
        max_length=60, help_text="The question's key, the same in every wave of the survey."
    )
    positive_values = models.JSONField(
        default=default_positive_values,
        help_text="The answers that count as positive; every other valid answer stays in the base.",
    )
    groups = models.JSONField(
        default=default_measure_groups,
        blank=True,
        help_text="The groups to compare. None: all answers only.",
    )
    direction = models.CharField(max_length=6, choices=Direction.choices, default=Direction.HIGHER)
    baseline = models.ForeignKey(
        Wave,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The wave progress is measured from.",
    )
    priority = models.BooleanField(
        default=False, help_text="Priority measures are reported in the annual summary."
    )
    adjustment = models.CharField(
        max_length=4,
        choices=Adjustment.choices,
        default=Adjustment.BH,
        help_text="How p-values are adjusted across the comparisons shown together.",
    )
    comparison_group = models.CharField(
        max_length=20,
        choices=ComparisonGroup.choices,
        default=ComparisonGroup.WHITE_BRITISH,
        help_text="The group each gap is measured against. Where a wave's data does not have "
        "White British, its gaps are against White, and the report says so.",
    )

    class Meta:
        ordering = ["-priority", "name"]

    def __str__(self) -> str:
        return self.name

    def _comparison_shown(self) -> bool:
        chosen = self.comparison_group
        if chosen == self.ComparisonGroup.ALL_OTHER_GROUPS:
            return True
        return chosen in self.groups or (
            chosen == self.ComparisonGroup.WHITE_BRITISH
            and self.ComparisonGroup.WHITE in self.groups
        )

    def clean(self) -> None:
        from surveys.analysis.groups import CHOOSABLE_GROUPS

        errors = {}
        if self.baseline_id and self.survey_id and self.baseline.survey_id != self.survey_id:
            errors["baseline"] = "Choose a wave of this measure's survey."
        if not isinstance(self.groups, list) or not set(self.groups) <= set(CHOOSABLE_GROUPS):
            errors["groups"] = "Choose groups from the list."
        elif self.groups and not self._comparison_shown():
            errors["comparison_group"] = (
                "Tick the comparison group among the groups to compare (for White British, "
                "White too, which is used for waves without White British): a gap is shown "
                "only beside the figures it is measured against."
            )
        if not isinstance(self.positive_values, list) or not self.positive_values:
            errors["positive_values"] = "Choose at least one answer that counts as positive."
        if self.survey_id and self.question_key:
            questions = Question.objects.filter(
                wave__survey_id=self.survey_id, key=self.question_key
            )
            if not questions.exists():
                errors["question_key"] = "No wave of this survey has a question with this key."
            elif isinstance(self.positive_values, list):
                valid = set()
                for question in questions:
                    if question.kind in (Question.Kind.FREE_TEXT, Question.Kind.ETHNICITY):
                        errors["question_key"] = (
                            "Choose an agree/disagree or choice question, not free text or "
                            "ethnic group."
                        )
                        break
                    valid |= question.valid_values()
                unknown = sorted(set(self.positive_values) - valid)
                if unknown and "question_key" not in errors:
                    errors["positive_values"] = (
                        f"Not an answer to this question: {', '.join(unknown)}."
                    )
        if errors:
            raise ValidationError(errors)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == self.Direction.HIGHER


class EqualityDataIndexPage(BasePage):
    """Where the annual summaries are published. Inclusion analysts hold page permissions on
    this subtree only (granted when the page is created, ``surveys.signals``), so they can
    publish summaries without being able to edit the rest of the site."""

    intro = RichTextField(features=["bold", "italic", "link", "ol", "ul"], blank=True)

    content_panels = [*BasePage.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["surveys.AnnualSummaryPage"]
    max_count = 1
    template = "surveys/equality_data_index_page.html"

    class Meta:
        verbose_name = "equality data index"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["summaries"] = (
            AnnualSummaryPage.objects.child_of(self).live().public().order_by("-year")
        )
        return context


class AnnualSummaryPage(BasePage):
    """The Inclusion team's published annual summary of the priority measures for a year.

    The figures are a snapshot taken when the page is published (``surveys.signals``): the
    published page never changes when data is corrected or added later; publishing again takes
    a new snapshot. Previews compute the figures afresh.
    """

    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text="The survey year this summary reports.",
    )
    intro = RichTextField(
        features=["bold", "italic", "link", "ol", "ul"],
        blank=True,
        help_text="What the summary covers and what the council is doing about it.",
    )
    snapshot = models.JSONField(default=dict, blank=True, editable=False)
    snapshot_taken_at = models.DateTimeField(null=True, blank=True, editable=False)

    content_panels = [*BasePage.content_panels, FieldPanel("year"), FieldPanel("intro")]
    # A copy starts without figures; publishing it takes its own snapshot.
    exclude_fields_in_copy = ["snapshot", "snapshot_taken_at"]
    parent_page_types = ["surveys.EqualityDataIndexPage"]
    subpage_types: list[str] = []
    template = "surveys/annual_summary_page.html"

    class Meta:
        verbose_name = "annual summary"

    def clean(self):
        super().clean()
        if self.year and not Wave.objects.filter(year=self.year).exists():
            raise ValidationError({"year": f"No survey has a wave in {self.year}."})

    def figures(self) -> dict:
        """The published snapshot, or (in previews and before publishing) figures now."""
        if self.snapshot:
            return self.snapshot
        from surveys.selectors import annual_summary

        return annual_summary(year=self.year)

    def data_changes(self) -> list[dict]:
        """Changes to the imported counts under the published snapshot since it was taken."""
        if not (self.snapshot and self.snapshot_taken_at):
            return []
        from surveys.count_imports import summary_data_changes

        surveys = sorted(
            {
                section.get("measure", {}).get("survey", "")
                for section in self.snapshot.get("measures", [])
            }
            - {""}
        )
        return summary_data_changes(year=self.year, since=self.snapshot_taken_at, surveys=surveys)

    def serve_preview(self, request, mode_name):
        self.snapshot = {}
        return super().serve_preview(request, mode_name)
