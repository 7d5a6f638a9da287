"""Journeys for every role, each step asserting what the person sees."""

from __future__ import annotations

import re

import pytest

from django.core import mail

from board import services as board_services
from board.models import CouncilResponse, Recommendation
from cms import roles
from tests.conftest import TOTP_SECRET, current_totp_code, enrol_totp
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def demo_board(settings):
    """The demo's council, accounts and board (pages, members, recommendations)."""
    import io

    from board import demo as board_demo
    from cms import demo as cms_demo

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    cms_demo.build(stdout=io.StringIO())
    board_demo.build(stdout=io.StringIO())
    mail.outbox.clear()


def sign_in(visitor, email: str, password: str, *, code: bool = False) -> None:
    page = visitor.page
    visitor.visit("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if code:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        visitor.check()
        for _ in range(2):  # a code typed as its 30-second window closes is refused: once more
            page.get_by_label(re.compile("code", re.I)).first.fill(current_totp_code(TOTP_SECRET))
            with page.expect_navigation():  # to the next page, or back with the code refused
                page.get_by_role("button", name=re.compile("Sign in|Continue|Verify", re.I)).click()
            if "/2fa/authenticate/" not in page.url:
                break
    # Wait for the sign-in to finish: visiting the next page while it is still in flight would
    # cancel it and leave the visitor signed out.
    page.wait_for_url(lambda url: "/accounts/login/" not in url and "/2fa/authenticate/" not in url)
    page.wait_for_load_state()


def wait_until(page, predicate, *, seconds: float = 15) -> bool:
    """Poll the database until a request the browser sent has finished its work."""
    for _ in range(int(seconds * 10)):
        if predicate():
            return True
        page.wait_for_timeout(100)
    return predicate()


def test_resident_reads_terms_and_you_said_we_did(browser_for, demo_board):
    resident = browser_for("resident")
    page = resident.page
    resident.visit("/")
    page.get_by_role("link", name="Lived Experience Advisory Board").first.click()
    resident.check()
    page.get_by_role("link", name="Terms of Reference").click()
    resident.check()
    for heading in ("Purpose", "Decision rights", "Escalation routes", "Safeguarding"):
        assert page.get_by_role("heading", name=heading).is_visible()
    resident.screenshot("terms-of-reference")

    resident.visit("/board/you-said-we-did/")
    assert page.get_by_role("heading", name="You said, we did").is_visible()
    resident.screenshot("you-said-we-did")
    page.get_by_label("Outcome").select_option("not_accepted")
    page.get_by_role("button", name="Apply filters").click()
    resident.check()
    assert "1 recommendation with a published response" in page.content()
    page.get_by_role("link", name="Separate school admissions appeals panel").click()
    resident.check()
    assert page.get_by_role("heading", name="Why we could not do everything asked").is_visible()
    assert page.get_by_role("heading", name="Agreed next steps").is_visible()
    assert "The law requires one independent appeals panel" in page.content()


def test_board_member_accepts_invitation_and_recommends(browser_for, demo_board):
    from django.contrib.auth.models import Group

    from cms import services as cms_services
    from cms.models import User

    manager = User.objects.get(email="engagement.manager@example.org")
    cms_services.invitation_create(
        email="new.member@example.org",
        role=Group.objects.get(name=roles.BOARD_MEMBERS),
        invited_by=manager,
    )
    link = re.search(r"http://\S+(/accounts/invitation/\S+/)", mail.outbox[-1].body).group(1)

    member = browser_for("board member")
    page = member.page
    member.visit(link)
    assert page.get_by_role("heading", name="Create your account").is_visible()
    page.get_by_role("textbox", name="Password", exact=True).fill("a-new-long-password-42")
    page.get_by_role("textbox", name=re.compile("again|Confirm", re.I)).fill(
        "a-new-long-password-42"
    )
    page.get_by_role("button", name=re.compile("Create|Sign up", re.I)).click()
    page.wait_for_load_state()
    member.check()

    member.visit("/members/recommendations/new/")
    page.get_by_label("Give your recommendation a short title").fill(
        "Translated council tax letters"
    )
    page.get_by_label("What should change?").fill("Send council tax letters in the main languages.")
    page.get_by_label(re.compile("What have you or others experienced")).fill(
        "My mother could not read her bill."
    )
    page.get_by_label("Which council service is it about?").select_option(label="Customer services")
    page.get_by_label("What difference would it make?").fill("People pay on time without fear.")
    page.get_by_role("button", name="Send recommendation").click()
    page.wait_for_load_state()
    member.check()
    assert "has been sent to the council" in page.content()
    assert page.get_by_text("Received", exact=True).is_visible()
    member.screenshot("member-recommendation")

    recommendation = Recommendation.objects.get(title="Translated council tax letters")
    board_services.recommendation_acknowledge(recommendation=recommendation, by=manager)
    page.reload()
    member.check()
    assert page.get_by_text("Acknowledged", exact=True).first.is_visible()


def test_manager_drafts_approver_approves_and_it_goes_public(browser_for, demo_board):
    from cms.models import User

    recommendation = Recommendation.objects.get(status=Recommendation.Status.ACKNOWLEDGED)
    manager = User.objects.get(email="engagement.manager@example.org")
    approver = User.objects.get(email="approver@example.org")
    for user in (manager, approver):
        user.set_password(PASSWORD)
        user.save()
        enrol_totp(user)

    officer = browser_for("engagement manager")
    page = officer.page
    sign_in(officer, manager.email, PASSWORD, code=True)
    officer.visit(f"/admin/board/recommendations/{recommendation.pk}/manage/")
    page.get_by_role("link", name="Draft the council's response").click()
    page.wait_for_load_state()
    officer.check()
    # Wagtail's own form: its fields are found by id.
    page.locator("#id_outcome").select_option("partly_accepted")
    page.locator("#id_response").fill("We will add an interpreter option to the phone menu.")
    page.locator("#id_reasons").fill("Video interpreting is not funded this year.")
    page.locator("#id_alternatives_explored").fill("Telephone interpreting on every line.")
    page.locator("#id_next_steps").fill("Review with the board in six months.")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name=re.compile("Submit to Council response approval")).click()
    submitted = CouncilResponse.objects.filter(
        recommendation=recommendation, workflow_states__status="in_progress"
    )
    assert wait_until(page, submitted.exists), "the response never reached its approver"
    page.wait_for_load_state()
    response = CouncilResponse.objects.get(recommendation=recommendation)
    assert not response.live
    officer.visit("/board/you-said-we-did/", check=False)
    assert "Interpreters at the contact centre" not in page.content()

    reviewer = browser_for("approver")
    review = reviewer.page
    sign_in(reviewer, approver.email, PASSWORD, code=True)
    reviewer.visit(f"/admin/snippets/board/councilresponse/edit/{response.pk}/")
    review.get_by_role("button", name="More actions").click()
    review.get_by_role("button", name="Approve").first.click()
    dialog_button = review.get_by_role("button", name=re.compile("^Approve"))
    if dialog_button.count() > 1:
        dialog_button.last.click()
    review.wait_for_load_state()
    response.refresh_from_db()
    assert response.live

    resident = browser_for("resident")
    resident.visit("/board/you-said-we-did/")
    assert "Interpreters at the contact centre" in resident.page.content()
    author = recommendation.author
    assert any(
        m.to == [author.email] and "has answered your recommendation" in m.subject
        for m in mail.outbox
    )


def test_staff_without_second_factor_is_kept_out_of_the_admin(browser_for, db):
    officer = UserFactory(roles=[roles.INCLUSION_ANALYSTS])
    visitor = browser_for("analyst without a second factor")
    page = visitor.page
    sign_in(visitor, officer.email, PASSWORD)
    assert "/accounts/2fa/totp/activate/" in page.url
    visitor.check()
    for path in ("/admin/", "/admin/pages/", "/admin/login/", "/admin/board_recommendation/"):
        visitor.visit(path, check=False)
        assert "/accounts/2fa/totp/activate/" in page.url, path
        assert "wagtail" not in page.title().lower()
