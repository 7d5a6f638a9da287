from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.adapter import get_adapter

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cms import selectors


@never_cache
@require_GET
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open an emailed invitation: remember it in this browser and go to the sign-up form."""
    invitation = selectors.invitation_get_by_token(token=token)
    if invitation is None or not invitation.is_pending:
        return render(
            request,
            "account/invitation_invalid.html",
            {"invitation": invitation},
            status=404 if invitation is None else 410,
        )
    if request.user.is_authenticated:
        # Someone else's session must not carry over into the new account.
        logout(request)
    request.session[selectors.INVITATION_SESSION_KEY] = invitation.pk
    get_adapter(request).stash_verified_email(request, invitation.email)
    return redirect(f"{reverse('account_signup')}?email={invitation.email}")


@require_GET
def admin_login_redirect(request: HttpRequest) -> HttpResponse:
    """Wagtail's own login form would skip the second factor, so it is never served."""
    target = reverse("account_login")
    next_url = request.GET.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = f"{target}?{urlencode({'next': next_url})}"
    return redirect(target)


@require_GET
def admin_password_redirect(request: HttpRequest) -> HttpResponse:
    return redirect("account_reset_password")


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
