"""The declared access table: what each role SHOULD get from a GET of each URL pattern.

One row per URL pattern of ``django.urls.get_resolver()``, keyed by its full route exactly as
Django joins it (``ResolverMatch.route``), plus one row per page type and routable sub-route that
Wagtail serves below its catch-all (``page:<app.Model>`` and ``page:<app.Model>:<sub-route>``).
A key may carry a variant after `` | `` (another object, another format); every pattern needs at
least one row. The expectations come from what each role is for (DESIGN.md) and the permissions
pinned in ``tests/cms/test_roles.py`` -- least privilege -- not from what the code happens to do.
Where the product deliberately or unavoidably differs (a Wagtail view that redirects before its
permission check, a pk that cannot be meaningful), the row says so in its note. A product bug
this test found that is reported rather than fixed here is held in a ``known_bug`` row: its
``expect`` says what should be, its ``now`` what is, so the test fails once the bug is fixed.

URLs are templates filled from the objects ``test_access_matrix.build_world`` makes.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- Outcomes ----------------------------------------------------------------------------------

OK = "OK"  # 2xx; as an expectation also a 3xx to anywhere but sign-in or a denial
REDIRECT = "REDIRECT"  # 3xx elsewhere; as an expectation, only that
LOGIN = "LOGIN"  # 3xx to the sign-in page
DENIED = "DENIED"  # 403, or Wagtail's redirect to the dashboard with "no permission"
NOT_FOUND = "NOT_FOUND"  # 404
METHOD = "METHOD"  # 405: the URL only takes POST
GONE = "GONE"  # 410: a used, expired or missing single-use link
BAD_REQUEST = "BAD_REQUEST"  # 400
ERROR = "ERROR"  # 500, or the view raised
SHADOWED = "SHADOWED"  # an earlier pattern has the same route: never reached, not requested

STATUS_OUTCOMES = {
    400: BAD_REQUEST,
    403: DENIED,
    404: NOT_FOUND,
    405: METHOD,
    410: GONE,
    500: ERROR,
}


def matches(expected: str, observed: str) -> bool:
    return observed == expected or (expected == OK and observed == REDIRECT)


# --- Roles -------------------------------------------------------------------------------------

ANON = "anon"  # nobody signed in
TAKER = "taker"  # anonymous, holding a survey draft from a valid single-use invitation link
MEMBER = "member"  # board member
MANAGER = "manager"  # engagement manager
APPROVER = "approver"
ANALYST = "analyst"  # inclusion analyst
SUPERUSER = "superuser"
ROLES = (ANON, TAKER, MEMBER, MANAGER, APPROVER, ANALYST, SUPERUSER)
STAFF = (MANAGER, APPROVER, ANALYST)


def every(outcome: str, **by_role: str) -> dict[str, str]:
    unknown = set(by_role) - set(ROLES)
    assert not unknown, f"Unknown roles {unknown}"
    return {role: by_role.get(role, outcome) for role in ROLES}


def signed_in(ok: str = OK, **by_role: str) -> dict[str, str]:
    """Anyone with an account; visitors are sent to sign in."""
    return every(ok, **{ANON: LOGIN, TAKER: LOGIN, **by_role})


def members(ok: str = OK, **by_role: str) -> dict[str, str]:
    """The member area: board members only; staff and superusers are refused (403)."""
    return every(DENIED, **{ANON: LOGIN, TAKER: LOGIN, MEMBER: ok, **by_role})


def admin(*allowed: str, ok: str = OK, denied: str = DENIED, **by_role: str) -> dict[str, str]:
    """The Wagtail admin: visitors are sent to sign in; a board member (signed in, no admin
    access) gets the 403 page saying the admin is for staff (``AdminForStaffOnlyMiddleware``;
    sending them to sign in looped); the staff roles in ``allowed`` and superusers get ``ok``,
    other staff ``denied``."""
    return every(
        denied,
        **{
            ANON: LOGIN,
            TAKER: LOGIN,
            MEMBER: DENIED,
            SUPERUSER: ok,
            **dict.fromkeys(allowed, ok),
            **by_role,
        },
    )


PUBLIC = every(OK)
ACCOUNT = signed_in()
MEMBERS = members()
ANY_ADMIN = admin(MANAGER, APPROVER, ANALYST)
SUPERUSER_ONLY = admin()
MANAGERS = admin(MANAGER)
ANALYSTS = admin(ANALYST)
RESPONDERS = admin(MANAGER, APPROVER)  # council responses: managers draft, approvers publish
PAGE_USERS = admin(MANAGER, ANALYST)  # any page permission (analysts: the equality data pages)
WAGTAIL_API = "Wagtail's admin API checks admin access, not the model's permissions"
WAGTAIL_CHOOSER = "Wagtail's choosers check admin access only (creating checks add)"
# A board page: only managers hold page permissions there.
BOARD_PAGE = MANAGERS
# An annual summary below the equality data index: managers (root) and analysts (the index).
SUMMARY_PAGE = admin(MANAGER, ANALYST)


@dataclass(frozen=True)
class Row:
    expect: dict[str, str] | str
    url: str | None = None
    note: str = ""
    # Changes the browser's session: requested after every other row (in this order).
    last: int = 0
    # A product bug found by this test and reported, not yet fixed: ``expect`` is what should
    # be, ``now`` what is. The test passes on ``now`` and fails once the bug is fixed, so the
    # row is then corrected (``bug`` and ``now`` removed).
    bug: str = ""
    now: dict[str, str] | None = None


def row(expect, url: str | None = None, note: str = "", *, last: int = 0) -> Row:
    return Row(expect, url, note, last)


def known_bug(expected: Row, *, bug: str, now: dict[str, str]) -> Row:
    return Row(expected.expect, expected.url, expected.note, expected.last, bug, now)


# Arguments of the routable pages' sub-routes that take any (filled from the world).
SUBPAGE_ARGS = {
    "board.YouSaidWeDidPage:detail": ("{published_reference}",),
    "engagement.NewsIndexPage:year": ("{this_year}",),
    "engagement.NewsletterIndexPage:year": ("{this_year}",),
}

P = "/admin/pages"
S = "/admin/snippets"
CR = "/admin/snippets/board/councilresponse"
CR_CHOOSE = "/admin/snippets/choose/board/councilresponse"

TABLE: dict[str, Row] = {
    # --- The public site: pages Wagtail serves (one of each type, and each sub-route) -------------
    "^((?:[\\w\\-]+/)*)$": row(
        every(NOT_FOUND), "/no-such-page/", "the catch-all; expanded into the page: rows"
    ),
    "page:wagtailcore.Page": row(PUBLIC, note="a plain page (the site menu's sections)"),
    "page:wagtailcore.Page | unpublished": row(every(NOT_FOUND), "{draft_url}"),
    "page:wagtailcore.Page | login restriction": row(signed_in(), "/members-only/"),
    "page:wagtailcore.Page | password restriction": row(
        PUBLIC, "/with-password/", "the password form"
    ),
    "page:cms.HomePage": row(PUBLIC),
    "page:cms.AccessibilityStatementPage": row(PUBLIC),
    "page:board.BoardIndexPage": row(PUBLIC),
    "page:board.TermsOfReferencePage": row(PUBLIC),
    "page:board.YouSaidWeDidPage": row(PUBLIC),
    "page:board.YouSaidWeDidPage:detail": row(PUBLIC, note="a published council response"),
    "page:board.YouSaidWeDidPage:detail | unpublished response": row(
        every(NOT_FOUND),
        "{you_said_url}{unpublished_reference}/",
        "a drafted, unpublished response is nobody's to read here",
    ),
    "page:board.YouSaidWeDidPage:csv": row(PUBLIC, note="open data (CSV)"),
    "page:board.YouSaidWeDidPage:json": row(PUBLIC, note="open data (JSON)"),
    "page:board.MeetingNotesPage": row(PUBLIC),
    "page:surveys.EqualityDataIndexPage": row(PUBLIC),
    "page:surveys.AnnualSummaryPage": row(PUBLIC),
    "page:engagement.EngagementHubPage": row(PUBLIC),
    "page:engagement.ActivityIndexPage": row(PUBLIC),
    "page:engagement.ActivityPage": row(PUBLIC),
    "page:engagement.EventIndexPage": row(PUBLIC),
    "page:engagement.EventIndexPage:past": row(PUBLIC),
    "page:engagement.EventIndexPage:ical": row(PUBLIC, note="iCalendar feed"),
    "page:engagement.EventPage": row(PUBLIC),
    "page:engagement.EventPage:ical": row(PUBLIC, note="iCalendar"),
    "page:engagement.CulturalCalendarPage": row(PUBLIC),
    "page:engagement.CulturalCalendarPage:ical": row(PUBLIC, note="iCalendar feed"),
    "page:engagement.StoryIndexPage": row(PUBLIC),
    "page:engagement.StoryPage": row(PUBLIC),
    "page:engagement.NewsIndexPage": row(PUBLIC),
    "page:engagement.NewsIndexPage:year": row(PUBLIC),
    "page:engagement.NewsIndexPage:feed": row(PUBLIC, note="RSS feed"),
    "page:engagement.NewsPage": row(PUBLIC),
    "page:engagement.NewsletterIndexPage": row(PUBLIC),
    "page:engagement.NewsletterIndexPage:year": row(PUBLIC),
    "page:engagement.NewsletterIndexPage:feed": row(PUBLIC, note="RSS feed"),
    "page:engagement.NewsletterIssuePage": row(PUBLIC),
    # --- Other public URLs ------------------------------------------------------------------------
    "search/": row(PUBLIC, "/search/?q=letters"),
    "sitemap.xml": row(PUBLIC),
    "robots.txt": row(PUBLIC),
    "newsletter/": row(PUBLIC, note="redirects to the sign-up form"),
    "newsletter/sign-up/": row(PUBLIC),
    "newsletter/check-your-email/": row(PUBLIC),
    "newsletter/confirm/<str:token>/": row(
        PUBLIC, "/newsletter/confirm/{confirmation_token}/", "asks; only a POST confirms"
    ),
    "newsletter/confirm/<str:token>/ | unknown token": row(
        every(GONE), "/newsletter/confirm/no-such-token/"
    ),
    "newsletter/unsubscribe/<str:token>/": row(
        PUBLIC, "/newsletter/unsubscribe/{unsubscribe_token}/", "asks; only a POST unsubscribes"
    ),
    "newsletter/unsubscribe/<str:token>/ | unknown token": row(
        every(NOT_FOUND), "/newsletter/unsubscribe/no-such-token/"
    ),
    "documents/(\\d+)/(.*)$": row(
        PUBLIC, "/documents/{document}/{document_file}", "a document in the public collection"
    ),
    "documents/authenticate_with_password/<int:restriction_id>/": row(
        every(NOT_FOUND),
        "/documents/authenticate_with_password/{missing}/",
        "no collection has a password (no such restriction); rate-limited (cms.ratelimits)",
    ),
    "documents/authenticate_with_password/<int:restriction_id>/ | "
    "wagtaildocs_authenticate_with_password": row(
        SHADOWED, note="Wagtail's own form, without a rate limit, never served"
    ),
    "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/": row(
        PUBLIC,
        "/_util/authenticate_with_password/{password_restriction}/{password_page}/",
        "the page password form, rate-limited (cms.ratelimits)",
    ),
    "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/ | "
    "wagtailcore_authenticate_with_password": row(
        SHADOWED, note="Wagtail's own form, without a rate limit, never served"
    ),
    "_util/login/": row(every(LOGIN), note="sent to allauth's sign-in, with its rate limits"),
    "_util/login/ | wagtailcore_login": row(
        SHADOWED, note="Wagtail's plain LoginView for private pages never served"
    ),
    # --- The staff survey (the link's token is the credential) --------------------------------
    "survey/thank-you/": row(PUBLIC),
    "survey/<str:token>/": row(PUBLIC, "/survey/{survey_token}/", "a valid, unused link"),
    "survey/<str:token>/ | used link": row(every(GONE), "/survey/{used_survey_token}/"),
    "survey/<str:token>/ | unknown link": row(every(NOT_FOUND), "/survey/no-such-token/"),
    "survey/<str:token>/page/<int:number>/": row(PUBLIC, "/survey/{survey_token}/page/2/"),
    "survey/<str:token>/page/<int:number>/ | used link": row(
        every(GONE), "/survey/{used_survey_token}/page/1/"
    ),
    "survey/<str:token>/check/": row(
        PUBLIC,
        "/survey/{survey_token}/check/",
        "the taker's own answers; without a draft, a redirect to the first page",
    ),
    "survey/<str:token>/check/ | unknown link": row(
        every(NOT_FOUND), "/survey/no-such-token/check/"
    ),
    # --- The member area ----------------------------------------------------------------------
    "members/": row(MEMBERS),
    "members/recommendations/": row(MEMBERS),
    "members/recommendations/new/": row(MEMBERS),
    "members/board-recommendations/": row(MEMBERS),
    "members/recommendations/<str:reference>/": row(
        MEMBERS, "/members/recommendations/{own_recommendation}/", "the member's own"
    ),
    "members/recommendations/<str:reference>/ | another member's, not yet acknowledged": row(
        members(NOT_FOUND), "/members/recommendations/{others_recommendation}/"
    ),
    "members/recommendations/<str:reference>/ | acknowledged, seen by the board": row(
        MEMBERS, "/members/recommendations/{board_recommendation}/"
    ),
    "members/expenses/": row(MEMBERS),
    "members/expenses/new/": row(MEMBERS),
    "members/your-data/": row(MEMBERS),
    "members/your-data/download/": row(MEMBERS, note="GET writes the download to the audit log"),
    # --- Accounts (allauth, invitations) ------------------------------------------------------
    "accounts/invitation/set-password/": row(
        every(GONE), note="only after opening an invitation for an account an import made"
    ),
    "accounts/invitation/<str:token>/": row(
        PUBLIC,
        "/accounts/invitation/{invitation_token}/",
        "a signed-in browser is asked (only a POST signs it out); a visitor's session remembers "
        "the invitation: requested last",
        last=2,
    ),
    "accounts/invitation/<str:token>/ | unknown token": row(
        every(NOT_FOUND), "/accounts/invitation/no-such-token/"
    ),
    "accounts/login/": row(PUBLIC, note="signed-in browsers are sent on"),
    "accounts/logout/": row(PUBLIC, note="asks; only a POST signs out"),
    "accounts/inactive/": row(PUBLIC),
    "accounts/signup/": row(PUBLIC, note="closed without an invitation in the session"),
    "accounts/reauthenticate/": row(ACCOUNT),
    "accounts/reauthenticate/code/": row(ACCOUNT, note="asks for a code sent to the address"),
    "accounts/reauthenticate/code/confirm/": row(
        ACCOUNT, note="no code pending: sent back to re-authenticate"
    ),
    "accounts/email/": row(ACCOUNT),
    "accounts/confirm-email/": row(PUBLIC),
    "accounts/password/change/": row(ACCOUNT),
    "accounts/password/set/": row(ACCOUNT, note="accounts with a password are sent to change"),
    "accounts/password/reset/": row(PUBLIC),
    "accounts/login/code/confirm/": row(
        ACCOUNT, note="no login code pending: visitors are sent back to sign in"
    ),
    "accounts/confirm-email/(?P<key>[-:\\w]+)/$": row(
        PUBLIC, "/accounts/confirm-email/no-such-key/", "says the link is invalid"
    ),
    "accounts/password/reset/key/done/": row(PUBLIC),
    "accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": row(
        PUBLIC, "/accounts/password/reset/key/1-no-such-key/", "says the link is invalid"
    ),
    "accounts/password/reset/done/": row(PUBLIC),
    "accounts/2fa/": row(ACCOUNT),
    "accounts/2fa/authenticate/": row(
        ACCOUNT, note="only in the middle of signing in: visitors back to sign in, others on"
    ),
    "accounts/2fa/reauthenticate/": row(ACCOUNT),
    "accounts/2fa/totp/activate/": row(ACCOUNT, note="already active: sent to the 2FA page"),
    "accounts/2fa/totp/deactivate/": row(ACCOUNT, note="asks; only a POST deactivates"),
    "accounts/2fa/recovery-codes/": row(ACCOUNT, note="the user's own codes"),
    "accounts/2fa/recovery-codes/generate/": row(ACCOUNT, note="asks; only a POST generates"),
    "accounts/2fa/recovery-codes/download/": row(ACCOUNT, note="the user's own codes"),
    # --- The Wagtail admin: sign-in, assets, catch-all ------------------------------------------
    "admin/login/": row(every(LOGIN), note="sent to allauth's sign-in, with the second factor"),
    "admin/login/ | wagtailadmin_login": row(SHADOWED, note="Wagtail's own form never served"),
    "admin/password_reset/": row(PUBLIC, note="sent to allauth's password reset"),
    "admin/password_reset/ | wagtailadmin_password_reset": row(SHADOWED),
    "admin/password_reset/done/": row(every(NOT_FOUND), note="Wagtail's reset is disabled"),
    "admin/password_reset/confirm/<uidb64>/<token>/": row(
        every(NOT_FOUND), "/admin/password_reset/confirm/MQ/no-such-token/"
    ),
    "admin/password_reset/complete/": row(every(NOT_FOUND)),
    "admin/sprite/": row(PUBLIC, note="the icon sprite"),
    "admin/jsi18n/": row(PUBLIC, note="the admin's JavaScript translations"),
    "admin/.*/$": row(admin(MANAGER, APPROVER, ANALYST, ok=NOT_FOUND), "/admin/no-such-view/"),
    "admin/.*/$ | recommendations have no add view": row(
        admin(MANAGER, APPROVER, ANALYST, ok=NOT_FOUND),
        "/admin/board_recommendation/new/",
        "members submit recommendations: the admin has no form to write one",
    ),
    "admin/": row(ANY_ADMIN, note="the dashboard"),
    "admin/test404/": row(ANY_ADMIN, note="Wagtail's 404 template, as a page"),
    "admin/failwhale/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=ERROR), note="Wagtail's deliberate error"
    ),
    "admin/account/": row(ANY_ADMIN),
    "admin/logout/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        note="POST only, but Wagtail deletes the session cookie even on a refused GET: requested "
        "after every other row",
        last=1,
    ),
    "admin/dismissibles/": row(ANY_ADMIN),
    "admin/block-preview/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=NOT_FOUND), note="no block to preview"
    ),
    "admin/editing-sessions/ping/<str:app_label>/<str:model_name>/<str:object_id>/<int:session_id>/": row(  # noqa: E501
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/editing-sessions/ping/wagtailcore/page/{board_index}/{editing_session}/",
        "POST only",
    ),
    "admin/editing-sessions/release/<int:session_id>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/editing-sessions/release/{editing_session}/",
        "POST only",
    ),
    "admin/tag-autocomplete/": row(ANY_ADMIN),
    "admin/tag-autocomplete/<slug:app_name>/<slug:model_name>/": row(
        ANY_ADMIN, "/admin/tag-autocomplete/taggit/tag/", "no model here is tagged: no tags"
    ),
    "admin/bulk/<str:app_label>/<str:model_name>/<str:action>/": row(
        ANY_ADMIN,
        "/admin/bulk/wagtailcore/page/publish/?id={board_index}",
        "asks, listing the pages each may not publish; the POST checks each page",
    ),
    "admin/bulk/<str:app_label>/<str:model_name>/<str:action>/ | council responses": row(
        ANY_ADMIN,
        "/admin/bulk/board/councilresponse/delete/?id={council_response}",
        "asks, listing the responses each may not delete (only superusers may, never a "
        "published one); snippets have no bulk publish or unpublish",
    ),
    # --- Admin API (the page, image and document choosers read it) ------------------------------
    "admin/api/main/pages/": row(ANY_ADMIN),
    "admin/api/main/pages/<int:pk>/": row(
        admin(MANAGER, approver=NOT_FOUND, analyst=NOT_FOUND),
        "/admin/api/main/pages/{board_index}/",
        "a page outside what one may explore is not found",
    ),
    "admin/api/main/pages/find/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=NOT_FOUND), note="no path given: nothing found"
    ),
    "admin/api/main/pages/<int:pk>/action/<str:action_name>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/api/main/pages/{board_index}/action/copy/",
        "POST only",
    ),
    # Wagtail's admin API checks admin access only: approvers, who hold no image or document
    # permission, read the titles and public URLs of documents and images (all public here).
    "admin/api/main/documents/": row(ANY_ADMIN, note=WAGTAIL_API),
    "admin/api/main/documents/<int:pk>/": row(
        ANY_ADMIN, "/admin/api/main/documents/{document}/", WAGTAIL_API
    ),
    "admin/api/main/documents/find/": row(admin(MANAGER, APPROVER, ANALYST, ok=NOT_FOUND)),
    "admin/api/main/images/": row(ANY_ADMIN, note=WAGTAIL_API),
    "admin/api/main/images/<int:pk>/": row(
        ANY_ADMIN, "/admin/api/main/images/{image}/", WAGTAIL_API
    ),
    "admin/api/main/images/find/": row(admin(MANAGER, APPROVER, ANALYST, ok=NOT_FOUND)),
    # --- Pages in the admin (a board page unless the row says otherwise) --------------------------
    "admin/pages/": row(PAGE_USERS, note="the explorer's root"),
    "admin/pages/<int:parent_page_id>/": row(
        PAGE_USERS,
        f"{P}/{{board_index}}/",
        "anyone with a page permission may browse the tree; actions are per page",
    ),
    "admin/pages/<int:parent_page_id>/ | equality data index": row(
        SUMMARY_PAGE, f"{P}/{{equality_index}}/"
    ),
    "admin/pages/<int:parent_page_id>/results/": row(PAGE_USERS, f"{P}/{{board_index}}/results/"),
    "admin/pages/add/<slug:content_type_app_name>/<slug:content_type_model_name>/<int:parent_page_id>/": row(  # noqa: E501
        BOARD_PAGE, f"{P}/add/engagement/newspage/{{news_index}}/"
    ),
    "admin/pages/add/<slug:content_type_app_name>/<slug:content_type_model_name>/<int:parent_page_id>/ | annual summary": row(  # noqa: E501
        SUMMARY_PAGE, f"{P}/add/surveys/annualsummarypage/{{equality_index}}/"
    ),
    "admin/pages/add/<slug:content_type_app_name>/<slug:content_type_model_name>/<int:parent_page_id>/preview/": row(  # noqa: E501
        BOARD_PAGE, f"{P}/add/engagement/newspage/{{news_index}}/preview/"
    ),
    "admin/pages/usage/<slug:content_type_app_name>/<slug:content_type_model_name>/": row(
        PAGE_USERS, f"{P}/usage/engagement/newspage/"
    ),
    "admin/pages/usage/<slug:content_type_app_name>/<slug:content_type_model_name>/results/": row(
        PAGE_USERS, f"{P}/usage/engagement/newspage/results/"
    ),
    "admin/pages/create/<slug:app_label>/<slug:model_name>": row(
        ANY_ADMIN,
        f"{P}/create/engagement/newspage",
        "lists the parents each may add a news page to (none but for managers)",
    ),
    "admin/pages/<int:page_id>/usage/": row(BOARD_PAGE, f"{P}/{{board_index}}/usage/"),
    "admin/pages/<int:page_id>/edit/": row(BOARD_PAGE, f"{P}/{{board_index}}/edit/"),
    "admin/pages/<int:page_id>/edit/ | annual summary": row(SUMMARY_PAGE, f"{P}/{{summary}}/edit/"),
    "admin/pages/<int:page_id>/edit/preview/": row(
        BOARD_PAGE, f"{P}/{{board_index}}/edit/preview/"
    ),
    "admin/pages/<int:page_id>/view_draft/": row(BOARD_PAGE, f"{P}/{{board_index}}/view_draft/"),
    "admin/pages/<int:parent_page_id>/add_subpage/": row(
        BOARD_PAGE, f"{P}/{{board_index}}/add_subpage/"
    ),
    "admin/pages/<int:page_id>/delete/": row(
        BOARD_PAGE,
        f"{P}/{{board_index}}/delete/",
        "a page without children: in Wagtail, edit and publish include deleting it",
    ),
    "admin/pages/<int:page_id>/unpublish/": row(BOARD_PAGE, f"{P}/{{board_index}}/unpublish/"),
    "admin/pages/<int:page_id>/convert_alias/": row(
        BOARD_PAGE, f"{P}/{{alias}}/convert_alias/", "an alias of a news page"
    ),
    "admin/pages/search/": row(PAGE_USERS),
    "admin/pages/search/results/": row(PAGE_USERS),
    "admin/pages/<int:page_to_move_id>/move/": row(
        BOARD_PAGE, f"{P}/{{board_index}}/move/", "moving is as deleting (see delete)"
    ),
    "admin/pages/<int:page_to_move_id>/move/<int:destination_id>/confirm/": row(
        ANY_ADMIN,
        f"{P}/{{board_index}}/move/{{equality_index}}/confirm/",
        "Wagtail's confirmation (two titles) checks nothing; the POST checks the move",
    ),
    "admin/pages/<int:page_to_move_id>/set_position/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        f"{P}/{{board_index}}/set_position/",
        "POST only",
    ),
    "admin/pages/<int:page_id>/copy/": row(BOARD_PAGE, f"{P}/{{board_index}}/copy/"),
    "admin/pages/workflow/action/<int:page_id>/<slug:action_name>/<int:task_state_id>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=NOT_FOUND),
        f"{P}/workflow/action/{{board_index}}/approve/{{missing}}/",
        "pages have no workflow here: no task state to act on",
    ),
    "admin/pages/workflow/collect_action_data/<int:page_id>/<slug:action_name>/<int:task_state_id>/": row(  # noqa: E501
        admin(MANAGER, APPROVER, ANALYST, ok=NOT_FOUND),
        f"{P}/workflow/collect_action_data/{{board_index}}/approve/{{missing}}/",
        "pages have no workflow here: no task state to act on",
    ),
    "admin/pages/workflow/confirm_cancellation/<int:page_id>/": row(
        ANY_ADMIN,
        f"{P}/workflow/confirm_cancellation/{{board_index}}/",
        "in no workflow: Wagtail answers 'no confirmation needed' to any admin user",
    ),
    "admin/pages/workflow/preview/<int:page_id>/<int:task_id>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=REDIRECT),
        f"{P}/workflow/preview/{{board_index}}/{{task}}/",
        "the page is in no workflow: sent to the dashboard",
    ),
    "admin/pages/<int:page_id>/privacy/": row(BOARD_PAGE, f"{P}/{{board_index}}/privacy/"),
    "admin/pages/<int:page_id>/lock/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD), f"{P}/{{board_index}}/lock/", "POST only"
    ),
    "admin/pages/<int:page_id>/unlock/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        f"{P}/{{board_index}}/unlock/",
        "POST only",
    ),
    "admin/pages/<int:page_id>/revisions/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=REDIRECT),
        f"{P}/{{board_index}}/revisions/",
        "sent to the page's history, which checks",
    ),
    "admin/pages/<int:page_id>/revisions/<int:revision_id>/view/": row(
        BOARD_PAGE, f"{P}/{{board_index}}/revisions/{{page_revision}}/view/"
    ),
    "admin/pages/<int:page_id>/revisions/<int:revision_id>/revert/": row(
        BOARD_PAGE, f"{P}/{{board_index}}/revisions/{{page_revision}}/revert/"
    ),
    "admin/pages/<int:page_id>/revisions/<int:revision_id>/unschedule/": row(
        BOARD_PAGE,
        f"{P}/{{board_index}}/revisions/{{page_revision}}/unschedule/",
        "asks; only a POST unschedules",
    ),
    "admin/pages/(?P<pk>\\d+)/revisions/compare/(?P<revision_id_a>live|earliest|\\d+)\\.\\.\\.(?P<revision_id_b>live|latest|\\d+)/$": row(  # noqa: E501
        BOARD_PAGE, f"{P}/{{board_index}}/revisions/compare/earliest...latest/"
    ),
    "admin/pages/<int:page_id>/workflow_history/": row(
        BOARD_PAGE, f"{P}/{{board_index}}/workflow_history/"
    ),
    "admin/pages/<int:page_id>/workflow_history/detail/<int:workflow_state_id>/": row(
        admin(MANAGER, ok=NOT_FOUND),
        f"{P}/{{board_index}}/workflow_history/detail/{{missing}}/",
        "the page was never in a workflow",
    ),
    "admin/pages/<int:page_id>/history/": row(BOARD_PAGE, f"{P}/{{board_index}}/history/"),
    "admin/pages/<int:page_id>/history/results/": row(
        BOARD_PAGE, f"{P}/{{board_index}}/history/results/"
    ),
    # --- Choosers ---------------------------------------------------------------------------
    "admin/choose-page/": row(ANY_ADMIN, note="links in rich text: any editor"),
    "admin/choose-page/<int:parent_page_id>/": row(ANY_ADMIN, "/admin/choose-page/{board_index}/"),
    "admin/choose-page/search/": row(ANY_ADMIN),
    "admin/choose-page/chosen-multiple/": row(ANY_ADMIN),
    "admin/choose-external-link/": row(ANY_ADMIN),
    "admin/choose-email-link/": row(ANY_ADMIN),
    "admin/choose-phone-link/": row(ANY_ADMIN),
    "admin/choose-anchor-link/": row(ANY_ADMIN),
    "admin/embeds/chooser/": row(ANY_ADMIN),
    "admin/embeds/chooser/upload/": row(ANY_ADMIN),
    # --- Collections, workflows, reports, settings, sites, users, groups, redirects, forms --------
    "admin/collections/": row(SUPERUSER_ONLY),
    "admin/collections/add/": row(SUPERUSER_ONLY),
    "admin/collections/<int:pk>/": row(SUPERUSER_ONLY, "/admin/collections/{collection}/"),
    "admin/collections/<int:pk>/delete/": row(
        admin(manager=NOT_FOUND, approver=NOT_FOUND, analyst=NOT_FOUND),
        "/admin/collections/{collection}/delete/",
        "only collections one may delete are found",
    ),
    "admin/collections/<int:collection_id>/privacy/": row(
        SUPERUSER_ONLY, "/admin/collections/{collection}/privacy/"
    ),
    "admin/workflows/list/": row(SUPERUSER_ONLY),
    "admin/workflows/list/results/": row(SUPERUSER_ONLY),
    "admin/workflows/add/": row(SUPERUSER_ONLY),
    "admin/workflows/enable/<int:pk>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/workflows/enable/{workflow}/",
        "POST only",
    ),
    "admin/workflows/disable/<int:pk>/": row(
        SUPERUSER_ONLY, "/admin/workflows/disable/{workflow}/", "asks; only a POST disables"
    ),
    "admin/workflows/edit/<int:pk>/": row(SUPERUSER_ONLY, "/admin/workflows/edit/{workflow}/"),
    "admin/workflows/usage/<int:pk>/": row(SUPERUSER_ONLY, "/admin/workflows/usage/{workflow}/"),
    "admin/workflows/usage/<int:pk>/results/": row(
        SUPERUSER_ONLY, "/admin/workflows/usage/{workflow}/results/"
    ),
    "admin/workflows/remove/<int:page_pk>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/workflows/remove/{board_index}/",
        "POST only",
    ),
    "admin/workflows/remove/<int:page_pk>/<int:workflow_pk>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/workflows/remove/{board_index}/{workflow}/",
        "POST only",
    ),
    "admin/workflows/tasks/add/<str:app_label>/<str:model_name>/": row(
        SUPERUSER_ONLY, "/admin/workflows/tasks/add/wagtailcore/groupapprovaltask/"
    ),
    "admin/workflows/tasks/select_type/": row(SUPERUSER_ONLY),
    "admin/workflows/tasks/index/": row(SUPERUSER_ONLY),
    "admin/workflows/tasks/index/results/": row(SUPERUSER_ONLY),
    "admin/workflows/tasks/edit/<int:pk>/": row(
        SUPERUSER_ONLY, "/admin/workflows/tasks/edit/{task}/"
    ),
    "admin/workflows/tasks/disable/<int:pk>/": row(
        SUPERUSER_ONLY, "/admin/workflows/tasks/disable/{task}/", "asks; only a POST disables"
    ),
    "admin/workflows/tasks/enable/<int:pk>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/workflows/tasks/enable/{task}/",
        "POST only",
    ),
    "admin/workflows/task_chooser/": row(ANY_ADMIN, note=WAGTAIL_CHOOSER),
    "admin/workflows/task_chooser/results/": row(ANY_ADMIN, note=WAGTAIL_CHOOSER),
    "admin/workflows/task_chooser/create/": row(
        ANY_ADMIN, note="without add_task no form is offered, and a POST is refused"
    ),
    "admin/workflows/task_chooser/<int:task_id>/": row(
        ANY_ADMIN, "/admin/workflows/task_chooser/{task}/", WAGTAIL_CHOOSER
    ),
    "admin/reports/locked/": row(MANAGERS, note="for those who may lock or unlock pages"),
    "admin/reports/locked/results/": row(MANAGERS),
    "admin/reports/workflow/": row(PAGE_USERS),
    "admin/reports/workflow/results/": row(PAGE_USERS),
    "admin/reports/workflow_tasks/": row(PAGE_USERS),
    "admin/reports/workflow_tasks/results/": row(PAGE_USERS),
    "admin/reports/site-history/": row(ANY_ADMIN, note="filtered to what each may see"),
    "admin/reports/site-history/results/": row(ANY_ADMIN),
    "admin/reports/aging-pages/": row(PAGE_USERS),
    "admin/reports/aging-pages/results/": row(PAGE_USERS),
    "admin/reports/page-types-usage/": row(PAGE_USERS),
    "admin/reports/page-types-usage/results/": row(PAGE_USERS),
    "admin/settings/<slug:app_name>/<slug:model_name>/": row(
        MANAGERS, "/admin/settings/cms/sitesettings/", "sent to the default site's settings"
    ),
    "admin/settings/<slug:app_name>/<slug:model_name>/ | board settings": row(
        MANAGERS, "/admin/settings/board/boardsettings/"
    ),
    "admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/": row(
        MANAGERS, "/admin/settings/cms/sitesettings/{site}/"
    ),
    "admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/ | board settings": row(
        MANAGERS, "/admin/settings/board/boardsettings/{site}/"
    ),
    "admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/preview/": row(
        admin(MANAGER, ok=NOT_FOUND),
        "/admin/settings/cms/sitesettings/{site}/preview/",
        "settings have no preview",
    ),
    "admin/sites/": row(SUPERUSER_ONLY),
    "admin/sites/results/": row(SUPERUSER_ONLY),
    "admin/sites/new/": row(SUPERUSER_ONLY),
    "admin/sites/edit/<int:pk>/": row(SUPERUSER_ONLY, "/admin/sites/edit/{site}/"),
    "admin/sites/delete/<int:pk>/": row(SUPERUSER_ONLY, "/admin/sites/delete/{site}/"),
    "admin/sites/history/<int:pk>/": row(SUPERUSER_ONLY, "/admin/sites/history/{site}/"),
    "admin/sites/history-results/<int:pk>/": row(
        SUPERUSER_ONLY, "/admin/sites/history-results/{site}/"
    ),
    "admin/sites/usage/<int:pk>/": row(SUPERUSER_ONLY, "/admin/sites/usage/{site}/"),
    "admin/sites/copy/<int:pk>/": row(SUPERUSER_ONLY, "/admin/sites/copy/{site}/"),
    "admin/users/": row(SUPERUSER_ONLY, note="managers invite; they do not manage accounts"),
    "admin/users/results/": row(SUPERUSER_ONLY),
    "admin/users/new/": row(SUPERUSER_ONLY),
    "admin/users/edit/<int:pk>/": row(
        SUPERUSER_ONLY, "/admin/users/edit/{user}/", "GET writes a personal-data view to the log"
    ),
    "admin/users/delete/<int:pk>/": row(SUPERUSER_ONLY, "/admin/users/delete/{user}/"),
    "admin/users/history/<int:pk>/": row(SUPERUSER_ONLY, "/admin/users/history/{user}/"),
    "admin/users/history-results/<int:pk>/": row(
        SUPERUSER_ONLY, "/admin/users/history-results/{user}/"
    ),
    "admin/users/usage/<int:pk>/": row(SUPERUSER_ONLY, "/admin/users/usage/{user}/"),
    "admin/users/copy/<int:pk>/": row(SUPERUSER_ONLY, "/admin/users/copy/{user}/"),
    "admin/groups/": row(SUPERUSER_ONLY),
    "admin/groups/results/": row(SUPERUSER_ONLY),
    "admin/groups/new/": row(SUPERUSER_ONLY),
    "admin/groups/edit/<int:pk>/": row(SUPERUSER_ONLY, "/admin/groups/edit/{group}/"),
    "admin/groups/delete/<int:pk>/": row(SUPERUSER_ONLY, "/admin/groups/delete/{group}/"),
    "admin/groups/history/<int:pk>/": row(SUPERUSER_ONLY, "/admin/groups/history/{group}/"),
    "admin/groups/history-results/<int:pk>/": row(
        SUPERUSER_ONLY, "/admin/groups/history-results/{group}/"
    ),
    "admin/groups/usage/<int:pk>/": row(SUPERUSER_ONLY, "/admin/groups/usage/{group}/"),
    "admin/redirects/": row(SUPERUSER_ONLY),
    "admin/redirects/results/": row(SUPERUSER_ONLY),
    "admin/redirects/add/": row(SUPERUSER_ONLY),
    "admin/redirects/<int:redirect_id>/": row(SUPERUSER_ONLY, "/admin/redirects/{redirect}/"),
    "admin/redirects/<int:redirect_id>/delete/": row(
        SUPERUSER_ONLY, "/admin/redirects/{redirect}/delete/"
    ),
    "admin/redirects/import/": row(SUPERUSER_ONLY),
    "admin/redirects/import/process/": row(admin(ok=METHOD), note="POST only"),
    "admin/forms/": row(PAGE_USERS, note="the project has no form pages: an empty list"),
    "admin/forms/results/": row(PAGE_USERS),
    "admin/forms/submissions/<int:page_id>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=NOT_FOUND),
        "/admin/forms/submissions/{board_index}/",
        "not a form page",
    ),
    "admin/forms/submissions/<int:page_id>/results/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=NOT_FOUND),
        "/admin/forms/submissions/{board_index}/results/",
        "not a form page",
    ),
    "admin/forms/submissions/<int:page_id>/delete/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=DENIED),
        "/admin/forms/submissions/{board_index}/delete/",
        "not a form page",
    ),
    # --- Images and documents (collection permissions on the root: cms migration 0006) --------
    "admin/images/": row(MANAGERS, note="analysts may only choose images"),
    "admin/images/results/": row(MANAGERS),
    "admin/images/add/": row(MANAGERS),
    "admin/images/<int:image_id>/": row(MANAGERS, "/admin/images/{image}/"),
    "admin/images/<int:image_id>/delete/": row(
        MANAGERS,
        "/admin/images/{image}/delete/",
        "managers curate the library: Wagtail's change permission includes delete",
    ),
    "admin/images/<int:image_id>/generate_url/": row(
        admin(MANAGER, ok=NOT_FOUND),
        "/admin/images/{image}/generate_url/",
        "no dynamic image serve view is configured",
    ),
    "admin/images/<int:image_id>/generate_url/output/": row(
        admin(MANAGER, ok=NOT_FOUND),
        "/admin/images/{image}/generate_url/output/",
        "no dynamic image serve view is configured",
    ),
    "admin/images/<int:image_id>/preview/<str:filter_spec>/": row(
        MANAGERS, "/admin/images/{image}/preview/original/"
    ),
    "admin/images/usage/<int:image_id>/": row(MANAGERS, "/admin/images/usage/{image}/"),
    "admin/images/multiple/add/": row(MANAGERS),
    "admin/images/multiple/<int:image_id>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD), "/admin/images/multiple/{image}/", "POST only"
    ),
    "admin/images/multiple/create_from_uploaded_image/<int:uploaded_file_id>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/images/multiple/create_from_uploaded_image/{missing}/",
        "POST only",
    ),
    "admin/images/multiple/<int:image_id>/delete/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/images/multiple/{image}/delete/",
        "POST only",
    ),
    "admin/images/multiple/delete_upload/<int:uploaded_file_id>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/images/multiple/delete_upload/{missing}/",
        "POST only",
    ),
    "admin/images/chooser/": row(ANY_ADMIN, note="lists only the images each may choose"),
    "admin/images/chooser/results/": row(ANY_ADMIN, note="lists only the images each may choose"),
    "admin/images/chooser/chosen/<str:pk>/": row(
        SUMMARY_PAGE, "/admin/images/chooser/chosen/{image}/"
    ),
    "admin/images/chooser/chosen-multiple/": row(
        ANY_ADMIN, "/admin/images/chooser/chosen-multiple/?id={image}", WAGTAIL_CHOOSER
    ),
    "admin/images/chooser/create/": row(MANAGERS),
    "admin/images/chooser/<int:image_id>/select_format/": row(
        SUMMARY_PAGE, "/admin/images/chooser/{image}/select_format/"
    ),
    "admin/documents/": row(admin(MANAGER, ANALYST)),
    "admin/documents/results/": row(admin(MANAGER, ANALYST)),
    "admin/documents/add/": row(admin(MANAGER, ANALYST)),
    "admin/documents/edit/<int:document_id>/": row(
        MANAGERS,
        "/admin/documents/edit/{document}/",
        "an analyst edits only documents they uploaded; this one is someone else's",
    ),
    "admin/documents/delete/<int:document_id>/": row(
        MANAGERS,
        "/admin/documents/delete/{document}/",
        "managers curate the library; an analyst deletes only their own uploads",
    ),
    "admin/documents/usage/<int:document_id>/": row(
        MANAGERS, "/admin/documents/usage/{document}/", "for documents one may change"
    ),
    "admin/documents/multiple/add/": row(admin(MANAGER, ANALYST)),
    "admin/documents/multiple/<int:doc_id>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/documents/multiple/{document}/",
        "POST only",
    ),
    "admin/documents/multiple/create_from_uploaded_document/<int:uploaded_file_id>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/documents/multiple/create_from_uploaded_document/{missing}/",
        "POST only",
    ),
    "admin/documents/multiple/<int:doc_id>/delete/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/documents/multiple/{document}/delete/",
        "POST only",
    ),
    "admin/documents/multiple/delete_upload/<int:uploaded_file_id>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=METHOD),
        "/admin/documents/multiple/delete_upload/{missing}/",
        "POST only",
    ),
    "admin/documents/chooser/": row(ANY_ADMIN, note="lists only the documents each may choose"),
    "admin/documents/chooser/results/": row(
        ANY_ADMIN, note="lists only the documents each may choose"
    ),
    "admin/documents/chooser/chosen/<str:pk>/": row(
        admin(MANAGER, ANALYST), "/admin/documents/chooser/chosen/{document}/"
    ),
    "admin/documents/chooser/chosen-multiple/": row(
        ANY_ADMIN, "/admin/documents/chooser/chosen-multiple/?id={document}", WAGTAIL_CHOOSER
    ),
    "admin/documents/chooser/create/": row(admin(MANAGER, ANALYST)),
    # --- Snippets: council responses (managers draft, approvers publish) and engagement ----------
    "admin/snippets/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=DENIED),
        note="every snippet has its own menu: Wagtail's list of snippet types is empty",
    ),
    f"{CR[1:]}/": row(RESPONDERS),
    f"{CR[1:]}/results/": row(RESPONDERS),
    f"{CR[1:]}/add/": row(MANAGERS),
    f"{CR[1:]}/edit/<int:pk>/": row(
        RESPONDERS,
        f"{CR}/edit/{{council_response}}/",
        "in review: managers get Wagtail's locked editor, reviewers (approvers, superusers) are "
        "sent to the review page; approvers never edit",
    ),
    f"{CR[1:]}/inspect/<int:pk>/": row(
        RESPONDERS,
        f"{CR}/inspect/{{council_response}}/",
        "the read-only review page: the recommendation, the text as submitted, the decision",
    ),
    f"{CR[1:]}/delete/<int:pk>/": row(
        SUPERUSER_ONLY, f"{CR}/delete/{{council_response}}/", "responses are never deleted"
    ),
    f"{CR[1:]}/usage/<int:pk>/": row(
        MANAGERS, f"{CR}/usage/{{council_response}}/", "Wagtail asks for change: approvers read"
    ),
    f"{CR[1:]}/history/<int:pk>/": row(RESPONDERS, f"{CR}/history/{{council_response}}/"),
    f"{CR[1:]}/history-results/<int:pk>/": row(
        RESPONDERS, f"{CR}/history-results/{{council_response}}/"
    ),
    f"{CR[1:]}/copy/<int:pk>/": row(MANAGERS, f"{CR}/copy/{{council_response}}/"),
    f"{CR[1:]}/history/<int:pk>/revisions/<int:revision_id>/revert/": row(
        RESPONDERS,
        f"{CR}/history/{{council_response}}/revisions/{{response_revision}}/revert/",
        "reverting is an edit: approvers (and reviewers in review) are sent to the review page",
    ),
    f"{CR[1:]}/history/(?P<pk>.+)/revisions/compare/(?P<revision_id_a>live|earliest|\\d+)\\.\\.\\.(?P<revision_id_b>live|latest|\\d+)/$": row(  # noqa: E501
        RESPONDERS, f"{CR}/history/{{council_response}}/revisions/compare/earliest...latest/"
    ),
    f"{CR[1:]}/history/<int:pk>/revisions/<int:revision_id>/unschedule/": row(
        admin(APPROVER),
        f"{CR}/history/{{council_response}}/revisions/{{response_revision}}/unschedule/",
        "publishing is the approvers': asks; only a POST unschedules",
    ),
    f"{CR[1:]}/unpublish/<int:pk>/": row(
        RESPONDERS,
        f"{CR}/unpublish/{{council_response}}/",
        "the two-person withdrawal: a manager asks, an approver agrees (a bare POST does nothing)",
    ),
    f"{CR[1:]}/lock/<int:pk>/": row(
        admin(APPROVER, ok=METHOD),
        f"{CR}/lock/{{council_response}}/",
        "POST only; while in the approval workflow only its reviewers (approvers) may lock",
    ),
    f"{CR[1:]}/unlock/<int:pk>/": row(
        admin(ok=METHOD),
        f"{CR}/unlock/{{council_response}}/",
        "POST only; in the approval workflow and locked by nobody: no role may unlock",
    ),
    f"{CR[1:]}/workflow/action/<int:pk>/<slug:action_name>/<int:task_state_id>/": row(
        admin(APPROVER),
        f"{CR}/workflow/action/{{council_response}}/approve/{{response_task_state}}/",
        "the approval task is the Approvers' alone",
    ),
    f"{CR[1:]}/workflow/collect_action_data/<int:pk>/<slug:action_name>/<int:task_state_id>/": row(
        admin(APPROVER),
        f"{CR}/workflow/collect_action_data/{{council_response}}/approve/{{response_task_state}}/",
        "the approval task is the Approvers' alone",
    ),
    f"{CR[1:]}/workflow/confirm_cancellation/<int:pk>/": row(
        ANY_ADMIN,
        f"{CR}/workflow/confirm_cancellation/{{council_response}}/",
        "Wagtail answers whether cancelling needs confirming to any admin user",
    ),
    f"{CR[1:]}/workflow_history/<int:pk>/": row(
        RESPONDERS, f"{CR}/workflow_history/{{council_response}}/"
    ),
    f"{CR[1:]}/workflow_history/<int:pk>/detail/<int:workflow_state_id>/": row(
        RESPONDERS,
        f"{CR}/workflow_history/{{council_response}}/detail/{{response_workflow_state}}/",
    ),
    # Choosers: titles of responses ("Response to R-...: <recommendation title>") to any admin.
    f"{CR_CHOOSE[1:]}/": row(ANY_ADMIN, note=WAGTAIL_CHOOSER),
    f"{CR_CHOOSE[1:]}/results/": row(ANY_ADMIN, note=WAGTAIL_CHOOSER),
    f"{CR_CHOOSE[1:]}/chosen/<str:pk>/": row(
        ANY_ADMIN, f"{CR_CHOOSE}/chosen/{{council_response}}/", WAGTAIL_CHOOSER
    ),
    f"{CR_CHOOSE[1:]}/chosen-multiple/": row(
        ANY_ADMIN, f"{CR_CHOOSE}/chosen-multiple/?id={{council_response}}", WAGTAIL_CHOOSER
    ),
    f"{CR_CHOOSE[1:]}/create/": row(MANAGERS),
}


def _engagement_snippet(model: str, pk: str) -> dict[str, Row]:
    """The rows of one engagement snippet (venues, organisers, calendar dates): managers'."""
    base, choose = f"{S}/engagement/{model}", f"{S}/choose/engagement/{model}"
    r = base[1:]
    c = choose[1:]
    return {
        f"{r}/": row(MANAGERS),
        f"{r}/results/": row(MANAGERS),
        f"{r}/add/": row(MANAGERS),
        f"{r}/edit/<int:pk>/": row(MANAGERS, f"{base}/edit/{{{pk}}}/"),
        f"{r}/delete/<int:pk>/": row(MANAGERS, f"{base}/delete/{{{pk}}}/"),
        f"{r}/usage/<int:pk>/": row(MANAGERS, f"{base}/usage/{{{pk}}}/"),
        f"{r}/history/<int:pk>/": row(MANAGERS, f"{base}/history/{{{pk}}}/"),
        f"{r}/history-results/<int:pk>/": row(MANAGERS, f"{base}/history-results/{{{pk}}}/"),
        f"{r}/copy/<int:pk>/": row(MANAGERS, f"{base}/copy/{{{pk}}}/"),
        f"{c}/": row(ANY_ADMIN, note=WAGTAIL_CHOOSER),
        f"{c}/results/": row(ANY_ADMIN, note=WAGTAIL_CHOOSER),
        f"{c}/chosen/<str:pk>/": row(ANY_ADMIN, f"{choose}/chosen/{{{pk}}}/", WAGTAIL_CHOOSER),
        f"{c}/chosen-multiple/": row(
            ANY_ADMIN, f"{choose}/chosen-multiple/?id={{{pk}}}", WAGTAIL_CHOOSER
        ),
        f"{c}/create/": row(MANAGERS),
    }


