"""Every public page type and every admin listing runs as many SQL queries with many rows as
with few.

What is walked comes from the registries, so a new page type, model or snippet listing, or
admin URL fails here until it has a case: the page types from ``get_page_models()``, the
listings from the admin's registered viewsets (with their CSV export where they have one), the
page explorer of every page type that has children, and the URLs the apps add to the admin
(``register_admin_urls``), where a page that lists nothing is named in ``NOT_LISTINGS`` with
the reason instead.

Each case builds a little data, counts the queries of each of its URLs, adds many more rows of
every kind the page shows (children, related rows, images and documents in the body, pages in
the site menu), and counts again. Run with ``-s`` to print the table of counts.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
import wagtail_factories

from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wagtail import hooks
from wagtail.admin.viewsets import viewsets
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.models import Page, get_page_models
from wagtail.rich_text import RichText

from board.models import (
    Attendance,
    BoardAsk,
    ExpenseClaim,
    Meeting,
    MeetingNotesPage,
    MemberSupportNeeds,
    ProgressUpdate,
    Recommendation,
)
from cms import roles
from cms.models import AccessibilityStatementPage, HomePage, Invitation
from cms.models.invitations import hash_token
from engagement.models import (
    ActivityAction,
    ActivityPage,
    ActivityRespondentGroup,
    ActivityTheme,
    NewsletterIssuePage,
)
from surveys.models import (
    AggregatedCount,
    AnnualSummaryPage,
    Answer,
    CountImportBatch,
    EqualityDataIndexPage,
    FreeTextAnswer,
    InvitationBatch,
    Measure,
    Question,
    Response,
    Survey,
)
from tests.board.factories import (
    BoardIndexPageFactory,
    BoardMemberFactory,
    CouncilResponseFactory,
    ImplementedChangeFactory,
    MeetingFactory,
    MembershipFactory,
    RecommendationFactory,
    ServiceAreaFactory,
    TermsOfReferencePageFactory,
    YouSaidWeDidPageFactory,
    publish_response,
)
from tests.conftest import enrol_totp, sign_in
from tests.engagement.factories import (
    ActivityIndexPageFactory,
    ActivityPageFactory,
    CalendarDateFactory,
    CulturalCalendarPageFactory,
    EngagementHubPageFactory,
    EventIndexPageFactory,
    EventOrganiserFactory,
    EventPageFactory,
    NewsIndexPageFactory,
    NewsletterIndexPageFactory,
    NewsletterIssuePageFactory,
    NewsletterSubscriberFactory,
    NewsPageFactory,
    StoryIndexPageFactory,
    StoryPageFactory,
    VenueFactory,
)
from tests.factories import UserFactory
from tests.surveys.factories import (
    QuestionFactory,
    SurveyFactory,
    WaveFactory,
    invite,
    staff_survey_wave,
)

pytestmark = pytest.mark.django_db

# "Large" fills more than a page of every listing (10 to 20 a page) so pagination is exercised.
SMALL, LARGE = 3, 25
PROJECT_APPS = ("cms", "board", "engagement", "surveys")
THIS_YEAR = timezone.localdate().year
serial = count(1)


@dataclass
class Scenario:
    """The URLs of one page or listing, and how to add ``n`` more of everything they show."""

    urls: list[str]
    add: Callable[[int], None]
    also: list[Callable[[int], None]] = field(default_factory=list)

    def grow(self, n: int) -> None:
        for add in (self.add, *self.also):
            add(n)


# --- Counting -----------------------------------------------------------------------------------


def _fetch(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    if response.streaming:
        # A streamed download runs its queries while it is read.
        b"".join(response.streaming_content)


def _queries(client: Client, url: str) -> list[str]:
    _fetch(client, url)  # warm up: renditions, per-site settings rows and caches are made once
    with CaptureQueriesContext(connection) as context:
        _fetch(client, url)
    return [query["sql"] for query in context.captured_queries]


def _shape(sql: str) -> str:
    """A query with its literal values blanked, so repeats of one query count together."""
    return re.sub(r"IN \([?, ]+\)", "IN (...)", re.sub(r"'[^']*'|\b\d+\b", "?", sql))


def _grown(small: list[str], large: list[str]) -> str:
    """The queries that ran more often with more rows: where the N+1 is."""
    before, after = Counter(map(_shape, small)), Counter(map(_shape, large))
    return "\n".join(
        f"  {before[sql]} -> {after[sql]} times: {sql[:400]}"
        for sql in after
        if after[sql] != before[sql]
    )


def assert_fixed(client: Client, label: str, scenario: Scenario) -> None:
    scenario.grow(SMALL)
    small = {url: _queries(client, url) for url in scenario.urls}
    scenario.grow(LARGE - SMALL)
    failures = []
    for url in scenario.urls:
        large = _queries(client, url)
        print(f"QUERIES | {label} | {url} | {len(small[url])} | {len(large)}")  # noqa: T201
        if len(large) != len(small[url]):
            failures.append(
                f"{label} {url}: {len(small[url])} queries with {SMALL} rows, "
                f"{len(large)} with {LARGE}\n{_grown(small[url], large)}"
            )
    assert not failures, "\n\n".join(failures)


# --- Data ---------------------------------------------------------------------------------------


def _slug(prefix: str) -> str:
    return f"{prefix}-{next(serial)}"


def add_menu_pages(home: Page) -> Callable[[int], None]:
    """Sections in the site menu, which every public page shows."""

    def add(n: int) -> None:
        for _ in range(n):
            home.add_child(
                instance=Page(title="Section", slug=_slug("section"), show_in_menus=True)
            )

    return add


class GrowingBody:
    """A StreamField that gains, for each row added, an image, a document download, and a
    paragraph and an accordion section that link a page and a document of their own."""

    def __init__(self, page: Page, field_name: str = "body"):
        self.page, self.field_name, self.blocks = page, field_name, []

    def add(self, n: int) -> None:
        home = HomePage.objects.get()
        for _ in range(n):
            image = wagtail_factories.ImageFactory()
            document = wagtail_factories.DocumentFactory()
            linked = home.add_child(instance=Page(title="Linked", slug=_slug("linked")))
            links = RichText(
                f'<p><a linktype="page" id="{linked.pk}">A page</a> and '
                f'<a linktype="document" id="{document.pk}">the minutes</a>.</p>'
            )
            self.blocks += [
                ("image", {"image": image, "alt_text": "A pattern of circles.", "caption": "C"}),
                ("document", {"document": document, "title": "", "description": "Minutes."}),
                ("rich_text", links),
                ("accordion", {"sections": [{"heading": "More", "content": links}]}),
            ]
        # Read after the linked pages are added: a stale tree position must not be saved back.
        page = Page.objects.get(pk=self.page.pk).specific
        setattr(page, self.field_name, list(self.blocks))
        page.save()


def published_recommendation(**fields) -> Recommendation:
    """A recommendation through the real workflow: a response revision published, a change
    made and a progress update, each with its own author and service area."""
    recommendation = RecommendationFactory(
        status="response_drafted", service_area=ServiceAreaFactory(), **fields
    )
    publish_response(CouncilResponseFactory(recommendation=recommendation))
    ImplementedChangeFactory(recommendation=recommendation, service_area=ServiceAreaFactory())
    ProgressUpdate.objects.create(recommendation=recommendation, update="Under way.")
    return recommendation


def board_page(home: HomePage):
    return BoardIndexPageFactory(parent=home, slug=_slug("board"))


def you_said_page(home: HomePage):
    page = YouSaidWeDidPageFactory(parent=board_page(home))
    page.save_revision().publish()
    return page


def equality_index(home: HomePage) -> EqualityDataIndexPage:
    page = EqualityDataIndexPage(title="Equality data", slug=_slug("equality-data"))
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def annual_summary(index: EqualityDataIndexPage, year: int) -> AnnualSummaryPage:
    """A summary published as analysts publish it (the snapshot is taken on publish)."""
    survey = Survey.objects.filter(slug="staff-survey").first() or SurveyFactory(
        slug="staff-survey"
    )
    WaveFactory(survey=survey, year=year)
    page = AnnualSummaryPage(title=f"Summary {year}", slug=str(year), year=year, live=False)
    index.add_child(instance=page)
    page.save_revision().publish()
    return AnnualSummaryPage.objects.get(pk=page.pk)


def priority_measures(n: int, *, year: int) -> None:
    """Priority measures, each on its own survey, with imported counts for ``year``."""
    for _ in range(n):
        survey = SurveyFactory(name="Survey", slug=_slug("survey"))
        wave = WaveFactory(survey=survey, year=year)
        AggregatedCount.objects.bulk_create(
            AggregatedCount(
                wave=wave, question_key="q", group=group, n_answering=100, n_positive=60
            )
            for group in ("white", "asian", "black", "mixed", "other")
        )
        Measure.objects.create(
            key=_slug("measure"),
            name="A measure",
            survey=survey,
            question_key="q",
            priority=True,
            baseline=wave,
        )


def answered_wave(wave, n: int) -> None:
    """``n`` responses to a staff survey wave, each answering every question."""
    questions = {question.key: question for question in wave.questions.all()}
    responses = [Response(id=uuid.uuid4(), wave=wave, submitted_on=wave.opens_on) for _ in range(n)]
    Response.objects.bulk_create(responses)
    Answer.objects.bulk_create(
        Answer(response=response, question=questions[key], value=value)
        for index, response in enumerate(responses)
        for key, value in (
            ("equal_opportunity", str(1 + index % 5)),
            ("belonging", "4"),
            ("directorate", "people"),
            ("ethnicity", ["white_british", "asian_indian", "black_african"][index % 3]),
        )
    )
    FreeTextAnswer.objects.bulk_create(
        FreeTextAnswer(question=questions["improve"], text="More flexible hours.") for _ in range(n)
    )


# --- Public page types --------------------------------------------------------------------------

PageCase = Callable[[HomePage], Scenario]
PAGE_CASES: dict[str, PageCase] = {}


def page_case(label: str):
    def register(case: PageCase) -> PageCase:
        PAGE_CASES[label] = case
        return case

    return register


@page_case("cms.HomePage")
def _home_page(home):
    return Scenario([home.url], GrowingBody(home).add)


@page_case("cms.AccessibilityStatementPage")
def _accessibility_statement(home):
    page = AccessibilityStatementPage(
        title="Accessibility statement",
        slug="accessibility-statement",
        intro="This statement applies to this website.",
        how_accessible="<p>Most of it works with a screen reader.</p>",
        feedback_and_contact="<p>Ask us.</p>",
        reporting_problems="<p>Tell us.</p>",
        compliance=AccessibilityStatementPage.Compliance.FULL,
        prepared_on=date(2026, 1, 1),
        last_reviewed_on=date(2026, 1, 2),
        tested_on=date(2026, 1, 1),
        tested_by="The digital team.",
    )
    home.add_child(instance=page)
    return Scenario([page.url], lambda n: None)


@page_case("board.BoardIndexPage")
def _board_index(home):
    page = board_page(home)
    kinds = [
        TermsOfReferencePageFactory,
        YouSaidWeDidPageFactory,
        lambda parent, slug: parent.add_child(
            instance=MeetingNotesPage(title="Meeting notes", slug=slug)
        ),
    ]

    def add_sections(n):
        for _ in range(n):
            number = next(serial)
            kinds[number % 3](parent=page, slug=f"section-{number}")

    return Scenario([page.url], add_sections, also=[GrowingBody(page).add])


@page_case("board.TermsOfReferencePage")
def _terms_of_reference(home):
    page = TermsOfReferencePageFactory(parent=board_page(home))
    return Scenario([page.url], lambda n: None)


@page_case("board.YouSaidWeDidPage")
def _you_said_we_did(home):
    page = you_said_page(home)
    featured = published_recommendation()

    def add(n):
        for index in range(n):
            published_recommendation(author_named=bool(index % 2))
            ImplementedChangeFactory(recommendation=featured, service_area=ServiceAreaFactory())
            ProgressUpdate.objects.create(recommendation=featured, update="More done.")

    return Scenario(
        [
            page.url,
            f"{page.url}?page=2",
            f"{page.url}{featured.reference}/",
            f"{page.url}open-data/csv/",
            f"{page.url}open-data/json/",
        ],
        add,
    )


@page_case("board.MeetingNotesPage")
def _meeting_notes(home):
    page = MeetingNotesPage(title="Meeting notes", slug="meeting-notes")
    board_page(home).add_child(instance=page)

    def add(n):
        for _ in range(n):
            meeting = MeetingFactory(
                notes="<p>We agreed.</p>", notes_status=Meeting.NotesStatus.APPROVED
            )
            Attendance.objects.create(meeting=meeting, member=BoardMemberFactory())

    return Scenario([page.url, f"{page.url}?page=2"], add)


@page_case("surveys.EqualityDataIndexPage")
def _equality_data_index(home):
    index = equality_index(home)
    years = iter(range(2000, 2100))

    def add(n):
        for _ in range(n):
            annual_summary(index, next(years))

    return Scenario([index.url], add)


@page_case("surveys.AnnualSummaryPage")
def _annual_summary(home):
    page = annual_summary(equality_index(home), THIS_YEAR)

    def add(n):
        priority_measures(n, year=THIS_YEAR)
        page.save_revision().publish()  # a new snapshot with every measure

    return Scenario([page.url], add)


def engagement_site(home):
    hub = EngagementHubPageFactory(parent=home)
    return {
        "hub": hub,
        "activities": ActivityIndexPageFactory(parent=hub),
        "events": EventIndexPageFactory(parent=hub),
        "calendar": CulturalCalendarPageFactory(parent=hub),
        "stories": StoryIndexPageFactory(parent=hub),
        "news": NewsIndexPageFactory(parent=hub),
        "newsletters": NewsletterIndexPageFactory(parent=hub),
    }


def add_activities(index, n: int) -> None:
    for number in range(n):
        activity = ActivityPageFactory(
            parent=index,
            status=[ActivityPage.Status.OPEN, ActivityPage.Status.REPORTED][number % 2],
            reported_on=timezone.localdate(),
            starts_on=date(2020 + number % 5, 1, 1),
        )
        ActivityTheme.objects.create(page=activity, title="Opening hours", description="Later.")
        ActivityRespondentGroup.objects.create(
            page=activity,
            respondent_type=ActivityRespondentGroup.RespondentType.RESIDENTS,
            count=40,
        )


def add_events(index, n: int) -> None:
    now = timezone.now()
    for number in range(n):
        starts = now + timedelta(days=number - n // 2)
        EventPageFactory(
            parent=index,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            venue=VenueFactory(),
            organiser=EventOrganiserFactory(),
        )


def add_stories(index, n: int) -> None:
    for _ in range(n):
        StoryPageFactory(parent=index, image=wagtail_factories.ImageFactory(), image_alt="Circles.")


def add_news(index, n: int) -> None:
    for number in range(n):
        NewsPageFactory(
            parent=index,
            date=date(THIS_YEAR - number % 3, 1 + number % 12, 1),
            image=wagtail_factories.ImageFactory(),
            image_alt="Circles.",
        )


def add_issues(index, n: int) -> None:
    for number in range(n):
        issue = NewsletterIssuePageFactory(
            parent=index, date=date(THIS_YEAR - number % 3, 1 + number % 12, 1)
        )
        if number % 2:
            NewsletterIssuePage.objects.filter(pk=issue.pk).update(
                sent_at=timezone.now(), sent_to=10
            )


@page_case("engagement.EngagementHubPage")
def _hub(home):
    site = engagement_site(home)

    def add(n):
        add_activities(site["activities"], n)
        add_events(site["events"], n)
        add_stories(site["stories"], n)
        add_news(site["news"], n)

    return Scenario([site["hub"].url], add, also=[GrowingBody(site["hub"]).add])


@page_case("engagement.ActivityIndexPage")
def _activity_index(home):
    index = engagement_site(home)["activities"]
    return Scenario(
        [index.url, f"{index.url}?page=2", f"{index.url}?status=open&year=2022"],
        lambda n: add_activities(index, n),
    )


@page_case("engagement.ActivityPage")
def _activity(home):
    index = engagement_site(home)["activities"]
    activity = ActivityPageFactory(
        parent=index, status=ActivityPage.Status.REPORTED, reported_on=timezone.localdate()
    )
    you_said_page(home)
    evidence = equality_index(home)

    def add(n):
        for number in range(n):
            ActivityTheme.objects.create(page=activity, title="Buses", description="More.")
            ActivityRespondentGroup.objects.create(
                page=activity,
                respondent_type=ActivityRespondentGroup.RespondentType.OTHER,
                description=f"Group {number}",
                count=5 + number,
            )
            summary = Page(title="Evidence", slug=_slug("evidence"))
            evidence.add_child(instance=summary)
            ActivityAction.objects.create(
                page=activity,
                description="We moved the bus stop.",
                recommendation=published_recommendation(),
                survey_summary=summary,
            )

    return Scenario([activity.url], add, also=[GrowingBody(activity).add])


@page_case("engagement.EventIndexPage")
def _event_index(home):
    index = engagement_site(home)["events"]
    return Scenario(
        [index.url, f"{index.url}?page=2", f"{index.url}past/", f"{index.url}ical/"],
        lambda n: add_events(index, n),
    )


@page_case("engagement.EventPage")
def _event(home):
    event = EventPageFactory(parent=engagement_site(home)["events"])
    return Scenario([event.url, f"{event.url}ical/"], GrowingBody(event).add)


@page_case("engagement.CulturalCalendarPage")
def _calendar(home):
    page = engagement_site(home)["calendar"]
    today = timezone.localdate()

    def add(n):
        for number in range(n):
            CalendarDateFactory(starts_on=today + timedelta(days=number * 7 % 360))

    return Scenario([page.url, f"{page.url}ical/"], add, also=[GrowingBody(page).add])


@page_case("engagement.StoryIndexPage")
def _story_index(home):
    index = engagement_site(home)["stories"]
    return Scenario([index.url, f"{index.url}?page=2"], lambda n: add_stories(index, n))


@page_case("engagement.StoryPage")
def _story(home):
    story = StoryPageFactory(
        parent=engagement_site(home)["stories"],
        image=wagtail_factories.ImageFactory(),
        image_alt="Circles.",
    )
    return Scenario([story.url], GrowingBody(story, "story").add)


@page_case("engagement.NewsIndexPage")
def _news_index(home):
    index = engagement_site(home)["news"]
    return Scenario(
        [index.url, f"{index.url}?page=2", f"{index.url}{THIS_YEAR}/", f"{index.url}feed/"],
        lambda n: add_news(index, n),
    )


@page_case("engagement.NewsPage")
def _news(home):
    item = NewsPageFactory(parent=engagement_site(home)["news"])
    return Scenario([item.url], GrowingBody(item).add)


@page_case("engagement.NewsletterIndexPage")
def _newsletter_index(home):
    index = engagement_site(home)["newsletters"]
    return Scenario(
        [index.url, f"{index.url}?page=2", f"{index.url}feed/"],
        lambda n: add_issues(index, n),
    )


@page_case("engagement.NewsletterIssuePage")
def _newsletter_issue(home):
    issue = NewsletterIssuePageFactory(parent=engagement_site(home)["newsletters"])
    return Scenario([issue.url], GrowingBody(issue).add)


PROJECT_PAGE_TYPES = sorted(
    model._meta.label for model in get_page_models() if model._meta.app_label in PROJECT_APPS
)


def test_every_page_case_is_a_page_type():
    assert set(PAGE_CASES) <= set(PROJECT_PAGE_TYPES)


@pytest.mark.parametrize("label", PROJECT_PAGE_TYPES)
def test_public_page(client, label):
    assert label in PAGE_CASES, f"No query-count case for the page type {label}: add one."
    home = HomePage.objects.get()
    scenario = PAGE_CASES[label](home)
    scenario.also.append(add_menu_pages(home))
    assert_fixed(client, label, scenario)


# --- Other public and member pages --------------------------------------------------------------


def _sitemap(client, home):
    site = engagement_site(home)

    def add(n):
        add_news(site["news"], n)
        add_events(site["events"], n)

    return Scenario(["/sitemap.xml"], add)


def _search(client, home):
    news = engagement_site(home)["news"]

    def add(n):
        for _ in range(n):
            NewsPageFactory(parent=news, intro="Quince jam for everyone.")

    return Scenario(["/search/?q=quince", "/search/?q=quince&page=2"], add)


def _survey_page(client, home):
    wave = WaveFactory()
    token = invite(wave)

    def add(n):
        for _ in range(n):
            QuestionFactory(wave=wave, page=1, order=next(serial))

    return Scenario([reverse("surveys:take_page", args=[token, 1])], add)


def _member_area(client, home):
    member = BoardMemberFactory()
    client.force_login(member)
    mine = RecommendationFactory(author=member)

    def add(n):
        for _ in range(n):
            RecommendationFactory(author=member, service_area=ServiceAreaFactory())
            RecommendationFactory(status="acknowledged", service_area=ServiceAreaFactory())
            ExpenseClaim.objects.create(
                claimant=member,
                meeting=MeetingFactory(),
                kind=ExpenseClaim.Kind.TRAVEL,
                amount=Decimal("4.20"),
                description="Bus fare.",
            )
            ProgressUpdate.objects.create(recommendation=mine, update="Under way.")
            ImplementedChangeFactory(recommendation=mine, service_area=ServiceAreaFactory())

    return Scenario(
        [
            reverse("board:dashboard"),
            reverse("board:my_recommendations"),
            reverse("board:board_recommendations"),
            reverse("board:my_expenses"),
            reverse("board:recommendation_detail", args=[mine.reference]),
        ],
        add,
    )


OTHER_PUBLIC_CASES = {
    "sitemap": _sitemap,
    "search": _search,
    "survey page": _survey_page,
    "member area": _member_area,
}


@pytest.mark.parametrize("name", OTHER_PUBLIC_CASES)
def test_other_public_and_member_page(client, name):
    assert_fixed(client, name, OTHER_PUBLIC_CASES[name](client, HomePage.objects.get()))


# --- Admin: model and snippet listings ----------------------------------------------------------


@pytest.fixture
def superuser_client(client):
    user = UserFactory(is_superuser=True, is_staff=True)
    enrol_totp(user)
    sign_in(client, user)
    return client


def _listing_viewsets() -> dict[str, ModelViewSet]:
    """Each project model's admin listing, by model label."""
    reverse("wagtailadmin_home")  # loads the admin's URLs, which registers the hooks' viewsets
    found = {}
    for viewset in viewsets.viewsets:
        model = getattr(viewset, "model", None)
        if (
            isinstance(viewset, ModelViewSet)
            and getattr(model, "_meta", None) is not None
            and model._meta.app_label in PROJECT_APPS
        ):
            found[model._meta.label] = viewset
    return found


