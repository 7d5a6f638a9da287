"""Engagement's admin viewsets: venues, organisers, calendar dates and newsletter subscribers
(registered in wagtail_hooks.py)."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property

from wagtail.admin.views.generic.models import CreateView, EditView
from wagtail.admin.widgets import HeaderButton
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from cms.viewsets import EscapedExportIndexView, PlatformModelViewSet, PlatformSnippetViewSet
from engagement import admin_views, selectors
from engagement.models import (
    CalendarDate,
    EventOrganiser,
    NewsletterSubscriber,
    Venue,
)


class VenueViewSet(PlatformSnippetViewSet):
    model = Venue
    icon = "site"
    menu_label = "Venues"
    list_display = ["name", "postcode", "step_free"]
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
    list_display = ["name", "kind", "website"]
    list_filter = ["kind"]
    list_export = ["name", "kind", "website"]
    export_filename = "event-organisers"


class CalendarDateViewSet(PlatformSnippetViewSet):
    model = CalendarDate
    icon = "date"
    menu_label = "Calendar dates"
    list_display = ["title", "kind", "starts_on", "ends_on", "date_may_vary"]
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
