"""The member area at /members/: who reaches it, recommendations, privacy of support needs."""

from __future__ import annotations

import pytest

from django.core import mail
from django.urls import reverse

from board import services
from board.models import ExpenseClaim, MemberSupportNeeds, Recommendation
from cms import roles
from tests.board.factories import (
    BoardMemberFactory,
    CouncilResponseFactory,
    RecommendationFactory,
    ServiceAreaFactory,
    publish_response,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MEMBER_PAGES = [
    "board:dashboard",
    "board:my_recommendations",
    "board:board_recommendations",
    "board:recommendation_create",
    "board:my_expenses",
    "board:expense_create",
]


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def member(client):
    person = BoardMemberFactory(first_name="Ada", last_name="Member")
    client.force_login(person)
    return person


# --- Who reaches the member area ---------------------------------------------------------------


@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_anonymous_visitor_is_sent_to_sign_in(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "next=" in response.url


def test_anonymous_visitor_cannot_post_a_recommendation(client):
    area = ServiceAreaFactory()
    response = client.post(
        reverse("board:recommendation_create"), {"title": "Sneaky", "service_area": area.pk}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize("role", roles.STAFF_ROLES)
def test_council_staff_are_refused_the_member_area(signed_in, make_user, role):
    client = signed_in(make_user(role))
    assert client.get("/admin/").status_code == 200  # really signed in, with a second factor
    for name in MEMBER_PAGES:
        assert client.get(reverse(name)).status_code == 403, name


def test_plain_user_without_a_role_is_refused(client):
    client.force_login(UserFactory())
    for name in MEMBER_PAGES:
        assert client.get(reverse(name)).status_code == 403, name


def test_board_member_signed_in_through_allauth_reaches_their_home(signed_in):
    client = signed_in(BoardMemberFactory(), enrol=False)
    body = page_text(client.get("/members/"))
    assert "Your board home" in body
    assert "Make a recommendation" in body


# --- Making a recommendation -------------------------------------------------------------------


def recommendation_data(area, **overrides):
    data = {
        "title": "Plain English letters",
        "what_should_change": "Council tax letters should be written in plain English.",
        "lived_experience": "I was fined because I could not follow the letter.",
        "evidence": "Three other members said the same.",
        "service_area": area.pk,
        "desired_outcome": "People pay on time and are not fined.",
        "author_named": "on",
    }
    data.update(overrides)
    return data


def test_member_submits_a_recommendation_and_managers_are_emailed(
    client, member, make_user, run_on_commit
):
    manager = make_user(roles.ENGAGEMENT_MANAGERS)
    other_manager = make_user(roles.ENGAGEMENT_MANAGERS)
    inactive_manager = make_user(roles.ENGAGEMENT_MANAGERS, is_active=False)
    approver = make_user(roles.APPROVERS)
    area = ServiceAreaFactory(name="Council tax")

    response = client.post(
        reverse("board:recommendation_create"), recommendation_data(area), follow=True
    )

    recommendation = Recommendation.objects.get()
    assert recommendation.status == Recommendation.Status.RECEIVED
    assert recommendation.reference.startswith("R-")
    assert recommendation.author == member
    assert recommendation.author_named is True
    assert recommendation.service_area == area
    assert recommendation.lived_experience.startswith("I was fined")
    # The member lands on its page, told its reference.
    assert response.redirect_chain[-1][0] == reverse(
        "board:recommendation_detail", args=[recommendation.reference]
    )
    body = page_text(response)
    assert f"Your recommendation {recommendation.reference} has been sent" in body
    assert "Plain English letters" in body

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert sorted(email.to) == sorted([manager.email, other_manager.email])
    assert inactive_manager.email not in email.to
    assert approver.email not in email.to
    assert member.email not in email.to
    assert recommendation.reference in email.subject
    assert f"/admin/board/recommendations/{recommendation.pk}/manage/" in email.body


def test_member_can_choose_not_to_be_named(client, member):
    area = ServiceAreaFactory()
    data = recommendation_data(area)
    del data["author_named"]
    client.post(reverse("board:recommendation_create"), data)
    recommendation = Recommendation.objects.get()
    assert recommendation.author_named is False
    assert recommendation.public_author == "the board"


def test_two_recommendations_get_different_references(client, member):
    area = ServiceAreaFactory()
    client.post(reverse("board:recommendation_create"), recommendation_data(area, title="One"))
    client.post(reverse("board:recommendation_create"), recommendation_data(area, title="Two"))
    references = set(Recommendation.objects.values_list("reference", flat=True))
    assert len(references) == 2


def test_missing_fields_show_a_govuk_error_summary_and_save_nothing(client, member):
    area = ServiceAreaFactory()
    response = client.post(
        reverse("board:recommendation_create"),
        recommendation_data(area, title="", lived_experience="", service_area=""),
    )
    body = page_text(response)
    assert "govuk-error-summary" in body
    assert "There is a problem" in body
    assert "<title>Error:" in body
    for message, field_id in [
        ("Enter a title for your recommendation", "id_title"),
        ("Enter why, from lived experience", "id_lived_experience"),
        ("Select the council service it is about", "id_service_area"),
    ]:
        # In the summary, linked to the field ...
        assert f'<a href="#{field_id}">{message}</a>' in body
        # ... and by the field itself.
        assert f'id="{field_id}-error" class="govuk-error-message"' in body
    assert "govuk-form-group--error" in body
    # What the member typed is kept.
    assert "Council tax letters should be written in plain English." in body
    assert not Recommendation.objects.exists()


def test_an_empty_form_lists_every_required_field(client, member):
    # As a browser sends it: every field present, every one blank, the box unticked.
    fields = (
        "title",
        "what_should_change",
        "lived_experience",
        "evidence",
        "service_area",
        "desired_outcome",
    )
    empty = dict.fromkeys(fields, "")
    response = client.post(reverse("board:recommendation_create"), empty)
    body = page_text(response)
    for message in [
        "Enter a title for your recommendation",
        "Enter what should change",
        "Enter why, from lived experience",
        "Select the council service it is about",
        "Enter the difference it would make",
    ]:
        assert message in body
    assert "Is there other evidence" in body  # optional: no error for it
    assert not Recommendation.objects.exists()


# --- Who sees which recommendation -------------------------------------------------------------


def test_member_sees_their_own_received_recommendation(client, member):
    mine = RecommendationFactory(author=member, title="My bus pass idea")

    body = page_text(client.get(reverse("board:my_recommendations")))
    assert "Your recommendations" in body
    assert "My bus pass idea" in body
    assert "Received" in body

    assert "My bus pass idea" in page_text(client.get(reverse("board:dashboard")))

    body = page_text(client.get(reverse("board:recommendation_detail", args=[mine.reference])))
    assert "My bus pass idea" in body
    assert mine.reference in body
    assert "I could not understand the letter I was sent." in body  # their own lived experience


def test_another_members_unacknowledged_recommendation_stays_hidden(client, member, make_user):
    other = RecommendationFactory(title="Someone else's idea")

    assert "Someone else" not in page_text(client.get(reverse("board:board_recommendations")))
    assert "Someone else" not in page_text(client.get(reverse("board:my_recommendations")))
    assert "Someone else" not in page_text(client.get(reverse("board:dashboard")))
    detail = reverse("board:recommendation_detail", args=[other.reference])
    assert client.get(detail).status_code == 404

    manager = make_user(roles.ENGAGEMENT_MANAGERS)
    services.recommendation_acknowledge(recommendation=other, by=manager)

    body = page_text(client.get(reverse("board:board_recommendations")))
    assert "Someone else&#x27;s idea" in body
    assert "Acknowledged" in body
    body = page_text(client.get(detail))
    assert "Someone else&#x27;s idea" in body
    # Still not listed as the member's own.
    assert "Someone else" not in page_text(client.get(reverse("board:my_recommendations")))


def test_member_does_not_see_my_own_unacknowledged_in_board_list_either(client, member):
    # The board list is what the council has acknowledged, the author's own included.
    RecommendationFactory(author=member, title="Fresh from me")
    assert "Fresh from me" not in page_text(client.get(reverse("board:board_recommendations")))


def test_unknown_reference_is_not_found(client, member):
    assert (
        client.get(reverse("board:recommendation_detail", args=["R-1999-999"])).status_code == 404
    )


def test_only_the_author_sees_their_lived_experience(client, member, make_user):
    author = BoardMemberFactory()
    recommendation = RecommendationFactory(
        author=author,
        title="Quieter waiting rooms",
        lived_experience="PRIVATE-STORY: the noise brought back my panic attacks.",
        what_should_change="Offer a quiet room.",
    )
    services.recommendation_acknowledge(
        recommendation=recommendation, by=make_user(roles.ENGAGEMENT_MANAGERS)
    )
    url = reverse("board:recommendation_detail", args=[recommendation.reference])

    body = page_text(client.get(url))
    assert "Quieter waiting rooms" in body
    assert "Offer a quiet room." in body
    assert "PRIVATE-STORY" not in body
    assert "Lived experience" not in body
    assert "PRIVATE-STORY" not in page_text(client.get(reverse("board:board_recommendations")))

    client.force_login(author)
    body = page_text(client.get(url))
    assert "PRIVATE-STORY" in body
    assert "Lived experience" in body


# --- Support needs never reach the member area -------------------------------------------------


SUPPORT_SECRETS = ("WHEELCHAIR-SECRET", "TIGRINYA-SECRET", "BSL-SECRET")
OTHER_SECRETS = ("HEARING-LOOP-SECRET", "POLISH-SECRET", "MAKATON-SECRET")


def support_needs_for(person, secrets):
    access, language, interpreter = secrets
    return MemberSupportNeeds.objects.create(
        member=person,
        access_needs=f"{access}: step-free access",
        preferred_language=language,
        interpreter_needed=True,
        interpreter_language=interpreter,
    )


def test_no_member_page_shows_support_needs(client, member, make_user):
    other = BoardMemberFactory()
    support_needs_for(member, SUPPORT_SECRETS)
    support_needs_for(other, OTHER_SECRETS)
    manager = make_user(roles.ENGAGEMENT_MANAGERS)
    mine = RecommendationFactory(author=member, title="Mine")
    services.recommendation_acknowledge(recommendation=mine, by=manager)
    theirs = RecommendationFactory(author=other, title="Theirs", author_named=True)
    services.recommendation_acknowledge(recommendation=theirs, by=manager)
    publish_response(CouncilResponseFactory(recommendation=theirs))
    ExpenseClaim.objects.create(
        claimant=member, kind=ExpenseClaim.Kind.INTERPRETING, amount="40.00", description="Taxi"
    )

    urls = [reverse(name) for name in MEMBER_PAGES] + [
        reverse("board:recommendation_detail", args=[mine.reference]),
        reverse("board:recommendation_detail", args=[theirs.reference]),
        reverse("board:board_recommendations") + "?page=1",
    ]
    for url in urls:
        body = page_text(client.get(url))
        for secret in (*SUPPORT_SECRETS, *OTHER_SECRETS):
            assert secret not in body, (url, secret)
    # The pages did render real content (the test is not passing on empty pages).
    assert "Theirs" in page_text(client.get(reverse("board:board_recommendations")))


def test_support_needs_admin_is_only_for_engagement_managers(client, signed_in, make_user):
    needs = support_needs_for(BoardMemberFactory(), SUPPORT_SECRETS)
    url = "/admin/board_supportneeds/"

    client.force_login(BoardMemberFactory())
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert "TIGRINYA-SECRET" not in response.content.decode()
    if response.status_code == 302:
        assert not response.url.startswith("/admin/board_supportneeds")
    client.logout()

    for role in (roles.APPROVERS, roles.INCLUSION_ANALYSTS):
        signed_in(make_user(role))
        assert client.get("/admin/").status_code == 200  # in the admin, with a second factor
        for path in (url, f"{url}edit/{needs.pk}/"):
            response = client.get(path, follow=True)
            body = response.content.decode()
            assert "TIGRINYA-SECRET" not in body, (role, path)
            assert "BSL-SECRET" not in body, (role, path)
            assert response.redirect_chain or response.status_code == 403, (role, path)
        client.logout()

    signed_in(make_user(roles.ENGAGEMENT_MANAGERS))
    body = page_text(client.get(url))
    assert "TIGRINYA-SECRET" in body
    assert "BSL-SECRET" in body


# --- The council's response --------------------------------------------------------------------


def test_published_response_shows_on_the_authors_page(client, member):
    recommendation = RecommendationFactory(author=member, status="response_drafted")
    response = CouncilResponseFactory(
        recommendation=recommendation, response="PUBLISHED-ANSWER: we will rewrite the letters."
    )
    publish_response(response)
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.PUBLISHED

    body = page_text(
        client.get(reverse("board:recommendation_detail", args=[recommendation.reference]))
    )
    assert "The council's response" in body
    assert "PUBLISHED-ANSWER" in body
    assert "Accepted" in body
    assert "Response published" in body


def test_draft_response_is_not_shown(client, member):
    recommendation = RecommendationFactory(author=member, status="response_drafted")
    CouncilResponseFactory(
        recommendation=recommendation, response="DRAFT-ANSWER: still being argued over."
    )

    body = page_text(
        client.get(reverse("board:recommendation_detail", args=[recommendation.reference]))
    )
    assert recommendation.title in body
    assert "DRAFT-ANSWER" not in body
    assert "The council's response" not in body


def test_draft_changes_to_a_published_response_are_not_shown(client, member):
    recommendation = RecommendationFactory(author=member, status="response_drafted")
    response = publish_response(
        CouncilResponseFactory(recommendation=recommendation, response="LIVE-ANSWER")
    )
    response.response = "UNAPPROVED-EDIT"
    response.save_revision()

    body = page_text(
        client.get(reverse("board:recommendation_detail", args=[recommendation.reference]))
    )
    assert "LIVE-ANSWER" in body
    assert "UNAPPROVED-EDIT" not in body