def _add_invitations(n):
    groups = list(Group.objects.all())
    for number in range(n):
        Invitation.objects.create(
            email=f"invitee{next(serial)}@example.org",
            role=groups[number % len(groups)],
            token_hash=hash_token(str(uuid.uuid4())),
            invited_by=UserFactory(),
            expires_at=timezone.now() + timedelta(days=7),
        )


def _add_users(n):
    names = list(Group.objects.values_list("name", flat=True))
    for number in range(n):
        user = UserFactory(roles=[names[number % len(names)]])
        if number % 2:
            enrol_totp(user)


def _add_recommendations(n):
    for number in range(n):
        recommendation = RecommendationFactory(
            service_area=ServiceAreaFactory(), owner=UserFactory(), due_date=timezone.localdate()
        )
        if number % 2:
            CouncilResponseFactory(recommendation=recommendation)


def _add_memberships(n):
    for _ in range(n):
        MembershipFactory()


def _add_support_needs(n):
    for _ in range(n):
        MemberSupportNeeds.objects.create(
            member=BoardMemberFactory(), preferred_language="Polish", interpreter_needed=False
        )


def _add_asks(n):
    for _ in range(n):
        BoardAsk.objects.create(
            member=BoardMemberFactory(), kind=BoardAsk.Kind.PANEL, description="Interview panel."
        )


