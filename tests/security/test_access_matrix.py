"""The access matrix: every URL pattern of the project, requested by every kind of visitor.

Every pattern ``django.urls.get_resolver()`` knows (public site, member area, survey, analysis,
exports, feeds, allauth, the Wagtail admin) and every page type and sub-route Wagtail serves
below its catch-all pattern is requested with GET, never following a redirect, as each of the
seven roles in ``access_table.ROLES``. What each answers is compared with the table in
``tests/security/access_table.py``, which says what each role *should* get (least privilege,
with the roles' permissions pinned in ``tests/cms/test_roles.py``). A pattern without a row, or a
row that matches no pattern, fails the test; every mismatch is reported in one message.

Run with ``-s`` to see the counts printed.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import wagtail_factories
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from wagtail.admin.models import EditingSession
from wagtail.contrib.redirects.models import Redirect
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import (
    Collection,
    Page,
    PageViewRestriction,
    Site,
    Workflow,
    get_page_models,
)

from board.models import (
    BoardAsk,
    ExpenseClaim,
    MemberSupportNeeds,
)
from cms import roles
from cms.models import HomePage, Invitation
from cms.models.invitations import hash_token as hash_invitation_token
from engagement import tokens as newsletter_tokens
from surveys.models import CountImportBatch, InvitationBatch, Measure, SurveyInvitation
from surveys.tokens import hash_token as hash_survey_token
from tests.board.factories import (
    BoardMemberFactory,
    CouncilResponseFactory,
    MeetingFactory,
    MembershipFactory,
    RecommendationFactory,
    ServiceAreaFactory,
)
from tests.conftest import enrol_totp, sign_in
from tests.engagement.factories import (
    CalendarDateFactory,
    EventOrganiserFactory,
    NewsletterSubscriberFactory,
    VenueFactory,
)
from tests.factories import UserFactory
from tests.security import access_table
from tests.security.access_table import (
    DENIED,
    ERROR,
    LOGIN,
    OK,
    REDIRECT,
    ROLES,
    SHADOWED,
    TABLE,
    row_route,
)
from tests.surveys.factories import SurveyFactory, invite, staff_survey_wave
from tests.surveys.test_taking import PAGE_1, PAGE_2
from tests.test_query_counts import (
    PAGE_CASES,
    THIS_YEAR,
    add_activities,
    add_events,
    add_issues,
    add_news,
    add_stories,
    answered_wave,
    engagement_site,
    published_recommendation,
)

pytestmark = pytest.mark.django_db

PAGE_PREFIX = "page:"


# --- The URL patterns --------------------------------------------------------------------------


def _join(prefix: str, route: str) -> str:
    # As Django joins the routes of nested patterns into ResolverMatch.route.
    return route if not prefix else prefix + route.removeprefix("^")


def url_patterns(resolver=None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    """Every URL pattern, depth first in resolving order, keyed by its full route."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = _join(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            found += url_patterns(pattern, route)
        else:
            found.append((route, pattern))
    return found


def page_routes() -> dict[str, type]:
    """Each page type Wagtail serves, and each sub-route of a routable one, by row key.

    The ``""`` sub-route of a routable page is the page itself, so it has no row of its own.
    """
    keys = {}
    for model in get_page_models():
        label = model._meta.label
        keys[f"{PAGE_PREFIX}{label}"] = model
        if issubclass(model, RoutablePageMixin):
            for sub in model.get_subpage_urls():
                if str(sub.pattern):
                    keys[f"{PAGE_PREFIX}{label}:{sub.name}"] = model
    return keys


# --- The data every URL is filled with ---------------------------------------------------------


def _page(model):
    page = model.objects.live().order_by("pk").first()
    assert page is not None, f"No live {model._meta.label} was built for the access matrix."
    return page


