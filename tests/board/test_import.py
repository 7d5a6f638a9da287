"""Importing existing members and recommendations from CSV or XLSX: checked, all or nothing."""

from __future__ import annotations

import csv
import html
import io
import random
import zipfile
from datetime import date, datetime
from unittest import mock

import openpyxl
import pytest

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from wagtail.models import ModelLogEntry

from board import import_views
from board.models import CouncilResponse, Membership, Recommendation, ServiceArea
from board.resources import MembershipResource
from cms import roles
from cms.platform import imports as platform_imports
from cms.platform import uploads
from tests.board.factories import (
    BoardMemberFactory,
    MembershipFactory,
    RecommendationFactory,
    ServiceAreaFactory,
)

pytestmark = pytest.mark.django_db

MEMBERS_URL = "/admin/board/import/members/"
RECOMMENDATIONS_URL = "/admin/board/import/recommendations/"
MEMBER_HEADINGS = ["email", "first_name", "last_name", "role", "term_starts", "term_ends"]
RECOMMENDATION_HEADINGS = [
    "reference",
    "title",
    "what_should_change",
    "lived_experience",
    "evidence",
    "service_area",
    "desired_outcome",
    "author_email",
    "author_named",
    "status",
    "submitted_at",
]
User = get_user_model()


def csv_bytes(rows, *, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def upload(client, url, name: str, data: bytes, content_type: str = "text/csv"):
    return client.post(
        url, {"file": SimpleUploadedFile(name, data, content_type=content_type)}, follow=True
    )


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def file_errors(response) -> list[str]:
    return list(response.context["form"].errors.get("file", []))


def recommendation_row(**overrides):
    row = {
        "reference": "",
        "title": "Plain letters",
        "what_should_change": "Write letters in plain English.",
        "lived_experience": "I could not understand my letter.",
        "evidence": "",
        "service_area": "Housing",
        "desired_outcome": "Everyone understands their letters.",
        "author_email": "",
        "author_named": "",
        "status": "",
        "submitted_at": "2024-03-05",
    }
    row.update(overrides)
    return [row[heading] for heading in RECOMMENDATION_HEADINGS]


@pytest.fixture
def manager(make_user):
    return make_user(roles.ENGAGEMENT_MANAGERS)


@pytest.fixture
def client_as_manager(signed_in, manager):
    return signed_in(manager)


# --- Importing ---------------------------------------------------------------------------------


def test_valid_csv_imports_every_member(client_as_manager):
    existing = BoardMemberFactory(email="ada@example.org")
    data = csv_bytes(
        [
            MEMBER_HEADINGS,
            ["ADA@example.org", "", "", "Chair", "2024-04-01", "2026-03-31"],
            ["new.person@example.org", "Nia", "Jones", "vice chair", "01/04/2024", "31/03/2026"],
            ["third@example.org", "Sam", "Lee", "", "2023-01-01", "2024-12-31"],
        ],
        bom=True,
    )

    response = upload(client_as_manager, MEMBERS_URL, "members.csv", data)

    assert response.status_code == 200
    assert "Imported 3 members" in text_of(response)
    assert Membership.objects.count() == 3
    chair = Membership.objects.get(member=existing)
    assert (chair.role, chair.term_starts, chair.term_ends) == (
        "chair",
        date(2024, 4, 1),
        date(2026, 3, 31),
    )
    new_member = User.objects.get(email="new.person@example.org")
    assert (new_member.first_name, new_member.last_name) == ("Nia", "Jones")
    assert not new_member.has_usable_password()
    assert new_member.groups.filter(name=roles.BOARD_MEMBERS).exists()
    vice = Membership.objects.get(member=new_member)
    assert (vice.role, vice.term_starts) == ("vice_chair", date(2024, 4, 1))
    assert Membership.objects.get(member__email="third@example.org").role == "member"


def test_valid_csv_imports_every_recommendation(client_as_manager):
    author = BoardMemberFactory(email="author@example.org")
    ServiceAreaFactory(name="Housing")
    RecommendationFactory(reference="R-2024-001")
    data = csv_bytes(
        [
            RECOMMENDATION_HEADINGS,
            recommendation_row(
                service_area="housing",
                author_email="Author@example.org",
                author_named="yes",
                status="Response published",
            ),
            recommendation_row(
                reference="R-2019-042",
                title="Quieter waiting rooms",
                service_area="Adult social care",
                status="under_consideration",
                author_named="0",
                submitted_at="15/06/2019",
            ),
            # No reference: the next free one for 2024, clear of R-2024-005 given below.
            recommendation_row(title="Longer appointments"),
            recommendation_row(title="Named contact", reference="R-2024-005"),
        ]
    )

    response = upload(client_as_manager, RECOMMENDATIONS_URL, "recs.csv", data)

    assert "Imported 4 recommendations" in text_of(response)
    first = Recommendation.objects.get(title="Plain letters")
    assert first.reference == "R-2024-006"
    assert first.service_area.name == "Housing"
    assert ServiceArea.objects.filter(name__iexact="housing").count() == 1
    assert (first.author, first.author_named, first.status) == (author, True, "published")
    assert first.submitted_at.date() == date(2024, 3, 5)
    older = Recommendation.objects.get(reference="R-2019-042")
    assert older.service_area.name == "Adult social care"
    assert (older.status, older.author, older.author_named) == ("under_consideration", None, False)
    assert Recommendation.objects.get(title="Longer appointments").reference == "R-2024-007"
    assert Recommendation.objects.filter(reference="R-2024-005").exists()
    # No council response is made, let alone published: nothing reaches "You said, we did".
    assert not CouncilResponse.objects.exists()
    assert not Recommendation.objects.published().exists()


def test_valid_xlsx_imports_and_is_read_by_openpyxl(client_as_manager):
    BoardMemberFactory(email="ada@example.org")
    data = xlsx_bytes(
        [
            ["Email", "First name", "Last name", "Role", "Term starts", "Term ends"],
            ["ada@example.org", None, None, "Member", datetime(2024, 4, 1), datetime(2026, 3, 31)],
            ["bo@example.org", "Bo", "Khan", "CHAIR", "2024-04-01", date(2025, 3, 31)],
        ]
    )

    with mock.patch("openpyxl.load_workbook", wraps=openpyxl.load_workbook) as load:
        response = upload(
            client_as_manager,
            MEMBERS_URL,
            "members.xlsx",
            data,
            content_type=uploads.XLSX_CONTENT_TYPE,
        )

    assert load.call_count == 1  # The spy the zip-bomb test relies on does see a real parse.
    assert "Imported 2 members" in text_of(response)
    bo = Membership.objects.get(member__email="bo@example.org")
    assert (bo.role, bo.term_starts, bo.term_ends) == ("chair", date(2024, 4, 1), date(2025, 3, 31))
    assert Membership.objects.get(member__email="ada@example.org").term_ends == date(2026, 3, 31)


def test_import_is_recorded_in_the_audit_log(client_as_manager, manager):
    data = csv_bytes(
        [
            MEMBER_HEADINGS,
            ["one@example.org", "One", "A", "", "2024-04-01", "2026-03-31"],
            [],
            ["two@example.org", "Two", "B", "", "2024-04-01", "2026-03-31"],
        ]
    )

    upload(client_as_manager, MEMBERS_URL, "members.csv", data)

    entries = ModelLogEntry.objects.filter(action="board.import").order_by("object_id")
    assert entries.count() == 2
    assert {entry.user_id for entry in entries} == {manager.pk}
    memberships = {str(m.pk): m for m in Membership.objects.all()}
    assert set(entries.values_list("object_id", flat=True)) == set(memberships)
    rows = sorted(entry.data["row"] for entry in entries)
    assert rows == [2, 4]  # The blank line is row 3 in a spreadsheet.
    assert all(entry.data["file"] == "members.csv" for entry in entries)
    assert all(entry.data["account_created"] for entry in entries)


# --- Nothing is imported when a row has a problem ---------------------------------------------


def test_one_bad_row_imports_nothing_and_reports_it(client_as_manager):
    data = csv_bytes(
        [
            MEMBER_HEADINGS,
            ["first@example.org", "First", "Person", "member", "2024-04-01", "2026-03-31"],
            ["second@example.org", "Second", "Person", "member", "31/02/2024", "2026-03-31"],
            ["third@example.org", "Third", "Person", "member", "2024-04-01", "2026-03-31"],
        ]
    )

    with mock.patch.object(
        MembershipResource, "import_data", autospec=True, side_effect=MembershipResource.import_data
    ) as import_data:
        response = upload(client_as_manager, MEMBERS_URL, "members.csv", data)

    # Only the dry run was made: with a problem found, no real import was even tried.
    assert [call.kwargs["dry_run"] for call in import_data.call_args_list] == [True]
    assert Membership.objects.count() == 0
    assert not User.objects.filter(email__endswith="@example.org", first_name="First").exists()
    errors = response.context["row_errors"]
    assert [(e.row, e.column) for e in errors] == [(3, "term_starts")]
    assert "“31/02/2024” is not a date" in errors[0].message
    page = text_of(response)
    assert "Nothing was imported" in page
    assert "<td>3</td><td>term_starts</td>" in page
    assert "is not a date. Write it as YYYY-MM-DD or DD/MM/YYYY" in page


def test_every_problem_is_listed_with_the_row_the_user_sees(client_as_manager, make_user):
    staff = make_user(roles.APPROVERS, email="officer@example.org")
    current = MembershipFactory(
        member__email="serving@example.org",
        term_starts=date(2024, 1, 1),
        term_ends=date(2025, 12, 31),
    )
    data = csv_bytes(
        [
            MEMBER_HEADINGS,
            ["not-an-email", "X", "Y", "member", "2024-01-01", "2025-01-01"],
            [],  # A blank line still counts as a row in a spreadsheet.
            [staff.email, "", "", "member", "2024-01-01", "2025-01-01"],
            [current.member.email, "", "", "member", "2025-06-01", "2027-05-31"],
            ["new@example.org", "", "Surname", "Treasurer", "2024-05-01", "2024-04-01"],
            ["twice@example.org", "Tw", "Ice", "member", "2024-01-01", "2025-01-01"],
            ["twice@example.org", "Tw", "Ice", "member", "2024-06-01", "2025-06-01"],
        ]
    )

    response = upload(client_as_manager, MEMBERS_URL, "members.csv", data)

    found = {(e.row, e.column): e.message for e in response.context["row_errors"]}
    assert "is not an email address" in found[(2, "email")]
    assert "is not a board member" in found[(4, "email")]
    assert "overlaps another term" in found[(5, "")]
    assert "Give the first name" in found[(6, "first_name")]
    assert "“Treasurer” is not a role" in found[(6, "role")]
    assert "overlaps another term" in found[(8, "")]
    assert found[(6, "term_ends")] == "The term must end after it starts."
    assert set(found) == {
        (2, "email"),
        (4, "email"),
        (5, ""),
        (6, "first_name"),
        (6, "role"),
        (6, "term_ends"),
        (8, ""),
    }
    assert Membership.objects.count() == 1  # Only the one made before the import.
    assert not User.objects.filter(email="twice@example.org").exists()
    assert "Whole row" in text_of(response)


def test_recommendation_problems_are_worded_per_column(client_as_manager):
    RecommendationFactory(reference="R-2023-001")
    data = csv_bytes(
        [
            RECOMMENDATION_HEADINGS,
            recommendation_row(reference="R-2023-001", title="x" * 201),
            recommendation_row(lived_experience="", author_email="nobody@example.org"),
            recommendation_row(author_named="maybe", status="Lost", submitted_at="2999-01-01"),
            recommendation_row(service_area=""),
        ]
    )

    response = upload(client_as_manager, RECOMMENDATIONS_URL, "recs.csv", data)

    found = {(e.row, e.column): e.message for e in response.context["row_errors"]}
    assert "already has this reference" in found[(2, "reference")]
    assert "at most 200 characters (it has 201)" in found[(2, "title")]
    assert found[(3, "lived_experience")] == "This is required, but the cell is empty."
    assert "Nobody has an account with the email address" in found[(3, "author_email")]
    assert "is not yes or no" in found[(4, "author_named")]
    assert "“Lost” is not a status" in found[(4, "status")]
    assert "is in the future" in found[(4, "submitted_at")]
    assert found[(5, "service_area")] == "This is required, but the cell is empty."
    assert Recommendation.objects.count() == 1
    assert not ServiceArea.objects.filter(name="Housing").exists()


def test_a_failure_while_saving_for_real_rolls_back_every_row(client_as_manager, monkeypatch):
    """The dry run passed but the real import failed part-way: the rows before it are undone."""
    original = MembershipResource.after_save_instance

    def fail_second_row_for_real(self, instance, row, **kwargs):
        if not kwargs.get("dry_run") and kwargs.get("row_number") == 2:
            raise RuntimeError("the database went away")
        return original(self, instance, row, **kwargs)

    monkeypatch.setattr(MembershipResource, "after_save_instance", fail_second_row_for_real)
    data = csv_bytes(
        [
            MEMBER_HEADINGS,
            ["one@example.org", "One", "A", "", "2024-04-01", "2026-03-31"],
            ["two@example.org", "Two", "B", "", "2024-04-01", "2026-03-31"],
        ]
    )

    response = upload(client_as_manager, MEMBERS_URL, "members.csv", data)

    assert Membership.objects.count() == 0
    assert not User.objects.filter(email="one@example.org").exists()
    assert not ModelLogEntry.objects.filter(action="board.import").exists()
    assert [e.row for e in response.context["row_errors"]] == [3]
    assert "Imported" not in text_of(response)


# --- Files that are refused before they are read --------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("photo.csv", PNG, "This is not a CSV text file"),
        ("notes.xlsx", b"email,term_starts,term_ends\n", "This file is not an Excel workbook"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Excel 97-2003 (.xls)"),
        ("members.txt", b"email,term_starts,term_ends\n", "Upload a .csv or .xlsx file."),
        ("book.csv", xlsx_bytes([MEMBER_HEADINGS]), "This file is an Excel workbook, not a CSV"),
        ("latin1.csv", "email,term_starts,term_ends\né,1,2\n".encode("latin-1"), "not UTF-8"),
        ("damaged.xlsx", b"PK\x03\x04" + b"rubbish" * 20, "damaged or is not an Excel workbook"),
        ("blank.csv", b"\r\n\r\n  \r\n", "The file is empty."),
        (
            "wide.csv",
            b"email,term_starts,term_ends\na@example.org,2024-01-01,2025-01-01,extra\n",
            "Row 2 has more cells than there are column headings",
        ),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused(client_as_manager, name, data, message):
    with (
        mock.patch("openpyxl.load_workbook") as load,
        mock.patch.object(uploads.tablib, "Dataset") as make_dataset,
    ):
        response = upload(client_as_manager, MEMBERS_URL, name, data)

    assert response.status_code == 200
    assert any(message in error for error in file_errors(response)), file_errors(response)
    assert message in text_of(response)
    assert not load.called
    assert not make_dataset.called
    assert Membership.objects.count() == 0


def test_an_empty_file_is_refused(client_as_manager):
    response = upload(client_as_manager, MEMBERS_URL, "members.csv", b"")

    assert file_errors(response) == ["The submitted file is empty."]


@pytest.mark.parametrize(
    "data",
    [
        b"email,term_starts,term_ends\r\n",
        b"email,term_starts,term_ends\r\n,,\r\n\r\n",
    ],
)
def test_a_file_with_headings_but_no_rows_is_refused(client_as_manager, data):
    response = upload(client_as_manager, MEMBERS_URL, "members.csv", data)

    assert file_errors(response) == ["The file has column headings but no rows to import."]


def test_a_file_over_the_size_limit_is_refused(client_as_manager):
    rows = [MEMBER_HEADINGS] + [
        [f"person{i}@example.org", "A", "B", "member", "2024-04-01", "2026-03-31"]
        for i in range(100_000)
    ]
    data = csv_bytes(rows)
    assert len(data) > import_views.BOARD_LIMITS.max_upload_bytes

    with mock.patch.object(platform_imports, "read_table") as read_table:
        response = upload(client_as_manager, MEMBERS_URL, "members.csv", data)

    assert not read_table.called
    errors = file_errors(response)
    assert len(errors) == 1 and "the limit is 5.0 MB" in errors[0]
    assert Membership.objects.count() == 0


def test_a_file_of_too_many_rows_is_refused(client_as_manager):
    rows = [MEMBER_HEADINGS] + [
        [f"person{i}@example.org", "A", "B", "member", "2024-04-01", "2026-03-31"]
        for i in range(import_views.BOARD_LIMITS.max_rows + 1)
    ]

    response = upload(client_as_manager, MEMBERS_URL, "members.csv", csv_bytes(rows))

    assert file_errors(response) == [
        "The file has more than 5,000 rows. Split it into smaller files."
    ]
    assert Membership.objects.count() == 0


def _zip_with_zeros(megabytes: int) -> bytes:
    output = io.BytesIO()
    with (
        zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w") as entry,
    ):
        chunk = b"\0" * (1024 * 1024)
        for _ in range(megabytes):
            entry.write(chunk)
    return output.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_parsed(client_as_manager):
    data = _zip_with_zeros(60)
    assert len(data) < import_views.BOARD_LIMITS.max_upload_bytes  # Small; 60 MB unpacked.

    with (
        mock.patch("openpyxl.load_workbook", side_effect=AssertionError("parsed")) as load,
        mock.patch("tablib.import_set", side_effect=AssertionError("parsed")) as import_set,
        mock.patch.object(
            platform_imports, "read_table", side_effect=AssertionError("parsed")
        ) as read_table,
    ):
        response = upload(
            client_as_manager,
            MEMBERS_URL,
            "members.xlsx",
            data,
            content_type=uploads.XLSX_CONTENT_TYPE,
        )

    assert response.status_code == 200
    errors = file_errors(response)
    assert len(errors) == 1
    assert "would unpack to 60.0 MB, more than the 50.0 MB limit" in errors[0]
    assert not load.called
    assert not import_set.called
    assert not read_table.called
    assert Membership.objects.count() == 0


def test_a_zip_bomb_under_the_size_limit_is_refused_by_its_ratio_before_it_is_parsed(
    client_as_manager,
):
    """20 MB of zeros packs into about 20 KB: within the 50 MB limit, but no spreadsheet packs
    a thousand times. (This once reached openpyxl; the survey imports already refused it.)"""
    data = _zip_with_zeros(20)
    assert len(data) * import_views.BOARD_LIMITS.max_ratio < 20 * 1024 * 1024

    with mock.patch("openpyxl.load_workbook", side_effect=AssertionError("parsed")) as load:
        response = upload(client_as_manager, MEMBERS_URL, "members.xlsx", data)

    assert file_errors(response) == [
        "This workbook would unpack to 20.0 MB, more than 100 times its own size, so it was not "
        "opened. Copy the rows into a new workbook, or save them as CSV."
    ]
    assert not load.called
    assert Membership.objects.count() == 0


def test_a_workbook_with_too_much_text_is_refused_before_it_is_parsed(client_as_manager):
    """openpyxl reads a workbook's shared strings whole: 21 MB of them, packed about ten times
    (no zip bomb) into a file under 5 MB, is more text than the board's import reads."""
    words = ["board", "member", "council", "housing", "letter", "plain", "english", "care"]
    chooser = random.Random(0)
    block = " ".join(chooser.choice(words) for _ in range(8000)).encode()  # Past deflate's window.
    text = b"<sst><si><t>" + block * (21 * 1024 * 1024 // len(block) + 1) + b"</t></si></sst>"
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
        archive.writestr("xl/sharedStrings.xml", text)
    data = output.getvalue()
    assert len(data) < import_views.BOARD_LIMITS.max_upload_bytes
    assert len(text) / len(data) < import_views.BOARD_LIMITS.max_ratio

    with mock.patch("openpyxl.load_workbook", side_effect=AssertionError("parsed")) as load:
        response = upload(client_as_manager, MEMBERS_URL, "members.xlsx", data)

    (error,) = file_errors(response)
    assert error.startswith("This workbook holds 21.0 MB of text, more than the 20.0 MB")
    assert not load.called


def test_a_workbook_of_too_many_parts_is_refused_before_it_is_parsed(client_as_manager):
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number in range(import_views.BOARD_LIMITS.max_zip_entries + 1):
            archive.writestr(f"xl/part{number}.xml", b"")

    with mock.patch("openpyxl.load_workbook") as load:
        response = upload(client_as_manager, MEMBERS_URL, "members.xlsx", output.getvalue())

    assert "holds more than 1,000 parts" in file_errors(response)[0]
    assert not load.called


def test_a_sheet_claiming_a_million_rows_is_refused_without_reading_them_all(client_as_manager):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(MEMBER_HEADINGS)
    sheet.append(["a@example.org", "A", "B", "member", "2024-04-01", "2026-03-31"])
    sheet.cell(row=1_000_000, column=1, value="far away")
    output = io.BytesIO()
    book.save(output)
    assert len(output.getvalue()) < 20_000

    response = upload(client_as_manager, MEMBERS_URL, "members.xlsx", output.getvalue())

    assert "more than 5,000 rows" in file_errors(response)[0]
    assert Membership.objects.count() == 0


def test_missing_columns_are_named(client_as_manager):
    headings = [h for h in RECOMMENDATION_HEADINGS if h not in ("lived_experience", "service_area")]
    data = csv_bytes([headings, ["x"] * len(headings)])

    response = upload(client_as_manager, RECOMMENDATIONS_URL, "recs.csv", data)

    errors = file_errors(response)
    assert errors == [
        "The file is missing these columns: lived_experience, service_area. "
        "The first row must hold the column headings."
    ]
    assert Recommendation.objects.count() == 0


def test_extra_columns_are_ignored_and_an_id_column_never_overwrites(client_as_manager):
    existing = RecommendationFactory(title="Keep me", reference="R-2020-001")
    data = csv_bytes(
        [
            ["id", *RECOMMENDATION_HEADINGS, "Notes"],
            [str(existing.pk), *recommendation_row(title="New one"), "a note"],
        ]
    )

    response = upload(client_as_manager, RECOMMENDATIONS_URL, "recs.csv", data)

    page = text_of(response)
    assert "Imported 1 recommendation from recs.csv." in page
    assert "These columns were ignored: id, notes." in page
    existing.refresh_from_db()
    assert existing.title == "Keep me"
    assert Recommendation.objects.filter(title="New one").exclude(pk=existing.pk).exists()


# --- Cell contents -----------------------------------------------------------------------------


def test_formula_looking_text_is_stored_as_plain_text(client_as_manager):
    data = csv_bytes(
        [
            RECOMMENDATION_HEADINGS,
            recommendation_row(
                title='=HYPERLINK("http://evil.example","x")',
                what_should_change="+SUM(1,2)",
                evidence="@cmd",
                service_area="-Housing",
            ),
        ]
    )

    response = upload(client_as_manager, RECOMMENDATIONS_URL, "recs.csv", data)

    assert "Imported 1 recommendation" in text_of(response)
    recommendation = Recommendation.objects.get()
    assert recommendation.title == '=HYPERLINK("http://evil.example","x")'
    assert recommendation.what_should_change == "+SUM(1,2)"
    assert recommendation.evidence == "@cmd"
    assert recommendation.service_area.name == "-Housing"


def test_formula_looking_text_in_a_workbook_is_stored_as_plain_text(client_as_manager):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(RECOMMENDATION_HEADINGS)
    sheet.append(recommendation_row(title="placeholder", submitted_at=datetime(2024, 3, 5)))
    title = sheet.cell(row=2, column=RECOMMENDATION_HEADINGS.index("title") + 1)
    title.value = '=HYPERLINK("x")'
    title.data_type = "s"  # Text that looks like a formula, as a spreadsheet stores it.
    output = io.BytesIO()
    book.save(output)

    response = upload(client_as_manager, RECOMMENDATIONS_URL, "recs.xlsx", output.getvalue())

    assert "Imported 1 recommendation" in text_of(response)
    assert Recommendation.objects.get().title == '=HYPERLINK("x")'


# --- Who may import ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [MEMBERS_URL, RECOMMENDATIONS_URL])
def test_an_approver_gets_403(signed_in, make_user, url):
    client = signed_in(make_user(roles.APPROVERS))
    data = csv_bytes(
        [MEMBER_HEADINGS, ["x@example.org", "X", "Y", "member", "2024-04-01", "2026-03-31"]]
    )

    assert client.get(url).status_code == 403
    assert client.get(url + "?download=template").status_code == 403
    response = client.post(url, {"file": SimpleUploadedFile("m.csv", data)})
    assert response.status_code == 403
    assert Membership.objects.count() == 0


def test_a_board_member_cannot_reach_the_import(signed_in, make_user):
    """Wagtail turns away anyone without admin access before the view runs.

    Its ``require_admin_access`` (wrapping every admin URL) redirects to sign in, which for a
    signed-in member ``AdminForStaffOnlyMiddleware`` answers with the 403 page saying the admin
    is for staff: the view itself never runs for someone without admin access.
    """
    client = signed_in(make_user(roles.BOARD_MEMBERS), enrol=False)
    data = csv_bytes(
        [MEMBER_HEADINGS, ["x@example.org", "X", "Y", "member", "2024-04-01", "2026-03-31"]]
    )

    for response in (
        client.get(MEMBERS_URL),
        client.post(MEMBERS_URL, {"file": SimpleUploadedFile("m.csv", data)}),
    ):
        assert response.status_code == 403
        assert "This part of the site is for council staff" in response.content.decode()
    assert Membership.objects.count() == 0
    assert not User.objects.filter(email="x@example.org").exists()


def test_menu_items_are_shown_only_with_the_permission(signed_in, make_user, client):
    manager_page = signed_in(make_user(roles.ENGAGEMENT_MANAGERS)).get("/admin/")
    assert "Import members" in manager_page.content.decode()
    assert "Import recommendations" in manager_page.content.decode()
    client.logout()
    approver_page = signed_in(make_user(roles.APPROVERS)).get("/admin/")
    assert approver_page.status_code == 200
    assert "Import members" not in approver_page.content.decode()
    assert "Import recommendations" not in approver_page.content.decode()


# --- The page ----------------------------------------------------------------------------------


def test_the_page_lists_the_columns_and_offers_a_template(client_as_manager):
    page = client_as_manager.get(RECOMMENDATIONS_URL)
    assert page.status_code == 200
    content = text_of(page)
    for heading in RECOMMENDATION_HEADINGS:
        assert f"<code>{heading}</code>" in content
    assert "?download=template" in content

    template = client_as_manager.get(RECOMMENDATIONS_URL + "?download=template")
    assert template["Content-Type"].startswith("text/csv")
    assert "attachment" in template["Content-Disposition"]
    lines = template.content.decode().splitlines()
    assert len(lines) == 1
    assert set(lines[0].split(",")) == set(RECOMMENDATION_HEADINGS)

    members_template = client_as_manager.get(MEMBERS_URL + "?download=template")
    assert set(members_template.content.decode().strip().split(",")) == set(MEMBER_HEADINGS)


def test_an_unknown_kind_is_not_found(client_as_manager):
    assert client_as_manager.get("/admin/board/import/expenses/").status_code == 404
