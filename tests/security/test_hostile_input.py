"""Hostile input: every form and every import endpoint, posted random and adversarial values.

Property-based (hypothesis): very long strings, control characters (NUL included), HTML and
script, SQL fragments, invalid UTF-8 in raw bodies and query strings, wrong types (lists for
scalars, numbers as text, huge and negative numbers, impossible dates), missing fields and
unexpected extra fields. For every example:

* no response is a 500 (the test client re-raises any exception a view lets out);
* nothing is half-saved: the rows of every product model (and of the framework's tables a form
  writes beside them: pages, revisions, log entries, email addresses) are compared before and
  after, with chosen fields of the records a form changes. When the response is not a success
  nothing changed; when it is, every new row is whole (it passes the model's own
  ``full_clean()``) and extra fields posted (``status``, ``author``...) had no effect;
* user input is escaped on output: the raw payloads never appear unescaped in an HTML page (the
  form shown again with its errors, the admin listing, the public page).

Examples are not shrunk (see ``HOSTILE``), and ``HOSTILE_STATS=1 pytest -s`` prints whether each
example was accepted or refused, to check that both paths of a form are reached.

SQLite accepts NUL characters in text and PostgreSQL refuses them (with an exception, so a 500):
a query wrapper here refuses them as PostgreSQL would, so a NUL reaching the database fails these
tests on SQLite too.

``FORM_INVENTORY`` lists every form class the product defines and the test that covers it;
``test_every_product_form_is_in_the_inventory`` fails when a new form is added without one.
``ENDPOINT_INVENTORY`` does the same for the product's own URLs.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import pkgutil
import re
import struct
import uuid
import zipfile
from datetime import timedelta
from decimal import Decimal
from functools import cache
from unittest import mock
from urllib.parse import quote

import openpyxl
import pytest
from allauth.account.models import EmailAddress
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from django import forms
from django.contrib.auth.models import Group
from django.core.cache import cache as django_cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from wagtail.models import ModelLogEntry, Page, Revision, Site
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from board.models import (
    Attendance,
    BoardAsk,
    BoardSettings,
    CouncilResponse,
    ExpenseClaim,
    MemberSupportNeeds,
    Recommendation,
    ServiceArea,
)
from cms import roles
from cms.models import HomePage, Invitation, User
from cms.models.invitations import hash_token as invitation_hash
from engagement.models import (
    ActivityPage,
    NewsletterSubscriber,
    StoryPage,
    Venue,
)
from surveys.models import (
    AggregatedCount,
    Answer,
    CountImportBatch,
    FreeTextAnswer,
    InvitationBatch,
    Measure,
    Question,
    Response,
    SurveyDraft,
    SurveyInvitation,
    Wave,
)
from tests.board.factories import (
    BoardIndexPageFactory,
    BoardMemberFactory,
    CouncilResponseFactory,
    MeetingFactory,
    MembershipFactory,
    RecommendationFactory,
    ServiceAreaFactory,
    YouSaidWeDidPageFactory,
    publish_response,
)
from tests.conftest import current_totp_code, enrol_totp, sign_in
from tests.engagement.factories import (
    ActivityIndexPageFactory,
    EngagementHubPageFactory,
    EventIndexPageFactory,
    NewsIndexPageFactory,
    NewsletterIndexPageFactory,
    NewsletterIssuePageFactory,
    NewsletterSubscriberFactory,
    StoryIndexPageFactory,
)
from tests.factories import PASSWORD, UserFactory
from tests.surveys.factories import SurveyFactory, invite, staff_survey_wave

pytestmark = [
    pytest.mark.django_db,
    # A cache key made from user input that memcached would refuse (control characters, length).
    pytest.mark.filterwarnings("error::django.core.cache.backends.base.CacheKeyWarning"),
]

PRODUCT_APPS = ("cms", "board", "surveys", "engagement")

# --- Inventory ------------------------------------------------------------------------------------

#: Every form class the product defines -> the test here that posts hostile input to it.
FORM_INVENTORY = {
    "cms.forms.InvitationForm": "test_invitation_admin_form",
    "board.forms.RecommendationForm": "test_recommendation_form",
    "board.forms.ExpenseClaimForm": "test_expense_claim_form",
    "board.forms.YouSaidWeDidFilterForm": "test_public_listing_filters",
    "board.forms.ExpenseDecisionForm": "test_expense_decision_form",
    "board.forms.CouncilResponseAdminForm": "test_council_response_snippet_form",
    "board.forms.ReviewCommentForm": "test_council_response_review_forms",
    "board.forms.RequestChangesForm": "test_council_response_review_forms",
    "board.forms.WithdrawalRequestForm": "test_council_response_withdrawal_forms",
    "board.forms.WithdrawalDecisionForm": "test_council_response_withdrawal_forms",
    "board.admin_views.AssignForm": "test_recommendation_manage_forms",
    "board.admin_views.ProgressForm": "test_recommendation_manage_forms",
    "board.admin_views.ChangeForm": "test_recommendation_manage_forms",
    "board.admin_views.EraseForm": "test_member_erase_form",
    "board.import_views.ImportForm": "test_board_import_hostile_cells",
    "surveys.forms.QuestionPageForm": "test_survey_taking_form",
    "surveys.admin_forms.QuestionAdminForm": "test_question_admin_form",
    "surveys.admin_forms.WaveAdminForm": "test_wave_admin_form",
    "surveys.admin_forms.InvitationUploadForm": "test_invitation_upload_form",
    "surveys.admin_forms.WaveParticipationForm": "test_wave_participation_form",
    "surveys.admin_forms.BoardEvaluationForm": "test_board_evaluation_form",
    "surveys.admin_forms.MeasureAdminForm": "test_measure_admin_form",
    "surveys.import_views.ResponseUploadForm": "test_survey_response_import_hostile_cells",
    "surveys.import_views.CountsUploadForm": "test_survey_counts_import_hostile_cells",
    "surveys.import_views.FullExportForm": "test_full_export_reason_form",
    "surveys.count_import_views.CountsConfirmForm": "test_count_import_batch_pages",
    "engagement.forms.ActivityFilterForm": "test_public_listing_filters",
    "engagement.forms.NewsletterSignupForm": "test_newsletter_signup_form",
    "engagement.forms.SearchForm": "test_search_query_string",
    "engagement.models.activities.ActivityPageForm": "test_activity_page_form",
    "engagement.models.stories.StoryPageForm": "test_story_page_form",
}

#: Forms the product uses but does not define (allauth, Django, Wagtail) -> their test.
USED_FORMS = {
    "allauth LoginForm (account_login)": "test_login_form",
    "allauth SignupForm (account_signup, by invitation)": "test_signup_form_by_invitation",
    "allauth ResetPasswordForm (account_reset_password)": "test_password_reset_form",
    "allauth AuthenticateForm (mfa_authenticate)": "test_second_factor_forms",
    "allauth ActivateTOTPForm (mfa_activate_totp)": "test_second_factor_forms",
    "django SetPasswordForm (invitation_set_password)": "test_invitation_set_password_form",
    "wagtail PasswordViewRestrictionForm (page and document passwords, rate-limited)": (
        "test_page_and_document_password_forms"
    ),
    "wagtail model viewset forms (service area, membership, board ask, support needs, "
    "survey)": "test_wagtail_generic_forms",
    "wagtail snippet form (venue)": "test_wagtail_generic_forms",
    "wagtail site settings form (board rules)": "test_wagtail_generic_forms",
    "wagtail admin listing search and filters": "test_admin_listing_search_and_filters",
}

#: Every URL the product itself routes (its own views) -> the test that sends it hostile input.
ENDPOINT_INVENTORY = {
    "admin_login_redirect": "test_query_strings_and_tokens_in_urls",
    "frontend_login_redirect": "test_query_strings_and_tokens_in_urls",
    "invitation_set_password": "test_invitation_set_password_form",
    "invitation_accept": "test_query_strings_and_tokens_in_urls",
    "page_password": "test_page_and_document_password_forms",
    "document_password": "test_page_and_document_password_forms",
    "board:dashboard": "test_query_strings_and_tokens_in_urls",
    "board:my_recommendations": "test_query_strings_and_tokens_in_urls",
    "board:recommendation_create": "test_recommendation_form",
    "board:board_recommendations": "test_query_strings_and_tokens_in_urls",
    "board:recommendation_detail": "test_query_strings_and_tokens_in_urls",
    "board:my_expenses": "test_query_strings_and_tokens_in_urls",
    "board:expense_create": "test_expense_claim_form",
    "board:my_data": "test_query_strings_and_tokens_in_urls",
    "board:my_data_download": "test_query_strings_and_tokens_in_urls",
    "surveys:thank_you": "test_query_strings_and_tokens_in_urls",
    "surveys:take": "test_query_strings_and_tokens_in_urls",
    "surveys:take_page": "test_survey_taking_form",
    "surveys:take_check": "test_survey_taking_form",
    "search": "test_search_query_string",
    "engagement:newsletter_signup": "test_newsletter_signup_form",
    "engagement:newsletter_check_email": "test_query_strings_and_tokens_in_urls",
    "engagement:newsletter_confirm": "test_query_strings_and_tokens_in_urls",
    "engagement:newsletter_unsubscribe": "test_query_strings_and_tokens_in_urls",
    "robots_txt": "test_query_strings_and_tokens_in_urls",
    "board_recommendation_manage": "test_recommendation_manage_forms",
    "board_overview": "test_admin_other_pages",
    "board_expense_decide": "test_expense_decision_form",
    "board_expense_totals": "test_admin_other_pages",
    "board_former_members": "test_admin_other_pages",
    "board_member_erase": "test_member_erase_form",
    "board_import": "test_board_import_hostile_cells",
    "surveys_data": "test_admin_other_pages",
    "surveys_import_responses": "test_survey_response_import_hostile_cells",
    "surveys_import_counts": "test_survey_counts_import_hostile_cells",
    "surveys_import_progress": "test_admin_other_pages",
    "surveys_count_batches": "test_count_import_batch_pages",
    "surveys_import_counts_preview": "test_count_import_batch_pages",
    "surveys_count_batch_remove": "test_count_import_batch_pages",
    "surveys_count_batch_replace": "test_count_import_batch_pages",
    "surveys_export_responses": "test_admin_other_pages",
    "surveys_export_free_text": "test_admin_other_pages",
    "surveys_wave_questions": "test_admin_other_pages",
    "surveys_wave_invitations": "test_invitation_upload_form",
    "surveys_wave_reminders": "test_admin_other_pages",
    "surveys_batch_progress": "test_admin_other_pages",
    "surveys_board_evaluation_new": "test_board_evaluation_form",
    "surveys_measure_report": "test_admin_other_pages",
    "surveys_measure_report_download": "test_admin_other_pages",
    "engagement_subscribers_csv": "test_admin_other_pages",
    "engagement_newsletter_send": "test_admin_other_pages",
    # The product's own admin views inside its Wagtail viewsets.
    "invitations:add": "test_invitation_admin_form",
    "invitations:edit": "test_admin_other_pages",
    "board_recommendation:edit": "test_admin_other_pages",
    "board_membership:index": "test_admin_listing_search_and_filters",
    "board_membership:edit": "test_wagtail_generic_forms",
    "board_supportneeds:index": "test_admin_listing_search_and_filters",
    "board_supportneeds:edit": "test_wagtail_generic_forms",
    "board_meeting:edit": "test_admin_other_pages",
    "board_expenseclaim:edit": "test_admin_other_pages",
    "wagtailsnippets_board_councilresponse:add": "test_council_response_snippet_form",
    # The council response views that keep two people between a draft and the public answer.
    "wagtailsnippets_board_councilresponse:workflow_action": "test_council_response_review_forms",
    "wagtailsnippets_board_councilresponse:unpublish": "test_council_response_withdrawal_forms",
    **{
        f"wagtailsnippets_board_councilresponse:{view}": "test_council_response_admin_pages"
        for view in (
            "edit",
            "inspect",
            "history",
            "history_results",
            "revisions_compare",
            "workflow_history",
            "workflow_history_detail",
        )
    },
    "board_recommendation:delete": "test_council_response_admin_pages",
    "surveys_survey:index": "test_admin_listing_search_and_filters",
    "surveys_survey:delete": "test_admin_other_pages",
    "surveys_wave:index": "test_admin_listing_search_and_filters",
    "surveys_wave:add": "test_wave_admin_form",
    "surveys_wave:edit": "test_wave_admin_form",
    "surveys_wave:delete": "test_admin_other_pages",
    "surveys_question:add": "test_question_admin_form",
    "surveys_question:edit": "test_question_admin_form",
    "surveys_question:delete": "test_admin_other_pages",
    "surveys_measure:index": "test_admin_listing_search_and_filters",
    "surveys_measure:edit": "test_measure_admin_form",
    "board_expense_receipt": "test_admin_other_pages",
    "engagement_newslettersubscriber:add": "test_admin_other_pages",
    "engagement_newslettersubscriber:edit": "test_admin_other_pages",
}
# Listings (and their results-only partials) with the product's own index views: searched and
# filtered with hostile query strings.
ENDPOINT_INVENTORY.update(
    {
        f"{name}:{view}": "test_admin_listing_search_and_filters"
        for name in (
            "board_ask",
            "board_expenseclaim",
            "board_meeting",
            "board_membership",
            "board_recommendation",
            "board_servicearea",
            "board_supportneeds",
            "engagement_newslettersubscriber",
            "invitations",
            "surveys_measure",
            "surveys_question",
            "surveys_survey",
            "surveys_wave",
        )
        for view in ("index", "index_results")
    }
    | {
        f"wagtailsnippets_{name}:{view}": "test_admin_listing_search_and_filters"
        for name in (
            "board_councilresponse",
            "engagement_calendardate",
            "engagement_eventorganiser",
            "engagement_venue",
        )
        for view in ("list", "list_results")
    }
)

# --- Hostile values -------------------------------------------------------------------------------

SCRIPT = '<script>alert("hostile")</script>'
IMG = '"><img src=x onerror=alert("hostile")>'
#: None of these may ever appear in a page as they were posted: escaped, they read differently.
RAW_MARKERS = ('<script>alert("hostile")', '<img src=x onerror=alert("hostile")>')

PAYLOADS = [
    SCRIPT,
    IMG,
    f"Title {SCRIPT} end",
    "javascript:alert(1)",
    "<svg/onload=alert(1)>",
    "'; DROP TABLE board_recommendation; --",
    "' OR '1'='1' --",
    '" OR ""="',
    "1; SELECT pg_sleep(10)--",
    "1 UNION SELECT email, password FROM cms_user",
    "\x00",
    "a\x00b",
    "\x00<script>\x00",
    "\x01\x02\x03\x07\x08\x0b\x0c\x1b[31m\x7f",
    "line\r\nSet-Cookie: injected=1",
    "\u202eevil\u202c",
    "\ufeff\u200b\u2028\u2029",
    "\uffff\ufffe",
    "\U0001d573\U0001d594\U0001d598\U0001d599 \U0001f608 \ufdfd",  # Fraktur, emoji, a ligature
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "${7*7}",
    "%s%s%s%n",
    "../../../../etc/passwd",
    '=HYPERLINK("http://evil.example","x")',
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-02-30",
    "31/12/9999",
    "-1",
    "0",
    "-0",
    "1e309",
    "NaN",
    "-Infinity",
    "99999999999999999999999999999999",
    "-99999999999999999999999999999999",
    "0x10",
    "١٢٣",
    "12,50",
    "£12.50",
    "true",
    "None",
    "[]",
    "{}",
    " ",
    "",
]

long_strings = st.builds(
    lambda unit, length: (unit * (length // len(unit) + 1))[:length],
    st.sampled_from(["x", "é", "😈", SCRIPT, "\x00", "' OR 1=1 --", "\r\n", "a b"]),
    st.integers(10_000, 100_000),
)
control_text = st.text(
    st.one_of(
        st.characters(max_codepoint=0x1F),
        st.sampled_from("\x7f\x85\u2028\u2029\ufeff\u200b\u202e"),
    ),
    min_size=1,
    max_size=12,
)
unicode_text = st.text(st.characters(codec="utf-8"), max_size=30)
numbers = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True).map(str),
)
hostile_text = st.one_of(
    st.sampled_from(PAYLOADS),
    st.sampled_from(PAYLOADS),
    long_strings,
    control_text,
    unicode_text,
    numbers,
    st.builds(lambda a, b: a + b, st.sampled_from(PAYLOADS), unicode_text),
)
#: A value for one posted field: text, or several values where one is expected.
hostile_value = st.one_of(
    hostile_text, hostile_text, st.lists(hostile_text, min_size=2, max_size=3)
)
MISSING = object()

#: Fields a form must ignore: posting them must not change who owns a record or its status.
EXTRA_FIELDS = [
    "id",
    "pk",
    "status",
    "author",
    "claimant",
    "owner",
    "is_superuser",
    "is_staff",
    "reference",
    "submitted_at",
    "decided_by",
    "token_hash",
    "used",
    "live",
    "__proto__",
]


def field(valid, *, hostile=hostile_value):
    """A posted field: mostly its valid value, else hostile, a list, or left out."""
    return st.one_of(st.just(valid), st.just(valid), hostile, st.just(MISSING))


def form_data(fields: dict) -> st.SearchStrategy[dict]:
    """A dictionary of posted fields: each valid, hostile or missing, plus unexpected extras."""
    strategies = {
        name: value if isinstance(value, st.SearchStrategy) else field(value)
        for name, value in fields.items()
    }
    extras = st.dictionaries(st.sampled_from(EXTRA_FIELDS), hostile_value, max_size=3)
    return st.builds(
        lambda chosen, extra: {
            **{k: v for k, v in extra.items() if k not in fields},
            **{k: v for k, v in chosen.items() if v is not MISSING},
        },
        st.fixed_dictionaries(strategies),
        extras,
    )


HOSTILE = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
    database=None,
    # No shrinking: a failing example of long strings and many requests shrinks for minutes; it
    # is reported as found, which is enough to see the bug.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
CHEAP = settings(HOSTILE, max_examples=25)
SLOW = settings(HOSTILE, max_examples=8)


# --- Checks ---------------------------------------------------------------------------------------


def assert_escaped(response) -> None:
    """No 500, and no posted markup in the page as it was posted."""
    assert response.status_code < 500, response.status_code
    if getattr(response, "streaming", False):
        return
    if "html" in response.get("Content-Type", ""):
        body = response.content.decode("utf-8", errors="replace")
        for marker in RAW_MARKERS:
            assert marker not in body, f"unescaped {marker!r} in {response.request['PATH_INFO']}"


def is_success(response) -> bool:
    """A form that was accepted redirects (post/redirect/get); one that was refused does not."""
    return response.status_code in (301, 302, 303)


@cache
def tracked_models() -> tuple:
    """Every model of the product, and the framework's rows a form might write beside them."""
    from allauth.mfa.models import Authenticator

    from django.apps import apps

    product = [
        model
        for app in PRODUCT_APPS
        for model in apps.get_app_config(app).get_models()
        if not issubclass(model, Page)  # Pages are counted once, as Page.
    ]
    return (
        *product,
        Page,
        Revision,
        ModelLogEntry,
        EmailAddress,
        Authenticator,
        User.groups.through,
    )