def build_world(users: dict) -> dict:
    """One object of each kind the URLs need, by the name the table's URL templates use."""
    home = HomePage.objects.get()
    w: dict = {"home": home.pk}

    # One page of every project page type, built as the query-count test builds them; the
    # engagement pages share one site (their index slugs are fixed, so one hub at most).
    for label, case in PAGE_CASES.items():
        if not label.startswith("engagement."):
            case(home)
    site = engagement_site(home)
    add_activities(site["activities"], 1)
    add_events(site["events"], 1)
    add_stories(site["stories"], 1)
    add_news(site["news"], 1)
    add_issues(site["newsletters"], 1)
    page_models = {model._meta.label: model for model in get_page_models()}
    plain = Page(title="A plain page", slug="plain-page")
    home.add_child(instance=plain)
    pages = {
        label: _page(model) for label, model in page_models.items() if label != "wagtailcore.Page"
    }
    pages["wagtailcore.Page"] = plain
    w["pages"] = pages
    for name, label in {
        "board_index": "board.BoardIndexPage",
        "you_said": "board.YouSaidWeDidPage",
        "equality_index": "surveys.EqualityDataIndexPage",
        "summary": "surveys.AnnualSummaryPage",
        "news_index": "engagement.NewsIndexPage",
        "news": "engagement.NewsPage",
        "issue": "engagement.NewsletterIssuePage",
    }.items():
        w[name] = pages[label].pk
    w["you_said_url"] = pages["board.YouSaidWeDidPage"].url

    draft = Page(title="Draft", slug="draft-page", live=False)
    home.add_child(instance=draft)
    w["draft_url"] = "/draft-page/"
    members_only = Page(title="Members only", slug="members-only")
    home.add_child(instance=members_only)
    PageViewRestriction.objects.create(
        page=members_only, restriction_type=PageViewRestriction.LOGIN
    )
    with_password = Page(title="Password", slug="with-password")
    home.add_child(instance=with_password)
    password_restriction = PageViewRestriction.objects.create(
        page=with_password, restriction_type=PageViewRestriction.PASSWORD, password="open sesame"
    )
    w["password_page"] = with_password.pk
    w["password_restriction"] = password_restriction.pk
    news = pages["engagement.NewsPage"]
    alias = news.create_alias(update_slug="news-alias")
    w["alias"] = alias.pk
    w["page_revision"] = pages["board.BoardIndexPage"].save_revision().pk

    # Board.
    member = users["member"]
    today = timezone.localdate()
    w["own_recommendation"] = RecommendationFactory(author=member).reference
    w["others_recommendation"] = RecommendationFactory().reference
    w["board_recommendation"] = RecommendationFactory(status="acknowledged").reference
    recommendation = RecommendationFactory(status="response_drafted")
    w["recommendation"] = recommendation.pk
    w["published_reference"] = published_recommendation().reference
    w["unpublished_reference"] = recommendation.reference
    response = CouncilResponseFactory(recommendation=recommendation)
    revision = response.save_revision(user=users["manager"])
    workflow = Workflow.objects.get(name="Council response approval")
    workflow_state = workflow.start(response, users["manager"])
    w["council_response"] = response.pk
    w["response_revision"] = revision.pk
    w["response_workflow_state"] = workflow_state.pk
    w["response_task_state"] = workflow_state.current_task_state.pk
    w["workflow"] = workflow.pk
    w["task"] = workflow_state.current_task_state.task_id
    w["membership"] = MembershipFactory(member=member).pk
    w["support_needs"] = MemberSupportNeeds.objects.create(
        member=member, preferred_language="Welsh"
    ).pk
    w["ask"] = BoardAsk.objects.create(
        member=member, kind=BoardAsk.Kind.PANEL, description="Interview panel."
    ).pk
    w["meeting"] = MeetingFactory().pk
    w["expense_claim"] = ExpenseClaim.objects.create(
        claimant=member,
        kind=ExpenseClaim.Kind.TRAVEL,
        amount=Decimal("4.20"),
        description="Bus fare.",
        receipt=SimpleUploadedFile("bus.pdf", b"%PDF-1.4\n%%EOF\n"),
    ).pk
    w["service_area"] = ServiceAreaFactory().pk
    former = BoardMemberFactory()
    MembershipFactory(
        member=former,
        term_starts=today - timedelta(days=800),
        term_ends=today - timedelta(days=100),
    )
    w["former_member"] = former.pk

    # Engagement.
    w["calendar_date"] = CalendarDateFactory().pk
    w["organiser"] = EventOrganiserFactory().pk
    w["venue"] = VenueFactory().pk
    subscriber = NewsletterSubscriberFactory()
    w["subscriber"] = subscriber.pk
    w["unsubscribe_token"] = subscriber.unsubscribe_token()
    confirmation_token = newsletter_tokens.new_token()
    NewsletterSubscriberFactory(
        confirmed=False,
        confirmed_at=None,
        confirmation_token_hash=newsletter_tokens.hash_token(confirmation_token),
        confirmation_expires_at=timezone.now() + timedelta(days=2),
    )
    w["confirmation_token"] = confirmation_token

    # Surveys.
    survey = SurveyFactory(name="Staff survey", slug="access-matrix-survey")
    wave = staff_survey_wave(survey=survey, year=THIS_YEAR - 1)
    answered_wave(wave, 3)
    w["survey"] = survey.pk
    w["wave"] = wave.pk
    w["question"] = wave.questions.order_by("pk").first().pk
    w["measure"] = Measure.objects.create(
        key="equal-opportunity",
        name="Equality of opportunity",
        survey=survey,
        question_key="equal_opportunity",
        baseline=wave,
    ).pk
    w["invitation_batch"] = InvitationBatch.objects.create(wave=wave, total=1).pk
    w["count_batch"] = CountImportBatch.objects.create(survey=survey, file_name="counts.csv").pk
    open_wave = staff_survey_wave(survey=SurveyFactory(slug="access-matrix-open"), year=THIS_YEAR)
    w["survey_token"] = invite(open_wave, email="taker@example.org")
    w["used_survey_token"] = invite(open_wave, email="used@example.org")
    SurveyInvitation.objects.filter(token_hash=hash_survey_token(w["used_survey_token"])).update(
        used=True
    )

    # Accounts, the admin's own objects.
    invitation_token = "access-matrix-invitation-token"
    invitation = Invitation.objects.create(
        email="invitee@example.org",
        role=Group.objects.get(name=roles.BOARD_MEMBERS),
        token_hash=hash_invitation_token(invitation_token),
        invited_by=users["manager"],
        expires_at=timezone.now() + timedelta(days=7),
    )
    w["invitation"] = invitation.pk
    w["invitation_token"] = invitation_token
    w["user"] = UserFactory().pk
    w["group"] = Group.objects.get(name=roles.BOARD_MEMBERS).pk
    collection = Collection.get_first_root_node().add_child(name="Access matrix")
    w["collection"] = collection.pk
    # In the site's collection tree (the factories' default collection is a second root, which
    # no role's permissions reach), uploaded by someone other than the roles' users.
    w["image"] = wagtail_factories.ImageFactory(collection=collection).pk
    document = wagtail_factories.DocumentFactory(collection=collection)
    w["document"] = document.pk
    w["document_file"] = document.filename
    w["redirect"] = Redirect.objects.create(old_path="/old-path", redirect_link="/").pk
    default_site = Site.objects.get(is_default_site=True)
    w["site"] = default_site.pk
    w["editing_session"] = EditingSession.objects.create(
        user=users["superuser"],
        content_type=ContentType.objects.get_for_model(Page),
        object_id=str(pages["board.BoardIndexPage"].pk),
        last_seen_at=timezone.now(),
    ).pk
    w["this_year"] = THIS_YEAR
    w["missing"] = 987654321
    return w


