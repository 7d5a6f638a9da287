"""Sessions end when they should, sensitive actions need a recent sign-in, receipts are private.

* Session lifetime: the server ends a session ``SESSION_COOKIE_AGE`` after it was last changed.
* Re-authentication (``cms.reauthentication``): erasing a former member, downloading one's own
  data and exporting survey responses need a sign-in or re-authentication within
  ``ACCOUNT_REAUTHENTICATION_TIMEOUT``; otherwise allauth asks again and then carries on.
* Receipts: kept in the private ``receipts`` storage, outside MEDIA_ROOT and with no URL, served
  only by ``board_expense_receipt`` to those who decide claims, as a logged download.
"""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY

from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from wagtail.models import ModelLogEntry

from board import services as board_services
from board.models import ExpenseClaim
from board.models.expenses import receipt_storage
from cms import roles
from cms.platform.audit import PERSONAL_DATA_DOWNLOAD, PERSONAL_DATA_VIEW
from cms.platform.personal_data import apply_retention as retention_apply
from cms.storage import PrivateFileSystemStorage
from tests.board.factories import BoardMemberFactory, MembershipFactory
from tests.conftest import current_totp_code, sign_in
from tests.factories import PASSWORD
from tests.surveys.factories import staff_survey_wave

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64

migration = importlib.import_module("board.migrations.0006_private_receipts")


# --- Session lifetime ---------------------------------------------------------------------------


def test_an_expired_session_is_signed_out(client, settings, monkeypatch):
    member = BoardMemberFactory()
    sign_in(client, member)
    dashboard = reverse("board:dashboard")
    assert client.get(dashboard).status_code == 200
    lifetime = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert lifetime <= timedelta(hours=8)
    stored = Session.objects.get(session_key=client.session.session_key)
    assert abs(stored.expire_date - (timezone.now() + lifetime)) < timedelta(minutes=1)

    real_now = timezone.now
    # A minute before the end the person is still signed in, and using the site does not
    # push the end back (the lifetime is not renewed by every request).
    monkeypatch.setattr(timezone, "now", lambda: real_now() + lifetime - timedelta(minutes=1))
    assert client.get(dashboard).status_code == 200
    assert Session.objects.get(session_key=stored.session_key).expire_date == stored.expire_date

    # A minute after it, the same cookie signs nobody in.
    monkeypatch.setattr(timezone, "now", lambda: real_now() + lifetime + timedelta(minutes=1))
    cache.clear()  # a cached_db session's cache entry runs out at the same moment
    response = client.get(dashboard)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


# --- Re-authentication for sensitive actions ----------------------------------------------------


def age_authentication(client, settings) -> None:
    """Make the session's sign-in look older than the re-authentication window."""
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    assert records, "the session was not signed in through allauth"
    for record in records:
        record["at"] -= settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


