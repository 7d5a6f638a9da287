"""Engagement in the Wagtail admin: snippets, newsletter subscribers (personal data), sending an
issue, and the page forms' publishing rules."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from django.core import mail
from django.urls import reverse

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from engagement.models import ActivityPage, CalendarDate, NewsletterSubscriber, StoryPage
from tests.engagement.factories import NewsletterIssuePageFactory, NewsletterSubscriberFactory

pytestmark = pytest.mark.django_db

SUBSCRIBERS = "/admin/engagement_newslettersubscriber/"
CSV_URL = "/admin/engagement/newsletter-subscribers/download/"


# --- Snippets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["calendardate", "eventorganiser", "venue"])
def test_manager_can_list_and_add_the_engagement_snippets(manager_client, model):
    listing = manager_client.get(f"/admin/snippets/engagement/{model}/")
    assert listing.status_code == 200
    assert manager_client.get(f"/admin/snippets/engagement/{model}/add/").status_code == 200


def test_manager_adds_a_calendar_date(manager_client):
    response = manager_client.post(
        "/admin/snippets/engagement/calendardate/add/",
        {
            "title": "Race Equality Week",
            "kind": "awareness",
            "starts_on": "2027-02-01",
            "ends_on": "2027-02-07",
            "description": "A week to tackle barriers to race equality at work.",
            "more_information_url": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    item = CalendarDate.objects.get()
    assert (item.starts_on, item.ends_on) == (date(2027, 2, 1), date(2027, 2, 7))


def test_engagement_menu_is_in_the_admin(manager_client):
    body = manager_client.get("/admin/").content.decode()
    assert "Engagement" in body
    assert "Newsletter subscribers" in body


# --- Newsletter subscribers -------------------------------------------------------------------


def test_manager_sees_the_count_and_downloads_only_confirmed_subscribers(manager_client):
    NewsletterSubscriberFactory(email="first@example.org")
    NewsletterSubscriberFactory(email="=cmd|' /C calc'!A0@example.org")
    NewsletterSubscriberFactory(email="pending@example.org", confirmed=False, confirmed_at=None)

    listing = manager_client.get(SUBSCRIBERS).content.decode()
    assert "2 confirmed, 1 awaiting confirmation" in listing
    assert "Download confirmed subscribers (CSV)" in listing
    assert "first@example.org" in listing

    response = manager_client.get(CSV_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Email", "Signed up", "Confirmed"]
    emails = [row[0] for row in rows[1:]]
    assert "first@example.org" in emails
    assert "'=cmd|' /C calc'!A0@example.org" in emails  # escaped against formula injection
    assert "pending@example.org" not in emails


def test_manager_deletes_a_subscriber_but_cannot_add_or_edit_one(manager_client):
    subscriber = NewsletterSubscriberFactory()
    assert manager_client.get(f"{SUBSCRIBERS}new/").status_code == 302
    assert manager_client.get(f"{SUBSCRIBERS}edit/{subscriber.pk}/").status_code == 302
    inspect = manager_client.get(f"{SUBSCRIBERS}inspect/{subscriber.pk}/")
    assert inspect.status_code == 200 and subscriber.email in inspect.content.decode()
    response = manager_client.post(f"{SUBSCRIBERS}delete/{subscriber.pk}/")
    assert response.status_code == 302
    assert not NewsletterSubscriber.objects.exists()


def test_other_roles_cannot_see_or_download_subscribers(approver_client):
    NewsletterSubscriberFactory(email="private@example.org")
    assert approver_client.get(SUBSCRIBERS).status_code in (302, 403)
    response = approver_client.get(CSV_URL)
    assert response.status_code in (302, 403)
    assert b"private@example.org" not in response.content


def test_manager_sends_a_published_issue_from_its_menu(
    manager_client, newsletter_index, run_on_commit
):
    NewsletterSubscriberFactory.create_batch(3)
    issue = NewsletterIssuePageFactory(parent=newsletter_index, title="Winter newsletter")
    send_url = reverse("engagement_newsletter_send", args=[issue.pk])

    edit = manager_client.get(reverse("wagtailadmin_pages:edit", args=[issue.pk]))
    assert send_url in edit.content.decode()

    confirm = manager_client.get(send_url)
    assert "Send to 3 subscribers" in confirm.content.decode()
    assert not mail.outbox

    response = manager_client.post(send_url)
    assert response.status_code == 302
    assert len(mail.outbox) == 3
    issue.refresh_from_db()
    assert issue.sent_to == 3
    # Sent once: the menu item goes, and a second send is refused.
    edit = manager_client.get(reverse("wagtailadmin_pages:edit", args=[issue.pk]))
    assert send_url not in edit.content.decode()
    manager_client.post(send_url)
    assert len(mail.outbox) == 3


def test_only_those_allowed_can_send_an_issue(approver_client, newsletter_index):
    issue = NewsletterIssuePageFactory(parent=newsletter_index)
    send_url = reverse("engagement_newsletter_send", args=[issue.pk])
    assert approver_client.post(send_url).status_code in (302, 403)
    issue.refresh_from_db()
    assert issue.sent_at is None


# --- Page forms -------------------------------------------------------------------------------


def _activity_form(**overrides):
    data = {
        "title": "Libraries research",
        "slug": "libraries-research",
        "kind": "research",
        "status": "reported",
        "run_by": "Libraries team",
        "starts_on": "2026-01-05",
        "ends_on": "2026-03-01",
        "reported_on": "2026-05-01",
        "what_we_asked": rich_text("<p>How do you use libraries?</p>"),
        "how_to_take_part": rich_text(""),
        "take_part_url": "",
        "respondent_groups": inline_formset([]),
        "themes": inline_formset([]),
        "actions": inline_formset([]),
        "body": streamfield([]),
        "documents": streamfield([]),
        "comments": inline_formset([]),
        "action-publish": "publish",
    }
    data.update(overrides)
    return nested_form_data(data)


def test_a_reported_activity_needs_what_we_heard_and_did(manager_client, activity_index):
    add_url = reverse(
        "wagtailadmin_pages:add", args=("engagement", "activitypage", activity_index.pk)
    )
    response = manager_client.post(add_url, _activity_form())
    assert response.status_code == 200
    body = response.content.decode()
    assert "Add at least one &#x27;You said&#x27; theme before marking this reported." in body
    assert not ActivityPage.objects.exists()

    response = manager_client.post(
        add_url,
        _activity_form(
            respondent_groups=inline_formset(
                [{"respondent_type": "residents", "description": "", "count": "140"}]
            ),
            themes=inline_formset([{"title": "More books", "description": "In our languages."}]),
            actions=inline_formset(
                [
                    {
                        "description": "We bought books.",
                        "progress": "done",
                        "recommendation": "",
                        "survey_summary": "",
                    }
                ]
            ),
        ),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    page = ActivityPage.objects.get()
    assert page.live
    assert [theme.title for theme in page.themes.all()] == ["More books"]
    assert page.respondent_groups.get().count == 140


def _story_form(**overrides):
    data = {
        "title": "Cooking together",
        "slug": "cooking-together",
        "summary": "Food is how we say welcome.",
        "image": "",
        "image_alt": "",
        "story": streamfield([]),
        "teller_description": "a grandmother from Clevedon",
        "consent_reference": "",
        "teller_name": "",
        "comments": inline_formset([]),
    }
    data.update(overrides)
    return nested_form_data(data)


def test_a_story_draft_saves_without_consent_but_does_not_publish(manager_client, story_index):
    add_url = reverse("wagtailadmin_pages:add", args=("engagement", "storypage", story_index.pk))
    draft = manager_client.post(add_url, _story_form())
    assert draft.status_code == 302, draft.content.decode()[-3000:]
    story = StoryPage.objects.get()
    assert not story.live

    edit_url = reverse("wagtailadmin_pages:edit", args=[story.pk])
    refused = manager_client.post(edit_url, _story_form(**{"action-publish": "publish"}))
    assert refused.status_code == 200
    assert "A story can only be published with the teller&#x27;s consent." in (
        refused.content.decode()
    )
    story.refresh_from_db()
    assert not story.live

    published = manager_client.post(
        edit_url,
        _story_form(
            **{
                "action-publish": "publish",
                "consent_given": "on",
                "consent_recorded_on": "2026-01-10",
                "story": streamfield([("rich_text", rich_text("<p>We cooked.</p>"))]),
            }
        ),
    )
    assert published.status_code == 302, published.context["form"].errors
    story.refresh_from_db()
    assert story.live and story.consent_given


@pytest.mark.parametrize(
    ("model", "parent_fixture"),
    [
        ("engagementhubpage", "home"),
        ("activityindexpage", "hub"),
        ("activitypage", "activity_index"),
        ("eventindexpage", "hub"),
        ("eventpage", "event_index"),
        ("culturalcalendarpage", "hub"),
        ("storyindexpage", "hub"),
        ("storypage", "story_index"),
        ("newsindexpage", "hub"),
        ("newspage", "news_index"),
        ("newsletterindexpage", "hub"),
        ("newsletterissuepage", "newsletter_index"),
    ],
)
def test_manager_can_open_every_engagement_page_form(
    manager_client, request, model, parent_fixture
):
    parent = request.getfixturevalue(parent_fixture)
    url = reverse("wagtailadmin_pages:add", args=("engagement", model, parent.pk))
    response = manager_client.get(url)
    assert response.status_code == 200, (model, response.status_code)


def test_manager_can_open_the_accessibility_statement_form_and_council_details(
    manager_client, home
):
    url = reverse("wagtailadmin_pages:add", args=("cms", "accessibilitystatementpage", home.pk))
    assert manager_client.get(url).status_code == 200
    settings_page = manager_client.get("/admin/settings/cms/sitesettings/")
    assert settings_page.status_code in (200, 302)
    if settings_page.status_code == 302:
        settings_page = manager_client.get(settings_page.url)
    assert settings_page.status_code == 200
    assert "accessibility_statement_page" in settings_page.content.decode()
