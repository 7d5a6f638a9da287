"""Wagtail admin views for running the board that a generic viewset does not cover."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.db.models.functions import ExtractYear
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from board import selectors, services
from board.forms import ExpenseDecisionForm
from board.models import (
    BoardSettings,
    CouncilResponse,
    ExpenseClaim,
    ImplementedChange,
    Recommendation,
    ServiceArea,
)
from cms.exports import escape_cell
from cms.forms import DateInput
from cms.platform import audit, personal_data
from cms.platform.money import pounds_cell, to_pounds
from cms.reauthentication import sensitive_action
from cms.roles import APPROVERS, ENGAGEMENT_MANAGERS, INCLUSION_ANALYSTS


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=get_user_model()
        .objects.filter(
            is_active=True,
            groups__name__in=[ENGAGEMENT_MANAGERS, APPROVERS, INCLUSION_ANALYSTS],
        )
        .distinct(),
        help_text="The named officer who owns the response; overdue items escalate to them.",
    )
    due_date = forms.DateField(widget=DateInput())


class ProgressForm(forms.Form):
    date = forms.DateField(widget=DateInput(), initial=timezone.localdate)
    update = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class ChangeForm(forms.Form):
    kind = forms.ChoiceField(choices=ImplementedChange.Kind.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    service_area = forms.ModelChoiceField(queryset=ServiceArea.objects.all())
    implemented_on = forms.DateField(widget=DateInput())


def recommendation_manage(request, pk: int):
    """One page to move a recommendation through its lifecycle."""
    _require(request, "board.change_recommendation")
    recommendation = get_object_or_404(
        Recommendation.objects.select_related("service_area", "author", "owner"), pk=pk
    )
    response = CouncilResponse.objects.filter(recommendation=recommendation).first()
    forms_by_action = {
        "assign": AssignForm(
            initial={"owner": recommendation.owner, "due_date": recommendation.due_date}
        ),
        "progress": ProgressForm(),
        "change": ChangeForm(initial={"service_area": recommendation.service_area}),
    }
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "acknowledge":
                services.recommendation_acknowledge(recommendation=recommendation, by=request.user)
                messages.success(request, "Acknowledged. The author has been told.")
                return redirect("board_recommendation_manage", pk=pk)
            if action in forms_by_action:
                form = forms_by_action[action].__class__(request.POST)
                forms_by_action[action] = form
                if form.is_valid():
                    data = form.cleaned_data
                    if action == "assign":
                        services.recommendation_assign(
                            recommendation=recommendation,
                            owner=data["owner"],
                            due_date=data["due_date"],
                            by=request.user,
                        )
                        messages.success(request, f"Now owned by {data['owner']}.")
                    elif action == "progress":
                        services.progress_update_add(
                            recommendation=recommendation,
                            update=data["update"],
                            on=data["date"],
                            by=request.user,
                        )
                        messages.success(
                            request, "Progress update added. The author has been told."
                        )
                    else:
                        services.implemented_change_record(
                            recommendation=recommendation, by=request.user, **data
                        )
                        messages.success(request, "Change recorded. The author has been told.")
                    return redirect("board_recommendation_manage", pk=pk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return TemplateResponse(
        request,
        "board/admin/recommendation_manage.html",
        {
            "recommendation": recommendation,
            "response": response,
            "forms": forms_by_action,
            "progress_updates": recommendation.progress_updates.all(),
            "changes": recommendation.changes.select_related("service_area"),
            "header_title": f"{recommendation.reference}: {recommendation.title}",
            "Status": Recommendation.Status,
        },
    )


def board_overview(request):
    """Terms ending soon, members past the term limit, each member's load, overdue responses."""
    _require(request, "board.view_membership")
    rules = BoardSettings.for_request(request)
    overview = selectors.board_overview(
        ending_within_days=rules.term_ending_notice_days,
        max_consecutive_terms=rules.max_consecutive_terms,
    )
    return TemplateResponse(
        request,
        "board/admin/overview.html",
        {
            **overview,
            "rules": rules,
            "overdue": selectors.overdue_recommendations(),
            "header_title": "Board overview",
        },
    )


def expense_decide(request, pk: int):
    _require(request, "board.change_expenseclaim")
    claim = get_object_or_404(ExpenseClaim.objects.select_related("claimant", "meeting"), pk=pk)
    if request.method == "GET":
        audit.personal_data_viewed(subject=claim.claimant, by=request.user, what="expense claim")
    form = ExpenseDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.expense_claim_decide(
                claim=claim,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"Claim {claim.get_status_display().lower()}.")
            return redirect("board_expenseclaim:index")
    return TemplateResponse(
        request,
        "board/admin/expense_decide.html",
        {"claim": claim, "form": form, "header_title": f"Claim from {claim.claimant}"},
    )


# The receipt formats accepted (board.validators), by the extension the stored name keeps.
RECEIPT_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
}