def with_next(name: str, path: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': path})}"


def asked_to_reauthenticate(response, path: str) -> bool:
    """Sent to allauth's re-authentication page (the password, first of the methods offered)."""
    return response.status_code == 302 and response.url == with_next("account_reauthenticate", path)


def reauthenticate_with_password(client, path: str, password: str = PASSWORD):
    return client.post(with_next("account_reauthenticate", path), {"password": password})


@pytest.fixture
def member_client(client):
    sign_in(client, BoardMemberFactory())
    return client


def test_a_fresh_sign_in_downloads_personal_data_at_once(member_client):
    response = member_client.get(reverse("board:my_data_download"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


def test_a_stale_session_must_reauthenticate_to_download_personal_data(member_client, settings):
    path = reverse("board:my_data_download")
    age_authentication(member_client, settings)

    response = member_client.get(path)
    assert asked_to_reauthenticate(response, path)
    assert not ModelLogEntry.objects.filter(action=PERSONAL_DATA_DOWNLOAD).exists()

    # The wrong password does not let them through.
    assert reauthenticate_with_password(member_client, path, "not-the-password").status_code == 200
    assert asked_to_reauthenticate(member_client.get(path), path)

    response = reauthenticate_with_password(member_client, path)
    assert response.status_code == 302 and response.url == path
    response = member_client.get(path)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert ModelLogEntry.objects.filter(action=PERSONAL_DATA_DOWNLOAD).count() == 1


@pytest.fixture
def manager(make_user):
    return make_user(roles.ENGAGEMENT_MANAGERS)


@pytest.fixture
def manager_client(client, manager, signed_in):
    return signed_in(manager)


@pytest.fixture
def former_member():
    person = BoardMemberFactory()
    today = timezone.localdate()
    MembershipFactory(
        member=person,
        term_starts=today - timedelta(days=1000),
        term_ends=today - timedelta(days=300),
    )
    return person


def test_a_stale_session_must_reauthenticate_to_erase_a_former_member(
    manager_client, former_member, settings
):
    path = reverse("board_member_erase", args=[former_member.pk])
    assert manager_client.get(path).status_code == 200  # freshly signed in: no question
    age_authentication(manager_client, settings)

    assert asked_to_reauthenticate(manager_client.get(path), path)
    # The form posted from a page left open too long is held, not acted on...
    response = manager_client.post(path, {"confirm": "on"})
    assert asked_to_reauthenticate(response, path)
    former_member.refresh_from_db()
    assert former_member.is_active
    assert not ModelLogEntry.objects.filter(action="board.member.erase").exists()

    # ...and carried out once the manager has proved who they are (allauth replays the post).
    response = reauthenticate_with_password(manager_client, path)
    assert response.status_code == 302
    assert response.url == reverse("board_former_members")
    former_member.refresh_from_db()
    assert not former_member.is_active
    assert former_member.email.endswith("@erased.invalid")
    assert ModelLogEntry.objects.filter(action="board.member.erase").count() == 1


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("surveys_export_responses", "csv"),
        ("surveys_export_responses", "xlsx"),
        ("surveys_export_free_text", "csv"),
    ],
)
def test_a_stale_session_must_reauthenticate_to_export_responses(
    analyst_client, settings, name, fmt
):
    wave = staff_survey_wave()
    path = reverse(name, args=[wave.pk, fmt])
    assert analyst_client.get(path).status_code == 200
    age_authentication(analyst_client, settings)
    exports_before = ModelLogEntry.objects.filter(action="surveys.export").count()

    response = analyst_client.get(path)
    assert asked_to_reauthenticate(response, path)
    assert ModelLogEntry.objects.filter(action="surveys.export").count() == exports_before

    # With a second factor enrolled, the authenticator code is accepted as well as the password.
    cache.clear()  # the code used to sign in a moment ago may be the current one
    response = analyst_client.post(
        with_next("mfa_reauthenticate", path),
        {"code": current_totp_code()},
    )
    assert response.status_code == 302 and response.url == path
    response = analyst_client.get(path)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]


def test_someone_without_the_permission_is_refused_not_asked_to_reauthenticate(
    manager_client, settings
):
    # Engagement managers cannot export survey responses: a stale session gets the refusal.
    path = reverse("surveys_export_responses", args=[staff_survey_wave().pk, "csv"])
    age_authentication(manager_client, settings)
    response = manager_client.get(path)
    assert response.status_code == 403


def test_a_reauthentication_does_not_outlive_the_window(member_client, settings):
    path = reverse("board:my_data_download")
    age_authentication(member_client, settings)
    reauthenticate_with_password(member_client, path)
    assert member_client.get(path).status_code == 200
    age_authentication(member_client, settings)
    assert asked_to_reauthenticate(member_client.get(path), path)


# --- Private receipts ---------------------------------------------------------------------------


@pytest.fixture
def on_disk(tmp_path, settings):
    """Public media and private receipts as real folders, as in production."""
    media, private = tmp_path / "media", tmp_path / "private-media"
    settings.MEDIA_ROOT = media
    settings.PRIVATE_MEDIA_ROOT = private
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media},
        },
        "receipts": {
            "BACKEND": "cms.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": private, "base_url": None},
        },
    }
    return media, private


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def claim_with_receipt(claimant=None, *, name: str = "receipt.pdf", content: bytes = PDF):
    claim = ExpenseClaim.objects.create(
        claimant=claimant or BoardMemberFactory(),
        kind=ExpenseClaim.Kind.TRAVEL,
        amount=Decimal("8.40"),
        description="Bus fare",
    )
    claim.receipt.save(name, ContentFile(content), save=True)
    return claim


def receipt_url(claim) -> str:
    return reverse("board_expense_receipt", args=[claim.pk])


def receipt_views():
    return ModelLogEntry.objects.filter(action=PERSONAL_DATA_VIEW, data__what="expense receipt")


def test_the_receipt_field_uses_the_private_storage_by_a_stable_callable():
    field = ExpenseClaim._meta.get_field("receipt")
    assert field.deconstruct()[3]["storage"] is receipt_storage
    assert field.storage is receipt_storage()


