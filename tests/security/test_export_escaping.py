"""Every CSV and XLSX the platform produces escapes formula payloads (OWASP "CSV injection").

A cell whose text starts with = + - @ tab or carriage return runs as a formula when the file is
opened in a spreadsheet (``=HYPERLINK("http://evil")`` typed into a form, say). Every export
writes such a cell with a leading apostrophe (``'=1+2``), through ``cms.exports.escape_cell``.

* ``EXPORTS`` declares every export: the platform's own views, its RoutablePage route, the
  ``survey_report`` command, and Wagtail's listing exports (ModelViewSet / SnippetViewSet,
  ``?export=csv`` / ``?export=xlsx``), reports and redirects. Each is fed payloads and read
  back - CSV with ``csv``, XLSX with openpyxl - in every format it offers.
* ``EMPTY_EXPORTS`` are the Wagtail listings whose ``?export=`` answers with a file of no columns
  (``list_export`` is empty): checked to stay empty.
* The guard tests find export-capable code by themselves (URLs whose view is a Wagtail
  ``SpreadsheetExportMixin``, registered viewsets, page listings, form pages, RoutablePage routes,
  management commands, and any project function that writes CSV or XLSX or answers with its
  content type) and fail when one is not declared here.

Decisions pinned here: only text is escaped - numbers stay numbers (an XLSX number cell, a bare
"12.50" in CSV), and so does text that is a plain number ("-5"); a lone "-" is text and is
escaped. JSON open data is never escaped. Our own escaped files import back unchanged.
"""

from __future__ import annotations

import ast
import csv
import inspect
import io
import pkgutil
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.admin.viewsets import viewsets as wagtail_viewsets
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.pages import page_viewset_registry
from wagtail.contrib.redirects.models import Redirect
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.log_actions import log
from wagtail.models import GroupApprovalTask, Page, Workflow, WorkflowTask
from wagtail.snippets.views.snippets import SnippetViewSet

from board.models import BoardAsk, ExpenseClaim, ServiceArea
from cms.exports import FORMULA_PREFIXES, escape_cell
from cms.models import HomePage
from surveys import exports as survey_exports
from surveys import report_tables, selectors
from surveys.importers import CsvRows, XlsxRows, import_responses
from surveys.models import Answer, FreeTextAnswer, Measure, Question, Response
from tests.board.factories import (
    BoardIndexPageFactory,
    BoardMemberFactory,
    CouncilResponseFactory,
    MeetingFactory,
    MembershipFactory,
    RecommendationFactory,
    ServiceAreaFactory,
    YouSaidWeDidPageFactory,
)
from tests.board.test_you_said_we_did import published
from tests.conftest import enrol_totp, sign_in
from tests.engagement.factories import (
    CalendarDateFactory,
    EventOrganiserFactory,
    NewsletterSubscriberFactory,
    VenueFactory,
)
from tests.factories import UserFactory
from tests.surveys.factories import QuestionFactory, SurveyFactory, WaveFactory, staff_survey_wave
from tests.surveys.test_dashboard import COUNTS, answer

pytestmark = pytest.mark.django_db

