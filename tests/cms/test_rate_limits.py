"""Rate limits that fit a council: counted by the client's real address behind the load
balancer, per account and address so a guesser cannot lock the owner out, and on page passwords.

The load balancer is ``LB``: a request through it arrives from ``LB`` with the client's address
appended to ``X-Forwarded-For`` (after anything the client wrote there itself).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from django.conf import settings
from django.core import mail
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from wagtail.models import Collection, CollectionViewRestriction, Page, PageViewRestriction

from cms import ratelimits, roles
from cms.models import HomePage
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LB = "10.0.0.1"
BEHIND_ONE_PROXY = override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
REFUSED = "Too many failed login attempts"
PASSED = PageViewRestriction.passed_view_restrictions_session_key


def through_proxy(address: str, *, spoofed: str = "") -> Client:
    """A browser at ``address`` reaching the site through the load balancer."""
    forwarded = f"{spoofed}, {address}" if spoofed else address
    return Client(REMOTE_ADDR=LB, headers={"X-Forwarded-For": forwarded})


def sign_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- The client's address ---------------------------------------------------------------------


def _settings_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess:
    probe = (
        "import json, django; django.setup(); from django.conf import settings; print(json.dumps("
        "[settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER, "
        "settings.PLATFORM_RATE_LIMITS]))"
    )
    return subprocess.run(  # noqa: S603 (this file's own arguments)
        [sys.executable, "-c", probe],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_proxy_and_newsletter_settings_are_read_from_the_environment():
    result = _settings_in_a_fresh_process(
        ALLAUTH_TRUSTED_PROXY_COUNT="2",
        NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR="120",
        NEWSLETTER_SIGNUPS_PER_EMAIL_PER_DAY="2",
    )
    count, header, limits = json.loads(result.stdout.strip().splitlines()[-1])
    assert (count, header) == (2, None)
    assert limits["newsletter_signup_address"] == "120/1h/ip"
    assert limits["newsletter_signup_email"] == "2/1d/key"

    result = _settings_in_a_fresh_process(ALLAUTH_TRUSTED_CLIENT_IP_HEADER="X-Real-IP")
    assert json.loads(result.stdout.strip().splitlines()[-1])[:2] == [0, "X-Real-IP"]

    both = _settings_in_a_fresh_process(
        ALLAUTH_TRUSTED_PROXY_COUNT="1", ALLAUTH_TRUSTED_CLIENT_IP_HEADER="X-Real-IP"
    )
    assert both.returncode != 0
    assert "not both" in both.stderr


def test_the_client_address_is_allauths_own_reading():
    from allauth.core.internal.ratelimit import get_ip

    factory = RequestFactory()
    direct = factory.post("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert ratelimits.client_address(direct) == get_ip(direct) == "203.0.113.5"
    with BEHIND_ONE_PROXY:
        proxied = factory.post("/", REMOTE_ADDR=LB, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1")
        assert ratelimits.client_address(proxied) == "198.51.100.1"
    # An IPv6 client counts by its /64, as allauth's own limits count it.
    six = factory.post("/", REMOTE_ADDR="2001:db8:1:2:3:4:5:6")
    assert ratelimits.client_address(six) == "2001:db8:1:2::"
    with override_settings(ALLAUTH_TRUSTED_CLIENT_IP_HEADER="X-Real-IP"):
        real_ip = factory.post("/", REMOTE_ADDR=LB, HTTP_X_REAL_IP="198.51.100.9")
        assert ratelimits.client_address(real_ip) == "198.51.100.9"


# --- Signing in behind the load balancer ------------------------------------------------------


@BEHIND_ONE_PROXY
def test_a_flood_from_one_address_does_not_lock_out_everyone_behind_the_proxy(make_user):
    """35 wrong passwords for random accounts from one address, through the load balancer,
    used to lock out every other user; now only that address is stopped."""
    member = make_user(roles.BOARD_MEMBERS)
    attacker = through_proxy("203.0.113.66")
    outcomes = [
        sign_in(attacker, f"random{n}@example.org", "wrong-password").status_code for n in range(35)
    ]
    assert outcomes[:30] == [200] * 30
    refused = sign_in(attacker, "random99@example.org", "wrong-password")
    assert refused.status_code in (200, 429)
    assert refused.status_code == 429 or REFUSED in refused.content.decode()

    resident = through_proxy("198.51.100.20")
    assert sign_in(resident, member.email).status_code == 302
    assert signed_in(resident)


@BEHIND_ONE_PROXY
def test_clients_behind_the_proxy_are_counted_apart_per_account(make_user):
    member = make_user(roles.BOARD_MEMBERS)
    attacker = through_proxy("203.0.113.66")
    for attempt in range(5):
        assert sign_in(attacker, member.email, f"wrong-{attempt}").status_code == 200
    assert REFUSED in sign_in(attacker, member.email).content.decode()
    assert not signed_in(attacker)

    owner = through_proxy("198.51.100.20")
    assert sign_in(owner, member.email).status_code == 302
    assert signed_in(owner)


def test_a_spoofed_forwarded_header_from_a_direct_client_is_not_trusted(make_user):
    """With no trusted proxy (the default), X-Forwarded-For is the client's own word."""
    member = make_user(roles.BOARD_MEMBERS)
    direct = Client(REMOTE_ADDR="203.0.113.66")
    for attempt in range(5):
        direct.post(
            reverse("account_login"),
            {"login": member.email, "password": f"wrong-{attempt}"},
            headers={"X-Forwarded-For": f"192.0.2.{attempt}"},
        )
    response = direct.post(
        reverse("account_login"),
        {"login": member.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.200"},
    )
    assert REFUSED in response.content.decode()
    assert not signed_in(direct)


@BEHIND_ONE_PROXY
def test_addresses_a_client_writes_before_the_proxys_are_not_trusted(make_user):
    member = make_user(roles.BOARD_MEMBERS)
    for attempt in range(5):
        attacker = through_proxy("203.0.113.66", spoofed=f"192.0.2.{attempt}")
        sign_in(attacker, member.email, f"wrong-{attempt}")
    attacker = through_proxy("203.0.113.66", spoofed="192.0.2.200")
    assert REFUSED in sign_in(attacker, member.email).content.decode()
    assert not signed_in(attacker)


def test_the_owner_signs_in_from_their_own_address_after_an_attackers_failures(make_user):
    member = make_user(roles.BOARD_MEMBERS)
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for attempt in range(12):
        sign_in(attacker, member.email, f"wrong-{attempt}")
    assert REFUSED in sign_in(attacker, member.email).content.decode()

    owner = Client(REMOTE_ADDR="198.51.100.20")
    assert sign_in(owner, member.email, "a-typo").status_code == 200
    assert sign_in(owner, member.email).status_code == 302
    assert signed_in(owner)


def test_a_right_password_is_not_counted(make_user):
    member = make_user(roles.BOARD_MEMBERS)
    client = Client(REMOTE_ADDR="198.51.100.20")
    for attempt in range(4):
        sign_in(client, member.email, f"wrong-{attempt}")
    assert sign_in(client, member.email).status_code == 302
    client.logout()
    # Had the right password counted, this would be the sixth attempt, and refused.
    typo = sign_in(client, member.email, "wrong-again")
    assert typo.status_code == 200
    assert REFUSED not in typo.content.decode()
    assert REFUSED in sign_in(client, member.email).content.decode()


def _spread_attack(email: str, addresses: int) -> None:
    for number in range(addresses):
        attacker = Client(REMOTE_ADDR=f"203.0.113.{number + 1}")
        for attempt in range(5):
            sign_in(attacker, email, f"wrong-{number}-{attempt}")


def test_guesses_spread_over_many_addresses_meet_a_ceiling_that_spares_the_owner(make_user):
    member = make_user(roles.BOARD_MEMBERS)
    home = Client(REMOTE_ADDR="198.51.100.20")
    assert sign_in(home, member.email).status_code == 302  # the owner's address, now known
    home.logout()

    _spread_attack(member.email, addresses=5)  # 25 wrong passwords, 5 from each address
    # A new address, even with the right password, meets the account's ceiling (20).
    elsewhere = Client(REMOTE_ADDR="192.0.2.50")
    assert REFUSED in sign_in(elsewhere, member.email).content.decode()
    assert not signed_in(elsewhere)
    # The owner, where they have signed in before, is not held back.
    assert sign_in(home, member.email).status_code == 302
    assert signed_in(home)


def test_a_password_reset_lets_the_owner_in_from_that_address(make_user):
    member = make_user(roles.BOARD_MEMBERS)
    _spread_attack(member.email, addresses=5)
    travelling = Client(REMOTE_ADDR="192.0.2.50")
    assert REFUSED in sign_in(travelling, member.email).content.decode()

    travelling.post(reverse("account_reset_password"), {"email": member.email})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    form = travelling.get(link.group(1), follow=True)
    new_password = "a-brand-new-long-password-7"
    travelling.post(
        form.redirect_chain[-1][0],
        {"password1": new_password, "password2": new_password},
    )
    assert sign_in(travelling, member.email, new_password).status_code == 302
    assert signed_in(travelling)


# --- Page and document passwords --------------------------------------------------------------


@pytest.fixture
def private_page():
    page = HomePage.objects.get().add_child(instance=Page(title="Focus group", slug="focus-group"))
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="open sesame"
    )
    return reverse("wagtailcore_authenticate_with_password", args=[restriction.pk, page.pk])


