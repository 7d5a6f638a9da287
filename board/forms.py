from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from wagtail.admin.forms import WagtailAdminModelForm

from board.models import CouncilResponse, ExpenseClaim, Meeting, Recommendation, ServiceArea


class RecommendationForm(forms.ModelForm):
    class Meta:
        model = Recommendation
        fields = [
            "title",
            "what_should_change",
            "lived_experience",
            "evidence",
            "service_area",
            "desired_outcome",
            "author_named",
        ]
        labels = {
            "title": "Give your recommendation a short title",
            "what_should_change": "What should change?",
            "lived_experience": "Why? What have you or others experienced?",
            "evidence": "Is there other evidence? (optional)",
            "service_area": "Which council service is it about?",
            "desired_outcome": "What difference would it make?",
            "author_named": "Show my name when the council's response is published",
        }
        help_texts = {
            "lived_experience": "Share only what you are comfortable sharing. "
            "Do not name other people.",
            "author_named": "If you leave this unticked, it is published as from the board.",
        }
        widgets = {
            "what_should_change": forms.Textarea(attrs={"rows": 5}),
            "lived_experience": forms.Textarea(attrs={"rows": 6}),
            "evidence": forms.Textarea(attrs={"rows": 4}),
            "desired_outcome": forms.Textarea(attrs={"rows": 4}),
        }
        error_messages = {
            "title": {"required": "Enter a title for your recommendation"},
            "what_should_change": {"required": "Enter what should change"},
            "lived_experience": {"required": "Enter why, from lived experience"},
            "service_area": {"required": "Select the council service it is about"},
            "desired_outcome": {"required": "Enter the difference it would make"},
        }


class ExpenseClaimForm(forms.ModelForm):
    class Meta:
        model = ExpenseClaim
        fields = ["meeting", "kind", "amount", "description", "receipt"]
        labels = {
            "meeting": "Which meeting is this for? (optional)",
            "kind": "What are you claiming for?",
            "amount": "Amount, in pounds",
            "description": "Describe the expense",
            "receipt": "Upload a receipt (optional)",
        }
        error_messages = {
            "kind": {"required": "Select what you are claiming for"},
            "amount": {
                "required": "Enter the amount",
                "invalid": "Enter the amount in pounds, like 12.50",
                "min_value": "The amount must be £0.01 or more",
                "max_decimal_places": "Enter the amount in pounds and pence, like 12.50",
                "max_digits": "The amount must be less than £1,000,000",
                "max_whole_digits": "The amount must be less than £1,000,000",
            },
            "description": {"required": "Describe the expense"},
        }

    def __init__(self, *args, member=None, **kwargs):
        super().__init__(*args, **kwargs)
        meetings = Meeting.objects.order_by("-starts_at")
        if member is not None:
            meetings = meetings.filter(attendance__member=member, attendance__attended=True)
        # The 50 latest. Not a sliced queryset: the field checks a choice with .get(), which a
        # sliced queryset refuses, so every meeting chosen would be "not a valid choice".
        latest = list(meetings.values_list("pk", flat=True)[:50])
        self.fields["meeting"].queryset = Meeting.objects.filter(pk__in=latest).order_by(
            "-starts_at"
        )
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal", "min": "0.01"})
        self.fields[
            "receipt"
        ].help_text = (
            f"A PDF, JPG or PNG, smaller than {filesizeformat(settings.RECEIPT_MAX_BYTES)}."
        )


class YouSaidWeDidFilterForm(forms.Form):
    outcome = forms.ChoiceField(
        required=False, choices=[("", "All outcomes"), *CouncilResponse.Outcome.choices]
    )
    service_area = forms.ModelChoiceField(
        required=False, queryset=ServiceArea.objects.all(), empty_label="All services"
    )
    year = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from board.selectors import published_years

        years = published_years() or [timezone.localdate().year]
        self.fields["year"].choices = [("", "All years"), *[(y, str(y)) for y in years]]

    def cleaned_filters(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if value}

    def query_string(self) -> str:
        params = {
            key: (value.pk if hasattr(value, "pk") else value)
            for key, value in self.cleaned_filters().items()
        }
        return urlencode(params)


class ExpenseDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")], widget=forms.RadioSelect
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when rejecting: the member sees it.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give the reason the claim is rejected.")
        return data


class CouncilResponseAdminForm(WagtailAdminModelForm):
    """Only a recommendation that is acknowledged and has no response yet can be answered."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "recommendation" in self.fields:
            queryset = Recommendation.objects.exclude(status=Recommendation.Status.RECEIVED)
            if self.instance.pk:
                queryset = queryset.filter(pk=self.instance.recommendation_id)
            else:
                queryset = queryset.filter(response__isnull=True)
            self.fields["recommendation"].queryset = queryset.select_related("service_area")


class ReviewCommentForm(forms.Form):
    """An approver's comment on the text submitted (Wagtail's workflow comment)."""

    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The engagement manager sees it in the response's workflow history.",
    )


class RequestChangesForm(ReviewCommentForm):
    """Asking for changes says which: the comment is required."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].required = True
        self.fields["comment"].label = "What needs to change"
        self.fields["comment"].error_messages["required"] = "Say what needs to change."


class WithdrawalRequestForm(forms.Form):
    reason = forms.CharField(
        label='Why should this answer come off "You said, we did"?',
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the reason the answer should be withdrawn."},
        help_text="An approver reads this before agreeing. It is kept in the audit log.",
    )


class WithdrawalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("agree", "Agree: withdraw the answer"), ("refuse", "Refuse: keep it published")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when refusing: the person who asked sees it.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not (data.get("comment") or "").strip():
            self.add_error("comment", "Say why the answer stays published.")
        return data
