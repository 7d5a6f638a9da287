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
from surveys.models import InvitationBatch, SurveyInvitation
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
