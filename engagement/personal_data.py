"""What engagement holds on a person: a newsletter subscription, found by email address.

Registered with ``cms.platform.personal_data``. A subscription is the person's own choice, so
erasing a former board member removes it only when the officer ticks the option (having asked
them).
"""

from __future__ import annotations

from django.utils.html import format_html

from cms.platform import personal_data
from cms.platform.personal_data import Erasure, ErasureOption, ErasurePreview, Section
from engagement.models import NewsletterSubscriber

REMOVE_SUBSCRIPTION = ErasureOption(
    name="remove_newsletter_subscription",
    label="Also remove their newsletter subscription",
    help_text="They signed up to the newsletter themselves: ask them whether to keep it.",
)


@personal_data.provider("newsletter")
class NewsletterData(personal_data.Provider):
    models = ("engagement.NewsletterSubscriber",)

    def sections(self, *, user) -> list[Section]:
        subscriber = NewsletterSubscriber.objects.filter(email__iexact=user.email).first()
        data = (
            {
                "email": subscriber.email,
                "status": subscriber.status,
                "signed_up": subscriber.created_at,
                "confirmed": subscriber.confirmed_at,
            }
            if subscriber
            else None
        )
        return [Section("newsletter", data, "engagement/personal_data/newsletter.html")]

    def erasure_preview(self, *, user) -> ErasurePreview:
        subscribed = NewsletterSubscriber.objects.filter(email__iexact=user.email).exists()
        if not subscribed:
            return ErasurePreview(counts={"newsletter_subscribed": False})
        return ErasurePreview(
            keeps=[
                format_html(
                    "their newsletter subscription, unless you tick the box below: they signed "
                    "up to it themselves."
                )
            ],
            options=[REMOVE_SUBSCRIPTION],
            counts={"newsletter_subscribed": True},
        )

    def erase(self, *, erasure: Erasure) -> dict[str, int]:
        if REMOVE_SUBSCRIPTION.name not in erasure.options:
            return {}
        deleted = NewsletterSubscriber.objects.filter(email__iexact=erasure.old_email).delete()
        return {
            "newsletter_subscriptions_deleted": deleted[1].get(NewsletterSubscriber._meta.label, 0)
        }

    def retention(self, *, now) -> dict[str, int]:
        # Never confirmed, so never agreed to anything: gone once the confirmation link expires.
        expired = NewsletterSubscriber.objects.confirmation_expired(now).delete()[0]
        return {"newsletter sign-ups never confirmed": expired}
