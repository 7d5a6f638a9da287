"""Expense claims: members claim with a receipt, engagement managers decide, totals export."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from board.models import Attendance, ExpenseClaim
from board.models.expenses import receipt_storage
from cms import roles
from tests.board.factories import BoardMemberFactory, MeetingFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def stored_receipts() -> set[str]:
    """Every file under receipts/ in the (in-memory, private) receipts storage."""
    found: set[str] = set()

    def walk(folder: str) -> None:
        try:
            folders, files = receipt_storage().listdir(folder)
        except FileNotFoundError:
            return
        found.update(f"{folder}/{name}" for name in files)
        for name in folders:
            walk(f"{folder}/{name}")

    walk("receipts")
    return found


@pytest.fixture
def member(client):
    person = BoardMemberFactory(first_name="Grace", last_name="Claimant")
    client.force_login(person)
    return person


def claim_data(**overrides):
    data = {
        "meeting": "",
        "kind": ExpenseClaim.Kind.TRAVEL,
        "amount": "12.50",
        "description": "Bus fare to the town hall and back",
    }
    data.update(overrides)
    return data


def make_claim(claimant, **fields) -> ExpenseClaim:
    values = {
        "kind": ExpenseClaim.Kind.TRAVEL,
        "amount": Decimal("10.00"),
        "description": "Train fare",
    }
    values.update(fields)
    return ExpenseClaim.objects.create(claimant=claimant, **values)


# --- Claiming ---------------------------------------------------------------------------------


def test_member_claims_with_a_pdf_receipt(client, member):
    receipt = SimpleUploadedFile("my bus ticket.pdf", PDF, content_type="application/pdf")
    response = client.post(
        reverse("board:expense_create"), claim_data(receipt=receipt), follow=True
    )

    claim = ExpenseClaim.objects.get()
    assert claim.claimant == member
    assert claim.amount == Decimal("12.50")
    assert claim.kind == ExpenseClaim.Kind.TRAVEL
    assert claim.status == ExpenseClaim.Status.SUBMITTED
    # Stored under a random name: the member's own file name is not kept.
    assert claim.receipt.name.startswith("receipts/")
    assert claim.receipt.name.endswith(".pdf")
    assert "bus" not in claim.receipt.name
    with claim.receipt.open("rb") as stored:
        assert stored.read() == PDF

    assert response.redirect_chain[-1][0] == reverse("board:my_expenses")
    body = page_text(response)
    assert "Your claim has been sent" in body
    assert "Bus fare to the town hall and back" in body
    assert "£12.50" in body
    assert ">Submitted</strong>" in body


def test_member_claims_for_a_meeting_they_were_at(client, member):
    meeting = MeetingFactory(title="Spring board meeting")
    Attendance.objects.create(meeting=meeting, member=member)
    other_meeting = MeetingFactory(title="A meeting Grace was not at")

    form_page = page_text(client.get(reverse("board:expense_create")))
    assert "Spring board meeting" in form_page
    assert "A meeting Grace was not at" not in form_page

    response = client.post(
        reverse("board:expense_create"), claim_data(meeting=meeting.pk), follow=True
    )
    body = page_text(response)
    claim = ExpenseClaim.objects.get()
    assert claim.meeting == meeting
    assert "Spring board meeting" in body

    # A meeting the member was not at cannot be chosen.
    response = client.post(reverse("board:expense_create"), claim_data(meeting=other_meeting.pk))
    assert "govuk-error-summary" in page_text(response)
    assert ExpenseClaim.objects.count() == 1


def test_claim_without_a_receipt_is_accepted(client, member):
    client.post(reverse("board:expense_create"), claim_data())
    claim = ExpenseClaim.objects.get()
    assert not claim.receipt


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("receipt.pdf", PNG, "The file is named .pdf but is not a PDF file."),
        ("receipt.png", PDF, "The file is named .png but is not a PNG file."),
        ("receipt.exe", b"MZ\x90\x00" + b"\x00" * 64, "The receipt must be a PDF, JPG or PNG."),
        ("receipt", PDF, "The receipt must be a PDF, JPG or PNG."),
    ],
)
def test_wrong_kind_of_receipt_is_refused(client, member, name, content, message):
    before = stored_receipts()
    upload = SimpleUploadedFile(name, content)
    response = client.post(reverse("board:expense_create"), claim_data(receipt=upload))
    body = page_text(response)
    assert "govuk-error-summary" in body
    assert f'<a href="#id_receipt">{message}</a>' in body
    assert 'id="id_receipt-error"' in body
    assert not ExpenseClaim.objects.exists()
    assert stored_receipts() == before


@override_settings(RECEIPT_MAX_BYTES=1024)
def test_receipt_over_the_size_limit_is_refused(client, member):
    before = stored_receipts()
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048)
    response = client.post(reverse("board:expense_create"), claim_data(receipt=upload))
    body = page_text(response)
    assert "The receipt must be smaller than 1.0\xa0KB." in body
    assert "smaller than 1.0\xa0KB.</div>" in body  # the hint tells the same limit
    assert not ExpenseClaim.objects.exists()
    assert stored_receipts() == before

    # Just under the limit is fine.
    upload = SimpleUploadedFile("small.pdf", PDF)
    client.post(reverse("board:expense_create"), claim_data(receipt=upload))
    claim = ExpenseClaim.objects.get()
    assert stored_receipts() == {*before, claim.receipt.name}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be £0.01 or more"),
        ("0.00", "The amount must be £0.01 or more"),
        ("-5", "The amount must be £0.01 or more"),
        ("12.345", "Enter the amount in pounds and pence, like 12.50"),
        ("1000000", "The amount must be less than £1,000,000"),
        ("abc", "Enter the amount in pounds, like 12.50"),
        ("", "Enter the amount"),
    ],
)
def test_amount_must_be_a_positive_sum_of_money(client, member, amount, message):
    response = client.post(reverse("board:expense_create"), claim_data(amount=amount))
    body = page_text(response)
    assert "govuk-error-summary" in body
    assert f'<a href="#id_amount">{message}</a>' in body
    assert f'<span class="govuk-visually-hidden">Error:</span> {message}' in body
    assert not ExpenseClaim.objects.exists()


def test_expense_pages_are_only_for_board_members(client, make_user):
    client.force_login(make_user())
    assert client.get(reverse("board:my_expenses")).status_code == 403
    response = client.post(reverse("board:expense_create"), claim_data())
    assert response.status_code == 403
    assert not ExpenseClaim.objects.exists()


def test_member_sees_only_their_own_claims(client, member):
    make_claim(member, description="MY-CLAIM")
    make_claim(BoardMemberFactory(), description="THEIR-CLAIM")
    body = page_text(client.get(reverse("board:my_expenses")))
    assert "MY-CLAIM" in body
    assert "THEIR-CLAIM" not in body
    body = page_text(client.get(reverse("board:dashboard")))
    assert "MY-CLAIM" in body
    assert "THEIR-CLAIM" not in body


# --- Deciding ---------------------------------------------------------------------------------


def decide_url(claim) -> str:
    return reverse("board_expense_decide", args=[claim.pk])


def test_manager_approves_and_the_member_sees_it(client, manager_client, make_user):
    claimant = BoardMemberFactory()
    claim = make_claim(claimant, description="Taxi home after the late meeting")

    page = page_text(manager_client.get(decide_url(claim)))
    assert "Taxi home after the late meeting" in page
    assert "Save decision" in page

    response = manager_client.post(decide_url(claim), {"decision": "approve", "reason": ""})
    assert response.status_code == 302
    assert response.url == reverse("board_expenseclaim:index")
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.APPROVED
    assert claim.decided_by is not None
    assert claim.decided_at is not None

    # Once decided, it cannot be decided again.
    response = manager_client.post(decide_url(claim), {"decision": "reject", "reason": "Oops"})
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.APPROVED
    assert "Save decision" not in page_text(manager_client.get(decide_url(claim)))

    manager_client.logout()
    client.force_login(claimant)
    body = page_text(client.get(reverse("board:my_expenses")))
    assert "Taxi home after the late meeting" in body
    assert ">Approved</strong>" in body
    assert ">Submitted</strong>" not in body


def test_rejecting_needs_a_reason_which_the_member_sees(client, manager_client):
    claimant = BoardMemberFactory()
    claim = make_claim(claimant, description="Lunch")

    response = manager_client.post(decide_url(claim), {"decision": "reject", "reason": "  "})
    body = page_text(response)
    assert "Give the reason the claim is rejected." in body
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.SUBMITTED
    assert claim.decided_by is None

    response = manager_client.post(
        decide_url(claim),
        {"decision": "reject", "reason": "Lunch is provided at every board meeting."},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.REJECTED
    assert claim.decision_reason == "Lunch is provided at every board meeting."

    manager_client.logout()
    client.force_login(claimant)
    body = page_text(client.get(reverse("board:my_expenses")))
    assert ">Rejected</strong>" in body
    assert "Lunch is provided at every board meeting." in body


def test_a_decision_must_be_chosen(manager_client):
    claim = make_claim(BoardMemberFactory())
    response = manager_client.post(decide_url(claim), {"reason": "Hmm"})
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.SUBMITTED


def test_board_member_cannot_reach_the_decide_view(client):
    claimant = BoardMemberFactory()
    claim = make_claim(claimant)
    client.force_login(claimant)

    response = client.get(decide_url(claim))
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert not response.url.startswith("/admin/board/expenses/")
    response = client.post(decide_url(claim), {"decision": "approve"})
    assert response.status_code in (302, 403)
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.SUBMITTED


def test_approver_without_expense_permission_cannot_decide(signed_in, make_user):
    client = signed_in(make_user(roles.APPROVERS))
    claim = make_claim(BoardMemberFactory())
    response = client.post(decide_url(claim), {"decision": "approve"})
    assert response.status_code in (302, 403)
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.SUBMITTED
    response = client.get(reverse("board_expense_totals") + "?export=csv")
    assert response.status_code in (302, 403)
    assert not response.get("Content-Type", "").startswith("text/csv")


# --- Totals -----------------------------------------------------------------------------------


def at(year: int, month: int = 6):
    return timezone.make_aware(datetime(year, month, 15, 12, 0))


@pytest.fixture
def totals_claims():
    ann = BoardMemberFactory(first_name="Ann", last_name="Able", email="ann@example.org")
    evil = BoardMemberFactory(
        first_name='=HYPERLINK("http://evil.example")',
        last_name="Baker",
        email="evil@example.org",
    )
    approved = ExpenseClaim.Status.APPROVED
    # Ann, 2025: two approved travel claims and one approved care claim count; the others not.
    make_claim(ann, amount=Decimal("10.00"), status=approved, submitted_at=at(2025, 2))
    make_claim(ann, amount=Decimal("5.25"), status=approved, submitted_at=at(2025, 9))
    make_claim(
        ann,
        kind=ExpenseClaim.Kind.CARE,
        amount=Decimal("30.00"),
        status=approved,
        submitted_at=at(2025, 3),
    )
    make_claim(ann, amount=Decimal("1000.00"), submitted_at=at(2025))  # still submitted
    make_claim(
        ann,
        amount=Decimal("2000.00"),
        status=ExpenseClaim.Status.REJECTED,
        decision_reason="No",
        submitted_at=at(2025),
    )
    # Ann, 2024: counted in its own year.
    make_claim(ann, amount=Decimal("7.00"), status=approved, submitted_at=at(2024))
    make_claim(
        evil,
        amount=Decimal("3.00"),
        description="=SUM(A1:A9)",
        status=approved,
        submitted_at=at(2025),
    )
    return ann, evil


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_totals_csv_sums_approved_claims_per_member_per_year(manager_client, totals_claims):
    rows = csv_rows(manager_client.get(reverse("board_expense_totals") + "?export=csv"))
    header, *data = rows
    assert header[:3] == ["Year", "Member", "Email"]
    assert header[-1] == "Total"
    by_key = {(row[0], row[2]): dict(zip(header, row, strict=True)) for row in data}
    assert set(by_key) == {
        ("2025", "ann@example.org"),
        ("2024", "ann@example.org"),
        ("2025", "evil@example.org"),
    }
    ann_2025 = by_key[("2025", "ann@example.org")]
    assert ann_2025["Member"] == "Ann Able"
    assert Decimal(ann_2025["Travel"]) == Decimal("15.25")
    assert Decimal(ann_2025["Care for a dependant"]) == Decimal("30.00")
    assert Decimal(ann_2025["Other"]) == 0
    assert Decimal(ann_2025["Total"]) == Decimal("45.25")
    assert Decimal(by_key[("2024", "ann@example.org")]["Total"]) == Decimal("7.00")


def test_totals_csv_escapes_formulas(manager_client, totals_claims):
    rows = csv_rows(manager_client.get(reverse("board_expense_totals") + "?export=csv"))
    evil_row = next(row for row in rows if "evil@example.org" in row)
    assert evil_row[1] == '\'=HYPERLINK("http://evil.example") Baker'
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@")), cell


def test_totals_xlsx_sums_and_writes_formulas_as_text(manager_client, totals_claims):
    from openpyxl import load_workbook

    response = manager_client.get(reverse("board_expense_totals") + "?export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *data = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:3] == ["Year", "Member", "Email"]
    by_key = {(row[0], row[2]): dict(zip(header, row, strict=True)) for row in data}
    assert Decimal(str(by_key[(2025, "ann@example.org")]["Total"])) == Decimal("45.25")
    assert Decimal(str(by_key[(2024, "ann@example.org")]["Total"])) == Decimal("7")
    assert (
        by_key[(2025, "evil@example.org")]["Member"] == '\'=HYPERLINK("http://evil.example") Baker'
    )
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value


def test_totals_page_shows_approved_totals(manager_client, totals_claims):
    body = page_text(manager_client.get(reverse("board_expense_totals")))
    assert "Ann Able" in body
    assert "£45.25" in body
    assert "£1000.00" not in body
    assert "£1045.25" not in body


@pytest.fixture
def sum_with_float_digits():
    # SQLite keeps decimals as floats: the sum of 12.40 came back as 12.4000000000000. On
    # PostgreSQL it is exact; either way what is shown must be pounds and pence.
    ann = BoardMemberFactory(first_name="Ann", last_name="Able", email="ann@example.org")
    approved = ExpenseClaim.Status.APPROVED
    make_claim(ann, amount=Decimal("12.40"), status=approved, submitted_at=at(2026))
    make_claim(
        ann,
        kind=ExpenseClaim.Kind.CARE,
        amount=Decimal("1234.10"),
        status=approved,
        submitted_at=at(2026),
    )
    return ann


def test_totals_page_shows_pounds_and_pence(manager_client, sum_with_float_digits):
    body = page_text(manager_client.get(reverse("board_expense_totals")))
    assert "£12.40" in body
    assert "£1,234.10" in body
    assert "£1,246.50" in body
    assert "£12.4000" not in body


def test_totals_csv_writes_pounds_and_pence(manager_client, sum_with_float_digits):
    header, row = csv_rows(manager_client.get(reverse("board_expense_totals") + "?export=csv"))
    cells = dict(zip(header, row, strict=True))
    assert cells["Travel"] == "12.40"
    assert cells["Care for a dependant"] == "1234.10"
    assert cells["Other"] == "0.00"
    assert cells["Total"] == "1246.50"


def test_a_claim_reads_in_pounds_and_pence(manager_client, sum_with_float_digits):
    claim = ExpenseClaim.objects.get(amount=Decimal("1234.10"))
    decide = page_text(manager_client.get(reverse("board_expense_decide", args=[claim.pk])))
    assert "£1,234.10" in decide
    assert str(claim).startswith("Care for a dependant £1,234.10")


def test_totals_xlsx_with_no_approved_claims_is_only_the_headings(manager_client):
    from openpyxl import load_workbook

    response = manager_client.get(reverse("board_expense_totals") + "?export=xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1
    assert rows[0][-1] == "Total"


def test_totals_xlsx_money_is_a_number_shown_in_pounds(manager_client, sum_with_float_digits):
    from openpyxl import load_workbook

    response = manager_client.get(reverse("board_expense_totals") + "?export=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    total = sheet.cell(row=2, column=header.index("Total") + 1)
    assert Decimal(str(total.value)) == Decimal("1246.50")
    assert total.number_format == "£#,##0.00"
