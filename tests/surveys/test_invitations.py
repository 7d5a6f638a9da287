"""Invitations and reminders from the admin: single-use links, hashes only, counts only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from wagtail.models import ModelLogEntry

from surveys import selectors, services
from surveys.admin_forms import MAX_EMAIL_FILE_BYTES
from surveys.models import InvitationBatch, SurveyInvitation, WaveInvitee
from surveys.tokens import hash_token
from tests.board.factories import MembershipFactory
from tests.surveys.factories import WaveFactory, staff_survey_wave

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver/survey/([^/\s]+)/")


@pytest.fixture
def wave():
    return staff_survey_wave()


def _invitations_url(wave) -> str:
    return f"/admin/surveys/waves/{wave.pk}/invitations/"


def _post(client, url, data, capture, **kwargs):
    """Post, then run what was queued on commit (the task, on the immediate backend)."""
    with capture(execute=True):
        return client.post(url, data, **kwargs)


def _tokens(messages) -> list[str]:
    tokens = []
    for message in messages:
        found = LINK.findall(message.body)
        assert len(found) == 1, message.body
        tokens.append(found[0])
    return tokens


def _answers() -> dict:
    return {"equal_opportunity": "4", "ethnicity": "asian_indian"}


def test_pasted_addresses_are_sent_single_use_links(
    analyst_client, wave, django_capture_on_commit_callbacks
):
    response = _post(
        analyst_client,
        _invitations_url(wave),
        {"emails": "Ann@Example.org\nbob@example.org; not-an-email, cat@example.org"},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 invitations queued for sending." in page
    assert "not-an-email" in page  # reported back, ready to correct
    assert "1 entry is not a valid email address" in page

    assert sorted(m.to[0] for m in mail.outbox) == [
        "ann@example.org",
        "bob@example.org",
        "cat@example.org",
    ]
    tokens = _tokens(mail.outbox)
    assert len(set(tokens)) == 3
    assert set(SurveyInvitation.objects.values_list("token_hash", flat=True)) == {
        hash_token(token) for token in tokens
    }
    batch = InvitationBatch.objects.get()
    assert (batch.status, batch.sent, batch.total, batch.failed) == ("done", 3, 3, 0)
    assert batch.pending_emails == []

    # No raw token anywhere in the database: only SHA-256 hashes.
    stored = [
        *SurveyInvitation.objects.values_list(),
        *InvitationBatch.objects.values_list(),
        *ModelLogEntry.objects.values_list("data"),
    ]
    flat = repr(stored)
    for token in tokens:
        assert token not in flat
        assert re.fullmatch(r"[0-9a-f]{64}", hash_token(token))

    # Each link works once.
    services.response_submit(token=tokens[0], answers=_answers())
    with pytest.raises(services.SubmissionError):
        services.response_submit(token=tokens[0], answers=_answers())


def test_nothing_valid_is_an_error_and_sends_nothing(analyst_client, wave):
    response = analyst_client.post(_invitations_url(wave), {"emails": "nobody\n@example.org"})
    page = response.content.decode()
    assert "None of the entries is an email address." in page
    assert "2 entries are not a valid email address" in page
    assert not InvitationBatch.objects.exists()
    response = analyst_client.post(_invitations_url(wave), {"emails": "  "})
    assert "Paste email addresses or choose a file." in response.content.decode()


def test_repeats_and_people_already_invited_are_skipped(
    analyst_client, wave, django_capture_on_commit_callbacks
):
    url = _invitations_url(wave)
    _post(analyst_client, url, {"emails": "a@example.org"}, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    response = _post(
        analyst_client,
        url,
        {"emails": "a@example.org\nb@example.org\nB@example.org"},
        django_capture_on_commit_callbacks,
        follow=True,
    )
    page = response.content.decode()
    assert "1 invitation queued for sending." in page
    assert "1 address was already invited to this wave and skipped." in page
    assert "1 repeated address was sent only once." in page
    assert [m.to for m in mail.outbox] == [["b@example.org"]]
    assert SurveyInvitation.objects.filter(wave=wave).count() == 2

    response = analyst_client.post(url, {"emails": "a@example.org, b@example.org"})
    assert "Everyone on this list has already been invited" in response.content.decode()


def test_upload_a_csv_with_an_email_column(
    analyst_client, wave, django_capture_on_commit_callbacks
):
    csv_file = SimpleUploadedFile(
        "staff.csv",
        "\ufeffName,Work email,Team\nAnn,ann@example.org,HR\n"
        'Bo "B" Li,bo@example.org,"Place, planning"\n'.encode(),
        content_type="text/csv",
    )
    response = _post(
        analyst_client,
        _invitations_url(wave),
        {"file": csv_file},
        django_capture_on_commit_callbacks,
        follow=True,
    )
    assert "2 invitations queued" in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.org", "bo@example.org"]


def test_upload_a_text_file(analyst_client, wave, django_capture_on_commit_callbacks):
    text = SimpleUploadedFile("list.txt", b"x@example.org\r\ny@example.org\r\n")
    _post(
        analyst_client, _invitations_url(wave), {"file": text}, django_capture_on_commit_callbacks
    )
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("list.xlsx", b"a@example.org", "Upload a .csv or .txt file."),
        ("list.csv", "ann@example.org,Zoë".encode("latin-1"), "not UTF-8"),
        ("list.txt", b"a@example.org\x00", "not a text file"),
        ("list.txt", b"a" * (MAX_EMAIL_FILE_BYTES + 1), "larger than"),
    ],
)
def test_bad_uploads_are_refused(analyst_client, wave, name, content, message):
    upload = SimpleUploadedFile(name, content)
    response = analyst_client.post(_invitations_url(wave), {"file": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not InvitationBatch.objects.exists()


def test_a_closed_wave_takes_no_invitations(analyst_client):
    today = timezone.localdate()
    wave = WaveFactory(opens_on=today - timedelta(days=30), closes_on=today - timedelta(days=1))
    page = analyst_client.get(_invitations_url(wave)).content.decode()
    assert "This wave has closed" in page
    response = analyst_client.post(_invitations_url(wave), {"emails": "a@example.org"})
    assert "This wave has closed" in response.content.decode()
    assert not InvitationBatch.objects.exists()


def test_reminders_go_only_to_unused_links_with_a_new_link(
    analyst_client, wave, django_capture_on_commit_callbacks
):
    _post(
        analyst_client,
        _invitations_url(wave),
        {"emails": "a@example.org\nb@example.org\nc@example.org"},
        django_capture_on_commit_callbacks,
    )
    first = dict(zip((m.to[0] for m in mail.outbox), _tokens(mail.outbox), strict=True))
    services.response_submit(token=first["a@example.org"], answers=_answers())
    mail.outbox.clear()

    reminders_url = f"/admin/surveys/waves/{wave.pk}/reminders/"
    confirm = analyst_client.get(reminders_url).content.decode()
    assert "Yes, send 2 reminders" in confirm
    assert not mail.outbox  # nothing is sent without confirming

    response = _post(
        analyst_client, reminders_url, {"confirm": "yes"}, django_capture_on_commit_callbacks
    )
    batch = InvitationBatch.objects.get(kind=InvitationBatch.Kind.REMINDER)
    assert response.url == f"/admin/surveys/invitation-batches/{batch.pk}/"
    assert sorted(m.to[0] for m in mail.outbox) == ["b@example.org", "c@example.org"]
    assert all(m.subject.startswith("Reminder") for m in mail.outbox)
    second = dict(zip((m.to[0] for m in mail.outbox), _tokens(mail.outbox), strict=True))
    for email, token in second.items():
        assert token != first[email]
        # The old link stops working; the new one works.
        assert selectors.invitation_for_token(token=first[email]) is None
        with pytest.raises(services.SubmissionError) as error:
            services.response_submit(token=first[email], answers=_answers())
        assert error.value.reason == "invalid"
    services.response_submit(token=second["b@example.org"], answers=_answers())
    assert selectors.wave_response_rate(wave=wave)["responded"] == 2
    batch.refresh_from_db()
    assert (batch.sent, batch.total, batch.failed) == (2, 2, 0)


def test_reminders_need_someone_to_remind(analyst_client, wave):
    response = analyst_client.post(
        f"/admin/surveys/waves/{wave.pk}/reminders/", {"confirm": "yes"}, follow=True
    )
    assert "There is nobody left to remind." in response.content.decode()
    assert not InvitationBatch.objects.exists()


def test_invite_current_board_members(analyst_client, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    current = [MembershipFactory().member for _ in range(3)]
    MembershipFactory(
        term_starts=today - timedelta(days=800), term_ends=today - timedelta(days=70)
    )  # a former member
    wave = services.board_evaluation_create(
        year=today.year, opens_on=today, closes_on=today + timedelta(days=28)
    )
    page = analyst_client.get(_invitations_url(wave)).content.decode()
    assert "3 current board members" in page
    for member in current:
        assert member.email not in page
    response = _post(
        analyst_client,
        _invitations_url(wave),
        {"action": "board"},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in current)

    # Not offered (nor accepted) for a staff survey wave.
    staff_wave = staff_survey_wave()
    assert "Invite current board members" not in (
        analyst_client.get(_invitations_url(staff_wave)).content.decode()
    )
    analyst_client.post(_invitations_url(staff_wave), {"action": "board"})
    assert not SurveyInvitation.objects.filter(wave=staff_wave).exists()


def test_progress_page_shows_sent_of_total_and_refreshes_while_sending(analyst_client, wave):
    # Queued, but the worker has not run yet (on-commit callbacks are not executed here).
    response = analyst_client.post(
        _invitations_url(wave), {"emails": "a@example.org\nb@example.org"}
    )
    batch = InvitationBatch.objects.get()
    assert response.url == f"/admin/surveys/invitation-batches/{batch.pk}/"
    page = analyst_client.get(response.url).content.decode()
    assert "0 of 2 sent" in page
    assert "Queued" in page
    assert '<meta http-equiv="refresh" content="2">' in page.split("</head>")[0]

    services.invitation_batch_send(batch_id=batch.pk)
    page = analyst_client.get(response.url).content.decode()
    assert "2 of 2 sent (100% done)" in page
    assert "http-equiv" not in page


def test_survey_admin_templates_have_no_inline_script():
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.BASE_DIR) / "templates" / "surveys" / "admin"
    mine = [
        path for path in folder.glob("*.html") if not path.name.startswith(("import", "export"))
    ]
    assert len(mine) >= 6
    for path in mine:
        text = path.read_text().lower()
        assert "<script" not in text, path.name
        assert " on" + "click=" not in text, path.name


def test_no_admin_page_shows_who_was_invited_or_who_responded(
    analyst_client, wave, django_capture_on_commit_callbacks
):
    invitees = [f"person{n}@council.example.org" for n in range(4)]
    _post(
        analyst_client,
        _invitations_url(wave),
        {"emails": "\n".join(invitees)},
        django_capture_on_commit_callbacks,
    )
    tokens = dict(zip((m.to[0] for m in mail.outbox), _tokens(mail.outbox), strict=True))
    services.response_submit(token=tokens[invitees[0]], answers=_answers())
    _post(
        analyst_client,
        f"/admin/surveys/waves/{wave.pk}/reminders/",
        {"confirm": "yes"},
        django_capture_on_commit_callbacks,
    )
    # One more batch still waiting with its addresses.
    analyst_client.post(_invitations_url(wave), {"emails": "waiting@council.example.org"})
    invitees.append("waiting@council.example.org")

    urls = [
        "/admin/surveys_survey/",
        f"/admin/surveys_survey/edit/{wave.survey_id}/",
        "/admin/surveys_wave/",
        f"/admin/surveys_wave/?survey={wave.survey_id}",
        f"/admin/surveys_wave/edit/{wave.pk}/",
        f"/admin/surveys_wave/history/{wave.pk}/",
        "/admin/surveys_question/",
        f"/admin/surveys_question/?wave={wave.pk}",
        f"/admin/surveys/waves/{wave.pk}/questions/",
        _invitations_url(wave),
        f"/admin/surveys/waves/{wave.pk}/reminders/",
        "/admin/surveys/board-evaluation/new/",
        *[
            f"/admin/surveys/invitation-batches/{pk}/"
            for pk in InvitationBatch.objects.values_list("pk", flat=True)
        ],
    ]
    for url in urls:
        response = analyst_client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode().lower()
        for email in invitees:
            assert email not in page, (url, email)
        assert "council.example.org" not in page, url

    # Counts only.
    page = analyst_client.get(_invitations_url(wave)).content.decode()
    counts = re.search(r"<tbody><tr><td>(\d+)</td><td>(\d+)</td><td>(\d+)%</td>", page)
    # The waiting batch has not been sent yet: its address is not an invitation until it is.
    assert counts.groups() == ("4", "1", "25")


# --- Waves that hide who answered ------------------------------------------------------------


def _hidden(wave):
    return services.wave_participation_set(wave=wave, participation="hidden", by=None)


def test_the_board_evaluation_hides_who_answered_by_default(analyst_client):
    today = timezone.localdate()
    board = services.board_evaluation_create(
        year=today.year, opens_on=today, closes_on=today + timedelta(days=28)
    )
    assert board.hides_participation
    assert not staff_survey_wave().hides_participation
    # Made from the generic wave form too: a board evaluation's next year.
    response = analyst_client.post(
        "/admin/surveys_wave/new/",
        {
            "survey": board.survey_id,
            "year": today.year + 1,
            "opens_on": today.replace(year=today.year + 1),
            "closes_on": today.replace(year=today.year + 1) + timedelta(days=28),
            "introduction": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert board.survey.waves.get(year=today.year + 1).hides_participation
    page = analyst_client.get(_invitations_url(board)).content.decode()
    assert "not even someone with the whole database can tell who has answered" in page


def test_the_mode_is_chosen_on_the_invitations_page_until_something_is_sent(
    analyst_client, wave, django_capture_on_commit_callbacks
):
    url = _invitations_url(wave)
    page = analyst_client.get(url).content.decode()
    assert "someone with the database can" in page
    assert 'name="participation"' in page

    analyst_client.post(url, {"action": "participation", "participation": "hidden"})
    wave.refresh_from_db()
    assert wave.hides_participation
    assert ModelLogEntry.objects.filter(action="surveys.wave.participation").count() == 1
    analyst_client.post(url, {"action": "participation", "participation": "sideways"})
    wave.refresh_from_db()
    assert wave.hides_participation

    _post(analyst_client, url, {"emails": "a@example.org"}, django_capture_on_commit_callbacks)
    page = analyst_client.get(url).content.decode()
    assert 'name="participation"' not in page
    assert "can no longer change" in page
    response = analyst_client.post(
        url, {"action": "participation", "participation": "standard"}, follow=True
    )
    assert "can no longer be hidden or shown differently" in response.content.decode()
    wave.refresh_from_db()
    assert wave.hides_participation


def test_hidden_links_hold_no_address_and_the_list_is_kept_apart(
    analyst_client, wave, django_capture_on_commit_callbacks
):
    _hidden(wave)
    url = _invitations_url(wave)
    _post(
        analyst_client,
        url,
        {"emails": "a@example.org\nb@example.org\nc@example.org"},
        django_capture_on_commit_callbacks,
    )
    assert len(mail.outbox) == 3
    assert set(SurveyInvitation.objects.values_list("email", flat=True)) == {""}
    assert sorted(WaveInvitee.objects.values_list("email", flat=True)) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    # Sending the list again skips those on it.
    response = analyst_client.post(url, {"emails": "a@example.org, b@example.org"})
    assert "Everyone on this list has already been invited" in response.content.decode()
    assert selectors.wave_response_rate(wave=wave)["invited"] == 3


def test_hidden_reminders_go_to_everyone_invited_without_a_link(
    analyst_client, wave, django_capture_on_commit_callbacks
):
    _hidden(wave)
    _post(
        analyst_client,
        _invitations_url(wave),
        {"emails": "a@example.org\nb@example.org\nc@example.org"},
        django_capture_on_commit_callbacks,
    )
    first = dict(zip((m.to[0] for m in mail.outbox), _tokens(mail.outbox), strict=True))
    services.response_submit(token=first["a@example.org"], answers=_answers())
    links_before = set(SurveyInvitation.objects.values_list("token_hash", "used"))
    mail.outbox.clear()

    reminders_url = f"/admin/surveys/waves/{wave.pk}/reminders/"
    confirm = analyst_client.get(reminders_url).content.decode()
    assert "Yes, send 3 reminders" in confirm
    assert "including those who have already answered" in confirm
    _post(analyst_client, reminders_url, {"confirm": "yes"}, django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mail.outbox) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    for message in mail.outbox:
        assert message.subject.startswith("Reminder")
        assert "If you have already answered, thank you" in message.body
        assert "use the link in the invitation email we sent you" in message.body
        assert not LINK.search(message.body)  # no second link to answer again
    # The links did not change: the first ones still work, and nothing records a reminder.
    assert set(SurveyInvitation.objects.values_list("token_hash", "used")) == links_before
    assert set(SurveyInvitation.objects.values_list("reminders_sent", flat=True)) == {0}
    services.response_submit(token=first["b@example.org"], answers=_answers())
    batch = InvitationBatch.objects.get(kind=InvitationBatch.Kind.REMINDER)
    assert (batch.sent, batch.total, batch.failed) == (3, 3, 0)


def test_a_hidden_address_whose_email_failed_leaves_the_list(wave, monkeypatch):
    _hidden(wave)
    real_send = services._send_link

    def bounce(*, email, **kwargs):
        if email == "bad@example.org":
            raise OSError("mailbox unavailable")
        return real_send(email=email, **kwargs)

    monkeypatch.setattr(services, "_send_link", bounce)
    batch = services.invitation_batch_create(
        wave=wave, emails=["good@example.org", "bad@example.org"], by=None
    )
    batch = services.invitation_batch_send(batch_id=batch.pk)

    assert (batch.sent, batch.failed) == (1, 1)
    assert list(WaveInvitee.objects.values_list("email", flat=True)) == ["good@example.org"]
    assert SurveyInvitation.objects.count() == 1


def test_a_link_opened_before_its_wave_was_rewritten_still_submits(wave):
    """A later batch rewrites a hidden wave's links; someone who loaded theirs just before
    still submits, and the link still works once only."""
    _hidden(wave)
    batch = services.invitation_batch_create(wave=wave, emails=["a@example.org"], by=None)
    services.invitation_batch_send(batch_id=batch.pk)
    (token,) = _tokens(mail.outbox)
    loaded = selectors.invitation_for_token(token=token)
    batch = services.invitation_batch_create(wave=wave, emails=["late@example.org"], by=None)
    services.invitation_batch_send(batch_id=batch.pk)
    assert not SurveyInvitation.objects.filter(pk=loaded.pk).exists()

    services.response_submit(token=token, answers=_answers(), invitation=loaded)

    assert SurveyInvitation.objects.filter(used=True).count() == 1
    with pytest.raises(services.SubmissionError) as error:
        services.response_submit(token=token, answers=_answers(), invitation=loaded)
    assert error.value.reason == "used"


def test_the_invited_list_goes_when_the_wave_closes(wave):
    from io import StringIO

    from django.core.management import call_command

    from tests.surveys.factories import close_wave

    _hidden(wave)
    services.invitation_batch_create(wave=wave, emails=["a@example.org", "b@example.org"], by=None)
    open_wave = _hidden(staff_survey_wave())
    services.invitation_batch_create(wave=open_wave, emails=["c@example.org"], by=None)
    close_wave(wave)

    out = StringIO()
    call_command("release_survey_responses", stdout=out)

    assert "Deleted 2 addresses on the invited lists of closed waves." in out.getvalue()
    assert list(WaveInvitee.objects.values_list("email", flat=True)) == ["c@example.org"]


def test_erasure_and_the_download_cover_the_invited_list(make_user):
    from cms.platform import personal_data

    person = make_user(email="listed@example.org")
    wave = _hidden(staff_survey_wave())
    services.invitation_batch_create(wave=wave, emails=[person.email, "other@example.org"], by=None)

    sections = {s.key: s.data for s in personal_data.sections(user=person)}
    assert sections["survey_invitee_lists"] == [{"survey": wave.survey.name, "year": wave.year}]
    preview = personal_data.erasure_preview(user=person)
    assert any("invited list of 1 survey wave" in line for line in preview.deletes)

    counts = personal_data.erase(user=person, by=make_user())

    assert counts["survey_invitee_addresses_deleted"] == 1
    assert list(WaveInvitee.objects.values_list("email", flat=True)) == ["other@example.org"]