def test_an_uploaded_receipt_is_stored_outside_media_root_with_no_url(client, on_disk):
    media, private = on_disk
    member = BoardMemberFactory()
    client.force_login(member)
    response = client.post(
        reverse("board:expense_create"),
        {
            "meeting": "",
            "kind": ExpenseClaim.Kind.TRAVEL,
            "amount": "8.40",
            "description": "Bus fare",
            "receipt": SimpleUploadedFile("my ticket.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    claim = ExpenseClaim.objects.get(claimant=member)
    stored = private / claim.receipt.name
    assert files_under(private) == [stored]
    assert stored.read_bytes() == PDF
    assert files_under(media) == []
    assert isinstance(claim.receipt.storage._wrapped, PrivateFileSystemStorage)
    assert Path(claim.receipt.path) == stored
    assert not stored.resolve().is_relative_to(Path(media).resolve())
    with pytest.raises(ValueError, match="no public URL"):
        claim.receipt.url  # noqa: B018


def test_the_decide_page_links_the_checked_view_not_a_public_url(manager_client, on_disk):
    claim = claim_with_receipt()
    body = manager_client.get(reverse("board_expense_decide", args=[claim.pk])).content.decode()
    assert f'href="{receipt_url(claim)}"' in body
    assert "/media/" not in body and claim.receipt.name not in body


def test_the_decider_downloads_the_receipt_and_it_is_logged(manager_client, manager, on_disk):
    claim = claim_with_receipt()
    response = manager_client.get(receipt_url(claim))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="receipt-{claim.pk}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    entry = receipt_views().get()
    assert (entry.user, entry.object_id) == (manager, str(claim.claimant.pk))


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("r.png", PNG, "image/png"), ("r.jpg", JPEG, "image/jpeg"), ("r.jpeg", JPEG, "image/jpeg")],
)
def test_the_content_type_comes_from_the_stored_extension(
    manager_client, name, content, content_type
):
    claim = claim_with_receipt(name=name, content=content)
    response = manager_client.get(receipt_url(claim))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    extension = name.rsplit(".", 1)[1]
    assert response["Content-Disposition"] == (
        f'attachment; filename="receipt-{claim.pk}.{extension}"'
    )


def _refused(response, url: str) -> bool:
    """A refusal: 403, 404, 405 or a redirect elsewhere (sign-in, or the admin's home)."""
    if response.status_code in (403, 404, 405):
        return True
    return response.status_code == 302 and not response.url.startswith(url)


@pytest.mark.parametrize(
    "who",
    [
        "anonymous",
        "the claimant",
        "another board member",
        roles.APPROVERS,
        roles.INCLUSION_ANALYSTS,
    ],
)
def test_no_one_else_gets_the_receipt(client, signed_in, make_user, on_disk, who):
    claim = claim_with_receipt()
    if who == "the claimant":
        sign_in(client, claim.claimant)
    elif who == "another board member":
        sign_in(client, BoardMemberFactory())
    elif who != "anonymous":
        signed_in(make_user(who))
    for method in ("get", "post", "head"):
        response = getattr(client, method)(receipt_url(claim))
        assert _refused(response, receipt_url(claim)), (method, response)
        assert "Content-Disposition" not in response
        assert not getattr(response, "streaming", False)
        assert PDF not in response.content
    if who == "anonymous":
        response = client.get(receipt_url(claim))
        assert response.url.startswith(reverse("account_login"))
    assert not receipt_views().exists()


def test_only_get_is_allowed_for_the_decider(manager_client):
    claim = claim_with_receipt()
    assert manager_client.post(receipt_url(claim)).status_code == 405
    assert not receipt_views().exists()


def test_no_receipt_or_a_missing_file_is_not_found(manager_client):
    without = ExpenseClaim.objects.create(
        claimant=BoardMemberFactory(), kind="travel", amount=Decimal("1.00"), description="x"
    )
    assert manager_client.get(receipt_url(without)).status_code == 404
    missing = claim_with_receipt()
    receipt_storage().delete(missing.receipt.name)
    assert manager_client.get(receipt_url(missing)).status_code == 404
    assert manager_client.get(reverse("board_expense_receipt", args=[999999])).status_code == 404
    assert not receipt_views().exists()


def test_erasure_deletes_the_private_file(
    former_member, manager, on_disk, django_capture_on_commit_callbacks
):
    _, private = on_disk
    claim = claim_with_receipt(former_member)
    assert (private / claim.receipt.name).exists()
    with django_capture_on_commit_callbacks(execute=True):
        counts = board_services.former_member_erase(member=former_member, by=manager)
    assert counts["receipts_deleted"] == 1
    assert files_under(private) == []


def test_retention_deletes_the_private_file(settings, on_disk):
    _, private = on_disk
    old = claim_with_receipt()
    ExpenseClaim.objects.filter(pk=old.pk).update(
        submitted_at=timezone.now() - timedelta(days=settings.UNAPPROVED_RECEIPT_RETENTION_DAYS + 1)
    )
    recent = claim_with_receipt()
    assert retention_apply()["receipts of claims never approved"] == 1
    assert files_under(private) == [private / recent.receipt.name]


# --- Moving the receipts already uploaded (board/migrations/0006) -------------------------------


def put(root: Path, name: str, content: bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_the_migration_moves_every_public_receipt_and_is_idempotent(tmp_path):
    media, private = tmp_path / "media", tmp_path / "private"
    put(media, "receipts/2024/05/a.pdf", PDF)
    put(media, "receipts/2025/01/b.png", PNG)
    put(media, "documents/report.txt", b"public on purpose")

    counts = migration.move_tree(media, private)

    assert counts == {"moved": 2, "duplicates_removed": 0, "conflicts_kept": 0}
    assert (private / "receipts/2024/05/a.pdf").read_bytes() == PDF
    assert (private / "receipts/2025/01/b.png").read_bytes() == PNG
    assert not (media / "receipts").exists()
    assert (media / "documents/report.txt").read_bytes() == b"public on purpose"
    assert files_under(private) == [
        private / "receipts/2024/05/a.pdf",
        private / "receipts/2025/01/b.png",
    ]
    # Again: nothing to do, nothing changed.
    assert migration.move_tree(media, private) == {
        "moved": 0,
        "duplicates_removed": 0,
        "conflicts_kept": 0,
    }
    assert len(files_under(private)) == 2


def test_the_migration_never_loses_a_file(tmp_path):
    media, private = tmp_path / "media", tmp_path / "private"
    put(media, "receipts/2024/05/same.pdf", PDF)
    put(private, "receipts/2024/05/same.pdf", PDF)
    put(media, "receipts/2024/05/clash.pdf", PDF + b"public")
    put(private, "receipts/2024/05/clash.pdf", PDF + b"private")

    counts = migration.move_tree(media, private)

    assert counts == {"moved": 0, "duplicates_removed": 1, "conflicts_kept": 1}
    assert not (media / "receipts/2024/05/same.pdf").exists()
    assert (private / "receipts/2024/05/same.pdf").read_bytes() == PDF
    # Different content on each side: both kept for a person to look at.
    assert (media / "receipts/2024/05/clash.pdf").read_bytes() == PDF + b"public"
    assert (private / "receipts/2024/05/clash.pdf").read_bytes() == PDF + b"private"


def test_the_migration_with_nothing_to_move(tmp_path):
    assert migration.move_tree(tmp_path / "media", tmp_path / "private") == {
        "moved": 0,
        "duplicates_removed": 0,
        "conflicts_kept": 0,
    }
    assert not (tmp_path / "private").exists()


def test_after_the_migration_an_old_receipt_is_served_by_the_view(manager_client, on_disk):
    from django.apps import apps

    media, private = on_disk
    name = "receipts/2024/05/0123456789abcdef0123456789abcdef.pdf"
    put(media, name, PDF)
    claim = ExpenseClaim.objects.create(
        claimant=BoardMemberFactory(), kind="travel", amount=Decimal("3.00"), description="x"
    )
    ExpenseClaim.objects.filter(pk=claim.pk).update(receipt=name)

    migration.to_private(apps, None)

    assert files_under(media) == []
    assert (private / name).read_bytes() == PDF
    response = manager_client.get(receipt_url(claim))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    # Reversing the migration puts the file back where the old field looked for it.
    migration.to_public(apps, None)
    assert (media / name).read_bytes() == PDF
    assert files_under(private) == []


def test_the_migration_leaves_non_file_system_storages_alone(tmp_path, settings):
    # The test settings keep files in memory: there is no folder to move, and nothing breaks.
    from django.apps import apps

    settings.MEDIA_ROOT = tmp_path / "media"
    put(tmp_path / "media", "receipts/a.pdf", PDF)
    migration.to_private(apps, None)
    assert (tmp_path / "media/receipts/a.pdf").read_bytes() == PDF


def test_no_admin_page_tries_to_link_a_receipt(manager_client):
    # Receipts have no URL, so any page rendering the file field with a claim's receipt would
    # fail: the listing and the add form do not, and there is no copy view to prefill one.
    from django.urls import NoReverseMatch

    claim = claim_with_receipt()
    assert manager_client.get(reverse("board_expenseclaim:index")).status_code == 200
    assert manager_client.get(reverse("board_expenseclaim:add")).status_code == 200
    with pytest.raises(NoReverseMatch):
        reverse("board_expenseclaim:copy", args=[claim.pk])
    response = manager_client.get(reverse("board_expenseclaim:edit", args=[claim.pk]))
    assert response.url == reverse("board_expense_decide", args=[claim.pk])