def _add_meetings(n):
    for _ in range(n):
        meeting = MeetingFactory()
        Attendance.objects.create(meeting=meeting, member=BoardMemberFactory())


def _add_expense_claims(n):
    for number in range(n):
        ExpenseClaim.objects.create(
            claimant=BoardMemberFactory(),
            meeting=MeetingFactory() if number % 2 else None,
            kind=ExpenseClaim.Kind.TRAVEL,
            amount=Decimal("12.50"),
            description="Train fare.",
            status=[ExpenseClaim.Status.SUBMITTED, ExpenseClaim.Status.APPROVED][number % 2],
        )


def _add_service_areas(n):
    for _ in range(n):
        ServiceAreaFactory()


def _add_council_responses(n):
    for number in range(n):
        if number % 2:
            published_recommendation()
        else:
            response = CouncilResponseFactory(
                recommendation=RecommendationFactory(
                    status="response_drafted", service_area=ServiceAreaFactory()
                )
            )
            response.save_revision()


def _add_calendar_dates(n):
    for _ in range(n):
        CalendarDateFactory()


def _add_organisers(n):
    for _ in range(n):
        EventOrganiserFactory()


def _add_venues(n):
    for _ in range(n):
        VenueFactory()


def _add_subscribers(n):
    for number in range(n):
        NewsletterSubscriberFactory(confirmed=bool(number % 2))