def _try(client: Client, url: str, password: str):
    return client.post(url, {"password": password, "return_url": "/focus-group/"})


def test_page_password_guesses_are_limited(private_page):
    """60 wrong guesses and then the right one used to be let in."""
    url = private_page
    guesser = Client(REMOTE_ADDR="203.0.113.66")
    statuses = [_try(guesser, url, f"guess-{n}").status_code for n in range(60)]
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    refused = _try(guesser, url, "open sesame")
    assert refused.status_code == 429
    assert "Too many wrong passwords have been tried. Wait 15 minutes" in refused.content.decode()
    assert "Password required" in guesser.get("/focus-group/").content.decode()
    assert not guesser.session.get(PASSED)

    # Someone else, with the password, is let in.
    reader = Client(REMOTE_ADDR="198.51.100.20")
    assert _try(reader, url, "a-typo").status_code == 200
    assert _try(reader, url, "open sesame").status_code == 302
    assert reader.session.get(PASSED)


def test_page_password_guesses_spread_over_addresses_meet_a_ceiling(private_page):
    url = private_page
    member_of_group = Client(REMOTE_ADDR="198.51.100.20")
    assert _try(member_of_group, url, "open sesame").status_code == 302
    for number in range(10):  # 50 wrong guesses, 5 from each address
        guesser = Client(REMOTE_ADDR=f"203.0.113.{number + 1}")
        for n in range(5):
            assert _try(guesser, url, f"guess-{n}").status_code == 200
    assert _try(Client(REMOTE_ADDR="192.0.2.50"), url, "open sesame").status_code == 429
    # An address that has passed this page's password before is not held back.
    assert _try(Client(REMOTE_ADDR="198.51.100.20"), url, "open sesame").status_code == 302


