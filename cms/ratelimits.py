"""Rate limits: one reading of the client's address and one limiter, both allauth's.

Behind the load balancer every request arrives from the balancer's own address. allauth reads the
client's address from ``X-Forwarded-For`` as far as ``ALLAUTH_TRUSTED_PROXY_COUNT`` allows, or
from ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER`` (README, "Configuration"). Sign-in (allauth, extended
in ``cms.adapters``), page and document passwords (here) and the newsletter sign-up
(``engagement.ratelimit``) all read it through :func:`client_address` and count with allauth's
sliding-window limiter in the cache, so one setting moves every limit.

Limits that only slow a guesser must not let the guesser lock the owner out: an address that has
got in (signed in to that account, passed that page's password) is remembered, and the wide
per-account or per-page ceiling does not apply to it; the tight per-(account, address) limit and
the per-address ceiling still do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from allauth.core.internal import ratelimit as allauth_ratelimit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from wagtail import views as wagtail_views
from wagtail.documents.views import serve as wagtail_document_views
from wagtail.forms import PasswordViewRestrictionForm
from wagtail.models import CollectionViewRestriction, Page, PageViewRestriction

# Our actions are read from PLATFORM_RATE_LIMITS under this name; allauth's own sign-in actions
# (ACCOUNT_RATE_LIMITS) under "allauth.account".
APP = "cms"
ACCOUNT_APP = "allauth.account"


def client_address(request: HttpRequest) -> str:
    """The client's address as allauth's limits count it (an IPv6 address by its /64).

    Raises PermissionDenied (403) when there is none, as allauth's own limits do.
    """
    return allauth_ratelimit.get_ip(request)


@dataclass
class Attempt:
    """One attempt counted against several limits; false when one of them refused it."""

    refused_by: str | None = None
    retry_after: int = 0
    usages: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.refused_by is None

    def rollback(self) -> None:
        """Uncount it (the attempt succeeded: only failures count)."""
        for usage in self.usages:
            usage.rollback()


def _config(app: str) -> dict[str, str] | None:
    return settings.PLATFORM_RATE_LIMITS if app == APP else None


def consume(
    request: HttpRequest, limits: Iterable[tuple[str, str | None]], *, app: str = APP
) -> Attempt:
    """Count one attempt against every ``(action, key)``, or, if any limit is reached, none.

    Each action names one rate (allauth stops at the first refusing rate of an action without
    uncounting the ones before it, so a rate per action keeps a refusal from counting at all).
    """
    attempt = Attempt()
    for action, key in limits:
        usage = allauth_ratelimit.consume(
            request, app=app, action=action, config=_config(app), key=key
        )
        if usage is None:
            attempt.rollback()
            rates = allauth_ratelimit.get_rates(app=app, action=action, config=_config(app))
            return Attempt(refused_by=action, retry_after=int(max(r.duration for r in rates)))
        attempt.usages.append(usage)
    return attempt


def wait_text(seconds: int) -> str:
    """'15 minutes', '1 hour', '24 hours': how long to wait, in words."""
    if seconds < 3600:
        minutes = max(1, round(seconds / 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(seconds / 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _known_address_key(request: HttpRequest, scope: str) -> str:
    # Keyed by an HMAC: a copy of the cache does not say which addresses an account used.
    digest = salted_hmac(
        "cms.ratelimits.known-address", f"{scope}|{client_address(request)}"
    ).hexdigest()
    return f"cms:rl:known:{digest}"


def remember_address(request: HttpRequest, *, scope: str) -> None:
    """This address got in (to the account or page named by ``scope``)."""
    days = settings.RATE_LIMIT_KNOWN_ADDRESS_DAYS
    cache.set(_known_address_key(request, scope), True, timeout=days * 24 * 60 * 60)


def is_known_address(request: HttpRequest, *, scope: str) -> bool:
    return bool(cache.get(_known_address_key(request, scope)))


# --- Page and document passwords --------------------------------------------------------------
# Wagtail's password forms have no limit of their own: 60 wrong guesses and then the right one
# were accepted. These views stand in front of Wagtail's at the same addresses (cms.urls).


def _password_attempt(request: HttpRequest, scope: str) -> Attempt:
    limits = [
        ("password_failed", f"{scope}:{client_address(request)}"),
        ("password_failed_address", None),
    ]
    if not is_known_address(request, scope=scope):
        limits.append(("password_failed_restriction", scope))
    return consume(request, limits)


def _keep_return_url_on_this_site(request: HttpRequest) -> None:
    """Wagtail redirects to the posted ``return_url`` once the password is right. A value that is
    not a path here ("x" is looked up as a view name, a line break breaks the header) made that
    redirect raise: such a value becomes the home page."""
    return_url = request.POST.get("return_url", "")
    safe = (
        return_url.startswith("/")
        and return_url.isprintable()
        and url_has_allowed_host_and_scheme(
            return_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )
    if not safe:
        posted = request.POST.copy()
        posted["return_url"] = "/"
        request.POST = posted


def _limited(
    request: HttpRequest,
    *,
    scope: str,
    serve: Callable[[], HttpResponse],
    refuse: Callable[[Attempt], HttpResponse],
) -> HttpResponse:
    if request.method != "POST":
        return serve()
    _keep_return_url_on_this_site(request)
    attempt = _password_attempt(request, scope)
    if not attempt:
        return refuse(attempt)
    response = serve()
    if response.status_code == 302:  # Wagtail redirects only once the password is right.
        attempt.rollback()
        remember_address(request, scope=scope)
    return response


def _refused_form(request: HttpRequest, restriction, attempt: Attempt):
    """Wagtail's password form, showing why it was refused; the password is never compared."""
    form = PasswordViewRestrictionForm(
        {"return_url": request.POST.get("return_url", "")}, instance=restriction
    )
    form.full_clean()
    form.errors["password"] = form.error_class(
        [
            "Too many wrong passwords have been tried. "
            f"Wait {wait_text(attempt.retry_after)}, then try again."
        ]
    )
    return form


@never_cache
def page_password(request: HttpRequest, page_view_restriction_id: int, page_id: int):
    def refuse(attempt: Attempt) -> HttpResponse:
        restriction = get_object_or_404(PageViewRestriction, id=page_view_restriction_id)
        page = get_object_or_404(Page, id=page_id).specific
        action_url = reverse(
            "wagtailcore_authenticate_with_password", args=[restriction.id, page.id]
        )
        response = page.serve_password_required_response(
            request, _refused_form(request, restriction, attempt), action_url
        )
        response.status_code = 429
        return response

    return _limited(
        request,
        scope=f"page:{page_view_restriction_id}",
        serve=lambda: wagtail_views.authenticate_with_password(
            request, page_view_restriction_id, page_id
        ),
        refuse=refuse,
    )


@never_cache
def document_password(request: HttpRequest, restriction_id: int):
    def refuse(attempt: Attempt) -> HttpResponse:
        restriction = get_object_or_404(CollectionViewRestriction, id=restriction_id)
        template = getattr(
            settings, "WAGTAILDOCS_PASSWORD_REQUIRED_TEMPLATE", "wagtaildocs/password_required.html"
        )
        context = {
            "form": _refused_form(request, restriction, attempt),
            "action_url": reverse("wagtaildocs_authenticate_with_password", args=[restriction.id]),
        }
        return TemplateResponse(request, template, context, status=429)

    return _limited(
        request,
        scope=f"collection:{restriction_id}",
        serve=lambda: wagtail_document_views.authenticate_with_password(request, restriction_id),
        refuse=refuse,
    )