def page_url(key: str, w: dict) -> str:
    """The URL of a ``page:`` row: the page of that type, or one of its sub-routes."""
    label, _, sub = key.removeprefix(PAGE_PREFIX).partition(":")
    page = w["pages"][label].specific
    url = page.url
    if not sub:
        return url
    args = access_table.SUBPAGE_ARGS.get(f"{label}:{sub}", ())
    return url + page.reverse_subpage(sub, args=[a.format_map(w) for a in args])


# --- The roles' browsers -----------------------------------------------------------------------


def role_users() -> dict:
    return {
        "member": UserFactory(roles=[roles.BOARD_MEMBERS]),
        "manager": UserFactory(roles=[roles.ENGAGEMENT_MANAGERS]),
        "approver": UserFactory(roles=[roles.APPROVERS]),
        "analyst": UserFactory(roles=[roles.INCLUSION_ANALYSTS]),
        "superuser": UserFactory(is_superuser=True),
    }


def role_clients(users: dict, survey_token: str) -> dict[str, Client]:
    """A browser for each role, signed in through allauth's forms with a second factor."""
    clients = {"anon": Client()}
    taker = Client()
    # A member of staff who opened their emailed link and answered both pages.
    assert taker.get(reverse("surveys:take", args=[survey_token])).status_code == 200
    for number, answers in ((1, PAGE_1), (2, PAGE_2)):
        answered = taker.post(
            reverse("surveys:take_page", args=[survey_token, number]),
            {"action": "continue", **answers},
        )
        assert answered.status_code == 302, answered.content
    clients["taker"] = taker
    for role, user in users.items():
        enrol_totp(user)
        RecoveryCodes.activate(user)
        client = Client()
        sign_in(client, user)
        clients[role] = client
    return clients