def test_document_password_guesses_are_limited():
    collection = Collection.get_first_root_node().add_child(name="Focus group papers")
    restriction = CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=PageViewRestriction.PASSWORD, password="sesame"
    )
    url = reverse("wagtaildocs_authenticate_with_password", args=[restriction.pk])
    guesser = Client(REMOTE_ADDR="203.0.113.66")
    assert [_try(guesser, url, f"guess-{n}").status_code for n in range(5)] == [200] * 5
    refused = _try(guesser, url, "sesame")
    assert refused.status_code == 429
    assert "Too many wrong passwords" in refused.content.decode()
    assert _try(Client(REMOTE_ADDR="198.51.100.20"), url, "sesame").status_code == 302


def test_opening_a_password_form_is_not_counted(private_page):
    url = private_page
    client = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(20):
        assert client.get(url).status_code == 200
    assert _try(client, url, "open sesame").status_code == 302


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(60, "1 minute"), (900, "15 minutes"), (3600, "1 hour"), (86400, "24 hours")],
)
def test_wait_text(seconds, words):
    assert ratelimits.wait_text(seconds) == words


@pytest.mark.parametrize("return_url", ["focus", "line\r\nSet-Cookie: x=1", "//evil.example/"])
def test_a_return_address_off_this_site_goes_home(private_page, return_url):
    """Wagtail raised (a 500) on a return address that is not a path, once the password was
    right; found by tests/security/test_hostile_input.py."""
    response = Client().post(private_page, {"password": "open sesame", "return_url": return_url})
    assert response.status_code == 302
    assert response.url == "/"
