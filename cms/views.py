from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.login import record_authentication

from django.contrib.auth import login, logout
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cms import selectors, services


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open an emailed invitation: remember it in this browser and go to the sign-up form.

    Someone else's session must not carry over into the new account, but opening a link (a GET:
    a mail scanner, a link preview, a colleague's forwarded email) never signs anyone out: a
    signed-in browser is asked first, and only its POST signs out and continues.
    """
    invitation = selectors.invitation_get_by_token(token=token)
    if invitation is None or not invitation.is_pending:
        return render(
            request,
            "account/invitation_invalid.html",
            {"invitation": invitation},
            status=404 if invitation is None else 410,
        )
    if request.user.is_authenticated:
        if request.method != "POST":
            return render(request, "account/invitation_signed_in.html", {"invitation": invitation})
        logout(request)
    request.session[selectors.INVITATION_SESSION_KEY] = invitation.pk
    if selectors.placeholder_account(email=invitation.email) is not None:
        # The account exists (made by an import): the person only chooses a password.
        return redirect("invitation_set_password")
    get_adapter(request).stash_verified_email(request, invitation.email)
    # Encoded: an address may hold "+", "&" or "#", which would change the query string.
    return redirect(f"{reverse('account_signup')}?{urlencode({'email': invitation.email})}")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_set_password(request: HttpRequest) -> HttpResponse:
    """Choose a password for an account that was set up before the invitation."""
    invitation = selectors.invitation_from_session(request=request)
    user = selectors.placeholder_account(email=invitation.email) if invitation else None
    if invitation is None or user is None:
        return render(request, "account/invitation_invalid.html", {"invitation": None}, status=410)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.invitation_activate_account(
            invitation=invitation, user=user, password=form.cleaned_data["new_password1"]
        )
        request.session.pop(selectors.INVITATION_SESSION_KEY, None)
        login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
        record_authentication(request, user, "password", email=user.email)
        return redirect(get_adapter(request).get_login_redirect_url(request))
    return render(
        request, "account/invitation_set_password.html", {"form": form, "invitation": invitation}
    )


@require_GET
def admin_login_redirect(request: HttpRequest) -> HttpResponse:
    """Wagtail's own login forms (admin and private pages) would skip allauth's rate limits,
    email verification and second factor, so they are never served: GET goes to allauth's
    sign-in, keeping a safe ``next``; a POST is refused (405)."""
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
    # Rendered without the request: no context processor (or database) can fail a second time.
    return HttpResponseServerError(loader.get_template("500.html").render())