class Rows:
    """The rows of every tracked model (and chosen fields of some objects), to compare after a
    request: a refused form changes nothing; an accepted one leaves only whole rows."""

    def __init__(self, *, watch=()):
        self.models = tracked_models()
        self.watch = list(watch)
        self.before = self._take()
        self.watched = self._fields()

    def _take(self) -> dict:
        return {
            model: set(model._base_manager.values_list("pk", flat=True)) for model in self.models
        }

    def _fields(self) -> list:
        return [
            type(obj)._base_manager.filter(pk=obj.pk).values(*names).first()
            for obj, names in self.watch
        ]

    def new(self, model):
        return model._base_manager.filter(pk__in=self._take()[model] - self.before[model])

    def changed(self) -> list:
        after = self._take()
        return [model.__name__ for model in self.models if after[model] != self.before[model]]

    def assert_unchanged(self, response=None) -> None:
        changed = self.changed()
        status = response.status_code if response is not None else ""
        assert not changed, f"a refused request ({status}) changed rows of {changed}"
        assert self._fields() == self.watched, f"a refused request ({status}) changed a record"

    def assert_whole(self, *, exclude=()) -> None:
        """Every new row of the product passes its model's own validation."""
        for model in self.models:
            if model._meta.app_label not in PRODUCT_APPS:
                continue
            for obj in self.new(model)[:50]:
                obj = getattr(obj, "specific", obj)
                obj.full_clean(exclude=exclude, validate_unique=False)
                for name in ("title", "name", "email", "text", "description"):
                    value = getattr(obj, name, None)
                    assert not (isinstance(value, str) and "\x00" in value), (model, name)

    def check(self, response, *, exclude=()) -> bool:
        """True if the request was accepted (and left whole rows), False if refused (and left
        none)."""
        assert_escaped(response)
        if is_success(response):
            _stat("accepted")
            self.assert_whole(exclude=exclude)
            return True
        _stat(f"refused {response.status_code}")
        self.assert_unchanged(response)
        return False


def _stat(outcome: str) -> None:
    """HOSTILE_STATS=1 prints each outcome, to see that examples reach both paths of a form."""
    if os.environ.get("HOSTILE_STATS"):
        test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
        print(f"\n[{test}] {outcome}")  # noqa: T201


def _refuse_nul_like_postgresql(execute, sql, params, many, context):
    if many:
        params = list(params)
    for row in (params or []) if many else [params or ()]:
        values = row.values() if isinstance(row, dict) else row
        for value in values:
            if isinstance(value, str) and "\x00" in value:
                raise ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return execute(sql, params, many, context)


@pytest.fixture(autouse=True)
def _postgresql_refuses_nul(db):
    """PostgreSQL refuses NUL in text (psycopg raises ValueError): so do these tests on SQLite."""
    with connection.execute_wrapper(_refuse_nul_like_postgresql):
        yield


@pytest.fixture(autouse=True)
def _site_settings(db):
    """Site settings rows are made on a page's first read: made here, so no request does."""
    from cms.models import SiteSettings

    site = Site.objects.get(is_default_site=True)
    SiteSettings.for_site(site)
    BoardSettings.for_site(site)


# --- Fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True, is_staff=True, email="root@example.org")


@pytest.fixture
def admin_client(client, superuser):
    enrol_totp(superuser)
    sign_in(client, superuser)
    return client


@pytest.fixture
def member():
    user = BoardMemberFactory(email="member@example.org")
    MembershipFactory(member=user)
    return user


@pytest.fixture
def member_client(member):
    client = Client()
    enrol_totp(member)
    sign_in(client, member)
    return client


@pytest.fixture
def home():
    return HomePage.objects.get()


def _publish(page):
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- Form classes: the inventory is complete -----------------------------------------------------


def _product_modules():
    skip = re.compile(r"\.(migrations|settings)(\.|$)|^cms\.wsgi$")
    for app in PRODUCT_APPS:
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if not skip.search(info.name):
                yield importlib.import_module(info.name)


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_product_form_is_in_the_inventory():
    list(_product_modules())  # Every form class is defined once its module is imported.
    defined = {
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _all_subclasses(forms.BaseForm)
        if cls.__module__.split(".")[0] in PRODUCT_APPS
        # Forms Wagtail builds at run time for a model carry the model's module: not the product's.
        and getattr(importlib.import_module(cls.__module__), cls.__qualname__, None) is cls
    }
    assert defined == set(FORM_INVENTORY), (
        "Every form the product defines needs hostile-input tests here: "
        f"missing {sorted(defined - set(FORM_INVENTORY))}, "
        f"stale {sorted(set(FORM_INVENTORY) - defined)}"
    )


def _product_url_names():
    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                view = getattr(pattern.callback, "view_class", pattern.callback)
                module = getattr(view, "__module__", "")
                if module.split(".")[0] in PRODUCT_APPS:
                    names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    # Wagtail's admin namespaces its viewsets; the route names are written without "wagtailadmin".
    return {re.sub(r"^(wagtailadmin:)?", "", name) for name in names}


def test_every_product_url_is_in_the_inventory():
    routed = _product_url_names()
    assert routed == set(ENDPOINT_INVENTORY), (
        "Every URL the product routes needs hostile-input tests here: "
        f"missing {sorted(routed - set(ENDPOINT_INVENTORY))}, "
        f"stale {sorted(set(ENDPOINT_INVENTORY) - routed)}"
    )


def test_every_inventory_entry_names_a_test_here():
    tests = {name for name in globals() if name.startswith("test_")}
    named = {*FORM_INVENTORY.values(), *USED_FORMS.values(), *ENDPOINT_INVENTORY.values()}
    assert named <= tests, sorted(named - tests)


# --- Public pages: search, newsletter, listings --------------------------------------------------

#: Query strings as a browser or an attacker may send them: raw bytes, not valid UTF-8 or not
#: percent-encoded, as WSGI hands them over (each byte one latin-1 character).
raw_query = st.one_of(
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.lists(
        st.sampled_from(
            [
                "q=%FF%FE",
                "q=%ED%A0%80",
                "q=%00",
                "q=%C0%AF",
                "page=%00",
                "page=-1",
                "page=1e99",
                "q[]=1",
                "q=1&q=2",
                "&&&",
                "==",
                "q",
                "%",
                "%%",
                "q=%",
                "year=99999999999999999999",
                "service_area=1%00",
                "outcome=%3Cscript%3E",
                "status=' OR 1=1--",
                "q=" + "a" * 5000,
            ]
        ),
        min_size=1,
        max_size=4,
    ).map("&".join),
)


def get_raw(client, path: str, query: str):
    return client.get(path, QUERY_STRING=query)


def test_search_query_string(client):
    assert client.get("/search/", {"q": "council"}).status_code == 200

    @CHEAP
    @given(data=form_data({"q": "libraries", "page": "2"}), query=raw_query)
    def run(data, query):
        rows = Rows()
        response = client.get("/search/", data)
        assert response.status_code == 200
        rows.check(response)
        response = get_raw(client, "/search/", query)
        assert response.status_code == 200
        rows.check(response)

    run()


def test_newsletter_signup_form(client):
    valid = {"email": "reader@example.org"}
    assert client.post("/newsletter/sign-up/", valid).status_code == 302

    @CHEAP
    @given(data=form_data({"email": "reader.two@example.org"}))
    def run(data):
        django_cache.clear()  # The sign-up rate limit counts in the cache.
        rows = Rows()
        response = client.post("/newsletter/sign-up/", data)
        if rows.check(response):
            assert response.url == reverse("engagement:newsletter_check_email")
            for subscriber in rows.new(NewsletterSubscriber):
                assert not subscriber.confirmed

    run()


@pytest.fixture
def public_pages(home):
    board = BoardIndexPageFactory(parent=home)
    you_said = _publish(YouSaidWeDidPageFactory(parent=board))
    hub = EngagementHubPageFactory(parent=home)
    listings = [
        you_said,
        _publish(ActivityIndexPageFactory(parent=hub)),
        _publish(EventIndexPageFactory(parent=hub)),
        _publish(StoryIndexPageFactory(parent=hub)),
        _publish(NewsIndexPageFactory(parent=hub)),
        _publish(NewsletterIndexPageFactory(parent=hub)),
    ]
    # Published words that hold markup: shown escaped on the public pages.
    area = ServiceAreaFactory(name=SCRIPT)
    publish_response(
        CouncilResponseFactory(
            recommendation=RecommendationFactory(
                title=SCRIPT, desired_outcome=IMG, service_area=area, status="response_drafted"
            ),
            response=f"We will. {SCRIPT}",
        )
    )
    return [page.url for page in listings]


