from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property

from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.admin.views.generic.models import CreateView, EditView
from wagtail.admin.widgets import HeaderButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from cms.viewsets import EscapedExportIndexView, PlatformModelViewSet, PlatformSnippetViewSet
from engagement import admin_views, selectors
from engagement.models import (
    CalendarDate,
    EventOrganiser,
    NewsletterIssuePage,
    NewsletterSubscriber,
    Venue,
)


class VenueViewSet(PlatformSnippetViewSet):
    model = Venue
    icon = "site"
    menu_label = "Venues"
    list_display = ["name", "postcode", "get_step_free_display"]
    list_filter = ["step_free"]
    list_export = [
        "name",
        "address",
        "postcode",
        "step_free",
        "accessible_toilet",
        "hearing_loop",
        "accessible_parking",
        "quiet_space",
    ]
    export_filename = "venues"


class EventOrganiserViewSet(PlatformSnippetViewSet):
    model = EventOrganiser
    icon = "group"
    menu_label = "Event organisers"
    list_display = ["name", "get_kind_display", "website"]
    list_filter = ["kind"]
    list_export = ["name", "kind", "website"]
    export_filename = "event-organisers"


class CalendarDateViewSet(PlatformSnippetViewSet):
    model = CalendarDate
    icon = "date"
    menu_label = "Calendar dates"
    list_display = ["title", "get_kind_display", "starts_on", "ends_on", "date_may_vary"]
    list_filter = ["kind"]
    list_export = ["title", "kind", "starts_on", "ends_on", "date_may_vary", "description"]
    export_filename = "calendar-dates"
    ordering = ["starts_on", "title"]


SUBSCRIBER_VIEWSET_NAME = "engagement_newslettersubscriber"


class SubscriberIndexView(EscapedExportIndexView):
    """The list of subscribers, with how many there are and the download of confirmed ones."""

    def get_page_subtitle(self):
        counts = selectors.subscriber_counts()
        return f"{counts['confirmed']} confirmed, {counts['awaiting']} awaiting confirmation"

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm(admin_views.EXPORT_PERMISSION):
            buttons.append(
                HeaderButton(
                    "Download confirmed subscribers (CSV)",
                    url=reverse("engagement_subscribers_csv"),
                    icon_name="download",
                )
            )
        return buttons

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["page_subtitle"] = self.get_page_subtitle()
        return context


class SubscriberCreateView(CreateView):
    """People subscribe themselves, with double opt-in; no one adds an address for them."""

    def dispatch(self, request, *args, **kwargs):
        return redirect(self.index_url_name)


class SubscriberEditView(EditView):
    """An address is never edited (only its owner can confirm it): show it instead."""

    def dispatch(self, request, *args, **kwargs):
        return redirect(f"{SUBSCRIBER_VIEWSET_NAME}:inspect", self.kwargs["pk"])


class NewsletterSubscriberViewSet(PlatformModelViewSet):
    model = NewsletterSubscriber
    icon = "mail"
    menu_label = "Newsletter subscribers"
    index_view_class = SubscriberIndexView
    add_view_class = SubscriberCreateView
    edit_view_class = SubscriberEditView
    form_fields = ["email"]
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = ["email", "status", "created_at", "confirmed_at"]
    list_display = ["email", "status", "created_at", "confirmed_at"]
    list_filter = ["confirmed"]
    search_fields = ["email"]
    search_backend_name = None
    # Personal data: the only download is the confirmed list, from the header button.
    list_export = []


class EngagementViewSetGroup(SnippetViewSetGroup):
    menu_label = "Engagement"
    menu_icon = "calendar"
    menu_order = 210
    items = (
        CalendarDateViewSet,
        EventOrganiserViewSet,
        VenueViewSet,
        NewsletterSubscriberViewSet(SUBSCRIBER_VIEWSET_NAME),
    )


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