TABLE |= _engagement_snippet("calendardate", "calendar_date")
TABLE |= _engagement_snippet("eventorganiser", "organiser")
TABLE |= _engagement_snippet("venue", "venue")

# Subscribers sign themselves up: managers see, download and delete them, never add or edit.
SUB = "/admin/engagement_newslettersubscriber"
TABLE |= {
    f"{SUB[1:]}/": row(MANAGERS),
    f"{SUB[1:]}/results/": row(MANAGERS),
    f"{SUB[1:]}/new/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=REDIRECT),
        note="no one adds an address: sent back to the listing (which refuses non-managers)",
    ),
    f"{SUB[1:]}/edit/<int:pk>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=REDIRECT),
        f"{SUB}/edit/{{subscriber}}/",
        "never edited: sent to the inspect view (which refuses non-managers)",
    ),
    f"{SUB[1:]}/delete/<int:pk>/": row(MANAGERS, f"{SUB}/delete/{{subscriber}}/"),
    f"{SUB[1:]}/history/<int:pk>/": row(MANAGERS, f"{SUB}/history/{{subscriber}}/"),
    f"{SUB[1:]}/history-results/<int:pk>/": row(MANAGERS, f"{SUB}/history-results/{{subscriber}}/"),
    f"{SUB[1:]}/usage/<int:pk>/": row(
        SUPERUSER_ONLY, f"{SUB}/usage/{{subscriber}}/", "Wagtail's usage view needs change"
    ),
    f"{SUB[1:]}/inspect/<int:pk>/": row(MANAGERS, f"{SUB}/inspect/{{subscriber}}/"),
    "admin/engagement/newsletter-subscribers/download/": row(
        MANAGERS, note="personal data export; GET writes it to the audit log"
    ),
    "admin/engagement/newsletter-issues/<int:page_id>/send/": row(
        MANAGERS, "/admin/engagement/newsletter-issues/{issue}/send/", "asks; only a POST sends"
    ),
}