def test_public_listing_filters(client, public_pages):
    for url in public_pages:
        assert client.get(url).status_code == 200, url
    filters = {
        "outcome": "accepted",
        "service_area": str(ServiceArea.objects.first().pk),
        "year": str(timezone.localdate().year),
        "status": "open",
        "page": "1",
    }

    @HOSTILE
    @given(url=st.sampled_from(public_pages), data=form_data(filters), query=raw_query)
    def run(url, data, query):
        rows = Rows()
        response = client.get(url, data)
        assert response.status_code == 200
        rows.check(response)
        rows.check(get_raw(client, url, query))

    run()


# --- Signing in and signing up -------------------------------------------------------------------


def test_login_form(client):
    user = UserFactory(email="login@example.org")
    valid = {"login": user.email, "password": PASSWORD}

    @CHEAP
    @given(data=form_data(valid))
    def run(data):
        django_cache.clear()  # Failed sign-ins are rate limited in the cache.
        client.logout()
        rows = Rows()
        response = client.post(reverse("account_login"), data)
        assert_escaped(response)
        rows.assert_unchanged(response)
        if is_success(response):
            assert data.get("login") == user.email

    run()


def test_page_and_document_password_forms(client, home):
    """Wagtail's password forms behind the platform's rate limit (cms.ratelimits): hostile
    values reach both the form and, once the limit is reached, the refusal, which shows the
    posted return address again."""
    from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

    page = home.add_child(instance=Page(title="Private", slug="private-hostile"))
    page_restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="open sesame"
    )
    collection = Collection.get_first_root_node().add_child(name="Private files")
    collection_restriction = CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=PageViewRestriction.PASSWORD, password="open sesame"
    )
    urls = [
        reverse("page_password", args=[page_restriction.pk, page.pk]),
        reverse("document_password", args=[collection_restriction.pk]),
    ]
    valid = {"password": "open sesame", "return_url": "/private-hostile/"}
    outcomes = set()

    @CHEAP
    @given(data=form_data(valid), url=st.sampled_from(urls))
    def run(data, url):
        # The cache is kept between examples, so later ones meet the limit.
        rows = Rows()
        response = client.post(url, data)
        assert_escaped(response)
        rows.assert_unchanged(response)
        assert response.status_code in (200, 302, 429), response.status_code
        outcomes.add(response.status_code)

    run()
    assert 429 in outcomes


def test_password_reset_form(client):
    UserFactory(email="forgot@example.org")

    @CHEAP
    @given(data=form_data({"email": "forgot@example.org"}))
    def run(data):
        django_cache.clear()
        rows = Rows()
        response = client.post(reverse("account_reset_password"), data)
        assert_escaped(response)
        rows.assert_unchanged(response)

    run()


def _invitation(email: str, *, inviter) -> str:
    token = f"hostile-{Invitation.objects.count()}-{uuid.uuid4().hex}"
    Invitation.objects.create(
        email=email,
        role=Group.objects.get(name=roles.BOARD_MEMBERS),
        token_hash=invitation_hash(token),
        invited_by=inviter,
        expires_at=timezone.now() + timedelta(days=7),
    )
    return token


def test_signup_form_by_invitation(superuser):
    counter = iter(range(10_000))

    @HOSTILE
    @given(
        data=form_data(
            {
                "email": "{email}",
                "password1": "correct-horse-battery-42",
                "password2": "correct-horse-battery-42",
            }
        )
    )
    def run(data):
        django_cache.clear()
        email = f"invited{next(counter)}@example.org"
        data = {key: email if value == "{email}" else value for key, value in data.items()}
        client = Client()
        response = client.get(
            reverse("invitation_accept", args=[_invitation(email, inviter=superuser)])
        )
        assert response.status_code == 302
        rows = Rows()
        response = client.post(reverse("account_signup"), data)
        if rows.check(response):
            user = User.objects.get(email=email)
            assert not user.is_superuser and not user.is_staff
            assert list(user.groups.values_list("name", flat=True)) == [roles.BOARD_MEMBERS]

    run()


def test_invitation_set_password_form(superuser):
    counter = iter(range(10_000))

    @HOSTILE
    @given(
        data=form_data(
            {
                "new_password1": "correct-horse-battery-42",
                "new_password2": "correct-horse-battery-42",
            }
        )
    )
    def run(data):
        email = f"placeholder{next(counter)}@example.org"
        placeholder = User.objects.create_user(email=email, password=None)
        client = Client()
        response = client.get(
            reverse("invitation_accept", args=[_invitation(email, inviter=superuser)])
        )
        assert response.url == reverse("invitation_set_password")
        rows = Rows(watch=[(placeholder, ["password", "is_superuser", "is_staff"])])
        response = client.post(reverse("invitation_set_password"), data)
        if rows.check(response):
            placeholder.refresh_from_db()
            # A repeated field posts several values; Django's form reads the last one.
            password = data["new_password1"]
            password = password[-1] if isinstance(password, list) else password
            assert placeholder.check_password(password)
            assert not placeholder.is_superuser

    run()


def test_second_factor_forms(client, make_user):
    with_totp = make_user(roles.ENGAGEMENT_MANAGERS)
    enrol_totp(with_totp)
    without_totp = make_user(roles.ENGAGEMENT_MANAGERS)

    @HOSTILE
    @given(
        code=field("{code}"),
        extra=st.dictionaries(st.sampled_from([*EXTRA_FIELDS, "signed_secret"]), hostile_value),
        activating=st.booleans(),
    )
    def run(code, extra, activating):
        django_cache.clear()
        client.logout()
        user = without_totp if activating else with_totp
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": PASSWORD}
        )
        assert response.status_code == 302
        url = reverse("mfa_activate_totp") if activating else reverse("mfa_authenticate")
        if activating:
            assert_escaped(client.get(url))
        data = dict(extra)
        if code is not MISSING:
            data["code"] = current_totp_code() if code == "{code}" else code
        rows = Rows()
        response = client.post(url, data)
        assert_escaped(response)
        if not is_success(response):
            rows.assert_unchanged(response)

    run()


def test_nul_reaching_the_database_fails_as_on_postgresql():
    with pytest.raises(ValueError, match="NUL"):
        ServiceArea.objects.filter(name="a\x00b").exists()
    with pytest.raises(ValueError, match="NUL"):
        ServiceArea.objects.bulk_create([ServiceArea(name="a\x00b")])


# --- URLs: tokens in paths, query strings --------------------------------------------------------

#: A token or reference as it may arrive in a path: any text, percent-encoded, or raw bytes.
path_segment = st.one_of(
    hostile_text.filter(bool).map(lambda text: quote(text[:3000], safe="")),
    st.binary(min_size=1, max_size=40).map(lambda b: "".join(f"%{byte:02X}" for byte in b)),
    st.sampled_from(["%00", "%FF", "%ED%A0%80", "..", "%2e%2e", "%2F", "a%0D%0Ab"]),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["0", "1", "9999", "10000", "99999999999999999999", "R-2024-001", "feed"]),
)


def test_query_strings_and_tokens_in_urls(client, member, member_client, superuser, public_pages):
    wave = staff_survey_wave()
    token = invite(wave)
    invitation_token = _invitation("someone@example.org", inviter=superuser)
    staff = Client()
    enrol_totp(superuser)
    sign_in(staff, superuser)
    measure = Measure.objects.create(
        name="Belonging",
        key="belonging",
        survey=wave.survey,
        question_key="belonging",
        positive_values=["4", "5"],
        groups=[],
    )
    subscriber = NewsletterSubscriberFactory()
    RecommendationFactory(author=member, title=SCRIPT)
    templates = [
        (client, "/survey/{}/"),
        (client, "/survey/{}/page/1/"),
        (client, "/survey/{}/check/"),
        (client, "/accounts/invitation/{}/"),
        (client, "/newsletter/confirm/{}/"),
        (client, "/newsletter/unsubscribe/{}/"),
        (member_client, "/members/recommendations/{}/"),
        (client, "/{}/"),
        (client, "/board/{}/"),
        (staff, "/admin/board/import/{}/"),
        (staff, "/admin/survey-data/imports/{}/"),
        (staff, f"/admin/survey-data/waves/{wave.pk}/responses.{{}}"),
        (staff, f"/admin/surveys/measures/{measure.pk}/report.{{}}"),
        # Listing pages' own routes: a recommendation's reference, an archive's year, a feed.
        *[(client, url + "{}/") for url in public_pages],
    ]
    plain = [
        (client, "/admin/login/"),
        (client, "/_util/login/"),
        (client, "/survey/thank-you/"),
        (client, "/newsletter/check-your-email/"),
        (client, "/robots.txt"),
        (client, f"/survey/{token}/"),
        (member_client, "/members/"),
        (member_client, "/members/recommendations/"),
        (member_client, "/members/board-recommendations/"),
        (member_client, "/members/expenses/"),
        (member_client, "/members/your-data/"),
        (member_client, "/members/your-data/download/"),
    ]
    for who, url in plain:
        assert who.get(url).status_code in (200, 302), url

    # Every path with the worst segments, then hypothesis' own.
    for who, template in templates:
        for segment in (
            "%00",
            "a%00b",
            "%FF%FE",
            "%ED%A0%80",
            quote(SCRIPT, safe=""),
            "x" * 3000,
            "0",
            "10000",
            "99999999999999999999",
        ):
            for method in ("get", "post"):
                assert_escaped(getattr(who, method)(template.format(segment)))

    @CHEAP
    @given(
        target=st.sampled_from(templates),
        segment=path_segment,
        method=st.sampled_from(["get", "post"]),
        plain_target=st.sampled_from(plain),
        data=form_data({"next": "/admin/", "page": "2", "change": "1", "p": "1"}),
        query=raw_query,
    )
    def run(target, segment, method, plain_target, data, query):
        rows = Rows(
            watch=[
                (subscriber, ["confirmed", "email"]),
                (Invitation.objects.first(), ["accepted_at"]),
            ]
        )
        who, template = target
        response = getattr(who, method)(template.format(segment))
        assert_escaped(response)
        assert response.status_code in (200, 302, 400, 403, 404, 405, 410), response.status_code
        if "unsubscribe" not in template:  # Unsubscribing by a valid link deletes the address.
            rows.assert_unchanged(response)
        who, url = plain_target
        assert_escaped(who.get(url, data))
        assert_escaped(get_raw(who, url, query))

    run()
    # The real links still work after all that.
    assert client.get(f"/survey/{token}/").status_code == 200
    assert client.get(f"/accounts/invitation/{invitation_token}/").status_code == 302


# --- Taking a survey -----------------------------------------------------------------------------

PAGE_1 = {"answer-equal_opportunity": "4", "answer-belonging": "5", "answer-directorate": "people"}
PAGE_2 = {"answer-improve": "More mentoring", "answer-ethnicity": "asian_indian"}


def test_survey_taking_form():
    wave = staff_survey_wave()
    counter = iter(range(10_000))

    # The valid answers go all the way through.
    client = Client()
    token = invite(wave, email="first@example.org")
    assert client.post(f"/survey/{token}/page/1/", PAGE_1).status_code == 302
    assert client.post(f"/survey/{token}/page/2/", PAGE_2).status_code == 302
    assert client.post(f"/survey/{token}/check/").url == reverse("surveys:thank_you")

    answers = st.builds(
        lambda one, two, action: (one, two, action),
        form_data(PAGE_1),
        form_data(PAGE_2),
        field("next", hostile=st.sampled_from(["back", "check", SCRIPT, "\x00", ["back", "x"]])),
    )

    @HOSTILE
    @given(answers=answers, change=st.booleans())
    def run(answers, change):
        one, two, action = answers
        client = Client()
        token = invite(wave, email=f"taker{next(counter)}@example.org")
        rows = Rows()
        for number, data in ((1, one), (2, two)):
            data = dict(data)
            if action is not MISSING:
                data["action"] = action
            if change:
                data["change"] = "1"
            response = client.post(f"/survey/{token}/page/{number}/", data)
            assert_escaped(response)
            # Answers wait in the browser's sealed draft until submitted: nothing else is
            # stored yet, and the draft shows none of them.
            assert set(rows.changed()) <= {"SurveyDraft"}, rows.changed()
            for sealed in SurveyDraft.objects.values_list("sealed", flat=True):
                assert "asian_indian" not in sealed and "More mentoring" not in sealed
            if response.status_code == 302:
                assert_escaped(client.get(response.url))
        response = client.post(f"/survey/{token}/check/")
        assert_escaped(response)
        if response.status_code == 302 and response.url == reverse("surveys:thank_you"):
            rows.assert_whole()
            assert not SurveyDraft.objects.filter(pk__in=rows.new(SurveyDraft)).exists()
            invitation = SurveyInvitation.objects.get(token_hash=invitation_token_hash(token))
            assert invitation.used and not invitation.email
            for text in FreeTextAnswer.objects.all():
                assert "\x00" not in text.text and len(text.text) <= 5000
            for answer in Answer.objects.select_related("question"):
                assert answer.value in answer.question.valid_values()
        else:
            assert set(rows.changed()) <= {"SurveyDraft"}, rows.changed()

    run()


def invitation_token_hash(token: str) -> str:
    from surveys.tokens import hash_token

    return hash_token(token)


# --- The member area -----------------------------------------------------------------------------


def test_recommendation_form(member, member_client):
    area = ServiceAreaFactory(name="Housing")
    other = UserFactory()
    valid = {
        "title": "Plain letters",
        "what_should_change": "Write letters in plain English.",
        "lived_experience": "I could not understand my letter.",
        "evidence": "",
        "service_area": str(area.pk),
        "desired_outcome": "Everyone understands their letters.",
        "author_named": "on",
    }
    response = member_client.post("/members/recommendations/new/", valid)
    assert response.status_code == 302, response.content.decode()[-2000:]

    @HOSTILE
    @given(data=form_data(valid))
    def run(data):
        if "author" in data:
            data["author"] = str(other.pk)
        rows = Rows()
        response = member_client.post("/members/recommendations/new/", data)
        if rows.check(response):
            (recommendation,) = rows.new(Recommendation)
            assert recommendation.author == member
            assert recommendation.status == Recommendation.Status.RECEIVED
            assert recommendation.owner is None
            assert_escaped(member_client.get(response.url))
            assert_escaped(member_client.get("/members/recommendations/"))

    run()


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
HTML = f"<html><body>{SCRIPT}</body></html>".encode()

