"""Newsletter subscribers: personal data, kept to the minimum (an address and two dates)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from engagement import tokens


class NewsletterSubscriberQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed=True)

    def awaiting_confirmation(self):
        return self.filter(confirmed=False)

    def confirmation_expired(self, now=None):
        """Addresses never confirmed whose link has expired: deleted on the next sign-up."""
        return self.filter(confirmed=False, confirmation_expires_at__lt=now or timezone.now())


class NewsletterSubscriber(models.Model):
    """One address on the newsletter list, confirmed by double opt-in.

    Unconfirmed addresses are deleted once their link expires; unsubscribing deletes the row.
    """

    email = models.EmailField(unique=True)
    confirmed = models.BooleanField(default=False, db_index=True)
    confirmation_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmation_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    unsubscribe_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("signed up", default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = NewsletterSubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "newsletter subscriber"
        # No add or change: people subscribe themselves. Managers view, export and delete.
        default_permissions = ("view", "delete")
        permissions = [
            ("export_newslettersubscriber", "Can download confirmed subscribers"),
            ("send_newsletter", "Can send a newsletter issue to subscribers"),
        ]
        indexes = [models.Index(fields=["confirmation_token_hash"])]

    def __str__(self) -> str:
        return self.email

    @property
    def status(self) -> str:
        return "Confirmed" if self.confirmed else "Awaiting confirmation"

    def unsubscribe_token(self) -> str:
        return tokens.unsubscribe_token(email=self.email, created_at=self.created_at)