# Invitations to an account: managers invite board members (superusers anyone).
INV = "/admin/invitations"
TABLE |= {
    f"{INV[1:]}/": row(MANAGERS),
    f"{INV[1:]}/results/": row(MANAGERS),
    f"{INV[1:]}/new/": row(MANAGERS),
    f"{INV[1:]}/edit/<int:pk>/": row(
        admin(MANAGER, APPROVER, ANALYST, ok=REDIRECT),
        f"{INV}/edit/{{invitation}}/",
        "never edited: sent to the inspect view (which refuses non-managers)",
    ),
    f"{INV[1:]}/delete/<int:pk>/": row(MANAGERS, f"{INV}/delete/{{invitation}}/"),
    f"{INV[1:]}/history/<int:pk>/": row(MANAGERS, f"{INV}/history/{{invitation}}/"),
    f"{INV[1:]}/history-results/<int:pk>/": row(MANAGERS, f"{INV}/history-results/{{invitation}}/"),
    f"{INV[1:]}/usage/<int:pk>/": row(
        SUPERUSER_ONLY, f"{INV}/usage/{{invitation}}/", "Wagtail's usage view needs change"
    ),
    f"{INV[1:]}/inspect/<int:pk>/": row(MANAGERS, f"{INV}/inspect/{{invitation}}/"),
}