#: A receipt as a member might upload it, or as someone attacking the upload might.
receipt_files = st.one_of(
    st.just(MISSING),
    st.builds(
        lambda name, content: (name, content),
        st.sampled_from(
            [
                "receipt.pdf",
                "receipt.PNG",
                "receipt.jpg",
                "receipt.jpeg",
                "receipt.pdf.exe",
                "receipt.exe.pdf",
                "receipt",
                ".pdf",
                "receipt.svg",
                "receipt.html",
                "../../../etc/passwd.pdf",
                "a\\..\\b.png",
                f"{SCRIPT}.pdf",
                "r\u202egnp.pdf",
                "x" * 300 + ".pdf",
                "receipt.pdf\x00.html",
            ]
        ),
        st.one_of(
            st.sampled_from(
                [
                    PDF,
                    PNG,
                    JPEG,
                    HTML,
                    b"",
                    b"MZ\x90\x00",
                    PDF + HTML,
                    PNG + PDF,
                    b"GIF89a" + HTML,
                    b"%PDF-" + b"\x00" * 10,
                ]
            ),
            st.binary(max_size=200),
        ),
    ),
)


def test_expense_claim_form(member, member_client):
    meeting = MeetingFactory()
    Attendance.objects.create(meeting=meeting, member=member, attended=True)
    other_meeting = MeetingFactory()
    valid = {
        "meeting": str(meeting.pk),
        "kind": "travel",
        "amount": "12.50",
        "description": "Bus fare to the board meeting",
    }
    response = member_client.post(
        "/members/expenses/new/", {**valid, "receipt": upload("bus.pdf", PDF)}
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    hostile_amounts = st.one_of(
        hostile_value,
        st.sampled_from(
            [
                "0",
                "0.001",
                "-5",
                "1000000",
                "999999.99",
                "1e5",
                "12.5.0",
                "NaN",
                "Infinity",
                "  12.50  ",
                "12.50\x00",
                str(other_meeting.pk),
            ]
        ),
    )

    @HOSTILE
    @given(
        data=form_data(
            {
                **valid,
                "amount": field("12.50", hostile=hostile_amounts),
                "meeting": field(
                    str(meeting.pk),
                    hostile=st.one_of(hostile_value, st.just(str(other_meeting.pk))),
                ),
            }
        ),
        receipt=receipt_files,
    )
    def run(data, receipt):
        if "claimant" in data:
            data["claimant"] = str(UserFactory.create().pk)
        if receipt is not MISSING:
            data["receipt"] = upload(*receipt)
        rows = Rows()
        response = member_client.post("/members/expenses/new/", data)
        if rows.check(response):
            (claim,) = rows.new(ExpenseClaim)
            assert claim.claimant == member
            assert claim.status == ExpenseClaim.Status.SUBMITTED and claim.decided_by is None
            assert claim.amount >= Decimal("0.01")
            assert claim.meeting in (None, meeting)
            if claim.receipt:
                extension = claim.receipt.name.rsplit(".", 1)[-1]
                assert extension in ("pdf", "png", "jpg", "jpeg")
                with claim.receipt.open("rb") as stored:
                    head = stored.read(8)
                assert head.startswith(
                    {
                        "pdf": b"%PDF-",
                        "png": b"\x89PNG",
                        "jpg": b"\xff\xd8\xff",
                        "jpeg": b"\xff\xd8\xff",
                    }[extension]
                )
                assert SCRIPT not in claim.receipt.name
            assert_escaped(member_client.get("/members/expenses/"))

    run()


@pytest.mark.parametrize(
    ("name", "content", "accepted"),
    [
        ("receipt.pdf", PDF, True),
        ("receipt.PDF", PDF, True),
        ("receipt.png", PNG, True),
        ("receipt.jpeg", JPEG, True),
        # The name says one type and the content is another.
        ("receipt.png", PDF, False),
        ("receipt.pdf", PNG, False),
        ("receipt.jpg", PNG, False),
        ("receipt.pdf", HTML, False),
        ("receipt.pdf", b"MZ\x90\x00\x03\x00\x00\x00", False),
        # Polyglots: content of one accepted type wearing another's name or starting with markup.
        ("receipt.png", PDF + HTML, False),
        ("receipt.pdf", b"GIF89a" + PDF, False),
        ("receipt.pdf", HTML + PDF, False),
        # Types never accepted, whatever the content.
        ("receipt.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", False),
        ("receipt.html", HTML, False),
        ("receipt.pdf.exe", PDF, False),
        ("receipt", PDF, False),
        ("receipt.pdf", b"", False),
        # A very long name is shortened on upload (keeping its ending); the stored name is new.
        ("x" * 300 + ".pdf", PDF, True),
    ],
)
def test_receipt_type_is_checked_by_content_and_name(
    member, member_client, name, content, accepted
):
    rows = Rows()
    response = member_client.post(
        "/members/expenses/new/",
        {
            "kind": "travel",
            "amount": "3.20",
            "description": "Bus",
            "receipt": upload(name, content),
        },
    )
    assert rows.check(response) is accepted, response.content.decode()[-3000:]
    if not accepted:
        assert response.context["form"].errors.get("receipt")


def test_receipt_size_is_limited(member, member_client, settings):
    settings.RECEIPT_MAX_BYTES = 10 * 1024
    rows = Rows()
    big = PDF + b"0" * (10 * 1024)
    response = member_client.post(
        "/members/expenses/new/",
        {"kind": "travel", "amount": "3.20", "description": "Bus", "receipt": upload("r.pdf", big)},
    )
    assert not rows.check(response)
    assert "smaller than" in " ".join(response.context["form"].errors["receipt"])
    exactly = PDF + b"0" * (10 * 1024 - len(PDF))
    response = member_client.post(
        "/members/expenses/new/",
        {
            "kind": "travel",
            "amount": "3.20",
            "description": "Bus",
            "receipt": upload("r.pdf", exactly),
        },
    )
    assert rows.check(response)


# --- Admin forms ---------------------------------------------------------------------------------

hostile_dates = st.one_of(
    hostile_value,
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "0000-00-00",
            "2024-02-30",
            "99999-01-01",
            "1900-01-01",
            "2100-12-31",
            "31/12/9999",
            "01/01/0001",
        ]
    ),
)


def test_invitation_admin_form(admin_client):
    role = Group.objects.get(name=roles.BOARD_MEMBERS)
    valid = {"email": "new.member@example.org", "role": str(role.pk)}
    assert admin_client.post("/admin/invitations/new/", valid).status_code == 302

    @HOSTILE
    @given(data=form_data({**valid, "email": "another@example.org"}))
    def run(data):
        rows = Rows()
        response = admin_client.post("/admin/invitations/new/", data)
        if rows.check(response):
            for invitation in rows.new(Invitation):
                assert invitation.role == role and invitation.accepted_at is None
        assert_escaped(admin_client.get("/admin/invitations/"))

    run()


def test_recommendation_manage_forms(admin_client, make_user):
    owner = make_user(roles.ENGAGEMENT_MANAGERS)
    area = ServiceAreaFactory(name="Libraries")
    today = timezone.localdate()
    fields = {
        "action": field(
            "assign",
            hostile=st.one_of(
                st.sampled_from(["acknowledge", "assign", "progress", "change"]), hostile_value
            ),
        ),
        "owner": str(owner.pk),
        "due_date": field((today + timedelta(days=30)).isoformat(), hostile=hostile_dates),
        "date": field(today.isoformat(), hostile=hostile_dates),
        "update": "Letters are being rewritten.",
        "kind": "service",
        "description": "Letters rewritten in plain English.",
        "service_area": str(area.pk),
        "implemented_on": field(today.isoformat(), hostile=hostile_dates),
    }

    # The valid steps go through.
    recommendation = RecommendationFactory(service_area=area)
    url = f"/admin/board/recommendations/{recommendation.pk}/manage/"
    for action in ("acknowledge", "assign"):
        response = admin_client.post(
            url,
            {
                "action": action,
                "owner": str(owner.pk),
                "due_date": "2030-01-01",
                "date": today.isoformat(),
                "update": "Under way.",
                "kind": "service",
                "description": "Done.",
                "service_area": str(area.pk),
                "implemented_on": today.isoformat(),
            },
        )
        assert response.status_code == 302, action

    @HOSTILE
    @given(
        data=form_data(fields),
        status=st.sampled_from(
            ["received", "acknowledged", "under_consideration", "response_published"]
        ),
    )
    def run(data, status):
        recommendation = RecommendationFactory(title=SCRIPT, service_area=area, status=status)
        url = f"/admin/board/recommendations/{recommendation.pk}/manage/"
        rows = Rows(watch=[(recommendation, ["status", "owner_id", "due_date", "acknowledged_at"])])
        response = admin_client.post(url, data)
        if rows.check(response):
            recommendation.refresh_from_db()
            recommendation.full_clean()
        assert_escaped(admin_client.get(url))

    run()


def test_expense_decision_form(admin_client, member):
    valid = {"decision": "reject", "reason": "No receipt for the taxi."}

    @HOSTILE
    @given(data=form_data(valid))
    def run(data):
        claim = ExpenseClaim.objects.create(
            claimant=member, kind="travel", amount=Decimal("9.99"), description=SCRIPT
        )
        url = f"/admin/board/expenses/{claim.pk}/decide/"
        rows = Rows(watch=[(claim, ["status", "decision_reason", "decided_by_id", "amount"])])
        response = admin_client.post(url, data)
        if rows.check(response):
            claim.refresh_from_db()
            claim.full_clean()
            assert claim.status in ("approved", "rejected")
            assert claim.status == "approved" or claim.decision_reason.strip()
            assert claim.amount == Decimal("9.99") and claim.claimant == member
        assert_escaped(admin_client.get("/admin/board_expenseclaim/"))

    run()


def test_member_erase_form(admin_client):
    today = timezone.localdate()

    @SLOW
    @given(
        data=form_data({"confirm": "on", "remove_newsletter_subscription": "on"}),
        current=st.booleans(),
    )
    def run(data, current):
        former = BoardMemberFactory(first_name=SCRIPT)
        MembershipFactory(
            member=former,
            term_starts=today - timedelta(days=700),
            term_ends=today - timedelta(days=10) if not current else today + timedelta(days=10),
        )
        url = f"/admin/board/former-members/{former.pk}/erase/"
        assert_escaped(admin_client.get(url))
        rows = Rows(watch=[(former, ["email", "first_name", "last_name", "is_active"])])
        response = admin_client.post(url, data)
        assert_escaped(response)
        if is_success(response):
            assert not current
            assert ModelLogEntry.objects.filter(action="board.member.erase").exists()
        else:
            rows.assert_unchanged(response)

    run()


def test_council_response_snippet_form(admin_client):
    url = "/admin/snippets/board/councilresponse/add/"
    fields = {
        "outcome": field(
            "accepted",
            hostile=st.one_of(
                st.sampled_from(["deferred", "not_accepted", "partly_accepted"]), hostile_value
            ),
        ),
        "response": "We will rewrite our letters.",
        "reasons": "",
        "alternatives_explored": "",
        "next_steps": "",
        "review_date": field("", hostile=hostile_dates),
        "action-publish": field("action-publish", hostile=hostile_value),
    }

    @HOSTILE
    @given(data=form_data(fields))
    def run(data):
        recommendation = RecommendationFactory(
            status=Recommendation.Status.ACKNOWLEDGED, title=f"Letters {SCRIPT}"
        )
        data = {"recommendation": str(recommendation.pk), **data}
        rows = Rows(watch=[(recommendation, ["status", "published_at"])])
        response = admin_client.post(url, data)
        if rows.check(response):
            (council_response,) = rows.new(CouncilResponse)
            council_response.full_clean()
            assert council_response.recommendation == recommendation
        assert_escaped(admin_client.get("/admin/snippets/board/councilresponse/"))

    run()


def _council_response_in_review(*, text=SCRIPT):
    from wagtail.models import Workflow

    writer = UserFactory(roles=[roles.ENGAGEMENT_MANAGERS])
    response = CouncilResponseFactory(
        recommendation=RecommendationFactory(title=f"Letters {SCRIPT}", status="response_drafted"),
        response=text,
    )
    response.save_revision(user=writer)
    Workflow.objects.get(name="Council response approval").start(response, writer)
    response.refresh_from_db()
    return response, writer


def test_council_response_review_forms(admin_client):
    """Approving and asking for changes, with hostile comments: the text published is the text
    submitted, asking for changes needs a comment, comments are shown escaped."""
    url_name = "wagtailsnippets_board_councilresponse:workflow_action"

    @HOSTILE
    @given(
        data=form_data({"comment": field("Agreed.", hostile=hostile_value)}),
        action=st.sampled_from(["approve", "reject"]),
    )
    def run(data, action):
        response, _writer = _council_response_in_review()
        task_state = response.current_workflow_task_state
        url = reverse(url_name, args=[response.pk, action, task_state.pk])
        rows = Rows(watch=[(response, ["live", "response", "live_revision_id"])])
        result = admin_client.post(url, data)
        assert_escaped(result)
        response.refresh_from_db()
        task_state.refresh_from_db()
        if task_state.status == "in_progress":
            rows.assert_unchanged(result)
        elif action == "approve":
            assert response.live and response.response == SCRIPT
        else:
            assert not response.live and task_state.comment.strip()
        assert_escaped(
            admin_client.get(f"/admin/snippets/board/councilresponse/inspect/{response.pk}/")
        )
        assert_escaped(
            admin_client.get(
                f"/admin/snippets/board/councilresponse/workflow_history/{response.pk}/"
            )
        )

    run()