PAYLOADS = ("=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("http://evil")')
#: A person's name is shown stripped, so the tab and carriage-return payloads cannot lead it.
UNSTRIPPED = tuple(p for p in PAYLOADS if not p[0].isspace())
#: Text that is a plain number: a spreadsheet reads it as that number, so it is left alone.
NUMBER_TEXT = "-5"
#: Text that is not a number: escaped like any other ("'-").
LONE_DASH = "-"
#: A genuine number, written as text or not - the only thing that may start with "-" or "+".
GENUINE_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

PROJECT_APPS = ("cms", "board", "surveys", "engagement")
ROOT = Path(settings.BASE_DIR)


# --- What each export is seeded with and must show ------------------------------------------------


@dataclass
class Seeded:
    """What a seed made: where to download, and what the download must hold."""

    url_args: tuple = ()
    url: str = ""
    #: Each must appear escaped: a cell starting "'" + payload.
    payloads: tuple[str, ...] = PAYLOADS
    #: Text cells that must appear exactly as they are (plain numbers).
    kept: tuple[str, ...] = ()
    #: Text cells that must appear escaped, exactly ("-" -> "'-").
    escaped: tuple[str, ...] = ()
    #: Numbers that must stay numbers: a number cell in XLSX, the bare figure in CSV.
    numbers: tuple[Decimal, ...] = ()


def payload_users() -> list:
    """A person per payload: in the name (as str() shows it) and in the email address."""
    return [
        UserFactory(first_name=p, last_name="", email=f"{p}{i}@example.org", verified_email=False)
        for i, p in enumerate(PAYLOADS)
    ]


def harmless_service_areas() -> tuple[ServiceArea, ServiceArea]:
    return ServiceAreaFactory(name=NUMBER_TEXT), ServiceAreaFactory(name=LONE_DASH)


def seed_recommendations() -> Seeded:
    number, dash = harmless_service_areas()
    for i, p in enumerate(PAYLOADS):
        RecommendationFactory(title=p, service_area=number if i % 2 else dash)
    return Seeded(kept=(NUMBER_TEXT,), escaped=(LONE_DASH,))


def seed_memberships() -> Seeded:
    for user in payload_users():
        MembershipFactory(member=user)
    return Seeded()


def seed_asks() -> Seeded:
    for user, p in zip(payload_users(), PAYLOADS, strict=True):
        BoardAsk.objects.create(member=user, kind=BoardAsk.Kind.REVIEW, description=p)
    return Seeded()


def seed_meetings() -> Seeded:
    for i, p in enumerate(PAYLOADS):
        MeetingFactory(title=p, location=NUMBER_TEXT if i % 2 else LONE_DASH)
    return Seeded(kept=(NUMBER_TEXT,), escaped=(LONE_DASH,))


def seed_expense_claims(*, approved: bool = False) -> Seeded:
    amounts = [Decimal("12.50") + i for i in range(len(PAYLOADS))]
    for user, amount in zip(payload_users(), amounts, strict=True):
        ExpenseClaim.objects.create(
            claimant=user,
            kind=ExpenseClaim.Kind.TRAVEL,
            amount=amount,
            description="Bus fare",
            status=ExpenseClaim.Status.APPROVED if approved else ExpenseClaim.Status.SUBMITTED,
        )
    return Seeded(numbers=(amounts[0],))


def seed_service_areas() -> Seeded:
    for p in PAYLOADS:
        ServiceAreaFactory(name=p)
    harmless_service_areas()
    return Seeded(kept=(NUMBER_TEXT,), escaped=(LONE_DASH,))


def seed_council_responses() -> Seeded:
    for p in PAYLOADS:
        CouncilResponseFactory(response=p)
    return Seeded()


def seed_venues() -> Seeded:
    for i, p in enumerate(PAYLOADS):
        VenueFactory(name=p, address=p, postcode=NUMBER_TEXT if i % 2 else LONE_DASH)
    return Seeded(kept=(NUMBER_TEXT,), escaped=(LONE_DASH,))


def seed_organisers() -> Seeded:
    for p in PAYLOADS:
        EventOrganiserFactory(name=p, website=p)
    return Seeded()


def seed_calendar_dates() -> Seeded:
    for p in PAYLOADS:
        CalendarDateFactory(title=p, description=p)
    return Seeded()


def seed_pages() -> Seeded:
    """A published page per payload, published by a payload user, locked, in a workflow whose
    name and task are payloads: the reports' every text column carries one."""
    home = HomePage.objects.get()
    for i, (user, p) in enumerate(zip(payload_users(), PAYLOADS, strict=True)):
        page = BoardIndexPageFactory(parent=home, title=p, slug=f"payload-{i}")
        page.save_revision(user=user).publish(user=user, skip_permission_checks=True)
        page.refresh_from_db()
        log(instance=page, action="wagtail.edit", user=user)
        workflow = Workflow.objects.create(name=p)
        task = GroupApprovalTask.objects.create(name=p)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
        workflow.start(page, user)
        Page.objects.filter(pk=page.pk).update(
            locked=True,
            locked_by=user,
            locked_at=timezone.now(),
            last_published_at=timezone.now() - timedelta(days=400),
        )
    return Seeded()


def seed_redirects() -> Seeded:
    for i, p in enumerate(PAYLOADS):
        Redirect.objects.create(old_path=f"/old-{i}", redirect_link=p)
    return Seeded()


def seed_you_said_we_did() -> Seeded:
    board = BoardIndexPageFactory(parent=HomePage.objects.get())
    page = YouSaidWeDidPageFactory(parent=board)
    page.save_revision().publish()
    number, dash = harmless_service_areas()
    for i, p in enumerate(PAYLOADS):
        published(
            title=p,
            what_should_change=p,
            desired_outcome=p,
            service_area=number if i % 2 else dash,
        )
    return Seeded(url=page.url, kept=(NUMBER_TEXT,), escaped=(LONE_DASH,))


def seed_expense_totals() -> Seeded:
    seeded = seed_expense_claims(approved=True)
    return Seeded(numbers=seeded.numbers)


def seed_subscribers() -> Seeded:
    for i, p in enumerate(PAYLOADS):
        NewsletterSubscriberFactory(email=f"{p}{i}@example.org")
    return Seeded()


#: Coded values of the payload question: the payloads, and a value that is a plain number.
CODED_VALUES = (*PAYLOADS, NUMBER_TEXT)


def payload_wave(year: int = 2024, survey=None):
    """A closed wave whose survey name, question text, key, choice values and labels are
    payloads (a key is a slug, so only "-" can lead it)."""
    survey = survey or SurveyFactory(name=PAYLOADS[-1], slug="payload-survey")
    wave = WaveFactory(
        survey=survey,
        year=year,
        opens_on=date(year, 3, 1),
        closes_on=date(year, 3, 31),
    )
    QuestionFactory(
        wave=wave,
        key="-payload",
        order=1,
        kind=Question.Kind.SINGLE,
        required=False,
        text=PAYLOADS[0],
        options=[[value, value] for value in CODED_VALUES],
    )
    QuestionFactory(wave=wave, key="improve", order=2, kind=Question.Kind.FREE_TEXT, required=False)
    return wave


def answer_payloads(wave) -> None:
    """A response per coded value, and the payloads as free text."""
    question = wave.questions.get(key="-payload")
    responses = [
        Response(wave=wave, submitted_on=wave.opens_on + timedelta(days=i))
        for i in range(len(CODED_VALUES))
    ]
    Response.objects.bulk_create(responses)
    Answer.objects.bulk_create(
        Answer(response=response, question=question, value=value)
        for response, value in zip(responses, CODED_VALUES, strict=True)
    )
    improve = wave.questions.get(key="improve")
    FreeTextAnswer.objects.bulk_create(FreeTextAnswer(question=improve, text=p) for p in PAYLOADS)


def seed_survey_wave() -> Seeded:
    wave = payload_wave()
    answer_payloads(wave)
    return Seeded(url_args=(wave.pk,), kept=(NUMBER_TEXT,), escaped=("-payload",))


def seed_survey_wave_minimised() -> Seeded:
    """Enough responses with each coded value that the minimised export withholds none."""
    wave = payload_wave()
    for _ in range(10):
        answer_payloads(wave)
    return Seeded(url_args=(wave.pk,), kept=(NUMBER_TEXT,), escaped=("-payload",))


def seed_free_text() -> Seeded:
    wave = payload_wave()
    answer_payloads(wave)
    return Seeded(url_args=(wave.pk,))


def seed_measure() -> Seeded:
    """The dashboard's figures (negative differences among them), the measure's and the
    survey's names payloads."""
    first = staff_survey_wave(year=2023)
    first.survey.name = PAYLOADS[-1]
    first.survey.save()
    answer(first, COUNTS[2023])
    for year in (2024, 2025):
        answer(staff_survey_wave(year=year, survey=first.survey), COUNTS[year])
    measure = Measure.objects.create(
        key="payload-measure",
        name=PAYLOADS[0],
        survey=first.survey,
        question_key="equal_opportunity",
        baseline=first,
    )
    report = selectors.measure_report(measure=measure)
    negatives = [
        value
        for table in report_tables.report_tables(report)
        for row in table.rows
        for value in row
        if isinstance(value, int | Decimal) and not isinstance(value, bool) and value < 0
    ]
    assert negatives, "the figures should hold a negative difference"
    return Seeded(
        url_args=(measure.pk,),
        payloads=(PAYLOADS[0], PAYLOADS[-1]),
        numbers=(Decimal(negatives[0]),),
    )


def seed_response_template() -> Seeded:
    wave = payload_wave()
    return Seeded(url_args=(wave.pk,), payloads=(), escaped=("-payload",))


def seed_counts_template() -> Seeded:
    survey = SurveyFactory(name=PAYLOADS[0], slug="counts-survey")
    return Seeded(url_args=(survey.pk,), payloads=())


def seed_nothing() -> Seeded:
    return Seeded(payloads=())


# --- Every export ---------------------------------------------------------------------------------

BOTH = ("csv", "xlsx")


@dataclass(frozen=True)
class Export:
    key: str
    #: "wagtail listing", "wagtail report", "view", "page route" or "command".
    kind: str
    formats: tuple[str, ...]
    seed: Callable[[], Seeded]
    #: URL names served by this export (each is downloaded); none for a command or page route.
    url_names: tuple[str, ...] = ()
    #: Builds the download's address from a URL name (or ``None``), the seed and the format.
    address: Callable[[str | None, Seeded, str], str] = field(
        default=lambda name, seeded, fmt: f"{reverse(name, args=seeded.url_args)}?export={fmt}"
    )
    #: The project functions that write it ("module:qualname"), for the guard.
    writers: tuple[str, ...] = ()
    #: A management command's arguments (what it prints is the file).
    command: tuple[str, ...] = ()
    #: Posted to the address, for a download that is a form's answer (the full responses).
    post: dict | None = None


def listing(key: str, namespace: str, seed, *, snippet: bool = False) -> Export:
    names = ("list", "list_results") if snippet else ("index", "index_results")
    return Export(
        key,
        "wagtail listing",
        BOTH,
        seed,
        url_names=tuple(f"{namespace}:{name}" for name in names),
    )


def report(key: str, name: str, seed) -> Export:
    return Export(
        key,
        "wagtail report",
        BOTH,
        seed,
        url_names=(f"wagtailadmin_reports:{name}", f"wagtailadmin_reports:{name}_results"),
    )


def by_format(name, seeded, fmt):
    return reverse(name, args=[*seeded.url_args, fmt])


def template(name, seeded, fmt):
    return f"{reverse(name, args=seeded.url_args)}?download=template"


EXPORTS = [
    # Wagtail ModelViewSet / SnippetViewSet listing exports (cms.viewsets.PlatformModelViewSet).
    listing("recommendations", "board_recommendation", seed_recommendations),
    listing("memberships", "board_membership", seed_memberships),
    listing("board asks", "board_ask", seed_asks),
    listing("meetings", "board_meeting", seed_meetings),
    listing("expense claims", "board_expenseclaim", seed_expense_claims),
    listing("service areas", "board_servicearea", seed_service_areas),
    listing(
        "council responses",
        "wagtailsnippets_board_councilresponse",
        seed_council_responses,
        snippet=True,
    ),
    listing("venues", "wagtailsnippets_engagement_venue", seed_venues, snippet=True),
    listing(
        "event organisers",
        "wagtailsnippets_engagement_eventorganiser",
        seed_organisers,
        snippet=True,
    ),
    listing(
        "calendar dates",
        "wagtailsnippets_engagement_calendardate",
        seed_calendar_dates,
        snippet=True,
    ),
    # Wagtail's reports and the redirects listing.
    report("locked pages", "locked_pages", seed_pages),
    report("aging pages", "aging_pages", seed_pages),
    report("site history", "site_history", seed_pages),
    report("workflows", "workflow", seed_pages),
    report("workflow tasks", "workflow_tasks", seed_pages),
    Export(
        "redirects",
        "wagtail listing",
        BOTH,
        seed_redirects,
        url_names=("wagtailredirects:index", "wagtailredirects:index_results"),
    ),
    # The platform's own downloads.
    Export(
        "you said, we did: open data CSV",
        "page route",
        ("csv",),
        seed_you_said_we_did,
        address=lambda name, seeded, fmt: f"{seeded.url}open-data/csv/",
        writers=(
            "board.models.pages:YouSaidWeDidPage.data_csv",
            "board.exports:you_said_we_did_csv",
        ),
    ),
    Export(
        "expenses by member and year",
        "view",
        BOTH,
        seed_expense_totals,
        url_names=("board_expense_totals",),
        writers=("board.admin_views:expense_totals",),
    ),
    Export(
        "confirmed newsletter subscribers",
        "view",
        ("csv",),
        seed_subscribers,
        url_names=("engagement_subscribers_csv",),
        address=lambda name, seeded, fmt: reverse(name),
        writers=("engagement.admin_views:subscribers_csv",),
    ),
    Export(
        "survey responses, minimised",
        "view",
        BOTH,
        seed_survey_wave_minimised,
        url_names=("surveys_export_responses",),
        address=by_format,
        writers=(
            "surveys.import_views:_export",
            "surveys.exports:csv_lines",
            "surveys.exports:_workbook_file",
        ),
    ),
    Export(
        "survey responses in full",
        "view",
        BOTH,
        seed_survey_wave,
        url_names=("surveys_export_responses",),
        address=by_format,
        writers=(
            "surveys.import_views:_export",
            "surveys.exports:csv_lines",
            "surveys.exports:_workbook_file",
        ),
        post={"reason": "A payload check of the full export, approved by the DPO."},
    ),
    Export(
        "survey free text",
        "view",
        BOTH,
        seed_free_text,
        url_names=("surveys_export_free_text",),
        address=by_format,
        writers=(
            "surveys.import_views:_export",
            "surveys.exports:csv_lines",
            "surveys.exports:_workbook_file",
        ),
    ),
    Export(
        "measure report",
        "view",
        BOTH,
        seed_measure,
        url_names=("surveys_measure_report_download",),
        address=by_format,
        writers=(
            "surveys.analysis_views:measure_report_download",
            "surveys.report_tables:csv_text",
            "surveys.report_tables:xlsx_file",
        ),
    ),
    Export(
        "survey response import template",
        "view",
        ("csv",),
        seed_response_template,
        url_names=("surveys_import_responses",),
        address=template,
        writers=("surveys.import_views:_template_csv",),
    ),
    Export(
        "aggregated counts import template",
        "view",
        ("csv",),
        seed_counts_template,
        url_names=("surveys_import_counts",),
        address=template,
        writers=("surveys.import_views:_template_csv", "surveys.import_views:_counts_template"),
    ),
    Export(
        "board members import template",
        "view",
        ("csv",),
        seed_nothing,
        url_names=("board_import",),
        address=lambda name, seeded, fmt: f"{reverse(name, args=['members'])}?download=template",
        writers=("board.import_views:_template_csv",),
    ),
    Export(
        "board recommendations import template",
        "view",
        ("csv",),
        seed_nothing,
        url_names=("board_import",),
        address=lambda name, seeded, fmt: (
            f"{reverse(name, args=['recommendations'])}?download=template"
        ),
        writers=("board.import_views:_template_csv",),
    ),
    # Management commands.
    Export(
        "manage.py survey_report --format csv",
        "command",
        ("csv",),
        seed_measure,
        writers=("surveys.management.commands.survey_report:Command.handle",),
        command=("survey_report", "--measure", "payload-measure", "--format", "csv"),
    ),
]

#: Project code that writes CSV but is no export of stored data.
#: (The benchmarks' synthetic input files are written by tests/benchmarks/, outside the apps.)
NOT_EXPORTS: dict[str, str] = {}
NOT_EXPORT_COMMANDS: dict[str, str] = {}

#: Wagtail listings whose ``?export=csv|xlsx`` answers with a file of no columns: their
#: ``list_export`` is empty. Should one gain columns, the guard asks for it in ``EXPORTS``.
EMPTY_EXPORTS = {
    "wagtailadmin_collections:index": (),
    "wagtailadmin_workflows:index": (),
    "wagtailadmin_workflows:task_index": (),
    "wagtailadmin_reports:page_types_usage": (),
    "wagtaildocs:index": (),
    "wagtailimages:index": (),
    "wagtailsites:index": (),
    "wagtailusers_users:index": (),
    "wagtailusers_groups:index": (),
    "invitations:index": (),
    "board_supportneeds:index": (),
    "engagement_newslettersubscriber:index": (),
    "surveys_survey:index": (),
    "surveys_wave:index": (),
    "surveys_question:index": (),
    "surveys_measure:index": (),
    # The page explorer (Wagtail's page listing viewsets): none sets list_export.
    "wagtailadmin_explore": ("home",),
}


def declared_url_names() -> set[str]:
    return {name for export in EXPORTS for name in export.url_names}


def declared_writers() -> set[str]:
    return {writer for export in EXPORTS for writer in export.writers}


# --- Reading a download back ----------------------------------------------------------------------


@pytest.fixture
def superuser_client(client):
    user = UserFactory(is_superuser=True, is_staff=True, first_name="Super", last_name="User")
    enrol_totp(user)
    sign_in(client, user)
    return client


def content_of(response) -> bytes:
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def cells_of(content: bytes, fmt: str) -> list[list]:
    """Every row of every sheet. An XLSX holds no formula cell at all."""
    if fmt == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    book = openpyxl.load_workbook(io.BytesIO(content))  # Formulas kept, not calculated.
    rows = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
            rows.append([cell.value for cell in row])
    return rows


def is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def assert_escaped(cells: list[list], fmt: str, seeded: Seeded, label: str) -> None:
    texts = [value for row in cells for value in row if isinstance(value, str)]
    for text in texts:
        assert not text.startswith(FORMULA_PREFIXES) or GENUINE_NUMBER.fullmatch(text), (
            label,
            text,
        )
    for payload in seeded.payloads:
        # An XML reader turns a carriage return into a line feed.
        expected = "'" + (payload if fmt == "csv" else payload.replace("\r", "\n"))
        assert any(text.startswith(expected) for text in texts), (label, payload, texts)
    for text in seeded.kept:
        assert text in texts, (label, text)
    for text in seeded.escaped:
        assert "'" + text in texts, (label, text)
        assert text not in texts, (label, text)
    for number in seeded.numbers:
        if fmt == "csv":
            assert any(
                GENUINE_NUMBER.fullmatch(text) and Decimal(text) == number for text in texts
            ), (label, number)
        else:
            assert any(
                is_number(value) and Decimal(str(value)) == number for row in cells for value in row
            ), (label, number)


CASES = [
    pytest.param(export, fmt, id=f"{export.key}-{fmt}")
    for export in EXPORTS
    if export.kind != "command"
    for fmt in export.formats
]


@pytest.mark.parametrize(("export", "fmt"), CASES)
def test_every_text_cell_of_the_export_is_escaped(superuser_client, export, fmt):
    seeded = export.seed()
    for name in export.url_names or (None,):
        address = export.address(name, seeded, fmt)
        if export.post is None:
            response = superuser_client.get(address)
        else:
            response = superuser_client.post(address, export.post)
        content = content_of(response)
        if fmt == "csv":
            assert response["Content-Type"].startswith("text/csv"), address
        else:
            assert "spreadsheetml" in response["Content-Type"], address
        assert_escaped(cells_of(content, fmt), fmt, seeded, f"{export.key} at {address}")


@pytest.mark.parametrize(
    "export", [pytest.param(e, id=e.key) for e in EXPORTS if e.kind == "command"]
)
def test_every_text_cell_a_command_prints_is_escaped(export):
    seeded = export.seed()
    out = io.StringIO()
    call_command(*export.command, stdout=out)
    assert_escaped(cells_of(out.getvalue().encode(), "csv"), "csv", seeded, export.key)


@pytest.mark.parametrize("fmt", BOTH)
def test_a_listing_without_export_columns_exports_no_cells(superuser_client, fmt):
    payload_users()  # Something to list: the users listing, for one.
    home = HomePage.objects.get().pk
    for name, args in EMPTY_EXPORTS.items():
        args = [home if arg == "home" else arg for arg in args]
        response = superuser_client.get(f"{reverse(name, args=args)}?export={fmt}")
        cells = cells_of(content_of(response), fmt)
        assert not [value for row in cells for value in row if value not in (None, "")], name


def test_wagtail_headings_are_escaped_too():
    """A form's submissions export heads its columns with the labels an editor typed: the
    heading goes through the same escaping as the cells, in CSV and XLSX."""

    class Listing(SpreadsheetExportMixin):
        list_export = ["a", "b"]
        export_headings = {"a": "=1+2", "b": "Amount"}

    items = [SimpleNamespace(a="@cmd", b=Decimal("-3.50"))]
    view = Listing()
    rows = cells_of(b"".join(view.stream_csv(items)), "csv")
    assert rows == [["'=1+2", "Amount"], ["'@cmd", "-3.50"]]
    output = io.BytesIO()
    view.write_xlsx(items, output)
    assert cells_of(output.getvalue(), "xlsx") == [["'=1+2", "Amount"], ["'@cmd", -3.5]]


# --- JSON is not escaped; our escaped files import back -------------------------------------------


def test_json_open_data_is_not_escaped(client):
    seeded = seed_you_said_we_did()
    response = client.get(f"{seeded.url}open-data/json/")
    assert response["Content-Type"].startswith("application/json")
    data = response.json()["recommendations"]
    assert {row["title"] for row in data} == set(PAYLOADS)
    assert {row["what_should_change"] for row in data} == set(PAYLOADS)
    assert {row["service_area"] for row in data} == {NUMBER_TEXT, LONE_DASH}
    assert "'=1+2" not in response.content.decode()


def test_a_members_own_data_download_is_not_escaped(client):
    member = BoardMemberFactory(first_name=PAYLOADS[0], last_name="Baker")
    RecommendationFactory(author=member, title=PAYLOADS[3])
    sign_in(client, member)  # Signed in just now: the download asks for a recent sign-in.
    response = client.get(reverse("board:my_data_download"))
    assert response["Content-Type"].startswith("application/json")
    text = response.content.decode()
    assert f'"{PAYLOADS[0]}' in text
    assert f'"{PAYLOADS[3]}"' in text
    assert "\"'" not in text


class _Bytes:
    """An opener for the importers: the same bytes afresh each time."""

    def __init__(self, content: bytes):
        self.content = content

    def __call__(self):
        return self

    def __enter__(self):
        return io.BytesIO(self.content)

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("fmt", BOTH)
def test_an_escaped_responses_download_imports_back_unchanged(fmt):
    """The escaped heading ("'-payload") and values ("'=1+2") lose their apostrophe on import;
    a plain-number value ("-5") was never escaped."""
    wave = payload_wave()
    answer_payloads(wave)
    if fmt == "xlsx":
        # An XML reader turns a carriage return into a line feed: no workbook keeps one.
        Answer.objects.filter(value__startswith="\r").delete()
        Response.objects.filter(answers__isnull=True).delete()
    copy = payload_wave(year=2023, survey=wave.survey)
    if fmt == "csv":
        content = "".join(survey_exports.responses_csv(wave, full=True)).encode("utf-8")
        rows = CsvRows(_Bytes(content))
    else:
        rows = XlsxRows(_Bytes(survey_exports.responses_xlsx(wave, full=True).read()))

    result = import_responses(wave=copy, rows=rows)

    assert result.ok, result.errors

    def answers(of):
        return Counter(Answer.objects.filter(response__wave=of).values_list("value", flat=True))

    assert answers(copy) == answers(wave)
    assert NUMBER_TEXT in answers(copy)


def test_the_import_template_heading_imports_back(superuser_client):
    wave = payload_wave()
    template_csv = content_of(
        superuser_client.get(
            f"{reverse('surveys_import_responses', args=[wave.pk])}?download=template"
        )
    )
    header = cells_of(template_csv, "csv")[0]
    assert "'-payload" in header
    rows = CsvRows(_Bytes(template_csv))
    assert list(rows) == []  # Reads the headings; a template has no rows.
    assert "-payload" in rows.headers


# --- The guard: every export-capable view is declared above ---------------------------------------


def walk_urls(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk_urls(pattern.url_patterns, inner)
        else:
            name = pattern.name or str(pattern.pattern)
            yield (f"{namespace}:{name}" if namespace else name), pattern.callback


def effective_list_export(callback) -> list:
    initkwargs = getattr(callback, "view_initkwargs", {})
    value = initkwargs.get("list_export", ViewSet.UNDEFINED)
    if value is ViewSet.UNDEFINED:
        value = callback.view_class.list_export
    return list(value or ())


def spreadsheet_export_urls() -> dict[str, list]:
    """Every URL whose view is a Wagtail SpreadsheetExportMixin: name -> its list_export."""
    found = {}
    for name, callback in walk_urls(get_resolver().url_patterns):
        view_class = getattr(callback, "view_class", None)
        if view_class is not None and issubclass(view_class, SpreadsheetExportMixin):
            found[name] = effective_list_export(callback)
    return found


def test_every_wagtail_spreadsheet_export_url_is_declared():
    found = spreadsheet_export_urls()
    assert len(found) > 30  # The walk reached Wagtail's admin.
    exercised = declared_url_names()
    empty = set(EMPTY_EXPORTS) | {f"{name}_results" for name in EMPTY_EXPORTS}
    undeclared = sorted(
        name for name, columns in found.items() if columns and name not in exercised
    )
    assert not undeclared, f"exports not in EXPORTS (seed and declare them): {undeclared}"
    said_empty = sorted(
        name for name, columns in found.items() if not columns and name not in empty
    )
    assert not said_empty, f"listings with ?export= not in EMPTY_EXPORTS: {said_empty}"
    gained = sorted(name for name in empty if found.get(name))
    assert not gained, f"listings that now export columns; move them to EXPORTS: {gained}"
    wagtail_declared = {
        name for export in EXPORTS if export.kind.startswith("wagtail") for name in export.url_names
    }
    assert wagtail_declared <= set(found), sorted(wagtail_declared - set(found))


def test_every_registered_viewset_with_list_export_is_declared():
    reverse("wagtailadmin_home")  # Loads the admin's URLs, which registers the viewsets.
    exercised = declared_url_names()
    checked = 0
    for viewset in wagtail_viewsets.viewsets:
        if getattr(viewset, "list_export", ViewSet.UNDEFINED) in (ViewSet.UNDEFINED, None):
            continue
        checked += 1
        index = viewset.get_url_name("list" if isinstance(viewset, SnippetViewSet) else "index")
        if viewset.list_export:
            assert index in exercised, f"{viewset} exports {viewset.list_export}: declare it"
        else:
            assert index in EMPTY_EXPORTS, f"{viewset}: add {index} to EMPTY_EXPORTS"
    assert checked >= 10


def test_no_page_listing_exports_columns():
    """The page explorer and per-type page listings: none sets list_export (else declare it)."""
    registered = [
        *page_viewset_registry.values_by_class.values(),
        *page_viewset_registry.values_by_exact_class.values(),
    ]
    assert registered
    for viewset in registered:
        columns = viewset.get_index_view_kwargs().get("list_export", ViewSet.UNDEFINED)
        if columns is ViewSet.UNDEFINED:
            columns = viewset.index_view_class.list_export
        assert not columns, f"{viewset} exports pages: add it to EXPORTS"


def test_no_form_page_has_a_submissions_export():
    """wagtail.contrib.forms is installed: a form page would bring a submissions export (its
    headings are field labels; escaped by the same patch). None exists: declare it if one does."""
    from wagtail.contrib.forms.models import FormMixin

    form_pages = [
        model._meta.label
        for model in apps.get_models()
        if issubclass(model, FormMixin) and model._meta.app_label in PROJECT_APPS
    ]
    assert form_pages == []


def test_every_spreadsheet_export_class_goes_through_the_escaping():
    """Wagtail's mixin is patched once (cms.apps); no subclass may write cells around it."""
    assert SpreadsheetExportMixin.escapes_formulas
    assert escape_cell("=x") == "'=x"
    hooks = ("preprocess_field_value", "get_heading")
    writers = ("write_csv_row", "generate_xlsx_row", "stream_csv", "write_xlsx")

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    found = list(subclasses(SpreadsheetExportMixin))
    assert len(found) > 20
    for cls in found:
        for name in hooks + writers:
            owner = next(base for base in cls.__mro__ if name in vars(base))
            if owner is SpreadsheetExportMixin:
                continue
            source = inspect.getsource(vars(owner)[name])
            calls = (f"super().{name}(",) if name in hooks else tuple(f"self.{h}(" for h in hooks)
            assert any(call in source for call in calls), f"{owner.__qualname__}.{name}"


def project_modules():
    for app in PROJECT_APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or "settings" in path.parts:
                continue
            yield ".".join(path.relative_to(ROOT).with_suffix("").parts), path


def _writes_a_spreadsheet(node) -> bool:
    """``csv.writer``/``csv.DictWriter``/``Workbook(...)``, or a response with a CSV or XLSX
    content type."""
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call):
            continue
        func = sub.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("writer", "DictWriter") and getattr(func.value, "id", "") == "csv":
            return True
        if name == "Workbook":
            return True
        for keyword in sub.keywords:
            if keyword.arg != "content_type":
                continue
            value = keyword.value
            if isinstance(value, ast.Constant) and re.search(
                r"csv|spreadsheet|excel", str(value.value)
            ):
                return True
            if isinstance(value, ast.Name) and re.search(r"XLSX|CSV", value.id):
                return True
    return False


def spreadsheet_writers() -> set[str]:
    """Every project function (by "module:qualname") that writes CSV or XLSX itself."""
    found = set()

    def visit(node, module, scope):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, module, [*scope, child.name])
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                qualname = [*scope, child.name]
                own = [
                    statement
                    for statement in child.body
                    if not isinstance(statement, ast.FunctionDef | ast.ClassDef)
                ]
                if any(_writes_a_spreadsheet(statement) for statement in own):
                    found.add(f"{module}:{'.'.join(qualname)}")
                visit(child, module, qualname)

    for module, path in project_modules():
        visit(ast.parse(path.read_text(encoding="utf-8")), module, [])
    return found


