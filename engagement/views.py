"""Public views that are not pages: site search and the newsletter's sign-up, confirmation and
unsubscribe links (fixed addresses, because they are sent in emails)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from cms import ratelimits
from engagement import ratelimit, selectors, services
from engagement.forms import NewsletterSignupForm, SearchForm

TEMPLATES = "pages/engagement"


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page_obj = (
        selectors.search_pages(query=query, page_number=request.GET.get("page")) if query else None
    )
    return render(
        request,
        "search/search.html",
        {
            "form": form,
            "query": query,
            "page_obj": page_obj,
            "query_string": urlencode({"q": query}),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def newsletter_signup(request: HttpRequest) -> HttpResponse:
    form = NewsletterSignupForm(request.POST or None)
    template = f"{TEMPLATES}/newsletter_signup.html"
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        attempt = ratelimit.count_newsletter_signup(request, email=email)
        if not attempt:
            context = {
                "form": NewsletterSignupForm(),
                "rate_limited": True,
                "email_limited": attempt.refused_by == ratelimit.REFUSED_EMAIL,
                "wait": ratelimits.wait_text(attempt.retry_after),
            }
            return render(request, template, context, status=429)
        services.newsletter_subscribe(email=email)
        # The same page whether or not the address was already on the list.
        return redirect("engagement:newsletter_check_email")
    return render(request, template, {"form": form})


@require_GET
def newsletter_check_email(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATES}/newsletter_check_email.html",
        {"valid_days": services.CONFIRMATION_VALID_DAYS},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def newsletter_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link opens a page with a button: link checkers that open every link in an
    email must not confirm an address on their own."""
    template = f"{TEMPLATES}/newsletter_confirm.html"
    if request.method == "POST":
        subscriber = services.newsletter_confirm(token=token)
        if subscriber is None:
            return render(request, template, {"state": "invalid"}, status=410)
        return render(request, template, {"state": "confirmed"})
    if services.subscriber_for_confirmation(token=token) is None:
        return render(request, template, {"state": "invalid"}, status=410)
    return render(request, template, {"state": "ask"})


@csrf_exempt  # The unguessable token authorises it; mail clients POST here with no CSRF token.
@never_cache
@require_http_methods(["GET", "POST"])
def newsletter_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click: the link opens a page with one button; mail clients' one-click unsubscribe
    (RFC 8058) POSTs straight here. Unsubscribing twice says the same as once."""
    template = f"{TEMPLATES}/newsletter_unsubscribe.html"
    if request.method == "POST":
        services.newsletter_unsubscribe(token=token)
        return render(request, template, {"state": "done"})
    if services.subscriber_for_unsubscribe(token=token) is None:
        return render(request, template, {"state": "invalid"}, status=404)
    return render(request, template, {"state": "ask"})


def newsletter_signup_redirect(request: HttpRequest) -> HttpResponse:
    return redirect("engagement:newsletter_signup")
