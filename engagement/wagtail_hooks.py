from django.urls import path, reverse
from django.utils.functional import cached_property

from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.snippets.models import register_snippet

from engagement import admin_views
from engagement.models import NewsletterIssuePage
from engagement.viewsets import EngagementViewSetGroup

register_snippet(EngagementViewSetGroup)


@hooks.register("register_admin_urls")
def register_engagement_admin_urls():
    return [
        path(
            "engagement/newsletter-subscribers/download/",
            admin_views.subscribers_csv,
            name="engagement_subscribers_csv",
        ),
        path(
            "engagement/newsletter-issues/<int:page_id>/send/",
            admin_views.newsletter_send,
            name="engagement_newsletter_send",
        ),
    ]


class SendNewsletterMenuItem(PageMenuItem):
    label = "Send to subscribers"
    icon_name = "mail"

    @cached_property
    def url(self):
        return reverse("engagement_newsletter_send", args=[self.page.pk])

    def is_shown(self, user):
        page = self.page
        return (
            page.specific_class is NewsletterIssuePage
            and page.live
            and user.has_perm(admin_views.SEND_PERMISSION)
            # The explorer's pages are already specific: read the field rather than query once
            # a row (a plain Page loads its specific fields here, once).
            and page.specific_deferred.sent_at is None
        )


@hooks.register("register_page_header_buttons")
def newsletter_send_header_button(page, user, view_name, next_url=None):
    yield SendNewsletterMenuItem(page=page, priority=40)


@hooks.register("register_page_listing_more_buttons")
def newsletter_send_listing_button(page, user, next_url=None):
    yield SendNewsletterMenuItem(page=page, priority=45)


@hooks.register("register_log_actions")
def register_engagement_log_actions(actions):
    actions.register_action(
        "engagement.newsletter.send", "Send to subscribers", "Newsletter issue sent to subscribers"
    )
