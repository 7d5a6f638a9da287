from decimal import Decimal

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.core.validators import MinValueValidator
from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty

from board.validators import validate_receipt
from cms.platform.money import format_pounds

#: The ``settings.STORAGES`` entry receipts are kept in: private, outside MEDIA_ROOT, no URL.
RECEIPTS_STORAGE_ALIAS = "receipts"


class _ReceiptStorage(LazyObject):
    """``storages["receipts"]``, looked up when first used (and again when STORAGES changes)."""

    def _setup(self):
        self._wrapped = storages[RECEIPTS_STORAGE_ALIAS]


_receipt_storage = _ReceiptStorage()


@receiver(setting_changed)
def _reset_receipt_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _receipt_storage._wrapped = empty


def receipt_storage():
    """The receipt field's storage. A callable, so the migration names this, not a location."""
    return _receipt_storage


def receipt_path(instance, filename: str) -> str:
    # The stored name never carries the member's own file name.
    import uuid

    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"receipts/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class ExpenseClaim(models.Model):
    class Kind(models.TextChoices):
        TRAVEL = "travel", "Travel"
        CARE = "care", "Care for a dependant"
        SUBSISTENCE = "subsistence", "Food and drink"
        PARTICIPATION = "participation", "Participation payment"
        INTERPRETING = "interpreting", "Interpreting or access support"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expense_claims"
    )
    meeting = models.ForeignKey(
        "board.Meeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="expense_claims",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    description = models.CharField(max_length=255)
    # Private: served only by the permission-checked board_expense_receipt view, never by URL.
    receipt = models.FileField(
        upload_to=receipt_path,
        storage=receipt_storage,
        blank=True,
        validators=[validate_receipt],
        max_length=255,
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="expense_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_pounds(self.amount)} ({self.claimant})"