def _add_surveys(n):
    for _ in range(n):
        survey = SurveyFactory(name="Survey", slug=_slug("survey"))
        WaveFactory(survey=survey, year=THIS_YEAR - 1)
        WaveFactory(survey=survey, year=THIS_YEAR)


def _add_waves(n):
    for _ in range(n):
        wave = WaveFactory(survey=SurveyFactory(name="Survey", slug=_slug("survey")))
        QuestionFactory(wave=wave)
        InvitationBatch.objects.create(wave=wave, total=1)


def _add_questions(n):
    for _ in range(n):
        QuestionFactory(wave=WaveFactory(survey=SurveyFactory(name="S", slug=_slug("survey"))))


def _add_measures(n):
    for _ in range(n):
        wave = staff_survey_wave(survey=SurveyFactory(name="Survey", slug=_slug("survey")))
        Measure.objects.create(
            key=_slug("measure"),
            name="A measure",
            survey=wave.survey,
            question_key="equal_opportunity",
            baseline=wave,
        )


LISTING_CASES: dict[str, Callable[[int], None]] = {
    "cms.Invitation": _add_invitations,
    "cms.User": _add_users,
    "board.Recommendation": _add_recommendations,
    "board.Membership": _add_memberships,
    "board.MemberSupportNeeds": _add_support_needs,
    "board.BoardAsk": _add_asks,
    "board.Meeting": _add_meetings,
    "board.ExpenseClaim": _add_expense_claims,
    "board.ServiceArea": _add_service_areas,
    "board.CouncilResponse": _add_council_responses,
    "engagement.CalendarDate": _add_calendar_dates,
    "engagement.EventOrganiser": _add_organisers,
    "engagement.Venue": _add_venues,
    "engagement.NewsletterSubscriber": _add_subscribers,
    "surveys.Survey": _add_surveys,
    "surveys.Wave": _add_waves,
    "surveys.Question": _add_questions,
    "surveys.Measure": _add_measures,
}


