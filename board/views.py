"""The member area: board members submit recommendations, follow them, and claim expenses."""

from __future__ import annotations

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from board import selectors, services
from board.forms import ExpenseClaimForm, RecommendationForm
from cms.platform import audit, personal_data
from cms.reauthentication import sensitive_action
from cms.roles import BOARD_MEMBERS, role_names


def board_member_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if BOARD_MEMBERS not in role_names(request.user):
            raise PermissionDenied("The member area is for board members.")
        return view(request, *args, **kwargs)

    return wrapper


@board_member_required
def dashboard(request):
    return render(
        request,
        "board/member/dashboard.html",
        {
            "my_recommendations": selectors.recommendations_by_author(author=request.user)[:10],
            "my_claims": selectors.expense_claims_for_member(member=request.user)[:5],
        },
    )


@board_member_required
def my_recommendations(request):
    paginator = Paginator(selectors.recommendations_by_author(author=request.user), 20)
    return render(
        request,
        "board/member/recommendation_list.html",
        {
            "page_obj": paginator.get_page(request.GET.get("page")),
            "heading": "Your recommendations",
            "mine": True,
        },
    )


@board_member_required
def board_recommendations(request):
    paginator = Paginator(selectors.recommendations_for_board(), 20)
    return render(
        request,
        "board/member/recommendation_list.html",
        {
            "page_obj": paginator.get_page(request.GET.get("page")),
            "heading": "The board's recommendations",
            "mine": False,
        },
    )


@board_member_required
@require_http_methods(["GET", "POST"])
def recommendation_create(request):
    form = RecommendationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recommendation = services.recommendation_submit(
                author=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                f"Your recommendation {recommendation.reference} has been sent to the council. "
                "We will email you when it is acknowledged.",
            )
            return redirect("board:recommendation_detail", reference=recommendation.reference)
    return render(request, "board/member/recommendation_form.html", {"form": form})


@board_member_required
def recommendation_detail(request, reference: str):
    recommendation = selectors.recommendation_for_member(member=request.user, reference=reference)
    if recommendation is None:
        raise Http404("No recommendation with that reference that you can see.")
    response = getattr(recommendation, "response", None)
    return render(
        request,
        "board/member/recommendation_detail.html",
        {
            "recommendation": recommendation,
            "is_author": recommendation.author_id == request.user.pk,
            "response": response if response is not None and response.live else None,
        },
    )


@board_member_required
def my_expenses(request):
    paginator = Paginator(selectors.expense_claims_for_member(member=request.user), 20)
    return render(
        request,
        "board/member/expense_list.html",
        {"page_obj": paginator.get_page(request.GET.get("page"))},
    )


@board_member_required
@require_http_methods(["GET", "POST"])
def expense_create(request):
    form = ExpenseClaimForm(request.POST or None, request.FILES or None, member=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.expense_claim_submit(claimant=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Your claim has been sent. You can follow it here.")
            return redirect("board:my_expenses")
    return render(request, "board/member/expense_form.html", {"form": form})


MY_DATA_ABOUT = (
    "The personal data this platform holds on you, as a board member. Receipts you uploaded are "
    "listed, not included: ask the engagement team for a copy."
)


@never_cache
@board_member_required
@require_GET
def my_data(request):
    """The personal data held on the member, to read; the same as the download."""
    return render(
        request,
        "board/member/my_data.html",
        {"sections": personal_data.sections(user=request.user)},
    )


@never_cache
@board_member_required
@require_GET
@sensitive_action
def my_data_download(request):
    """The personal data held on the member as a JSON file (UK GDPR, Articles 15 and 20).

    Only after a recent sign-in or re-authentication (cms.reauthentication).
    """
    data = personal_data.document(user=request.user, about=MY_DATA_ABOUT)
    audit.personal_data_downloaded(subject=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    name = f"my-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