def _board_viewset(
    prefix: str, pk: str, *, add: bool = True, copy: bool = True, **overrides: Row
) -> dict:
    """The rows of one of the board's model viewsets: engagement managers' alone."""
    base = f"/admin/{prefix}"
    r = base[1:]
    rows = {
        f"{r}/": row(MANAGERS),
        f"{r}/results/": row(MANAGERS),
        f"{r}/edit/<int:pk>/": row(MANAGERS, f"{base}/edit/{{{pk}}}/"),
        f"{r}/delete/<int:pk>/": row(MANAGERS, f"{base}/delete/{{{pk}}}/"),
        f"{r}/history/<int:pk>/": row(MANAGERS, f"{base}/history/{{{pk}}}/"),
        f"{r}/history-results/<int:pk>/": row(MANAGERS, f"{base}/history-results/{{{pk}}}/"),
        f"{r}/usage/<int:pk>/": row(MANAGERS, f"{base}/usage/{{{pk}}}/"),
    }
    if add:
        rows[f"{r}/new/"] = row(MANAGERS)
    if copy:
        rows[f"{r}/copy/<int:pk>/"] = row(MANAGERS, f"{base}/copy/{{{pk}}}/")
    for suffix, override in overrides.items():
        rows[f"{r}/{suffix}"] = override
    return rows


