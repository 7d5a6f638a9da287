"""Publishing the annual summary: a snapshot of the figures, and who may publish it.

The two writes are plain functions (called by the receivers, and usable from the demo or a
shell); the receivers only connect them to Wagtail's page events.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from wagtail.models import GroupPagePermission
from wagtail.signals import page_published

from cms import roles
from surveys.models import AnnualSummaryPage, EqualityDataIndexPage
from surveys.selectors import annual_summary

#: What Inclusion analysts may do on the equality data index and the summaries below it.
ANALYST_INDEX_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")


def annual_summary_snapshot_take(*, page: AnnualSummaryPage) -> AnnualSummaryPage:
    """Fix the published page's figures as they are now.

    A queryset update, not ``save()``: it writes only the two fields, makes no revision and
    sends no signal (so publishing does not recurse). The live row is what visitors see; the
    revision keeps whatever snapshot it was saved with, and the next publish replaces it.
    """
    figures = annual_summary(year=page.year)
    taken_at = timezone.now()
    AnnualSummaryPage.objects.filter(pk=page.pk).update(
        snapshot=figures, snapshot_taken_at=taken_at
    )
    page.snapshot, page.snapshot_taken_at = figures, taken_at
    return page


def equality_data_index_grant_analysts(*, page: EqualityDataIndexPage) -> None:
    """Let Inclusion analysts add, edit and publish pages in this subtree, and nowhere else."""
    group = Group.objects.filter(name=roles.INCLUSION_ANALYSTS).first()
    if group is None:
        return
    permissions = Permission.objects.filter(
        content_type__app_label="wagtailcore", codename__in=ANALYST_INDEX_PAGE_PERMISSIONS
    )
    for permission in permissions:
        GroupPagePermission.objects.get_or_create(group=group, page=page, permission=permission)


@receiver(page_published, sender=AnnualSummaryPage)
def on_annual_summary_published(sender, instance, **kwargs):
    annual_summary_snapshot_take(page=instance)


@receiver(post_save, sender=EqualityDataIndexPage)
def on_equality_data_index_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        equality_data_index_grant_analysts(page=instance)