@never_cache
@require_GET
def expense_receipt(request, pk: int):
    """A claim's receipt, for those who decide claims: kept privately, always a download, logged.

    Receipts live in the private ``receipts`` storage (no URL serves them); this is the only way
    to read one.
    """
    _require(request, "board.change_expenseclaim")
    claim = get_object_or_404(ExpenseClaim.objects.select_related("claimant"), pk=pk)
    if not claim.receipt:
        raise Http404("This claim has no receipt.")
    extension = claim.receipt.name.rsplit(".", 1)[-1].lower()
    try:
        handle = claim.receipt.storage.open(claim.receipt.name, "rb")
    except FileNotFoundError as missing:
        raise Http404("The receipt file is missing.") from missing
    audit.personal_data_viewed(subject=claim.claimant, by=request.user, what="expense receipt")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"receipt-{claim.pk}.{extension}",
        content_type=RECEIPT_CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def expense_totals_rows():
    rows = (
        ExpenseClaim.objects.filter(status=ExpenseClaim.Status.APPROVED)
        .annotate(year=ExtractYear("submitted_at"))
        .values(
            "year",
            "claimant_id",
            "claimant__first_name",
            "claimant__last_name",
            "claimant__email",
            "kind",
        )
        .annotate(total=Sum("amount"))
        .order_by("-year", "claimant__last_name", "claimant__first_name", "kind")
    )
    grouped: dict[tuple, dict] = defaultdict(lambda: defaultdict(lambda: Decimal("0")))
    names: dict[tuple, tuple] = {}
    for row in rows:
        key = (row["year"], row["claimant_id"])
        names[key] = (
            f"{row['claimant__first_name']} {row['claimant__last_name']}".strip(),
            row["claimant__email"],
        )
        grouped[key][row["kind"]] += to_pounds(row["total"])
    result = []
    for key, kinds in grouped.items():
        name, email = names[key]
        result.append(
            {
                "year": key[0],
                "member": name or email,
                "email": email,
                **{kind: kinds.get(kind, Decimal("0")) for kind in ExpenseClaim.Kind.values},
                "total": sum(kinds.values(), Decimal("0")),
            }
        )
    return result


def expense_totals(request):
    """Approved claims per member per year, on screen and as CSV or XLSX."""
    _require(request, "board.view_expenseclaim")
    rows = expense_totals_rows()
    columns = ["year", "member", "email", *ExpenseClaim.Kind.values, "total"]
    money_columns = {*ExpenseClaim.Kind.values, "total"}
    headings = ["Year", "Member", "Email", *ExpenseClaim.Kind.labels, "Total"]
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        audit.personal_data_exported(
            model=ExpenseClaim, by=request.user, export="expenses-by-member", file_format=export
        )
    if export == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headings)
        for row in rows:
            writer.writerow(
                [
                    pounds_cell(row[c]) if c in money_columns else escape_cell(str(row[c]))
                    for c in columns
                ]
            )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="expenses-by-member.csv"'
        return response
    if export == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Expenses"
        sheet.append(headings)
        for row in rows:
            sheet.append(
                [escape_cell(row[c]) if isinstance(row[c], str) else row[c] for c in columns]
            )
        for sheet_row in sheet.iter_rows(min_row=2):
            for cell, column in zip(sheet_row, columns, strict=True):
                if column in money_columns:
                    cell.number_format = "£#,##0.00"
        output = io.BytesIO()
        workbook.save(output)
        response = HttpResponse(
            output.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="expenses-by-member.xlsx"'
        return response
    return TemplateResponse(
        request,
        "board/admin/expense_totals.html",
        {
            "rows": rows,
            "kinds": list(zip(ExpenseClaim.Kind.values, ExpenseClaim.Kind.labels, strict=True)),
            "header_title": "Expenses by member and year",
            "csv_url": reverse("board_expense_totals") + "?export=csv",
            "xlsx_url": reverse("board_expense_totals") + "?export=xlsx",
        },
    )


# --- People's rights: erasing a former member ---------------------------------------------------


def former_members(request):
    """Board members with no current or future term: the people who may be erased."""
    _require(request, services.ERASE_PERMISSION)
    paginator = Paginator(selectors.former_members(), 50)
    return TemplateResponse(
        request,
        "board/admin/former_members.html",
        {"page_obj": paginator.get_page(request.GET.get("p")), "header_title": "Former members"},
    )


class EraseForm(forms.Form):
    """The confirmation, and a checkbox for each option an app's personal-data provider offers
    (the newsletter subscription, say)."""

    confirm = forms.BooleanField(
        label="I understand this cannot be undone",
        help_text="Their name, email address and the records listed above are gone for good.",
    )

    def __init__(self, *args, options=(), **kwargs):
        super().__init__(*args, **kwargs)
        for option in options:
            self.fields[option.name] = forms.BooleanField(
                required=False, label=option.label, help_text=option.help_text
            )
        self.option_names = [option.name for option in options]

    def chosen_options(self) -> frozenset[str]:
        return frozenset(name for name in self.option_names if self.cleaned_data.get(name))

    def option_fields(self):
        return [self[name] for name in self.option_names]


@sensitive_action(permission=services.ERASE_PERMISSION)
def member_erase(request, user_id: int):
    """Say exactly what erasing this former member does; erase on confirmation.

    Only after a recent sign-in or re-authentication (cms.reauthentication): an unattended session
    cannot erase anyone.
    """
    _require(request, services.ERASE_PERMISSION)
    member = get_object_or_404(get_user_model(), pk=user_id)
    refusal = selectors.erasure_refusal(member=member)
    preview = None if refusal else personal_data.erasure_preview(user=member)
    form = EraseForm(request.POST or None, options=preview.options if preview else ())
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            services.former_member_erase(
                member=member, by=request.user, options=form.chosen_options()
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "The former member's personal data has been erased.")
            return redirect("board_former_members")
    if request.method == "GET" and refusal is None:
        audit.personal_data_viewed(subject=member, by=request.user, what="summary before erasure")
    return TemplateResponse(
        request,
        "board/admin/member_erase.html",
        {
            "member": member,
            "refusal": refusal,
            "preview": preview,
            "form": form,
            "header_title": "Erase a former member",
        },
    )