REC = "/admin/board_recommendation"
TABLE |= _board_viewset(
    "board_recommendation",
    "recommendation",
    add=False,  # members submit them (see the catch-all row)
    copy=False,
    **{
        "": row(RESPONDERS, note="approvers may view recommendations"),
        "results/": row(RESPONDERS),
        "edit/<int:pk>/": row(
            admin(MANAGER, APPROVER, ANALYST, ok=REDIRECT),
            f"{REC}/edit/{{recommendation}}/",
            "officers do not rewrite members' words: sent to the manage page, which checks",
        ),
        "history/<int:pk>/": row(
            MANAGERS, f"{REC}/history/{{recommendation}}/", "history needs more than view"
        ),
        "history-results/<int:pk>/": row(MANAGERS, f"{REC}/history-results/{{recommendation}}/"),
        "usage/<int:pk>/": row(MANAGERS, f"{REC}/usage/{{recommendation}}/"),
    },
)
TABLE |= _board_viewset(
    "board_membership",
    "membership",
    **{
        "edit/<int:pk>/": row(
            MANAGERS,
            "/admin/board_membership/edit/{membership}/",
            "GET writes a personal-data view to the audit log",
        )
    },
)
TABLE |= _board_viewset(
    "board_supportneeds",
    "support_needs",
    **{"": row(MANAGERS, note="special-category data; GET writes the listing to the audit log")},
)
TABLE |= _board_viewset("board_ask", "ask")
TABLE |= _board_viewset("board_meeting", "meeting")
TABLE |= _board_viewset(
    "board_expenseclaim",
    "expense_claim",
    copy=False,  # a member's claim is not copied; its receipt is private
    **{
        "edit/<int:pk>/": row(
            admin(MANAGER, APPROVER, ANALYST, ok=REDIRECT),
            "/admin/board_expenseclaim/edit/{expense_claim}/",
            "sent to the decide page, which checks",
        ),
    },
)
TABLE |= _board_viewset("board_servicearea", "service_area")