def test_council_response_withdrawal_forms(admin_client):
    """The two-person withdrawal, with hostile reasons, decisions and actions: an answer comes
    down only on an agreement or a recorded override, and what people wrote is shown escaped."""
    from board import services as board_services
    from board.models import recommendations as response_rules

    @HOSTILE
    @given(
        data=form_data(
            {
                "action": field(
                    "decide",
                    hostile=st.one_of(
                        st.sampled_from(["request", "cancel", "decide", "override"]),
                        hostile_value,
                    ),
                ),
                "request-reason": field(SCRIPT),
                "decide-decision": field(
                    "refuse", hostile=st.one_of(st.sampled_from(["agree"]), hostile_value)
                ),
                "decide-comment": field(IMG),
                "override-reason": field(SCRIPT),
            }
        ),
        pending=st.booleans(),
    )
    def run(data, pending):
        response, writer = _council_response_in_review()
        response.current_workflow_task_state.approve(user=UserFactory(roles=[roles.APPROVERS]))
        response.refresh_from_db()
        if pending:
            board_services.response_withdrawal_request(response=response, by=writer, reason=IMG)
        url = f"/admin/snippets/board/councilresponse/unpublish/{response.pk}/"
        assert_escaped(admin_client.get(url))
        rows = Rows(watch=[(response, ["live", "response"])])
        result = admin_client.post(url, data)
        assert_escaped(result)
        response.refresh_from_db()
        ended = ModelLogEntry.objects.for_instance(response).filter(
            action__in=[response_rules.WITHDRAWAL_AGREE, response_rules.OVERRIDE]
        )
        assert response.live != ended.exists()
        if not is_success(result):
            rows.assert_unchanged(result)
        assert_escaped(admin_client.get(url))
        assert_escaped(
            admin_client.get(f"/admin/snippets/board/councilresponse/history/{response.pk}/")
        )
        assert_escaped(admin_client.get("/admin/"))

    run()


def test_council_response_admin_pages(admin_client):
    """The council response's own pages with hostile query strings, and the editor posted
    hostile action names while in review: nothing changes, nothing is shown raw."""
    response, _writer = _council_response_in_review()
    revision = response.get_latest_revision()
    state = response.current_workflow_state
    base = "/admin/snippets/board/councilresponse"
    gets = [
        f"{base}/edit/{response.pk}/",
        f"{base}/inspect/{response.pk}/",
        f"{base}/history/{response.pk}/",
        f"{base}/history-results/{response.pk}/",
        f"{base}/history/{response.pk}/revisions/compare/earliest...latest/",
        f"{base}/history/{response.pk}/revisions/compare/live...{revision.pk}/",
        f"{base}/workflow_history/{response.pk}/",
        f"{base}/workflow_history/{response.pk}/detail/{state.pk}/",
        f"/admin/board_recommendation/delete/{response.recommendation_id}/",
    ]
    for url in gets:
        assert_escaped(admin_client.get(url))

    @CHEAP
    @given(
        url=st.sampled_from(gets),
        query=raw_query,
        data=form_data(
            {
                "outcome": "accepted",
                "response": field("Changed.", hostile=hostile_value),
                "workflow-action-name": field("approve", hostile=hostile_value),
            }
        ),
        action=st.sampled_from(
            [
                "action-publish",
                "action-submit",
                "action-workflow-action",
                "action-restart-workflow",
                "action-unpublish",
                "action-edit",
            ]
        ),
        action_value=hostile_value,
    )
    def run(url, query, data, action, action_value):
        assert_escaped(get_raw(admin_client, url, query))
        rows = Rows(watch=[(response, ["live", "response", "latest_revision_id"])])
        result = admin_client.post(f"{base}/edit/{response.pk}/", {**data, action: action_value})
        assert_escaped(result)
        rows.assert_unchanged(result)

    run()


def test_question_admin_form(admin_client):
    wave = staff_survey_wave()
    counter = iter(range(10_000))
    fields = {
        "wave": str(wave.pk),
        "key": "{key}",
        "kind": field(
            "single",
            hostile=st.one_of(
                st.sampled_from(["likert", "multiple", "free_text", "ethnicity"]), hostile_value
            ),
        ),
        "text": f"Which team? {SCRIPT}",
        "help_text": "",
        "required": "on",
        "options": field(
            "a | A\nb | B",
            hostile=st.one_of(
                hostile_value,
                st.sampled_from(
                    [
                        f"x | {SCRIPT}\ny | Y",
                        "|\n|",
                        "a|A\na|A",
                        "a" * 61 + " | A\nb | B",
                        "\x00 | A\nb | B",
                        "é | E\nb | B",
                        "\n".join(f"v{i} | V" for i in range(2000)),
                    ]
                ),
            ),
        ),
        "page": field("1", hostile=hostile_value),
        "order": field("9", hostile=hostile_value),
    }

    @HOSTILE
    @given(data=form_data(fields))
    def run(data):
        data = {k: (f"key_{next(counter)}" if v == "{key}" else v) for k, v in data.items()}
        rows = Rows()
        response = admin_client.post("/admin/surveys_question/new/", data)
        if rows.check(response):
            (question,) = rows.new(Question)
            assert_escaped(admin_client.get(f"/admin/surveys_question/edit/{question.pk}/"))
            assert_escaped(admin_client.get(f"/admin/surveys/waves/{wave.pk}/questions/"))
            response = admin_client.post(f"/admin/surveys_question/edit/{question.pk}/", data)
            assert_escaped(response)

    run()


def test_wave_admin_form(admin_client):
    survey = SurveyFactory(name=f"Survey {SCRIPT}")
    wave = staff_survey_wave(survey=survey, year=2020)
    fields = {
        "survey": str(survey.pk),
        "year": field(
            "2031", hostile=st.one_of(hostile_value, st.integers(-(10**20), 10**20).map(str))
        ),
        "opens_on": field("2031-03-01", hostile=hostile_dates),
        "closes_on": field("2031-03-31", hostile=hostile_dates),
        "introduction": field(f"Why we ask {SCRIPT}"),
        "break_in_series": field("", hostile=hostile_value),
    }

    @HOSTILE
    @given(data=form_data(fields), edit=st.booleans())
    def run(data, edit):
        url = f"/admin/surveys_wave/edit/{wave.pk}/" if edit else "/admin/surveys_wave/new/"
        rows = Rows(watch=[(wave, ["year", "opens_on", "closes_on", "introduction", "survey_id"])])
        response = admin_client.post(url, data)
        if rows.check(response):
            for each in [*rows.new(Wave), Wave.objects.get(pk=wave.pk)]:
                each.full_clean()
                assert_escaped(admin_client.get(f"/admin/surveys/waves/{each.pk}/questions/"))
            assert_escaped(admin_client.get("/admin/surveys_wave/"))

    run()


def test_invitation_upload_form(admin_client):
    wave = staff_survey_wave()
    url = f"/admin/surveys/waves/{wave.pk}/invitations/"
    email_files = st.one_of(
        st.just(MISSING),
        st.builds(
            lambda name, content: upload(name, content, "text/csv"),
            st.sampled_from(
                ["emails.csv", "emails.txt", "emails.xlsx", "emails", "emails.csv.exe"]
            ),
            st.one_of(
                st.sampled_from(
                    [
                        b"email\na@example.org\nb@example.org\n",
                        b"\xff\xfe\x00e\x00m",  # UTF-16
                        b"email\n\xe9@example.org\n",  # latin-1
                        b"a@example.org\x00b@example.org",
                        b"PK\x03\x04" + b"\x00" * 30,
                        f"name,email\n{SCRIPT},x@example.org\n".encode(),
                        b'email\n"unterminated\n',
                        b"a@example.org\n" * 25_000,
                        b"x" * (1024 * 1024 + 1),
                    ]
                ),
                st.binary(max_size=300),
            ),
        ),
    )

    @HOSTILE
    @given(
        data=form_data({"emails": "one@example.org\ntwo@example.org", "action": "upload"}),
        email_file=email_files,
    )
    def run(data, email_file):
        if email_file is not MISSING:
            data["file"] = email_file
        rows = Rows()
        response = admin_client.post(url, data)
        if response.status_code == 200 and response.context.get("queued"):
            # The valid addresses were queued; the others are shown again, to correct.
            assert_escaped(response)
            rows.assert_whole()
            (batch,) = rows.new(InvitationBatch)
            assert batch.wave == wave and response.context["invalid"]
        elif rows.check(response):
            for batch in rows.new(InvitationBatch):
                assert batch.wave == wave
        assert_escaped(admin_client.get(url))

    run()


def test_wave_participation_form(admin_client):
    wave = staff_survey_wave()
    url = f"/admin/surveys/waves/{wave.pk}/invitations/"
    valid = {"action": "participation", "participation": "hidden"}
    assert admin_client.post(url, valid).status_code == 302
    assert Wave.objects.get(pk=wave.pk).participation == "hidden"

    @HOSTILE
    @given(data=form_data(valid))
    def run(data):
        rows = Rows(watch=[(wave, ["participation"])])
        response = admin_client.post(url, data)
        assert response.status_code in (200, 302)
        participation = Wave.objects.get(pk=wave.pk).participation
        assert participation in ("standard", "hidden")
        if data.get("action") == "participation" and data.get("participation") in (
            "standard",
            "hidden",
        ):
            assert participation == data["participation"]
        elif data.get("action") == "participation":
            rows.assert_unchanged(response)
        assert_escaped(admin_client.get(url))

    run()


def test_board_evaluation_form(admin_client):
    url = "/admin/surveys/board-evaluation/new/"
    valid = {"year": "2030", "opens_on": "2030-01-01", "closes_on": "2030-01-28"}
    assert admin_client.post(url, valid).status_code == 302

    @HOSTILE
    @given(
        data=form_data(
            {
                "year": field(
                    "2031",
                    hostile=st.one_of(hostile_value, st.integers(-(10**20), 10**20).map(str)),
                ),
                "opens_on": field("2031-01-01", hostile=hostile_dates),
                "closes_on": field("2031-01-28", hostile=hostile_dates),
            }
        )
    )
    def run(data):
        rows = Rows()
        response = admin_client.post(url, data)
        if rows.check(response):
            (wave,) = rows.new(Wave)
            assert wave.questions.count() == 4
            assert_escaped(admin_client.get(response.url))

    run()


def test_measure_admin_form(admin_client):
    wave = staff_survey_wave(year=2025)
    counter = iter(range(10_000))
    fields = {
        "name": f"Belonging {SCRIPT}",
        "key": "{key}",
        "description": field("", hostile=hostile_value),
        "survey": str(wave.survey_id),
        "question_key": field(
            "belonging",
            hostile=st.one_of(
                hostile_value, st.sampled_from(["directorate", "improve", "ethnicity"])
            ),
        ),
        "positive_values": field(["4", "5"], hostile=hostile_value),
        "positive_choice_values": field(
            "", hostile=st.one_of(hostile_value, st.just("place, people"), st.just(",,,"))
        ),
        "groups": field(["white", "ethnic_minorities"], hostile=hostile_value),
        "direction": field("higher", hostile=hostile_value),
        "baseline": field(str(wave.pk), hostile=hostile_value),
        "adjustment": field("bh", hostile=hostile_value),
        "priority": field("", hostile=hostile_value),
    }

    @HOSTILE
    @given(data=form_data(fields))
    def run(data):
        data = {k: (f"measure-{next(counter)}" if v == "{key}" else v) for k, v in data.items()}
        rows = Rows()
        response = admin_client.post("/admin/surveys_measure/new/", data)
        if rows.check(response):
            (measure,) = rows.new(Measure)
            assert_escaped(admin_client.get(f"/admin/surveys/measures/{measure.pk}/report/"))
            assert_escaped(admin_client.post(f"/admin/surveys_measure/edit/{measure.pk}/", data))
        assert_escaped(admin_client.get("/admin/surveys_measure/"))

    run()


# --- Page forms ----------------------------------------------------------------------------------


@pytest.fixture
def hub(home):
    return _publish(EngagementHubPageFactory(parent=home))


def _page_check(admin_client, rows, response, page_model) -> None:
    """A refused page form saves nothing; a saved page is whole and shows its text escaped."""
    assert_escaped(response)
    if not is_success(response):
        rows.assert_unchanged(response)
        return
    _stat("accepted")
    for page in rows.new(Page):
        page = page.specific
        assert isinstance(page, page_model)
        page.full_clean()
        assert_escaped(admin_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])))
        if page.live:
            assert_escaped(Client().get(page.url))


def test_activity_page_form(admin_client, hub):
    index = _publish(ActivityIndexPageFactory(parent=hub))
    url = reverse("wagtailadmin_pages:add", args=("engagement", "activitypage", index.pk))
    counter = iter(range(10_000))
    fields = {
        "title": field(f"Libraries {SCRIPT}"),
        "slug": "{slug}",
        "kind": field("research", hostile=hostile_value),
        "status": field(
            "reported",
            hostile=st.one_of(hostile_value, st.sampled_from(["open", "closed", "analysing"])),
        ),
        "run_by": field(f"Libraries team {IMG}"),
        "starts_on": field("2026-01-05", hostile=hostile_dates),
        "ends_on": field("2026-03-01", hostile=hostile_dates),
        "reported_on": field("2026-05-01", hostile=hostile_dates),
        "take_part_url": field(
            "",
            hostile=st.one_of(
                hostile_value,
                st.sampled_from(
                    [
                        "javascript:alert(1)",
                        "data:text/html,<script>",
                        "http://exa mple.org",
                        "//evil.example",
                    ]
                ),
            ),
        ),
        "action-publish": field("publish", hostile=hostile_value),
    }
    count = st.one_of(st.just("140"), hostile_text)

    @SLOW
    @given(
        data=form_data(fields),
        # Rich text as the editor posts it (Draft.js JSON), or anything else at all.
        asked=st.one_of(
            st.just(f"<p>How do you use libraries? {SCRIPT}</p>").map(lambda t: ("json", t)),
            hostile_text.map(lambda text: ("json", text)),
            hostile_text,
            st.sampled_from(
                [
                    "true",
                    "[]",
                    "{}",
                    '{"blocks": 5}',
                    '{"blocks": [{"x": 1}]}',
                    '{"blocks": [{"text": "a", "type": "unstyled", "inlineStyleRanges": '
                    '[{"offset": "x", "length": null, "style": "BOLD"}]}], '
                    '"entityMap": {}}',
                    "[" * 10_000,
                ]
            ),
        ),
        theme=st.tuples(hostile_text, hostile_text),
        respondents=count,
    )
    def run(data, asked, theme, respondents):
        data = {k: (f"activity-{next(counter)}" if v == "{slug}" else v) for k, v in data.items()}
        if isinstance(asked, tuple):
            asked = rich_text(asked[1])
        data.update(
            what_we_asked=asked,
            how_to_take_part=rich_text(""),
            respondent_groups=inline_formset(
                [{"respondent_type": "residents", "description": IMG, "count": respondents}]
            ),
            themes=inline_formset([{"title": theme[0], "description": theme[1]}]),
            actions=inline_formset(
                [
                    {
                        "description": SCRIPT,
                        "progress": "done",
                        "recommendation": "",
                        "survey_summary": "",
                    }
                ]
            ),
            body=streamfield([]),
            documents=streamfield([]),
            comments=inline_formset([]),
        )
        rows = Rows()
        response = admin_client.post(url, nested_form_data(data))
        _page_check(admin_client, rows, response, ActivityPage)

    run()