def test_every_listing_case_is_a_registered_listing():
    assert set(LISTING_CASES) <= set(_listing_viewsets())


@pytest.mark.parametrize("label", sorted(_listing_viewsets()))
def test_admin_listing(superuser_client, label):
    assert label in LISTING_CASES, f"No query-count case for the admin listing of {label}."
    viewset = _listing_viewsets()[label]
    urls = [viewset.menu_url, f"{viewset.menu_url}?p=2"]
    if getattr(viewset, "list_export", None):
        urls.append(f"{viewset.menu_url}?export=csv")
    assert_fixed(superuser_client, label, Scenario(urls, LISTING_CASES[label]))


# --- Admin: the page explorer -------------------------------------------------------------------


EXPLORER_CASES: dict[str, Callable[[HomePage], tuple[Page, Callable[[int], None]]]] = {}


def explorer_case(label: str):
    def register(case):
        EXPLORER_CASES[label] = case
        return case

    return register


@explorer_case("cms.HomePage")
def _home_children(home):
    def add(n):
        for _ in range(n):
            BoardIndexPageFactory(parent=home, slug=_slug("board"))

    return home, add


@explorer_case("board.BoardIndexPage")
def _board_children(home):
    page = board_page(home)
    kinds = [
        TermsOfReferencePageFactory,
        YouSaidWeDidPageFactory,
        lambda parent, slug: parent.add_child(
            instance=MeetingNotesPage(title="Meeting notes", slug=slug)
        ),
    ]

    def add(n):
        for _ in range(n):
            number = next(serial)
            kinds[number % 3](parent=page, slug=f"section-{number}")

    return page, add