TABLE |= {
    "admin/board/recommendations/<int:pk>/manage/": row(
        MANAGERS, "/admin/board/recommendations/{recommendation}/manage/"
    ),
    "admin/board/overview/": row(MANAGERS),
    "admin/board/expenses/<int:pk>/decide/": row(
        MANAGERS,
        "/admin/board/expenses/{expense_claim}/decide/",
        "GET writes a personal-data view to the audit log",
    ),
    "admin/board/expenses/<int:pk>/receipt/": row(
        MANAGERS,
        "/admin/board/expenses/{expense_claim}/receipt/",
        "the private receipt file; GET writes a personal-data view to the audit log",
    ),
    "admin/board/expenses/totals/": row(MANAGERS, note="expenses by member (personal data)"),
    "admin/board/expenses/totals/ | CSV export": row(
        MANAGERS, "/admin/board/expenses/totals/?export=csv", "GET writes the export to the log"
    ),
    "admin/board/expenses/totals/ | XLSX export": row(
        MANAGERS, "/admin/board/expenses/totals/?export=xlsx", "GET writes the export to the log"
    ),
    "admin/board/former-members/": row(MANAGERS),
    "admin/board/former-members/<int:user_id>/erase/": row(
        MANAGERS,
        "/admin/board/former-members/{former_member}/erase/",
        "asks; GET writes a personal-data view to the audit log",
    ),
    "admin/board/import/<str:kind>/": row(MANAGERS, "/admin/board/import/members/"),
    "admin/board/import/<str:kind>/ | recommendations": row(
        MANAGERS, "/admin/board/import/recommendations/"
    ),
    "admin/board/import/<str:kind>/ | template": row(
        MANAGERS, "/admin/board/import/members/?template=1"
    ),
}

