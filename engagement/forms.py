from __future__ import annotations

from urllib.parse import urlencode

from django import forms

from engagement.models import ActivityPage


class ActivityFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "All activities"), *ActivityPage.Status.choices]
    )
    year = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=())

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "All years"), *[(y, str(y)) for y in years]]

    def cleaned_filters(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if value}

    def query_string(self) -> str:
        return urlencode(self.cleaned_filters())


class NewsletterSignupForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We will send you an email to confirm. We use your address only to send "
        "the newsletter, and you can unsubscribe at any time.",
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )


class SearchForm(forms.Form):
    q = forms.CharField(label="Search this site", max_length=200, required=False)