def test_story_page_form(admin_client, hub):
    index = _publish(StoryIndexPageFactory(parent=hub))
    add_url = reverse("wagtailadmin_pages:add", args=("engagement", "storypage", index.pk))
    counter = iter(range(10_000))
    fields = {
        "title": field(f"Cooking {SCRIPT}"),
        "slug": "{slug}",
        "summary": field(f"Food {IMG}"),
        "image": field("", hostile=hostile_value),
        "image_alt": field("", hostile=hostile_value),
        "teller_description": field("a grandmother", hostile=hostile_value),
        "consent_reference": field("", hostile=hostile_value),
        "teller_name": field("", hostile=hostile_value),
        "consent_given": field("on", hostile=hostile_value),
        "consent_recorded_on": field("2026-01-10", hostile=hostile_dates),
        "name_teller": field("", hostile=hostile_value),
        "action-publish": field("publish", hostile=hostile_value),
    }

    ids = st.one_of(st.just(""), hostile_text)

    @SLOW
    @given(
        data=form_data(fields),
        story=st.one_of(st.just(f"<p>We cooked. {SCRIPT}</p>"), hostile_text),
        image_id=st.one_of(st.just(MISSING), ids),
        document_id=st.one_of(st.just(MISSING), ids),
        edit=st.booleans(),
    )
    def run(data, story, image_id, document_id, edit):
        data = {k: (f"story-{next(counter)}" if v == "{slug}" else v) for k, v in data.items()}
        blocks = [("rich_text", rich_text(story))]
        if (
            image_id is not MISSING
        ):  # Ids of images and documents that do not exist, or are not ids.
            blocks.append(("image", {"image": image_id, "alt_text": SCRIPT, "caption": IMG}))
        if document_id is not MISSING:
            blocks.append(("document", {"document": document_id, "title": SCRIPT}))
        data.update(story=streamfield(blocks), comments=inline_formset([]))
        url = add_url
        if edit and StoryPage.objects.exists():
            url = reverse("wagtailadmin_pages:edit", args=[StoryPage.objects.first().pk])
        rows = Rows()
        response = admin_client.post(url, nested_form_data(data))
        if url != add_url:
            # An edit saves a revision of an existing page; it must still render escaped.
            assert_escaped(response)
            return
        _page_check(admin_client, rows, response, StoryPage)

    run()


# --- Wagtail's own forms, one or two of each kind ------------------------------------------------


def test_wagtail_generic_forms(admin_client, member):
    site = Site.objects.get(is_default_site=True)
    survey_counter = iter(range(10_000))
    targets = {
        "service area": ("/admin/board_servicearea/new/", {"name": f"Housing {SCRIPT}"}),
        "venue snippet": (
            "/admin/snippets/engagement/venue/add/",
            {
                "name": f"Hall {SCRIPT}",
                "address": f"1 High St {IMG}",
                "postcode": "BS23 1AA",
                "step_free": "full",
                "accessible_toilet": "on",
                "hearing_loop": "",
                "accessible_parking": "",
                "quiet_space": "",
                "accessibility_notes": "",
                "access_guide_url": "",
            },
        ),
        "membership": (
            "/admin/board_membership/new/",
            {
                "member": str(member.pk),
                "role": "chair",
                "term_starts": "2040-01-01",
                "term_ends": "2041-01-01",
            },
        ),
        "board ask": (
            "/admin/board_ask/new/",
            {
                "member": str(member.pk),
                "kind": "event",
                "description": SCRIPT,
                "date": "2026-01-01",
            },
        ),
        "support needs": (
            "/admin/board_supportneeds/new/",
            {
                "member": str(member.pk),
                "access_needs": SCRIPT,
                "preferred_language": "Welsh",
                "interpreter_needed": "on",
                "interpreter_language": "BSL",
            },
        ),
        "survey": (
            "/admin/surveys_survey/new/",
            {"name": f"Pulse {SCRIPT}", "slug": "{slug}", "kind": "other", "description": ""},
        ),
        "board rules": (
            f"/admin/settings/board/boardsettings/{site.pk}/",
            {
                "term_length_months": "24",
                "max_consecutive_terms": "2",
                "term_ending_notice_days": "90",
                "changes_target_per_year": "2",
                "response_due_days": "56",
            },
        ),
    }
    for name, (url, _valid) in targets.items():
        assert admin_client.get(url).status_code == 200, name

    @HOSTILE
    @given(
        target=st.sampled_from(sorted(targets)),
        data=st.data(),
    )
    def run(target, data):
        url, valid = targets[target]
        posted = data.draw(form_data(valid))
        posted = {
            k: (f"survey-{next(survey_counter)}" if v == "{slug}" else v) for k, v in posted.items()
        }
        rows = Rows(
            watch=[(BoardSettings.for_site(site), ["term_length_months", "response_due_days"])]
        )
        response = admin_client.post(url, posted)
        assert_escaped(response)
        if is_success(response):
            _stat("accepted")
            rows.assert_whole()
            listing = url.replace("new/", "").replace("add/", "")
            assert_escaped(admin_client.get(listing))
            if target == "board rules":
                BoardSettings.for_site(site).full_clean()
        else:
            rows.assert_unchanged(response)

    run()


# --- Admin listings, and the other admin pages ---------------------------------------------------

LISTINGS = [
    "/admin/board_recommendation/",
    "/admin/board_membership/",
    "/admin/board_supportneeds/",
    "/admin/board_ask/",
    "/admin/board_meeting/",
    "/admin/board_expenseclaim/",
    "/admin/board_servicearea/",
    "/admin/engagement_newslettersubscriber/",
    "/admin/invitations/",
    "/admin/surveys_survey/",
    "/admin/surveys_wave/",
    "/admin/surveys_question/",
    "/admin/surveys_measure/",
    "/admin/snippets/board/councilresponse/",
    "/admin/snippets/engagement/calendardate/",
    "/admin/snippets/engagement/eventorganiser/",
    "/admin/snippets/engagement/venue/",
]
LISTING_PARAMETERS = [
    "q",
    "p",
    "status",
    "service_area",
    "owner",
    "notes_status",
    "role",
    "kind",
    "member",
    "outcome",
    "live",
    "step_free",
    "confirmed",
    "survey",
    "year",
    "priority",
    "wave",
    "wave__survey",
    "ordering",
    "export",
    "per_page",
]


def test_admin_listing_search_and_filters(admin_client, member):
    """Every listing, searched, filtered, ordered and paged with hostile values; records holding
    markup are shown escaped."""
    area = ServiceAreaFactory(name=SCRIPT)
    RecommendationFactory(title=SCRIPT, what_should_change=IMG, service_area=area, author=member)
    BoardAsk.objects.create(member=member, kind="event", description=SCRIPT)
    MemberSupportNeeds.objects.create(member=member, access_needs=SCRIPT, preferred_language=IMG)
    MeetingFactory(title=SCRIPT, location=IMG)
    ExpenseClaim.objects.create(
        claimant=member, kind="travel", amount=Decimal("1"), description=SCRIPT
    )
    Venue.objects.create(name=SCRIPT, address=IMG)
    staff_survey_wave(survey=SurveyFactory(name=SCRIPT), introduction=SCRIPT)
    for url in LISTINGS:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response)
        assert_escaped(admin_client.get(url + "results/"))

    @CHEAP
    @given(
        url=st.sampled_from(LISTINGS),
        results=st.booleans(),
        data=st.dictionaries(st.sampled_from(LISTING_PARAMETERS), hostile_value, max_size=4),
        query=raw_query,
    )
    def run(url, results, data, query):
        if results:
            url += "results/"
        rows = Rows()
        response = admin_client.get(url, data)
        assert response.status_code in (200, 302, 400, 404), response.status_code
        assert_escaped(response)
        assert_escaped(get_raw(admin_client, url, query))
        assert not rows.changed() or rows.changed() == [
            "ModelLogEntry"
        ]  # Listing views are logged.

    run()


def test_full_export_reason_form(admin_client):
    """The reason asked before a wave's responses are downloaded in full: a refused reason
    downloads and logs nothing; an accepted one is kept, as given, in the audit log."""
    wave = staff_survey_wave()
    url = f"/admin/survey-data/waves/{wave.pk}/responses.csv"
    assert_escaped(admin_client.get(f"{url}?full=1"))

    @CHEAP
    @given(
        data=form_data(
            {"reason": field("For the census comparison the DPO approved.", hostile=hostile_text)}
        )
    )
    def run(data):
        logged = ModelLogEntry.objects.filter(action="surveys.export")
        before = logged.count()
        response = admin_client.post(url, data)
        assert_escaped(response)
        if response["Content-Type"].startswith("text/csv"):
            b"".join(response.streaming_content)
            entry = logged.latest("pk")
            assert logged.count() == before + 1
            assert entry.data["detail"] == "full"
            assert len(entry.data["reason"]) >= 20 and "\x00" not in entry.data["reason"]
        else:
            assert logged.count() == before

    run()


def test_admin_other_pages(admin_client, member):
    """The product's own admin pages that are not a form of their own, with hostile input."""
    wave = staff_survey_wave(introduction=SCRIPT)
    closed = staff_survey_wave(
        year=2020,
        opens_on=timezone.localdate() - timedelta(days=60),
        closes_on=timezone.localdate() - timedelta(days=30),
    )
    measure = Measure.objects.create(
        name=SCRIPT,
        key="m",
        survey=wave.survey,
        question_key="belonging",
        positive_values=["4", "5"],
        groups=[],
    )
    claim = ExpenseClaim.objects.create(
        claimant=member, kind="travel", amount=Decimal("1"), description=SCRIPT
    )
    recommendation = RecommendationFactory(title=SCRIPT)
    subscriber = NewsletterSubscriberFactory()
    hub = _publish(EngagementHubPageFactory(parent=HomePage.objects.get()))
    newsletters = _publish(NewsletterIndexPageFactory(parent=hub))
    issue = _publish(NewsletterIssuePageFactory(parent=newsletters, title=SCRIPT))
    meeting = MeetingFactory(title=SCRIPT)
    _invitation("x@example.org", inviter=member)
    invitation = Invitation.objects.get()
    gets = [
        "/admin/board/overview/",
        "/admin/board/expenses/totals/",
        "/admin/board/former-members/",
        f"/admin/board/expenses/{claim.pk}/receipt/",
        "/admin/survey-data/",
        f"/admin/survey-data/waves/{wave.pk}/responses.csv",
        f"/admin/survey-data/waves/{closed.pk}/free-text.xlsx",
        f"/admin/survey-data/waves/{wave.pk}/responses.{quote(SCRIPT, safe='')}",
        f"/admin/survey-data/imports/{quote(SCRIPT, safe='')}/",
        "/admin/survey-data/imports/%00/",
        f"/admin/surveys/waves/{wave.pk}/questions/",
        f"/admin/surveys/waves/{wave.pk}/reminders/",
        f"/admin/surveys/measures/{measure.pk}/report/",
        f"/admin/surveys/measures/{measure.pk}/report.csv",
        f"/admin/surveys/measures/{measure.pk}/report.{quote(SCRIPT, safe='')}",
        f"/admin/engagement/newsletter-issues/{issue.pk}/send/",
        "/admin/engagement/newsletter-subscribers/download/",
        "/admin/engagement_newslettersubscriber/new/",
        f"/admin/engagement_newslettersubscriber/edit/{subscriber.pk}/",
        f"/admin/invitations/edit/{invitation.pk}/",
        f"/admin/board_recommendation/edit/{recommendation.pk}/",
        f"/admin/board_meeting/edit/{meeting.pk}/",
        f"/admin/board_expenseclaim/edit/{claim.pk}/",
        f"/admin/surveys_survey/delete/{wave.survey_id}/",
        f"/admin/surveys_wave/delete/{wave.pk}/",
        f"/admin/surveys_question/delete/{wave.questions.first().pk}/",
    ]
    for url in gets:
        assert_escaped(admin_client.get(url))
    posts = [
        f"/admin/surveys/waves/{wave.pk}/questions/",
        f"/admin/surveys/waves/{wave.pk}/reminders/",
        f"/admin/board_meeting/edit/{meeting.pk}/",
        f"/admin/surveys_survey/delete/{closed.survey_id}/",
        "/admin/engagement_newslettersubscriber/new/",
        f"/admin/engagement_newslettersubscriber/edit/{subscriber.pk}/",
        f"/admin/invitations/edit/{invitation.pk}/",
        f"/admin/board_recommendation/edit/{recommendation.pk}/",
        f"/admin/board_expenseclaim/edit/{claim.pk}/",
    ]
    meeting_fields = {
        "title": SCRIPT,
        "starts_at": "2026-01-01 10:00",
        "location": IMG,
        "online_link": "",
        "agenda": rich_text(SCRIPT),
        "notes": rich_text(""),
        "notes_status": "draft",
        "attendance-TOTAL_FORMS": "0",
        "attendance-INITIAL_FORMS": "0",
        "attendance-MIN_NUM_FORMS": "0",
        "attendance-MAX_NUM_FORMS": "1000",
    }

    @HOSTILE
    @given(
        url=st.sampled_from(gets),
        query=st.dictionaries(
            st.sampled_from(["p", "export", "download", "q", "change", "year", "wave", "fmt"]),
            hostile_value,
            max_size=3,
        ),
        post_url=st.sampled_from(posts),
        data=form_data(
            {
                "action": field(
                    "down",
                    hostile=st.one_of(
                        st.sampled_from(["up", "down", "copy", "board"]), hostile_value
                    ),
                ),
                "question": str(wave.questions.first().pk),
                "confirm": field("no", hostile=hostile_value),
                **meeting_fields,
            }
        ),
    )
    def run(url, query, post_url, data):
        assert_escaped(admin_client.get(url, query))
        rows = Rows(watch=[(subscriber, ["email"]), (recommendation, ["title", "status"])])
        response = admin_client.post(post_url, data)
        assert_escaped(response)
        if "reminders" in post_url or "questions" in post_url or "board_meeting" in post_url:
            return  # Reminders, reordering and a meeting's notes may legitimately change rows.
        if not is_success(response) or "/edit/" in post_url or "/new/" in post_url:
            rows.assert_unchanged(response)

    run()