def test_every_function_that_writes_a_spreadsheet_is_declared():
    found = spreadsheet_writers()
    assert "board.exports:you_said_we_did_csv" in found  # The scan works.
    undeclared = sorted(found - declared_writers() - set(NOT_EXPORTS))
    assert not undeclared, f"CSV/XLSX written here but not declared in EXPORTS: {undeclared}"
    # A command's handler prints what a writer above wrote.
    handlers = {w for e in EXPORTS if e.kind == "command" for w in e.writers}
    stale = sorted((declared_writers() | set(NOT_EXPORTS)) - found - handlers)
    assert not stale, f"declared writers that no longer write a spreadsheet: {stale}"


def test_every_management_command_that_writes_a_spreadsheet_is_declared():
    declared = {export.command[0] for export in EXPORTS if export.kind == "command"}
    for app in PROJECT_APPS:
        commands = ROOT / app / "management" / "commands"
        for info in pkgutil.iter_modules([str(commands)]):
            source = (commands / f"{info.name}.py").read_text(encoding="utf-8")
            if re.search(r"csv|xlsx|openpyxl|Workbook", source, re.IGNORECASE):
                assert info.name in declared or info.name in NOT_EXPORT_COMMANDS, info.name


def test_every_routable_page_route_that_writes_a_spreadsheet_is_declared():
    writers = spreadsheet_writers()
    routes = 0
    for model in apps.get_models():
        if not issubclass(model, RoutablePageMixin):
            continue
        for pattern in model.get_subpage_urls():
            routes += 1
            view = pattern.callback
            qualname = f"{view.__module__}:{view.__qualname__}"
            if qualname in writers:
                assert qualname in declared_writers(), qualname
    assert routes > 5