# --- Asking and classifying --------------------------------------------------------------------

# Where a visitor is sent to sign in: allauth's form, Wagtail's private-page login, and the
# admin's login URL (which sends on to allauth's).
LOGIN_PATHS = ("/accounts/login/", "/_util/login/", "/admin/login/")


def _denied_by_wagtail(response) -> bool:
    """Wagtail's "permission denied": a redirect to the dashboard with an error message."""
    storage = getattr(response.wsgi_request, "_messages", None)
    queued = getattr(storage, "_queued_messages", [])
    return any("permission" in str(message).lower() for message in queued)


def classify(response) -> str:
    status = response.status_code
    if 300 <= status < 400:
        target = urlsplit(response["Location"]).path
        if target in LOGIN_PATHS:
            return LOGIN
        if target == reverse("wagtailadmin_home") and _denied_by_wagtail(response):
            return DENIED
        return REDIRECT
    if 200 <= status < 300:
        return OK
    return access_table.STATUS_OUTCOMES.get(status, f"HTTP {status}")


def fetch(client: Client, url: str) -> tuple[str, str]:
    try:
        response = client.get(url)
    except Exception as error:  # a view that raised: reported with the rest, not alone
        return ERROR, f"{type(error).__name__}: {error}"[:300]
    if response.streaming:
        # Read to the end: the test client then closes the response (and a file it streams)
        # itself. Closing it again here would signal request_finished with the database
        # connection's closing connected, which ends the test's transaction on PostgreSQL.
        b"".join(response.streaming_content)
    # Messages a redirect left unread would pile up in the cookie, then the session, and slow
    # every later request down: nobody reads them here.
    client.cookies.pop("messages", None)
    return classify(response), response.get("Location", "")


def _table_problems(pattern_routes: list[str], page_keys: list[str]) -> list[str]:
    """Every pattern and page route has a row, and every row still matches one."""
    covered_routes = set(pattern_routes) | set(page_keys)
    table_routes = {row_route(key) for key in TABLE}
    missing = sorted(covered_routes - table_routes)
    stale = sorted(key for key in TABLE if row_route(key) not in covered_routes)
    problems = []
    if missing:
        problems.append(
            "URL patterns without a row in tests/security/access_table.py:\n  "
            + "\n  ".join(missing)
        )
    if stale:
        problems.append("Rows that match no URL pattern (stale):\n  " + "\n  ".join(stale))
    return problems


def _row_url(key: str, row, route: str, world: dict) -> tuple[str | None, str | None]:
    """The URL to request for a row, or the problem that stops it."""
    if key.startswith(PAGE_PREFIX) and row.url is None:
        return page_url(route, world), None
    if row.url is None and "<" not in route and "(" not in route:
        return "/" + route, None
    if row.url is None:
        return None, f"{key}: the route has parameters, so the row needs a url"
    return row.url.format_map(world), None


def _row_urls(patterns, world: dict) -> tuple[dict[str, str], list[str], set[str]]:
    """Each row's URL, checked to reach the pattern it is the row of."""
    pattern_routes = [route for route, _ in patterns]
    first_of_route = {}
    for route, pattern in patterns:
        first_of_route.setdefault(route, pattern)
    shadowed = {route for route, count in Counter(pattern_routes).items() if count > 1}
    urls, problems = {}, []
    for key, row in TABLE.items():
        route = row_route(key)
        if row.expect == SHADOWED:
            variant = key.partition(" | ")[2]
            if route not in shadowed or variant not in {
                pattern.name for r, pattern in patterns[1:] if r == route
            }:
                problems.append(f"{key}: no pattern of that name is shadowed on that route")
            continue
        url, problem = _row_url(key, row, route, world)
        if problem:
            problems.append(problem)
            continue
        match = resolve(urlsplit(url).path)
        expected_route = "^((?:[\\w\\-]+/)*)$" if key.startswith(PAGE_PREFIX) else route
        if match.route != expected_route or (
            route in first_of_route and match.func is not first_of_route[route].callback
        ):
            problems.append(f"{key}: {url} resolves to {match.route!r}, not to this pattern")
            continue
        urls[key] = url
    return urls, problems, shadowed


