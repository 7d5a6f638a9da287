"""Taking the anonymous survey through a single-use link, with the test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys import services, views
from surveys.forms import DRAFT_COOKIE
from surveys.models import (
    Answer,
    FreeTextAnswer,
    Question,
    Response,
    SurveyDraft,
    SurveyInvitation,
)
from surveys.tokens import hash_token
from tests.surveys.factories import QuestionFactory, WaveFactory, invite, staff_survey_wave

pytestmark = pytest.mark.django_db

PAGE_1 = {"answer-equal_opportunity": "4", "answer-belonging": "5", "answer-directorate": "people"}
PAGE_2 = {"answer-improve": "More mentoring for new managers", "answer-ethnicity": "asian_indian"}


@pytest.fixture
def wave():
    return staff_survey_wave(
        introduction="We ask every year how fair the council is.\n\nIt takes ten minutes."
    )


@pytest.fixture
def token(wave):
    return invite(wave)


def start_url(token: str) -> str:
    return reverse("surveys:take", kwargs={"token": token})


def page_url(token: str, number: int) -> str:
    return reverse("surveys:take_page", kwargs={"token": token, "number": number})


def check_url(token: str) -> str:
    return reverse("surveys:take_check", kwargs={"token": token})


def text(response) -> str:
    return response.content.decode()


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", text(response), re.S).group(1).strip()


def question(wave, key: str) -> Question:
    return wave.questions.get(key=key)


def nothing_stored(wave) -> bool:
    return (
        not Response.objects.filter(wave=wave).exists()
        and not Answer.objects.exists()
        and not FreeTextAnswer.objects.exists()
        and not SurveyInvitation.objects.filter(wave=wave, used=True).exists()
    )


def answer_both_pages(client, token, page_1=PAGE_1, page_2=PAGE_2):
    first = client.post(page_url(token, 1), {"action": "continue", **page_1})
    assert first.status_code == 302, text(first)
    second = client.post(page_url(token, 2), {"action": "continue", **page_2})
    assert second.status_code == 302, text(second)
    return second


# --- The journey ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("release_at_once")
def test_full_journey_stores_one_anonymous_response(client, wave, token):
    start = client.get(start_url(token))
    assert start.status_code == 200
    body = text(start)
    assert "Page 1 of 2" in body
    assert "We ask every year how fair the council is." in body
    assert "Your answers are anonymous" in body
    assert f'action="{page_url(token, 1)}"' in body
    assert "(optional)" in body  # "I feel I belong" is optional

    to_page_2 = client.post(page_url(token, 1), {"action": "continue", **PAGE_1})
    assert to_page_2.status_code == 302
    assert to_page_2.url == page_url(token, 2)
    page_2 = client.get(to_page_2.url)
    assert "Page 2 of 2" in text(page_2)
    assert "Your answers are anonymous" not in text(page_2)

    to_check = client.post(page_url(token, 2), {"action": "continue", **PAGE_2})
    assert to_check.status_code == 302
    assert to_check.url == check_url(token)
    check = client.get(to_check.url)
    assert check.status_code == 200
    body = text(check)
    assert "Check your answers" in body
    for shown in ("Agree", "Strongly agree", "People", "Indian", "More mentoring for new managers"):
        assert shown in body
    assert f'href="{page_url(token, 1)}?change=1#q{question(wave, "equal_opportunity").pk}"' in body
    assert f'href="{page_url(token, 2)}?change=1#q{question(wave, "ethnicity").pk}"' in body
    assert nothing_stored(wave)  # nothing is written before "Submit"

    submitted = client.post(check_url(token))
    assert submitted.status_code == 302
    assert submitted.url == reverse("surveys:thank_you") == "/survey/thank-you/"
    thanks = client.get(submitted.url)
    assert thanks.status_code == 200
    assert "Your answers have been saved anonymously" in text(thanks)
    assert "govuk-panel--confirmation" in text(thanks)

    response = Response.objects.get()
    assert response.wave == wave
    assert response.submitted_on == timezone.localdate()
    assert set(response.answers.values_list("question__key", "value")) == {
        ("equal_opportunity", "4"),
        ("belonging", "5"),
        ("directorate", "people"),
        ("ethnicity", "asian_indian"),
    }
    free_text = FreeTextAnswer.objects.get()
    assert free_text.question == question(wave, "improve")
    assert free_text.text == "More mentoring for new managers"
    invitation = SurveyInvitation.objects.get(wave=wave)
    assert invitation.used is True
    assert invitation.email == ""
    assert not SurveyDraft.objects.exists()  # the draft went with the submission


@pytest.mark.usefixtures("release_at_once")
def test_multiple_choice_is_checkboxes_and_stores_one_answer_per_choice(client, wave, token):
    support = QuestionFactory(
        wave=wave,
        key="support",
        page=2,
        order=3,
        kind=Question.Kind.MULTIPLE,
        required=False,
        text="Which support have you used?",
        options=[["mentoring", "Mentoring"], ["network", "Staff network"], ["coach", "Coaching"]],
    )
    page = text(client.get(page_url(token, 2)))
    assert f'id="q{support.pk}" name="answer-support" type="checkbox" value="mentoring"' in page
    assert "Select all that apply." in page

    answer_both_pages(client, token, page_2={**PAGE_2, "answer-support": ["mentoring", "coach"]})
    check = text(client.get(check_url(token)))
    assert "Mentoring" in check
    assert "Coaching" in check
    client.post(check_url(token))

    assert set(Answer.objects.filter(question=support).values_list("value", flat=True)) == {
        "mentoring",
        "coach",
    }


def test_likert_and_ethnicity_are_gov_uk_radios_in_order(client, wave, token):
    page_1 = text(client.get(start_url(token)))
    likert_id = f"q{question(wave, 'equal_opportunity').pk}"
    labels = re.findall(
        rf'<input class="govuk-radios__input" id="{likert_id}(?:-\d)?" '
        r'name="answer-equal_opportunity" type="radio" value="(\d)">',
        page_1,
    )
    assert labels == ["5", "4", "3", "2", "1"]
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">' in page_1

    page_2 = text(client.get(page_url(token, 2)))
    headings = re.findall(r'<h3 class="govuk-heading-s[^"]*" id="[^"]+">([^<]+)</h3>', page_2)
    assert headings == [
        "White",
        "Mixed or Multiple ethnic groups",
        "Asian, Asian British or Asian Welsh",
        "Black, Black British, Black Welsh, Caribbean or African",
        "Other ethnic group",
    ]
    values = re.findall(r'name="answer-ethnicity" type="radio" value="([a-z_]+)"', page_2)
    assert len(values) == 20
    assert values[-1] == "prefer_not_to_say"
    assert values.index("asian_indian") < values.index("black_african")
    assert '<div class="govuk-radios__divider">or</div>' in page_2
    assert "<textarea" in page_2


# --- Errors ----------------------------------------------------------------------------------


def test_missing_required_answer_shows_errors_and_stores_nothing(client, wave, token):
    answer = client.post(page_url(token, 1), {"action": "continue", "answer-belonging": "3"})

    assert answer.status_code == 200
    body = text(answer)
    required_id = f"q{question(wave, 'equal_opportunity').pk}"
    assert title(answer).startswith("Error: ")
    assert "There is a problem" in body
    assert f'<a href="#{required_id}">Select an answer</a>' in body
    assert f'id="{required_id}-error" class="govuk-error-message"' in body
    assert "govuk-form-group--error" in body
    # The answer that was given is kept on the page shown again.
    assert 'name="answer-belonging" type="radio" value="3" checked' in body
    assert nothing_stored(wave)


def test_required_answer_missing_at_submit_shows_the_right_page(client, wave, token):
    client.post(page_url(token, 1), {"action": "continue", **PAGE_1})
    # Straight to the check page, without answering page 2's required ethnicity question.
    check = client.get(check_url(token))
    assert check.status_code == 200
    assert "Page 2 of 2" in text(check)
    assert title(check).startswith("Error: ")

    submitted = client.post(check_url(token))

    assert submitted.status_code == 200
    body = text(submitted)
    assert "Page 2 of 2" in body
    ethnicity_id = f"q{question(wave, 'ethnicity').pk}"
    assert f'<a href="#{ethnicity_id}">Select an answer</a>' in body
    assert f'action="{page_url(token, 2)}"' in body
    assert nothing_stored(wave)


@pytest.mark.parametrize(
    ("number", "posted", "key"),
    [
        (1, {**PAGE_1, "answer-equal_opportunity": "9"}, "equal_opportunity"),
        (1, {**PAGE_1, "answer-directorate": "finance"}, "directorate"),
        (2, {**PAGE_2, "answer-ethnicity": "martian"}, "ethnicity"),
    ],
)
def test_values_not_offered_are_refused(client, wave, token, number, posted, key):
    if number == 2:
        client.post(page_url(token, 1), {"action": "continue", **PAGE_1})

    answer = client.post(page_url(token, number), {"action": "continue", **posted})

    assert answer.status_code == 200
    assert title(answer).startswith("Error: ")
    assert f'<a href="#q{question(wave, key).pk}">Select from the options given</a>' in text(answer)
    # And a tampered draft cannot be submitted either.
    assert client.post(check_url(token)).status_code == 200
    assert nothing_stored(wave)


def test_too_long_free_text_is_an_error_and_kept_when_going_back(client, wave, token):
    client.post(page_url(token, 1), {"action": "continue", **PAGE_1})
    long_text = "x" * 5001

    answer = client.post(
        page_url(token, 2), {"action": "continue", **PAGE_2, "answer-improve": long_text}
    )
    assert "Answer in 5,000 characters or fewer" in text(answer)

    client.post(page_url(token, 2), {"action": "back", **PAGE_2, "answer-improve": long_text})
    assert long_text in text(client.get(page_url(token, 2)))
    assert nothing_stored(wave)


# --- Coming back -----------------------------------------------------------------------------


def test_leaving_and_coming_back_keeps_the_answers(client, wave, token):
    client.post(page_url(token, 1), {"action": "continue", **PAGE_1})
    back_to_1 = client.post(
        page_url(token, 2),
        {"action": "back", "answer-improve": "Half written", "answer-ethnicity": "white_irish"},
    )
    assert back_to_1.status_code == 302
    assert back_to_1.url == page_url(token, 1)
    client.post(page_url(token, 1), {"action": "continue", **PAGE_1})

    # The person closes the tab and later opens the emailed link in the same browser.
    again = client.get(start_url(token))
    assert again.status_code == 302
    assert again.url == page_url(token, 2)
    page_2 = text(client.get(again.url))
    assert "Half written" in page_2
    assert 'name="answer-ethnicity" type="radio" value="white_irish" checked' in page_2
    page_1 = text(client.get(page_url(token, 1)))
    assert 'name="answer-equal_opportunity" type="radio" value="4" checked' in page_1
    assert 'name="answer-directorate" type="radio" value="people" checked' in page_1

    # The draft is in this browser's session only: another browser starts afresh.
    elsewhere = text(Client().get(start_url(token)))
    assert "checked" not in elsewhere

    # Nothing was written next to the invitation while the draft was kept.
    invitation = SurveyInvitation.objects.get(wave=wave)
    assert invitation.used is False
    assert invitation.email == "staff@example.org"
    assert nothing_stored(wave)


def test_coming_back_after_reaching_check_answers_goes_there(client, token):
    answer_both_pages(client, token)
    again = client.get(start_url(token))
    assert again.status_code == 302
    assert again.url == check_url(token)


def test_two_links_in_one_browser_keep_separate_drafts(client, wave, token):
    other_wave = staff_survey_wave()
    other = invite(other_wave, "staff@example.org", token="second-link")
    client.post(page_url(other, 1), {"action": "continue", **PAGE_1, "answer-belonging": "1"})
    answer_both_pages(client, token)

    assert SurveyDraft.objects.count() == 2

    client.post(check_url(token))

    assert SurveyDraft.objects.count() == 1
    page = text(client.get(page_url(other, 1)))
    assert 'name="answer-belonging" type="radio" value="1" checked' in page
    assert Response.objects.filter(wave=other_wave).count() == 0


def test_the_draft_is_not_keyed_by_the_stored_token_hash(client, wave, token):
    client.post(page_url(token, 1), {"action": "continue", **PAGE_1})
    draft = SurveyDraft.objects.values().get()

    # The draft table cannot be joined to invitations, and holds neither the token nor its hash.
    assert draft["id"] != hash_token(token)
    assert hash_token(token) not in repr(draft)
    assert token not in repr(draft)
    assert token not in client.cookies[DRAFT_COOKIE].value
    assert draft["wave_id"] == wave.pk


def test_change_link_returns_to_check_answers(client, wave, token):
    answer_both_pages(client, token)
    change = client.get(f"{page_url(token, 1)}?change=1")
    assert '<input type="hidden" name="change" value="1">' in text(change)

    changed = client.post(
        page_url(token, 1),
        {"action": "continue", "change": "1", **PAGE_1, "answer-equal_opportunity": "1"},
    )

    assert changed.url == check_url(token)
    assert "Strongly disagree" in text(client.get(check_url(token)))


def test_submit_without_a_draft_in_this_browser_goes_to_the_start(client, wave, token):
    # For instance after the session expired: nothing is submitted on the person's behalf.
    wave.questions.update(required=False)
    submitted = client.post(check_url(token))
    assert submitted.status_code == 302
    assert submitted.url == start_url(token)
    assert client.get(check_url(token)).url == start_url(token)
    assert nothing_stored(wave)


def test_a_page_number_out_of_range_goes_to_the_start(client, token):
    assert client.get(page_url(token, 9)).url == start_url(token)


# --- Links that cannot be used ---------------------------------------------------------------


@pytest.mark.usefixtures("release_at_once")
def test_used_link_is_gone_and_a_second_submit_stores_nothing(client, wave, token):
    answer_both_pages(client, token)
    assert client.post(check_url(token)).status_code == 302

    again = client.get(start_url(token))
    assert again.status_code == 410
    assert "This survey link has already been used" in text(again)
    assert "Each survey link works once" in text(again)
    assert "anonymously" in text(again)

    resubmitted = client.post(check_url(token))
    assert resubmitted.status_code == 410
    # Another browser with a full draft of its own cannot use the link either.
    other = Client()
    assert other.post(page_url(token, 1), {"action": "continue", **PAGE_1}).status_code == 410
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 4
    assert FreeTextAnswer.objects.count() == 1


@pytest.mark.usefixtures("release_at_once")
def test_link_used_elsewhere_while_checking_shows_used_page(client, wave, token, monkeypatch):
    """The race the service settles: another browser submits between our check and our write."""
    answer_both_pages(client, token)
    real_open_link = views._open_link

    def other_browser_wins(request, token):
        link = real_open_link(request, token)
        # Our request has loaded the link; the other browser submits (and commits) before our
        # write, so only the write can tell.
        services.response_submit(token=token, answers=link.draft.answers)
        return link

    monkeypatch.setattr(views, "_open_link", other_browser_wins)
    submitted = client.post(check_url(token))

    assert submitted.status_code == 410
    assert "This survey link has already been used" in text(submitted)
    assert Response.objects.count() == 1


def test_closed_wave_shows_closed_page(client):
    today = timezone.localdate()
    wave = staff_survey_wave(opens_on=today - timedelta(days=30), closes_on=today - timedelta(1))
    token = invite(wave)

    closed = client.get(start_url(token))
    assert closed.status_code == 410
    assert "This survey has closed" in text(closed)
    assert f"{wave.closes_on.day} {wave.closes_on:%B %Y}" in text(closed)
    posted = client.post(page_url(token, 1), {"action": "continue", **PAGE_1})
    assert posted.status_code == 410
    assert client.post(check_url(token)).status_code == 410
    assert nothing_stored(wave)


def test_wave_not_open_yet_says_when_it_opens(client):
    today = timezone.localdate()
    wave = staff_survey_wave(opens_on=today + timedelta(days=3), closes_on=today + timedelta(30))
    token = invite(wave)

    early = client.get(start_url(token))

    assert early.status_code == 200
    assert "This survey is not open yet" in text(early)
    assert f"opens on {wave.opens_on.day} {wave.opens_on:%B %Y}" in text(early)
    assert "<form" not in text(early).split('id="main-content"')[1]
    assert client.post(check_url(token)).status_code == 200
    assert nothing_stored(wave)


def test_wave_without_questions_is_not_ready(client):
    token = invite(WaveFactory())
    page = client.get(start_url(token))
    assert page.status_code == 200
    assert "The questions are not ready yet" in text(page)


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_token_shows_not_recognised_page(client, wave, method):
    unknown = getattr(client, method)(
        start_url("not-a-real-token") if method == "get" else check_url("not-a-real-token")
    )

    assert unknown.status_code == 404
    assert "This link is not recognised" in text(unknown)
    assert "Traceback" not in text(unknown)
    assert nothing_stored(wave)


# --- Safety ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("release_at_once")
def test_free_text_with_html_is_stored_as_text_and_shown_escaped(client, wave, token):
    hostile = '<script>alert("x")</script><b onmouseover="steal()">bold</b>'
    answer_both_pages(client, token, page_2={**PAGE_2, "answer-improve": hostile})

    check = text(client.get(check_url(token)))
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in check
    assert "<script>alert(" not in check
    assert "<b onmouseover" not in check
    # And on the page itself, inside the textarea.
    assert "<script>alert(" not in text(client.get(page_url(token, 2)))

    client.post(check_url(token))
    assert FreeTextAnswer.objects.get().text == hostile


def test_posts_need_the_csrf_token(wave, token):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(start_url(token))
    assert page.status_code == 200
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(page)).group(1)

    forged = browser.post(page_url(token, 1), {"action": "continue", **PAGE_1})
    assert forged.status_code == 403
    # What a browser sends under "Referrer-Policy: no-referrer": refused even with the token,
    # which is why these pages use "strict-origin" (see views.SURVEY_REFERRER_POLICY).
    opaque = browser.post(
        page_url(token, 1),
        {"action": "continue", "csrfmiddlewaretoken": csrf, **PAGE_1},
        HTTP_ORIGIN="null",
    )
    assert opaque.status_code == 403
    real = browser.post(
        page_url(token, 1),
        {"action": "continue", "csrfmiddlewaretoken": csrf, **PAGE_1},
        HTTP_ORIGIN="http://testserver",
    )
    assert real.status_code == 302
    assert nothing_stored(wave)


def test_changes_are_post_only(client, token):
    assert client.post(start_url(token)).status_code == 405
    assert client.put(page_url(token, 1)).status_code == 405
    assert client.delete(check_url(token)).status_code == 405
    assert client.post(reverse("surveys:thank_you")).status_code == 405


@pytest.mark.parametrize("where", ["start", "page", "check", "used", "unknown", "thanks"])
def test_survey_pages_send_no_path_as_referrer_no_index_no_cache(client, wave, token, where):
    if where == "check":
        answer_both_pages(client, token)
    if where == "used":
        answer_both_pages(client, token)
        client.post(check_url(token))
    url = {
        "start": start_url(token),
        "page": page_url(token, 2),
        "check": check_url(token),
        "used": start_url(token),
        "unknown": start_url("nope"),
        "thanks": reverse("surveys:thank_you"),
    }[where]

    response = client.get(url)

    assert response.status_code in (200, 404, 410)
    # The origin alone, never the path with the token in it ("no-referrer" would make browsers
    # post "Origin: null", which the CSRF check refuses: see test_posts_need_the_csrf_token).
    assert response.headers["Referrer-Policy"] == "strict-origin"
    assert "noindex" in response.headers["X-Robots-Tag"]
    cache_control = response.headers["Cache-Control"]
    assert "no-store" in cache_control
    assert "no-cache" in cache_control
    assert "private" in cache_control


# --- Signed in to the site -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "analyst", "superuser"])
def test_a_signed_in_respondent_answers_anonymously_and_is_told_so(client_as, wave, token, role):
    """A board member or an officer who is signed in sees neither their name nor their email
    address on any survey page, no account navigation, and that their answers are not linked
    to their account."""
    client = client_as(role, first_name="Ngozi", last_name="Okafor")
    user = client.user
    bodies = [text(client.get(start_url(token)))]
    answer_both_pages(client, token)
    bodies += [text(client.get(url)) for url in (page_url(token, 2), check_url(token))]
    assert client.post(check_url(token)).status_code == 302
    bodies.append(text(client.get(reverse("surveys:thank_you"))))

    for body in bodies:
        assert "Answering anonymously" in body
        assert "not linked to your account" in body
        for shown in (user.email, "Ngozi", "Okafor", "Signed in as", "Sign out", "Your account"):
            assert shown not in body, shown
        assert 'href="/admin/' not in body  # neither the Admin link nor Wagtail's user bar
        assert "Your board home" not in body
    # Elsewhere on the site the account navigation is as before.
    home = text(client.get("/"))
    assert "Sign out" in home
    assert f"Signed in as {user.email}" in home


def test_an_anonymous_respondent_is_not_told_about_an_account(client, token):
    body = text(client.get(start_url(token)))
    assert "Answering anonymously" in body
    assert "not linked to your account" not in body
    assert "Sign in" not in body
