"""Newsletter sign-up with double opt-in, one-click unsubscribe, and sending an issue.

The person signing up never learns whether an address was already on the list; every email to
a subscriber carries their own unsubscribe link; only hashes of the tokens are stored.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from wagtail.models import PageLogEntry

from engagement import services, tokens
from engagement.models import NewsletterSubscriber
from engagement.services import SignupOutcome
from engagement.tasks import send_subscriber_email
from tests.engagement.factories import NewsletterIssuePageFactory, NewsletterSubscriberFactory

pytestmark = pytest.mark.django_db

SIGN_UP = reverse("engagement:newsletter_signup")
CHECK_EMAIL = reverse("engagement:newsletter_check_email")
LINK = re.compile(r"http://testserver(/newsletter/(?:confirm|unsubscribe)/[^/\s]+/)")


def links(message) -> dict[str, str]:
    found = {}
    for path in LINK.findall(message.body):
        found["confirm" if "/confirm/" in path else "unsubscribe"] = path
    return found


def sign_up(client, email: str, **extra):
    return client.post(SIGN_UP, {"email": email}, **extra)


# --- Signing up -------------------------------------------------------------------------------


def test_sign_up_page_is_a_govuk_form(client):
    body = client.get(SIGN_UP).content.decode()
    assert '<label class="govuk-label govuk-label--s" for="id_email">Email address' in body
    assert 'autocomplete="email"' in body
    assert 'type="email"' in body
    assert "How we use your email address" in body


def test_invalid_address_shows_the_error_summary(client):
    response = sign_up(client, "not-an-address")
    body = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in body
    assert '<a href="#id_email">Enter an email address in the correct format' in body
    assert "<title>Error: Sign up for the newsletter" in body
    assert not NewsletterSubscriber.objects.exists()
    assert not mail.outbox


def test_double_opt_in(client, run_on_commit):
    response = sign_up(client, "  Amara.Okafor@Example.org ")
    assert response.status_code == 302 and response.url == CHECK_EMAIL
    subscriber = NewsletterSubscriber.objects.get()
    assert subscriber.email == "amara.okafor@example.org"
    assert not subscriber.confirmed

    (message,) = mail.outbox
    assert message.to == ["amara.okafor@example.org"]
    assert "Confirm your subscription" in message.subject
    confirm = links(message)["confirm"]
    token = confirm.rstrip("/").rsplit("/", 1)[-1]
    # Only the hash of the token is stored.
    assert subscriber.confirmation_token_hash == tokens.hash_token(token)
    assert token not in str(NewsletterSubscriber.objects.values().get())

    # Opening the link (or a mail scanner fetching it) does not confirm: a person must press.
    page = client.get(confirm)
    assert page.status_code == 200
    assert "Confirm subscription" in page.content.decode()
    assert not NewsletterSubscriber.objects.get().confirmed

    done = client.post(confirm)
    assert done.status_code == 200
    assert "You have subscribed" in done.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.confirmed and subscriber.confirmed_at
    assert subscriber.confirmation_token_hash == ""

    # The welcome email carries a one-click unsubscribe link, in the text and the headers.
    welcome = mail.outbox[-1]
    unsubscribe = links(welcome)["unsubscribe"]
    assert welcome.extra_headers["List-Unsubscribe"] == f"<http://testserver{unsubscribe}>"
    assert welcome.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "unsubscribe" in links(mail.outbox[0])  # even the confirmation email has one

    # Single use.
    again = client.post(confirm)
    assert again.status_code == 410
    assert client.get(confirm).status_code == 410


def test_the_queued_confirmation_holds_an_id_not_the_address_or_the_link(
    client, database_tasks, django_capture_on_commit_callbacks
):
    """The task row kept the recipient, the body and the raw confirmation link for ever."""
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "amara@example.org")
    subscriber = NewsletterSubscriber.objects.get()
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["kwargs"]["subscriber_id"] == subscriber.pk
    stored = str(task.args_kwargs)
    assert "amara" not in stored and "/confirm/" not in stored and "http" not in stored

    send_subscriber_email.call(**task.args_kwargs["kwargs"])  # what the worker runs
    (message,) = mail.outbox
    assert message.to == ["amara@example.org"]
    client.post(links(message)["confirm"])
    subscriber.refresh_from_db()
    assert subscriber.confirmed


def test_the_same_answer_whether_or_not_already_subscribed(client, run_on_commit):
    NewsletterSubscriberFactory(email="already@example.org")
    new = sign_up(client, "new@example.org")
    known = sign_up(client, "already@example.org")
    assert (new.status_code, new.url) == (known.status_code, known.url)
    nonce = re.compile(rb'nonce="[^"]+"')
    assert nonce.sub(b"", client.get(new.url).content) == nonce.sub(
        b"", client.get(known.url).content
    )

    # Only the address's owner is told, by email.
    by_address = {message.to[0]: message for message in mail.outbox}
    assert "already subscribed" in by_address["already@example.org"].subject
    assert "unsubscribe" in links(by_address["already@example.org"])
    assert "confirm" in links(by_address["new@example.org"])


def test_signing_up_again_soon_sends_nothing_more(client, run_on_commit):
    assert services.newsletter_subscribe(email="a@example.org") == SignupOutcome.CONFIRMATION_SENT
    assert (
        services.newsletter_subscribe(email="A@example.org")
        == SignupOutcome.NOT_SENT_RECENTLY_EMAILED
    )
    assert len(mail.outbox) == 1
    later = timezone.now() + services.RESEND_AFTER + timedelta(seconds=1)
    assert (
        services.newsletter_subscribe(email="a@example.org", now=later)
        == SignupOutcome.CONFIRMATION_SENT
    )
    assert len(mail.outbox) == 2
    # The new link replaces the old one.
    first, second = (links(m)["confirm"] for m in mail.outbox)
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_expired_links_fail_and_unconfirmed_addresses_are_deleted(client, run_on_commit):
    services.newsletter_subscribe(email="late@example.org")
    confirm = links(mail.outbox[0])["confirm"]
    NewsletterSubscriber.objects.update(
        confirmation_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.post(confirm).status_code == 410
    assert not NewsletterSubscriber.objects.get().confirmed

    services.newsletter_subscribe(email="someone.else@example.org")
    assert not NewsletterSubscriber.objects.filter(email="late@example.org").exists()


def test_typing_mistakes_do_not_count_towards_the_limit(client, run_on_commit):
    """At a library PC or an event's sign-up tablet, the sixth resident used to be refused,
    and every mistyped address counted."""
    for number in range(10):
        assert sign_up(client, f"person{number}@example").status_code == 200  # mistyped
        assert sign_up(client, f"person{number}@example.org").status_code == 302
    assert NewsletterSubscriber.objects.count() == 10


def test_accepted_sign_ups_are_limited_per_address(client, run_on_commit, settings):
    per_hour = settings.NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR
    assert settings.PLATFORM_RATE_LIMITS["newsletter_signup_address"] == f"{per_hour}/1h/ip"
    for number in range(per_hour):
        assert sign_up(client, f"person{number}@example.org").status_code == 302
    refused = sign_up(client, "one.more@example.org")
    assert refused.status_code == 429
    assert "too many sign-ups from your connection. Try again in 1 hour" in (
        refused.content.decode()
    )
    assert not NewsletterSubscriber.objects.filter(email="one.more@example.org").exists()
    # Another address is not held back.
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert sign_up(other, "one.more@example.org").status_code == 302


@override_settings(
    ALLAUTH_TRUSTED_PROXY_COUNT=1,
    PLATFORM_RATE_LIMITS={
        "newsletter_signup_address": "2/1h/ip",
        "newsletter_signup_email": "3/1d/key",
    },
)
def test_residents_behind_the_load_balancer_are_counted_apart(run_on_commit):
    def resident(address: str) -> Client:
        return Client(REMOTE_ADDR="10.0.0.1", headers={"X-Forwarded-For": address})

    first, second = resident("198.51.100.1"), resident("198.51.100.2")
    for number in range(2):
        assert sign_up(first, f"first{number}@example.org").status_code == 302
    assert sign_up(first, "first9@example.org").status_code == 429
    assert sign_up(second, "second@example.org").status_code == 302


def test_one_email_address_cannot_be_flooded_with_sign_ups(client, run_on_commit, settings):
    per_day = settings.NEWSLETTER_SIGNUPS_PER_EMAIL_PER_DAY
    for attempt in range(per_day):
        # From a new address each time, past the resend wait, so each would send an email.
        elsewhere = Client(REMOTE_ADDR=f"203.0.113.{attempt + 1}")
        assert sign_up(elsewhere, "Target@Example.org").status_code == 302
        NewsletterSubscriber.objects.update(
            confirmation_sent_at=timezone.now() - services.RESEND_AFTER - timedelta(seconds=1)
        )
    emails = len(mail.outbox)
    assert emails == per_day
    refused = sign_up(Client(REMOTE_ADDR="192.0.2.77"), "target@example.org ")
    assert refused.status_code == 429
    assert "This email address has been signed up several times today" in (refused.content.decode())
    assert len(mail.outbox) == emails
    # The refusal counted nothing from that connection: another address still signs up there.
    assert sign_up(Client(REMOTE_ADDR="192.0.2.77"), "neighbour@example.org").status_code == 302


# --- Unsubscribing ----------------------------------------------------------------------------


def test_one_click_unsubscribe(client):
    subscriber = NewsletterSubscriberFactory(email="leaving@example.org")
    url = reverse("engagement:newsletter_unsubscribe", args=[subscriber.unsubscribe_token()])

    page = client.get(url)  # opening the link asks; a link checker removes nobody
    assert page.status_code == 200
    assert "Unsubscribe from the newsletter" in page.content.decode()
    assert NewsletterSubscriber.objects.exists()

    done = client.post(url)
    assert done.status_code == 200
    assert "We have deleted your email address" in done.content.decode()
    assert not NewsletterSubscriber.objects.exists()
    # Twice is the same as once; the link no longer opens a form.
    assert client.post(url).status_code == 200
    assert client.get(url).status_code == 404


def test_mail_clients_one_click_post_needs_no_csrf_token():
    subscriber = NewsletterSubscriberFactory()
    url = reverse("engagement:newsletter_unsubscribe", args=[subscriber.unsubscribe_token()])
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not NewsletterSubscriber.objects.exists()


def test_unsubscribe_tokens_are_not_stored_and_cannot_be_guessed():
    subscriber = NewsletterSubscriberFactory()
    token = subscriber.unsubscribe_token()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM engagement_newslettersubscriber")
        assert token not in str(cursor.fetchall())
    other = NewsletterSubscriberFactory(created_at=subscriber.created_at)
    assert other.unsubscribe_token() != token
    assert not services.newsletter_unsubscribe(token="0" * 64)
    assert NewsletterSubscriber.objects.count() == 2


# --- Sending an issue -------------------------------------------------------------------------


def test_an_issue_goes_once_to_confirmed_subscribers_each_with_their_own_link(
    newsletter_index, make_user, run_on_commit
):
    from cms import roles

    manager = make_user(roles.ENGAGEMENT_MANAGERS)
    readers = [NewsletterSubscriberFactory(), NewsletterSubscriberFactory()]
    NewsletterSubscriberFactory(confirmed=False, confirmed_at=None)
    issue = NewsletterIssuePageFactory(
        parent=newsletter_index,
        title="Autumn newsletter",
        intro="What you told us this autumn.",
        body=[
            ("rich_text", '<p>Read the <a href="https://example.org/report">report</a>.</p>'),
            ("call_out", {"heading": "Drop-in", "text": "<p>Tuesdays at the library.</p>"}),
        ],
    )

    assert services.newsletter_issue_send(issue=issue, by=manager) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
    for message in mail.outbox:
        reader = NewsletterSubscriber.objects.get(email=message.to[0])
        assert message.subject.startswith("Autumn newsletter")
        assert "What you told us this autumn." in message.body
        assert "Read the report (https://example.org/report)." in message.body
        assert "Tuesdays at the library." in message.body
        # Links in emails use SITE_URL, like the unsubscribe link beside them.
        assert f"Read this issue online: http://testserver{issue.url}" in message.body
        own = reverse("engagement:newsletter_unsubscribe", args=[reader.unsubscribe_token()])
        assert f"http://testserver{own}" in message.body
        assert message.extra_headers["List-Unsubscribe"] == f"<http://testserver{own}>"
    issue.refresh_from_db()
    assert issue.sent_at and issue.sent_to == 2
    assert PageLogEntry.objects.filter(page=issue, action="engagement.newsletter.send").exists()

    with pytest.raises(ValidationError, match="already sent"):
        services.newsletter_issue_send(issue=issue, by=manager)
    assert len(mail.outbox) == 2


def test_an_unpublished_issue_cannot_be_sent(newsletter_index, make_user):
    issue = NewsletterIssuePageFactory(parent=newsletter_index, live=False)
    with pytest.raises(ValidationError, match="Publish"):
        services.newsletter_issue_send(issue=issue, by=make_user())