def _wrong_outcomes(row, observed_row: dict[str, str], details: dict[str, str]) -> list[str]:
    wrong = []
    for role in ROLES:
        outcome, detail = observed_row[role], details[role]
        expected = (row.now or row.expect)[role]
        if not access_table.matches(expected, outcome):
            fixed = row.now and access_table.matches(row.expect[role], outcome)
            wrong.append(
                f"{role}: expected {expected}, got {outcome}"
                + (f" ({detail})" if detail and outcome != LOGIN else "")
                + (f" -- fixed? {row.bug[:3]} is marked on this row" if fixed else "")
            )
    return wrong


def _request_every_row(urls: dict[str, str], clients) -> tuple[dict, list[str]]:
    """GET each row's URL as every role; the outcomes, and the rows that differ."""
    # Session-changing rows (an invitation link signs the browser out) go last.
    order = sorted(urls, key=lambda key: TABLE[key].last)
    observed: dict[str, dict[str, str]] = {}
    mismatches = []
    for key in order:
        url = urls[key]
        details = {}
        observed[key] = {}
        for role in ROLES:
            observed[key][role], details[role] = fetch(clients[role], url)
        if wrong := _wrong_outcomes(TABLE[key], observed[key], details):
            mismatches.append(f"{key}\n    GET {url}\n      " + "\n      ".join(wrong))
    problems = []
    if mismatches:
        problems.append(
            f"{len(mismatches)} rows answer otherwise than the table says:\n  "
            + "\n  ".join(mismatches)
        )
    return observed, problems


def _covered_patterns(patterns, observed) -> int:
    """A pattern is covered when a row of its route was requested as every role, or, for a
    pattern an earlier one shadows, when a row declares it shadowed by its name."""
    requested = Counter(row_route(key) for key in observed)
    declared_shadowed = {
        (row_route(key), key.partition(" | ")[2])
        for key, row in TABLE.items()
        if row.expect == SHADOWED
    }
    seen = set()
    covered = 0
    for route, pattern in patterns:
        repeat = route in seen
        seen.add(route)
        if (route, pattern.name) in declared_shadowed if repeat else requested[route]:
            covered += 1
    return covered


# --- The test ----------------------------------------------------------------------------------


# Documents are served by redirect to their storage: the test storage is in memory, so Wagtail's
# default here (send the file from disk) would answer 404 whoever asks. What is checked (who may
# reach the document) is decided before the serve method.
@override_settings(WAGTAILDOCS_SERVE_METHOD="redirect")
def test_every_url_pattern_answers_each_role_as_the_table_says():
    started, cpu_started = time.monotonic(), time.process_time()
    patterns = url_patterns()
    page_keys = page_routes()
    problems = _table_problems([route for route, _ in patterns], page_keys)

    users = role_users()
    world = build_world(users)
    clients = role_clients(users, world["survey_token"])
    urls, url_problems, shadowed = _row_urls(patterns, world)
    observed, request_problems = _request_every_row(urls, clients)
    problems += url_problems + request_problems + access_table.invariant_violations(observed)

    covered_patterns = _covered_patterns(patterns, observed)
    requested = Counter(row_route(key) for key in observed)
    covered_pages = sum(1 for key in page_keys if requested[key])
    total = len(patterns) + len(page_keys)
    coverage = 100 * (covered_patterns + covered_pages) / total
    admin_patterns = sum(1 for route, _ in patterns if route.startswith("admin/"))
    bugs = Counter(row.bug.split(":")[0] for row in TABLE.values() if row.bug)
    requests = len(observed) * len(ROLES)
    print(  # noqa: T201
        f"\nACCESS MATRIX: {covered_patterns} of {len(patterns)} URL patterns covered "
        f"({admin_patterns} under admin/, {len(shadowed)} shadowed by an earlier one on the same "
        f"route), and {covered_pages} of {len(page_keys)} page types and routable sub-routes "
        f"below Wagtail's catch-all: {coverage:.1f}% of {total}. "
        f"{len(observed)} rows x {len(ROLES)} roles = {requests} GET requests "
        f"in {time.monotonic() - started:.0f}s ({time.process_time() - cpu_started:.0f}s of CPU). "
        f"Known product bugs held in rows: {dict(sorted(bugs.items())) or 'none'}."
    )
    assert not problems, "\n\n".join(problems)
    assert coverage == 100, f"{coverage:.1f}% of URL patterns covered"
