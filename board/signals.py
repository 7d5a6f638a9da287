"""Wagtail's workflow and publishing drive the recommendation's status (via services)."""

from django.dispatch import receiver

from wagtail.signals import published, workflow_submitted

from board import services
from board.models import CouncilResponse


@receiver(workflow_submitted)
def on_response_submitted(sender, instance, user, **kwargs):
    target = getattr(instance, "content_object", instance)
    if isinstance(target, CouncilResponse):
        services.response_drafted(response=target, by=user)


@receiver(published, sender=CouncilResponse)
def on_response_published(sender, instance, revision=None, **kwargs):
    user = getattr(revision, "user", None) if revision else None
    services.response_published(response=instance, by=user)