# Model viewsets of listing exports (``?export=csv``): the listing's own rights, logged.
TABLE |= {
    "admin/board_membership/ | CSV export": row(
        MANAGERS, "/admin/board_membership/?export=csv", "personal data export, logged"
    ),
    "admin/board_expenseclaim/ | CSV export": row(
        MANAGERS, "/admin/board_expenseclaim/?export=csv", "personal data export, logged"
    ),
    "admin/board_recommendation/ | CSV export": row(
        RESPONDERS, "/admin/board_recommendation/?export=csv"
    ),
    f"{CR[1:]}/ | CSV export": row(RESPONDERS, f"{CR}/?export=csv"),
}


def _survey_viewset(prefix: str, pk: str) -> dict:
    """The rows of one survey design viewset: inclusion analysts' alone (no copy view)."""
    base = f"/admin/{prefix}"
    r = base[1:]
    return {
        f"{r}/": row(ANALYSTS),
        f"{r}/results/": row(ANALYSTS),
        f"{r}/new/": row(ANALYSTS),
        f"{r}/edit/<int:pk>/": row(ANALYSTS, f"{base}/edit/{{{pk}}}/"),
        f"{r}/delete/<int:pk>/": row(
            ANALYSTS, f"{base}/delete/{{{pk}}}/", "refused (results are kept) or asks"
        ),
        f"{r}/history/<int:pk>/": row(ANALYSTS, f"{base}/history/{{{pk}}}/"),
        f"{r}/history-results/<int:pk>/": row(ANALYSTS, f"{base}/history-results/{{{pk}}}/"),
        f"{r}/usage/<int:pk>/": row(ANALYSTS, f"{base}/usage/{{{pk}}}/"),
    }