# --- Imports -------------------------------------------------------------------------------------


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8", errors="surrogatepass")


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", str(cell))[:32_000] for cell in row])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return output.getvalue()


def declared_size(data: bytes, size: int = 0xFFFFFFF0) -> bytes:
    """The same archive, its central directory claiming every entry unpacks to ``size`` bytes."""
    data = bytearray(data)
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) != -1:
        struct.pack_into("<I", data, at + 24, size)
        at += 4
    return bytes(data)


@cache
def bad_files() -> dict[str, tuple[str, bytes]]:
    """Files an import must refuse before (or instead of) reading them as a spreadsheet."""
    headings = ["email", "term_starts", "term_ends"]
    good_csv = csv_bytes([headings, ["a@example.org", "2024-01-01", "2025-01-01"]])
    good_xlsx = xlsx_bytes([headings, ["a@example.org", "2024-01-01", "2025-01-01"]])
    billion_laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
            for i in range(1, 10)
        )
        + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row><c t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData>'
        b"</worksheet>"
    )
    with zipfile.ZipFile(io.BytesIO(good_xlsx)) as workbook:
        workbook_parts = {name: workbook.read(name) for name in workbook.namelist()}
    return {
        "CSV named .xlsx": ("data.xlsx", good_csv),
        "workbook named .csv": ("data.csv", good_xlsx),
        "old Excel 97 named .xlsx": (
            "data.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
        ),
        "PDF and workbook polyglot named .xlsx": (
            "data.xlsx",
            b"%PDF-1.4\n%\xe2\xe3\n" + good_xlsx,
        ),
        "HTML named .csv": ("data.csv", HTML),
        "program named .csv": ("data.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
        "PNG named .csv": ("data.csv", PNG),
        "zip bomb": (
            "bomb.xlsx",
            zip_bytes({"xl/worksheets/sheet1.xml": b"\x00" * (60 * 1024 * 1024)}),
        ),
        "zip bomb by declared size": ("bomb.xlsx", declared_size(good_xlsx)),
        "too many parts": ("parts.xlsx", zip_bytes({f"x/{i}.xml": b"" for i in range(1001)})),
        "malformed zip": ("data.xlsx", b"PK\x03\x04" + bytes(range(256)) * 4),
        "truncated workbook": ("data.xlsx", good_xlsx[: len(good_xlsx) // 2]),
        "zip that is not a workbook": ("data.xlsx", zip_bytes({"hello.txt": b"hello"})),
        "XML entity bomb in a workbook": (
            "data.xlsx",
            zip_bytes({**workbook_parts, "xl/worksheets/sheet1.xml": billion_laughs}),
        ),
        "latin-1 CSV": (
            "data.csv",
            "email,term_starts,term_ends\ncafé@example.org,2024-01-01,x\n".encode("latin-1"),
        ),
        "UTF-16 CSV": ("data.csv", "email,term_starts,term_ends\n".encode("utf-16")),
        "CSV with NUL": ("data.csv", good_csv.replace(b"a@", b"a\x00@")),
        "CSV not UTF-8 after 64 KB": (
            "data.csv",
            b"email,term_starts,term_ends\n"
            + b"a@example.org,2024-01-01,2025-01-01\n" * 3000
            + b"\xff\xfe@example.org,2024-01-01,2025-01-01\n",
        ),
        "empty file": ("data.csv", b""),
        "only a byte order mark": ("data.csv", b"\xef\xbb\xbf"),
        "no extension": ("data", good_csv),
        "text extension": ("data.txt", good_csv),
        "double extension": ("data.csv.exe", good_csv),
        "macro workbook": ("data.xlsm", good_xlsx),
        "unterminated quote": ("data.csv", b'email,term_starts,term_ends\n"a@example.org,2024\n'),
        "a million columns": ("data.csv", b",".join([b"h"] * 100_000) + b"\n"),
    }


@pytest.fixture
def import_urls(admin_client):
    survey = SurveyFactory(name=f"Counts {SCRIPT}")
    wave = staff_survey_wave(
        survey=SurveyFactory(),
        year=2020,
        opens_on=timezone.localdate().replace(year=2020, month=3, day=1),
        closes_on=timezone.localdate().replace(year=2020, month=3, day=31),
    )
    return {
        "board members": "/admin/board/import/members/",
        "board recommendations": "/admin/board/import/recommendations/",
        "survey responses": f"/admin/survey-data/waves/{wave.pk}/import/",
        "survey counts": f"/admin/survey-data/surveys/{survey.pk}/import-counts/",
    }


#: Refused from the bytes alone: never handed to the spreadsheet reader.
REFUSED_BEFORE_PARSING = {
    "CSV named .xlsx",
    "old Excel 97 named .xlsx",
    "PDF and workbook polyglot named .xlsx",
    "zip bomb",
    "zip bomb by declared size",
    "too many parts",
    "malformed zip",
}


@pytest.mark.parametrize("case", sorted(bad_files()))
def test_import_refuses_hostile_files(admin_client, import_urls, case):
    name, data = bad_files()[case]
    for endpoint, url in import_urls.items():
        rows = Rows()
        if case in REFUSED_BEFORE_PARSING:
            with mock.patch("openpyxl.load_workbook", side_effect=AssertionError("parsed")):
                response = admin_client.post(url, {"file": upload(name, data)})
        else:
            response = admin_client.post(url, {"file": upload(name, data)})
        assert not rows.check(response), (endpoint, case)
        form = response.context["form"]
        result = response.context.get("result")
        assert (
            form.errors.get("file")
            or (result and not result.ok)
            or response.context.get("row_errors")
        ), (endpoint, case)


def test_import_size_is_limited(admin_client, import_urls, monkeypatch):
    from surveys import import_views as survey_imports

    limit = 5 * 1024 * 1024  # The board's and the counts' own limit, not lowered.
    line = b"a@example.org,2024-01-01,2025-01-01\n"
    too_big = b"email,term_starts,term_ends\n" + line * (limit // len(line) + 1)
    assert len(too_big) > limit
    monkeypatch.setattr(survey_imports, "MAX_RESPONSE_UPLOAD_BYTES", 1024 * 1024)
    for endpoint, url in import_urls.items():
        rows = Rows()
        with mock.patch("openpyxl.load_workbook", side_effect=AssertionError("parsed")):
            response = admin_client.post(url, {"file": upload("big.csv", too_big)})
        assert not rows.check(response), endpoint
        assert "limit" in response.content.decode(), endpoint


cell = st.one_of(hostile_text, st.sampled_from(["", " ", "=1+1", "@SUM(A1)", "-2", "+44"]))


def _cells(valid_row):
    return st.tuples(*[st.one_of(st.just(v), st.just(v), cell) for v in valid_row])


def _sheet(headings, rows, as_xlsx: bool) -> tuple[str, bytes]:
    table = [headings, *rows]
    return ("import.xlsx", xlsx_bytes(table)) if as_xlsx else ("import.csv", csv_bytes(table))


hostile_headings = st.lists(
    st.one_of(hostile_text, st.sampled_from(["id", "pk", "status", ""])), max_size=2
)


def test_board_import_hostile_cells(admin_client, make_user):
    make_user(roles.BOARD_MEMBERS, email="author@example.org")  # The author_email column's.
    counter = iter(range(10_000))
    members = ["email", "first_name", "last_name", "role", "term_starts", "term_ends"]
    recommendations = [
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

    @HOSTILE
    @given(
        kind=st.sampled_from(["members", "recommendations"]),
        member_rows=st.lists(
            _cells(["{email}", "Nia", f"Jones {SCRIPT}", "member", "2024-04-01", "2026-03-31"]),
            min_size=1,
            max_size=3,
        ),
        recommendation_rows=st.lists(
            _cells(
                [
                    "",
                    f"Plain letters {SCRIPT}",
                    "Write plainly.",
                    "I could not read it.",
                    "",
                    f"Housing {IMG}",
                    "Everyone understands.",
                    "author@example.org",
                    "yes",
                    "",
                    "2024-03-05",
                ]
            ),
            min_size=1,
            max_size=3,
        ),
        extra_headings=hostile_headings,
        as_xlsx=st.booleans(),
    )
    def run(kind, member_rows, recommendation_rows, extra_headings, as_xlsx):
        if kind == "members":
            headings = members
            rows = [
                [f"imported{next(counter)}@example.org" if c == "{email}" else c for c in row]
                for row in member_rows
            ]
        else:
            headings, rows = recommendations, [list(row) for row in recommendation_rows]
        headings = [*headings, *extra_headings]
        rows = [[*row, *(["x"] * len(extra_headings))] for row in rows]
        name, data = _sheet(headings, rows, as_xlsx)
        before = Rows()
        response = admin_client.post(f"/admin/board/import/{kind}/", {"file": upload(name, data)})
        if before.check(response):
            for user in before.new(User):
                assert (
                    not user.is_staff and not user.is_superuser and not user.has_usable_password()
                )
            for recommendation in before.new(Recommendation):
                assert not hasattr(recommendation, "response") or recommendation.response is None
            assert_escaped(
                admin_client.get(
                    f"/admin/board_{'membership' if kind == 'members' else 'recommendation'}/"
                )
            )

    run()


RESPONSE_HEADINGS = [
    "equal_opportunity",
    "belonging",
    "directorate",
    "improve",
    "ethnicity",
    "submitted_on",
]


def test_survey_response_import_hostile_cells(admin_client):
    valid = ["4", "5", "people", f"More mentoring {SCRIPT}", "asian_indian", "2020-03-15"]

    @HOSTILE
    @given(
        rows=st.lists(_cells(valid), min_size=1, max_size=4),
        extra_headings=hostile_headings,
        as_xlsx=st.booleans(),
    )
    def run(rows, extra_headings, as_xlsx):
        wave = staff_survey_wave(
            survey=SurveyFactory(),
            year=2020,
            opens_on=timezone.localdate().replace(year=2020, month=3, day=1),
            closes_on=timezone.localdate().replace(year=2020, month=3, day=31),
        )
        headings = [*RESPONSE_HEADINGS, *extra_headings]
        rows = [[*row, *(["x"] * len(extra_headings))] for row in rows]
        name, data = _sheet(headings, rows, as_xlsx)
        before = Rows()
        url = f"/admin/survey-data/waves/{wave.pk}/import/"
        response = admin_client.post(url, {"file": upload(name, data)})
        if before.check(response):
            assert before.new(Response).count() == len(rows)
            for text in before.new(FreeTextAnswer):
                assert "\x00" not in text.text and len(text.text) <= 5000
            for answer in before.new(Answer).select_related("question"):
                assert answer.value in answer.question.valid_values()

    run()


def test_survey_counts_import_hostile_cells(admin_client):
    valid = ["2019", "equal_opportunity", "all", "1200", "800"]

    @HOSTILE
    @given(
        rows=st.lists(_cells(valid), min_size=1, max_size=4),
        extra_headings=hostile_headings,
        as_xlsx=st.booleans(),
    )
    def run(rows, extra_headings, as_xlsx):
        survey = staff_survey_wave(year=2025).survey
        headings = [
            *["year", "question_key", "group", "n_answering", "n_positive"],
            *extra_headings,
        ]
        rows = [[*row, *(["x"] * len(extra_headings))] for row in rows]
        name, data = _sheet(headings, rows, as_xlsx)
        before = Rows()
        url = f"/admin/survey-data/surveys/{survey.pk}/import-counts/"
        response = admin_client.post(url, {"file": upload(name, data)})
        if before.check(response):
            for count in before.new(AggregatedCount):
                assert 0 <= count.n_positive <= count.n_answering

    run()


def test_count_import_batch_pages(admin_client):
    """The preview's confirm and cancel buttons, hostile tokens in its address, and the batch
    pages: never a 500, nothing written but whole batches, a batch removed at most once."""
    survey = SurveyFactory(name=f"Counts {SCRIPT}")
    data = b"year,question_key,group,n_answering,n_positive\n2019,q,all,100,60\n"
    staged = admin_client.post(
        f"/admin/survey-data/surveys/{survey.pk}/import-counts/",
        {"file": upload("counts.csv", data, "text/csv")},
    )
    preview_url = staged["Location"]
    assert_escaped(admin_client.get(preview_url))
    checksum = admin_client.get(preview_url).context["state"]["checksum"]

    @CHEAP
    @given(
        data=form_data(
            {"checksum": field(checksum, hostile=hostile_text), "action": field("cancel")}
        ),
        token=hostile_text,
    )
    def run(data, token):
        before = Rows()
        before.check(admin_client.post(preview_url, data))
        path = quote(token.replace("/", ""), safe="")
        if path:
            assert_escaped(admin_client.get(f"/admin/survey-data/count-imports/preview/{path}/"))
            assert_escaped(admin_client.post(f"/admin/survey-data/count-imports/preview/{path}/"))
        assert not AggregatedCount.objects.filter(wave__survey=survey).exists()

    run()

    batch = CountImportBatch.objects.create(survey=survey, file_name=SCRIPT, years=[2019])
    assert_escaped(admin_client.get(f"/admin/survey-data/surveys/{survey.pk}/count-imports/"))
    assert_escaped(admin_client.get(f"/admin/survey-data/count-imports/{batch.pk}/remove/"))

    @CHEAP
    @given(data=form_data({"file": field("x", hostile=hostile_text)}))
    def replace_and_remove(data):
        replace = f"/admin/survey-data/count-imports/{batch.pk}/replace/"
        assert_escaped(admin_client.post(replace, data))
        assert_escaped(
            admin_client.post(f"/admin/survey-data/count-imports/{batch.pk}/remove/", data)
        )

    replace_and_remove()
    batch.refresh_from_db()
    assert batch.state == CountImportBatch.State.REMOVED
    removals = ModelLogEntry.objects.filter(action="surveys.count_batch.remove", object_id=batch.pk)
    assert removals.count() == 1


def test_hostile_bytes_as_any_upload(admin_client, import_urls, member, member_client):
    """Random bytes, under any name, to every upload: refused with a form error, never a 500."""
    wave = staff_survey_wave()
    targets = [(admin_client, url, "file", {}) for url in import_urls.values()] + [
        (admin_client, f"/admin/surveys/waves/{wave.pk}/invitations/", "file", {}),
        (
            member_client,
            "/members/expenses/new/",
            "receipt",
            {"kind": "travel", "amount": "1.00", "description": "Bus"},
        ),
    ]

    @CHEAP
    @given(
        target=st.sampled_from(targets),
        name=st.one_of(
            st.sampled_from(["f.csv", "f.xlsx", "f.txt", "f.pdf", "f.png", "f", ".csv", "f.CSV"]),
            hostile_text.map(lambda text: text[:200] + ".csv"),
        ),
        content=st.one_of(
            st.binary(max_size=3000),
            st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
            st.binary(max_size=500).map(lambda b: b"%PDF-" + b),
            hostile_text.map(lambda text: text.encode("utf-8")),
        ),
    )
    def run(target, name, content):
        who, url, field_name, data = target
        rows = Rows()
        response = who.post(url, {**data, field_name: upload(name, content)})
        assert_escaped(response)
        if not is_success(response) or field_name == "file":
            rows.assert_unchanged(response)

    run()


# --- Raw request bodies --------------------------------------------------------------------------

FIELD_NAMES = [
    "email",
    "title",
    "amount",
    "file",
    "receipt",
    "action",
    "code",
    "login",
    "password",
    "answer-improve",
    "q",
    "year",
    "decision",
    "confirm",
    "emails",
]


def _urlencoded(pairs) -> bytes:
    return b"&".join(name + b"=" + value for name, value in pairs)


def _multipart(parts, boundary: bytes, cut: int | None) -> bytes:
    body = (
        b"".join(
            b"--"
            + boundary
            + b'\r\nContent-Disposition: form-data; name="'
            + name
            + b'"'
            + (b'; filename="' + filename + b'"' if filename is not None else b"")
            + b"\r\nContent-Type: "
            + content_type
            + b"\r\n\r\n"
            + value
            + b"\r\n"
            for name, filename, content_type, value in parts
        )
        + b"--"
        + boundary
        + b"--\r\n"
    )
    return body[:cut] if cut is not None else body


raw_bytes = st.one_of(
    st.binary(max_size=60),
    st.sampled_from(
        [
            b"%FF%FE",
            b"%ED%A0%80",
            b"%00",
            b"\x00",
            b"\xff\xfe",
            b"\xc0\xaf",
            b"%",
            b"%%",
            b"%2",
            SCRIPT.encode(),
            b"a" * 20_000,
        ]
    ),
    st.sampled_from(FIELD_NAMES).map(str.encode),
)
raw_bodies = st.one_of(
    st.tuples(
        st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded; charset=utf-16",
                "application/x-www-form-urlencoded; charset=bogus",
                "text/plain",
                "application/json",
                "application/xml",
                "",
            ]
        ),
        st.one_of(
            st.lists(st.tuples(raw_bytes, raw_bytes), max_size=6).map(_urlencoded),
            st.binary(max_size=500),
            st.just(b'{"email": ["a", {"b": null}], "amount": 1e999}'),
        ),
    ),
    st.builds(
        lambda boundary, parts, cut, header: (
            header.format(boundary.decode("latin-1")),
            _multipart(parts, boundary, cut),
        ),
        st.sampled_from([b"B", b"----x", b"\xff", b"a" * 80]),
        st.lists(
            st.tuples(raw_bytes, st.one_of(st.none(), raw_bytes), raw_bytes, raw_bytes),
            max_size=4,
        ),
        st.one_of(st.none(), st.integers(0, 400)),
        st.sampled_from(
            [
                "multipart/form-data; boundary={}",
                'multipart/form-data; boundary="{}"',
                "multipart/form-data; boundary={}; charset=bogus",
                "multipart/form-data",
                "multipart/form-data; boundary=",
                "multipart/mixed; boundary={}",
            ]
        ),
    ),
)


def test_raw_bodies_to_every_form(client, admin_client, member_client, member, import_urls):
    """Bodies no browser would send - invalid UTF-8, broken multipart, JSON, wrong charsets - to
    every form's URL: never a 500, and nothing saved."""
    wave = staff_survey_wave()
    token = invite(wave)
    recommendation = RecommendationFactory(status=Recommendation.Status.ACKNOWLEDGED)
    claim = ExpenseClaim.objects.create(
        claimant=member, kind="travel", amount=Decimal("1"), description="Bus"
    )
    NewsletterSubscriberFactory()
    site = Site.objects.get(is_default_site=True)
    hub = _publish(EngagementHubPageFactory(parent=HomePage.objects.get()))
    stories = _publish(StoryIndexPageFactory(parent=hub))
    anonymous = Client()
    targets = [
        (anonymous, "/newsletter/sign-up/"),
        (anonymous, "/newsletter/confirm/abc/"),
        (anonymous, "/newsletter/unsubscribe/abc/"),
        (anonymous, reverse("account_login")),
        (anonymous, reverse("account_signup")),
        (anonymous, reverse("account_reset_password")),
        (anonymous, reverse("mfa_authenticate")),
        (anonymous, reverse("invitation_set_password")),
        (anonymous, f"/survey/{token}/page/1/"),
        (anonymous, f"/survey/{token}/page/2/"),
        (anonymous, f"/survey/{token}/check/"),
        (anonymous, "/search/"),
        (member_client, "/members/recommendations/new/"),
        (member_client, "/members/expenses/new/"),
        (admin_client, "/admin/invitations/new/"),
        (admin_client, f"/admin/board/recommendations/{recommendation.pk}/manage/"),
        (admin_client, f"/admin/board/expenses/{claim.pk}/decide/"),
        (admin_client, f"/admin/board/former-members/{member.pk}/erase/"),
        (admin_client, "/admin/snippets/board/councilresponse/add/"),
        (admin_client, "/admin/surveys_question/new/"),
        (admin_client, "/admin/surveys_wave/new/"),
        (admin_client, "/admin/surveys_measure/new/"),
        (admin_client, f"/admin/surveys/waves/{wave.pk}/invitations/"),
        (admin_client, f"/admin/surveys/waves/{wave.pk}/questions/"),
        (admin_client, f"/admin/surveys/waves/{wave.pk}/reminders/"),
        (admin_client, "/admin/surveys/board-evaluation/new/"),
        (admin_client, "/admin/board_servicearea/new/"),
        (admin_client, "/admin/snippets/engagement/venue/add/"),
        (admin_client, f"/admin/settings/board/boardsettings/{site.pk}/"),
        (
            admin_client,
            reverse("wagtailadmin_pages:add", args=("engagement", "storypage", stories.pk)),
        ),
        *[(admin_client, url) for url in import_urls.values()],
    ]

    @settings(HOSTILE, max_examples=60)
    @given(target=st.sampled_from(targets), body=raw_bodies)
    def run(target, body):
        who, url = target
        content_type, data = body
        rows = Rows()
        response = who.generic("POST", url, data, content_type=content_type)
        assert_escaped(response)
        if "questions" in url or "reminders" in url:
            return
        if url.startswith("/survey/"):
            # A refused page keeps the answers that were valid, sealed in this browser's draft
            # (the draft tests check what is sealed): nothing else may change.
            assert set(rows.changed()) <= {"SurveyDraft"}, rows.changed()
        elif not is_success(response):
            rows.assert_unchanged(response)
        else:
            rows.assert_whole()

    run()


# --- The bugs these tests found, one example each ------------------------------------------------


def _story(**overrides):
    data = {
        "title": "Cooking together",
        "slug": "cooking-together",
        "summary": "Food is how we say welcome.",
        "image": "",
        "image_alt": "",
        "story": streamfield([("rich_text", rich_text("<p>We cooked.</p>"))]),
        "teller_description": "a grandmother",
        "consent_reference": "",
        "teller_name": "",
        "comments": inline_formset([]),
    }
    data.update(overrides)
    return nested_form_data(data)


@pytest.mark.parametrize(
    ("case", "change"),
    [
        ("image chooser id that is not an id", lambda d: d.update({"image": "abc"})),
        ("image chooser id with NUL", lambda d: d.update({"image": "1\x00"})),
        (
            "image block id that is not an id",
            lambda d: d.update(
                {
                    "story-0-type": "image",
                    "story-0-value-image": "abc",
                    "story-0-value-alt_text": "x",
                    "story-0-value-caption": "",
                }
            ),
        ),
        ("rich text that is not Draft.js JSON", lambda d: d.update({"story-0-value": SCRIPT})),
        (
            "rich text of the wrong JSON shape",
            lambda d: d.update({"story-0-value": '{"blocks": 1}'}),
        ),
        ("stream without its count", lambda d: d.pop("story-count")),
        ("stream count not a number", lambda d: d.update({"story-count": "many"})),
        ("stream count past its parts", lambda d: d.update({"story-count": "99"})),
        ("stream part without its type", lambda d: d.pop("story-0-type")),
        ("stream part order not a number", lambda d: d.update({"story-0-order": "first"})),
    ],
)
def test_tampered_wagtail_admin_forms_are_form_errors(admin_client, hub, case, change):
    """Wagtail's choosers, rich text and StreamFields answered these with a 500
    (fixed in cms.admin_input)."""
    index = _publish(StoryIndexPageFactory(parent=hub))
    url = reverse("wagtailadmin_pages:add", args=("engagement", "storypage", index.pk))
    data = _story()
    change(data)
    rows = Rows()
    response = admin_client.post(url, data)
    assert_escaped(response)
    if case.startswith("rich text"):
        # Kept as the (escaped) text it is: nothing runs, nothing is lost.
        assert rows.check(response)
        (page,) = rows.new(Page)
        assert SCRIPT not in str(page.specific.story.raw_data)
    elif case.startswith("image block"):
        # A draft may leave a required block empty: saved, with no image.
        assert rows.check(response)
        (page,) = rows.new(Page)
        assert page.specific.story[0].value["image"] is None
    else:
        assert response.status_code == 200, case
        rows.assert_unchanged(response)


def test_nul_in_a_recommendation_reference_is_not_found(member_client):
    """The reference went to the database as it was: PostgreSQL refuses NUL (a 500)."""
    assert member_client.get("/members/recommendations/R-2024-001%00/").status_code == 404


def test_an_import_id_that_is_not_one_is_not_found(admin_client):
    """The id became a cache key as it was: NUL or 3,000 characters fail memcached (a 500)."""
    for import_id in ("%00", "a%0Ab", "x" * 3000, quote(SCRIPT, safe="")):
        assert admin_client.get(f"/admin/survey-data/imports/{import_id}/").status_code == 404


@pytest.mark.parametrize(
    "email", ["a+b@example.org", "x&next=//evil.example@example.org", "a#b@example.org"]
)
def test_an_invitation_address_is_encoded_in_the_sign_up_link(superuser, email):
    """The address went into the query string as it was: "+" became a space, "&" a parameter."""
    from urllib.parse import parse_qs, urlsplit

    client = Client()
    response = client.get(
        reverse("invitation_accept", args=[_invitation(email, inviter=superuser)])
    )
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.url).query) == {"email": [email]}


@pytest.mark.parametrize(
    "query", ['"', 'a"b', '" OR ""="', '""""', "'", "\\", "*", "NEAR(", "a AND"]
)
def test_search_terms_with_quotes_are_searched_not_a_500(client, query):
    """The SQLite search backend wraps each term in double quotes, unescaped (wagtail#13227)."""
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert_escaped(response)


def test_survey_response_import_in_the_background_with_hostile_cells(admin_client):
    """A file past SMALL_FILE_ROWS goes to the task worker: its problems reach the progress page
    escaped, and nothing is imported."""
    from surveys.import_views import SMALL_FILE_ROWS

    wave = staff_survey_wave(
        survey=SurveyFactory(),
        year=2020,
        opens_on=timezone.localdate().replace(year=2020, month=3, day=1),
        closes_on=timezone.localdate().replace(year=2020, month=3, day=31),
    )
    good = ["4", "5", "people", "Mentoring", "asian_indian", "2020-03-15"]
    rows = [good] * SMALL_FILE_ROWS + [["4", SCRIPT, "\x00", "x" * 6000, "0000-00-00", IMG]]
    before = Rows()
    response = admin_client.post(
        f"/admin/survey-data/waves/{wave.pk}/import/",
        {"file": upload("big.csv", csv_bytes([RESPONSE_HEADINGS, *rows]))},
        follow=True,
    )
    assert_escaped(response)
    assert response.redirect_chain and "/imports/" in response.redirect_chain[-1][0]
    result = response.context["result"]
    assert result is not None and not result.ok and result.imported == 0
    assert not before.new(Response).exists() and not before.new(FreeTextAnswer).exists()
