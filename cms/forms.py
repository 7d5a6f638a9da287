from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from wagtail.admin.forms import WagtailAdminModelForm

from cms import selectors
from cms.models import Invitation
from cms.roles import ALL_ROLES, roles_user_may_invite


class DateInput(forms.DateInput):
    """A browser date picker. Its value must be ISO 8601 whatever the locale: a browser discards
    anything else (en-GB's "03/12/2026"), so an initial or re-shown date would come up empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class InvitationForm(WagtailAdminModelForm):
    """Invite by email to one role; the roles offered are the ones the inviter may grant."""

    class Meta:
        model = Invitation
        fields = ["email", "role"]
        help_texts = {
            "email": "They will get a single-use link to create an account with this address.",
        }

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        allowed = roles_user_may_invite(for_user) if for_user else ()
        queryset = Group.objects.filter(name__in=allowed)
        # Keep the platform's order of roles rather than alphabetical.
        order = {name: index for index, name in enumerate(ALL_ROLES)}
        self.fields["role"].queryset = queryset
        choices = sorted(((g.pk, g.name) for g in queryset), key=lambda item: order[item[1]])
        self.fields["role"].choices = [("", "---------"), *choices]
        if len(allowed) == 1:
            self.fields["role"].initial = queryset.first()

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if (
            get_user_model().objects.filter(email__iexact=email).exists()
            and selectors.placeholder_account(email=email) is None
        ):
            raise forms.ValidationError("Someone with this email address already has an account.")
        return email