@explorer_case("surveys.EqualityDataIndexPage")
def _equality_children(home):
    index = equality_index(home)
    years = iter(range(2000, 2100))

    def add(n):
        for _ in range(n):
            annual_summary(index, next(years))

    return index, add


@explorer_case("engagement.EngagementHubPage")
def _hub_children(home):
    # A hub holds one index of each kind; more of them only show the cost per row.
    site = engagement_site(home)
    kinds = [
        ActivityIndexPageFactory,
        EventIndexPageFactory,
        CulturalCalendarPageFactory,
        StoryIndexPageFactory,
        NewsIndexPageFactory,
        NewsletterIndexPageFactory,
    ]

    def add(n):
        for _ in range(n):
            number = next(serial)
            kinds[number % len(kinds)](parent=site["hub"], slug=f"index-{number}")

    return site["hub"], add


@explorer_case("engagement.ActivityIndexPage")
def _activity_children(home):
    index = engagement_site(home)["activities"]
    return index, lambda n: add_activities(index, n)


@explorer_case("engagement.EventIndexPage")
def _event_children(home):
    index = engagement_site(home)["events"]
    return index, lambda n: add_events(index, n)


@explorer_case("engagement.StoryIndexPage")
def _story_children(home):
    index = engagement_site(home)["stories"]
    return index, lambda n: add_stories(index, n)


@explorer_case("engagement.NewsIndexPage")
def _news_children(home):
    index = engagement_site(home)["news"]
    return index, lambda n: add_news(index, n)


@explorer_case("engagement.NewsletterIndexPage")
def _newsletter_children(home):
    index = engagement_site(home)["newsletters"]
    return index, lambda n: add_issues(index, n)