TABLE |= _survey_viewset("surveys_survey", "survey")
TABLE |= _survey_viewset("surveys_wave", "wave")
TABLE |= _survey_viewset("surveys_question", "question")
TABLE |= _survey_viewset("surveys_measure", "measure")

# Survey results: imports, exports and analysis are the inclusion analysts' alone.
WAVE = "/admin/survey-data/waves/{wave}"
TABLE |= {
    "admin/survey-data/": row(ANALYSTS),
    "admin/survey-data/waves/<int:wave_id>/import/": row(ANALYSTS, f"{WAVE}/import/"),
    "admin/survey-data/surveys/<int:survey_id>/import-counts/": row(
        ANALYSTS, "/admin/survey-data/surveys/{survey}/import-counts/"
    ),
    "admin/survey-data/surveys/<int:survey_id>/count-imports/": row(
        ANALYSTS, "/admin/survey-data/surveys/{survey}/count-imports/"
    ),
    "admin/survey-data/count-imports/preview/<str:token>/": row(
        ANALYSTS,
        "/admin/survey-data/count-imports/preview/no-such-preview/",
        "no preview staged: analysts are sent back to the import list, told it has expired",
    ),
    "admin/survey-data/count-imports/<int:batch_id>/remove/": row(
        ANALYSTS,
        "/admin/survey-data/count-imports/{count_batch}/remove/",
        "a GET asks for confirmation; only a POST removes",
    ),
    "admin/survey-data/count-imports/<int:batch_id>/replace/": row(
        ANALYSTS, "/admin/survey-data/count-imports/{count_batch}/replace/"
    ),
    "admin/survey-data/imports/<str:import_id>/": row(
        admin(ANALYST, ok=NOT_FOUND),
        "/admin/survey-data/imports/no-such-import/",
        "no import is running (and each import is its own user's)",
    ),
    "admin/survey-data/waves/<int:wave_id>/responses.<str:fmt>": row(
        ANALYSTS,
        f"{WAVE}/responses.csv",
        "every response, minimised (high-level groups, no rare combinations); GET logs it",
    ),
    "admin/survey-data/waves/<int:wave_id>/responses.<str:fmt> | XLSX": row(
        ANALYSTS, f"{WAVE}/responses.xlsx"
    ),
    "admin/survey-data/waves/<int:wave_id>/responses.<str:fmt> | full, reason form": row(
        SUPERUSER_ONLY,
        f"{WAVE}/responses.csv?full=1",
        "asks why; only a POST with a reason downloads in full (surveys.export_full_responses, "
        "no role's by default)",
    ),
    "admin/survey-data/waves/<int:wave_id>/responses.<str:fmt> | full, XLSX": row(
        SUPERUSER_ONLY, f"{WAVE}/responses.xlsx?full=1"
    ),
    "admin/survey-data/waves/<int:wave_id>/responses.<str:fmt> | unknown format": row(
        admin(ANALYST, ok=NOT_FOUND), f"{WAVE}/responses.pdf"
    ),
    "admin/survey-data/waves/<int:wave_id>/free-text.<str:fmt>": row(
        ANALYSTS, f"{WAVE}/free-text.csv", "free-text answers; GET logs the download"
    ),
    "admin/survey-data/waves/<int:wave_id>/free-text.<str:fmt> | XLSX": row(
        ANALYSTS, f"{WAVE}/free-text.xlsx"
    ),
    "admin/surveys/waves/<int:pk>/questions/": row(
        ANALYSTS, "/admin/surveys/waves/{wave}/questions/"
    ),
    "admin/surveys/waves/<int:pk>/invitations/": row(
        ANALYSTS, "/admin/surveys/waves/{wave}/invitations/"
    ),
    "admin/surveys/waves/<int:pk>/reminders/": row(
        ANALYSTS, "/admin/surveys/waves/{wave}/reminders/", "asks; only a POST sends"
    ),
    "admin/surveys/invitation-batches/<int:pk>/": row(
        ANALYSTS, "/admin/surveys/invitation-batches/{invitation_batch}/"
    ),
    "admin/surveys/board-evaluation/new/": row(ANALYSTS, note="asks; only a POST creates"),
    "admin/surveys/measures/<int:pk>/report/": row(
        ANALYSTS, "/admin/surveys/measures/{measure}/report/"
    ),
    "admin/surveys/measures/<int:pk>/report.<str:fmt>": row(
        ANALYSTS, "/admin/surveys/measures/{measure}/report.csv"
    ),
    "admin/surveys/measures/<int:pk>/report.<str:fmt> | XLSX": row(
        ANALYSTS, "/admin/surveys/measures/{measure}/report.xlsx"
    ),
}


def row_route(key: str) -> str:
    """The pattern (or page route) a row is for: a row key is ``route`` or ``route | variant``."""
    return key.split(" | ", 1)[0]


# --- Invariants that hold whatever the rows say --------------------------------------------------

# Admin URLs that serve static assets or send on to allauth, to anyone.
ADMIN_OPEN_TO_ALL = {"admin/sprite/", "admin/jsi18n/", "admin/login/", "admin/password_reset/"}
# Survey results and analysis: the inclusion analysts' (and superusers') alone.
ANALYSIS_PREFIXES = ("admin/survey-data/", "admin/surveys/", "admin/surveys_")
# Personal data of board members and subscribers, and the erasure of it.
PERSONAL_DATA_PREFIXES = (
    "admin/board/",
    "admin/board_membership/",
    "admin/board_supportneeds/",
    "admin/board_ask/",
    "admin/board_expenseclaim/",
    "admin/engagement_newslettersubscriber/",
    "admin/engagement/newsletter-subscribers/",
    "admin/invitations/",
    "admin/users/",
)


def invariant_violations(observed: dict[str, dict[str, str]]) -> list[str]:
    """What must hold whatever the rows say. A role "reaches" a URL when it gets a 2xx."""
    problems = []
    for key, outcomes in observed.items():
        route = row_route(key)
        reached = {role for role, outcome in outcomes.items() if outcome == OK}
        outsiders = reached & {ANON, TAKER, MEMBER}
        if route.startswith("admin/") and route not in ADMIN_OPEN_TO_ALL and outsiders:
            problems.append(f"{key}: {sorted(outsiders)} reach the admin")
        if route.startswith("members/") and reached - {MEMBER}:
            problems.append(f"{key}: {sorted(reached - {MEMBER})} reach the member area")
        if route.startswith(ANALYSIS_PREFIXES) and reached - {ANALYST, SUPERUSER}:
            problems.append(f"{key}: {sorted(reached - {ANALYST, SUPERUSER})} reach survey data")
        if route.startswith(PERSONAL_DATA_PREFIXES) and reached - {MANAGER, SUPERUSER}:
            problems.append(f"{key}: {sorted(reached - {MANAGER, SUPERUSER})} reach personal data")
        # A survey link opens the survey and nothing else.
        if not route.startswith("survey/") and outcomes[TAKER] != outcomes[ANON]:
            problems.append(f"{key}: a survey taker gets {outcomes[TAKER]}, a visitor not")
        # Whatever a staff role reaches in the admin, a superuser reaches.
        superuser_in = outcomes[SUPERUSER] in (OK, REDIRECT)
        if route.startswith("admin/") and reached & set(STAFF) and not superuser_in:
            problems.append(f"{key}: staff reach it, a superuser gets {outcomes[SUPERUSER]}")
        known = TABLE[key].now or {}
        errors = [r for r, o in outcomes.items() if o == ERROR and known.get(r) != ERROR]
        if errors and key != "admin/failwhale/":
            problems.append(f"{key}: a server error for {errors}")
    if problems:
        return ["Invariants broken (whatever the table says):\n  " + "\n  ".join(problems)]
    return []