PAGE_TYPES_WITH_CHILDREN = sorted(
    model._meta.label
    for model in get_page_models()
    if model._meta.app_label in PROJECT_APPS and model.allowed_subpage_models()
)


@pytest.mark.parametrize("label", PAGE_TYPES_WITH_CHILDREN)
def test_admin_page_explorer(superuser_client, label):
    assert label in EXPLORER_CASES, f"No query-count case for the explorer of {label} pages."
    parent, add = EXPLORER_CASES[label](HomePage.objects.get())
    url = reverse("wagtailadmin_explore", args=[parent.pk])
    assert_fixed(superuser_client, f"explorer of {label}", Scenario([url, f"{url}?p=2"], add))


# --- Admin: the apps' own pages -----------------------------------------------------------------

# Admin URLs the apps add that list nothing that grows: each shows one object or a form.
NOT_LISTINGS = {
    "board_expense_decide": "one claim and the decision form",
    "board_expense_receipt": "one claim's receipt file",
    "board_import": "an upload form",
    "surveys_batch_progress": "one invitation batch's progress",
    "surveys_board_evaluation_new": "a form with the template's four fixed questions",
    "surveys_import_counts": "an upload form for one survey",
    "surveys_import_progress": "one import's progress",
    "surveys_import_counts_preview": "one staged file's preview (at most COUNT_LIMITS rows)",
    "surveys_count_batch_remove": "one import batch and the confirmation",
    "surveys_count_batch_replace": "one import batch and an upload form",
}

AdminCase = Callable[[], Scenario]
ADMIN_VIEW_CASES: dict[str, AdminCase] = {}


def admin_view_case(name: str):
    def register(case: AdminCase) -> AdminCase:
        ADMIN_VIEW_CASES[name] = case
        return case

    return register


@admin_view_case("board_recommendation_manage")
def _recommendation_manage():
    recommendation = published_recommendation(owner=UserFactory())

    def add(n):
        for _ in range(n):
            ProgressUpdate.objects.create(
                recommendation=recommendation, update="More.", created_by=UserFactory()
            )
            ImplementedChangeFactory(
                recommendation=recommendation, service_area=ServiceAreaFactory()
            )
            UserFactory(roles=[roles.ENGAGEMENT_MANAGERS])  # owners to choose from

    return Scenario([reverse("board_recommendation_manage", args=[recommendation.pk])], add)


@admin_view_case("board_overview")
def _board_overview():
    today = timezone.localdate()

    def add(n):
        for number in range(n):
            membership = MembershipFactory(
                term_starts=today - timedelta(days=100), term_ends=today + timedelta(days=30)
            )
            MembershipFactory(
                member=membership.member,
                term_starts=today - timedelta(days=800),
                term_ends=today - timedelta(days=101),
            )
            meeting = MeetingFactory(starts_at=timezone.now() - timedelta(days=number + 1))
            Attendance.objects.create(meeting=meeting, member=membership.member)
            BoardAsk.objects.create(
                member=membership.member, kind=BoardAsk.Kind.REVIEW, description="Policy."
            )
            RecommendationFactory(
                status="acknowledged",
                owner=UserFactory(),
                due_date=today - timedelta(days=5),
                service_area=ServiceAreaFactory(),
            )

    return Scenario([reverse("board_overview")], add)


@admin_view_case("board_expense_totals")
def _expense_totals():
    url = reverse("board_expense_totals")

    def add(n):
        for _ in range(n):
            member = BoardMemberFactory()
            for kind in (ExpenseClaim.Kind.TRAVEL, ExpenseClaim.Kind.CARE):
                ExpenseClaim.objects.create(
                    claimant=member,
                    kind=kind,
                    amount=Decimal("10.00"),
                    description="Claim.",
                    status=ExpenseClaim.Status.APPROVED,
                )

    return Scenario([url, f"{url}?export=csv", f"{url}?export=xlsx"], add)


def _add_former_members(member=None):
    """Board members whose terms have all ended (one member's terms end further back each)."""
    today = timezone.localdate()
    term_ends = (today - timedelta(days=100 + 900 * number) for number in count())

    def add(n):
        for _ in range(n):
            ends = next(term_ends)
            membership = MembershipFactory(
                member=member or BoardMemberFactory(),
                term_starts=ends - timedelta(days=700),
                term_ends=ends,
            )
            BoardAsk.objects.create(
                member=membership.member, kind=BoardAsk.Kind.EVENT, description="Talk."
            )
            ExpenseClaim.objects.create(
                claimant=membership.member,
                kind=ExpenseClaim.Kind.TRAVEL,
                amount=Decimal("3.00"),
                description="Bus.",
            )

    return add


@admin_view_case("board_former_members")
def _former_members():
    url = reverse("board_former_members")
    return Scenario([url, f"{url}?p=2"], _add_former_members())


@admin_view_case("board_member_erase")
def _member_erase():
    member = BoardMemberFactory()
    return Scenario([reverse("board_member_erase", args=[member.pk])], _add_former_members(member))


@admin_view_case("surveys_data")
def _survey_data():
    def add(n):
        for _ in range(n):
            survey = SurveyFactory(name="Survey", slug=_slug("survey"))
            answered_wave(staff_survey_wave(survey=survey, year=THIS_YEAR), 2)
            wave = WaveFactory(survey=survey, year=THIS_YEAR - 1)
            AggregatedCount.objects.create(
                wave=wave, question_key="q", group="all", n_answering=10, n_positive=5
            )

    return Scenario([reverse("surveys_data")], add)


def _add_questions_to(wave):
    kinds = [Question.Kind.LIKERT, Question.Kind.SINGLE, Question.Kind.ETHNICITY]

    def add(n):
        for _ in range(n):
            number = next(serial)
            kind = kinds[number % 3]
            QuestionFactory(
                wave=wave,
                kind=kind,
                page=1 + number % 2,
                order=number,
                options=[["a", "A"], ["b", "B"]] if kind == Question.Kind.SINGLE else [],
            )

    return add


@admin_view_case("surveys_wave_questions")
def _wave_questions():
    wave = WaveFactory()
    return Scenario([reverse("surveys_wave_questions", args=[wave.pk])], _add_questions_to(wave))


@admin_view_case("surveys_import_responses")
def _import_responses_page():
    wave = WaveFactory()
    return Scenario([reverse("surveys_import_responses", args=[wave.pk])], _add_questions_to(wave))


@admin_view_case("surveys_count_batches")
def _count_batches():
    survey = SurveyFactory()

    def add(n):
        for _ in range(n):
            CountImportBatch.objects.create(
                survey=survey, imported_by=UserFactory(), file_name="counts.csv", years=[2019]
            )

    return Scenario([reverse("surveys_count_batches", args=[survey.pk])], add)


@admin_view_case("surveys_wave_invitations")
def _wave_invitations():
    wave = WaveFactory()

    def add(n):
        for _ in range(n):
            InvitationBatch.objects.create(wave=wave, total=2, sent=1, created_by=UserFactory())
            invite(wave, email=f"staff{next(serial)}@example.org")

    return Scenario([reverse("surveys_wave_invitations", args=[wave.pk])], add)


@admin_view_case("surveys_wave_reminders")
def _wave_reminders():
    wave = WaveFactory()

    def add(n):
        for _ in range(n):
            invite(wave, email=f"staff{next(serial)}@example.org")

    return Scenario([reverse("surveys_wave_reminders", args=[wave.pk])], add)


@admin_view_case("surveys_measure_report")
def _measure_report():
    first = staff_survey_wave(year=2000)
    measure = Measure.objects.create(
        key="equal-opportunity",
        name="Equality of opportunity",
        survey=first.survey,
        question_key="equal_opportunity",
        baseline=first,
        priority=True,
    )
    years = iter(range(2001, 2100))

    def add(n):
        for _ in range(n):
            answered_wave(staff_survey_wave(year=next(years), survey=first.survey), 30)

    return Scenario([reverse("surveys_measure_report", args=[measure.pk])], add)


@admin_view_case("surveys_measure_report_download")
def _measure_report_download():
    scenario = _measure_report()
    measure = Measure.objects.get(key="equal-opportunity")
    scenario.urls = [
        reverse("surveys_measure_report_download", args=[measure.pk, fmt])
        for fmt in ("csv", "xlsx")
    ]
    return scenario


def _export(name: str) -> Scenario:
    wave = staff_survey_wave()
    return Scenario(
        [reverse(name, args=[wave.pk, fmt]) for fmt in ("csv", "xlsx")],
        lambda n: answered_wave(wave, n),
    )


@admin_view_case("surveys_export_responses")
def _export_responses():
    return _export("surveys_export_responses")


@admin_view_case("surveys_export_free_text")
def _export_free_text():
    return _export("surveys_export_free_text")


@admin_view_case("engagement_subscribers_csv")
def _subscribers_csv():
    return Scenario([reverse("engagement_subscribers_csv")], _add_subscribers)


@admin_view_case("engagement_newsletter_send")
def _newsletter_send():
    index = engagement_site(HomePage.objects.get())["newsletters"]
    issue = NewsletterIssuePageFactory(parent=index)
    return Scenario([reverse("engagement_newsletter_send", args=[issue.pk])], _add_subscribers)


def _project_admin_url_names() -> list[str]:
    names = []
    for register in hooks.get_hooks("register_admin_urls"):
        if register.__module__.split(".")[0] in PROJECT_APPS:
            names += [pattern.name for pattern in register()]
    return sorted(names)


def test_every_admin_view_case_is_an_admin_url():
    names = set(_project_admin_url_names())
    assert set(ADMIN_VIEW_CASES) <= names
    assert set(NOT_LISTINGS) <= names
    assert not set(ADMIN_VIEW_CASES) & set(NOT_LISTINGS)


@pytest.mark.parametrize(
    "name", [name for name in _project_admin_url_names() if name not in NOT_LISTINGS]
)
def test_admin_page(superuser_client, name):
    assert name in ADMIN_VIEW_CASES, (
        f"No query-count case for the admin URL {name!r}: add one, or name it in NOT_LISTINGS "
        "with the reason it lists nothing."
    )
    assert_fixed(superuser_client, name, ADMIN_VIEW_CASES[name]())
