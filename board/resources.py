"""django-import-export resources that bring existing board records in from a spreadsheet.

Both resources are ``cms.platform.imports.CreateOnlyResource``: they only ever create records (a
row never updates or deletes anything), validate each row with the model's own ``full_clean()``,
and word every problem in plain English against the column it came from, so the import page can
list them row by row. The widgets here are the board's own: an existing account, a service area,
a date of submission.
"""

from __future__ import annotations

import re
from datetime import datetime, time

from import_export import fields, widgets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from board.models import Membership, Recommendation, ServiceArea
from cms.platform.imports import (
    ChoiceWidget,
    CreateOnlyResource,
    FlexibleDateWidget,
    TextWidget,
    YesNoWidget,
    cell_text,
    quoted,
)
from cms.roles import BOARD_MEMBERS


class SubmittedDateWidget(FlexibleDateWidget):
    """A past date, stored as the start of that day in the site's time zone."""

    def clean(self, value, row=None, **kwargs):
        day = self.parse(value)
        if day is None:
            return None
        if day > timezone.localdate():
            raise ValueError(f"{day:%d/%m/%Y} is in the future: give the date it was submitted.")
        return timezone.make_aware(datetime.combine(day, time.min))

    def render(self, value, obj=None, **kwargs):
        return timezone.localdate(value).isoformat() if value else ""


class ExistingUserWidget(widgets.Widget):
    """An account, found by its email address; blank means nobody."""

    def clean(self, value, row=None, **kwargs):
        email = cell_text(value)
        if not email:
            return None
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise ValueError(
                f"Nobody has an account with the email address {quoted(email)}. "
                "Use the email of an existing account, or leave the cell empty."
            )
        return user

    def render(self, value, obj=None, **kwargs):
        return value.email if value else ""


class ServiceAreaWidget(widgets.Widget):
    """A service area by name (any case); a new name creates the service area."""

    def clean(self, value, row=None, **kwargs):
        name = " ".join(cell_text(value).split())
        if not name:
            return None
        area = ServiceArea.objects.filter(name__iexact=name).first()
        if area is not None:
            return area
        limit = ServiceArea._meta.get_field("name").max_length
        if len(name) > limit:
            raise ValueError(
                f"This service area name is too long: at most {limit} characters "
                f"(it has {len(name)})."
            )
        return ServiceArea.objects.create(name=name)

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class MembershipResource(CreateOnlyResource):
    """One term of board membership per row, for an existing account or a new board member."""

    REQUIRED_COLUMNS = ("email", "term_starts", "term_ends")
    OPTIONAL_COLUMNS = ("first_name", "last_name", "role")
    COLUMN_FOR_FIELD = {"member": "email"}

    # The person: resolved (or created) in import_instance, not set straight onto the model.
    email = fields.Field(column_name="email", widget=TextWidget())
    first_name = fields.Field(column_name="first_name", widget=TextWidget())
    last_name = fields.Field(column_name="last_name", widget=TextWidget())
    role = fields.Field(
        attribute="role",
        column_name="role",
        widget=ChoiceWidget(Membership.Role.choices, default=Membership.Role.MEMBER, noun="role"),
    )
    term_starts = fields.Field(
        attribute="term_starts", column_name="term_starts", widget=FlexibleDateWidget()
    )
    term_ends = fields.Field(
        attribute="term_ends", column_name="term_ends", widget=FlexibleDateWidget()
    )

    class Meta:
        model = Membership
        fields = ("email", "first_name", "last_name", "role", "term_starts", "term_ends")
        clean_model_instances = True
        use_transactions = True
        skip_diff = True
        store_instance = True

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        instance._new_member = None
        try:
            self._resolve_member(instance, row)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _resolve_member(self, instance, row) -> None:
        users = get_user_model().objects
        email = cell_text(row.get("email"))
        if not email:
            raise ValidationError({"member": "Give the member's email address."})
        normalized = users.normalize_email(email).lower()
        try:
            validate_email(normalized)
        except ValidationError:
            raise ValidationError({"member": f"{quoted(email)} is not an email address."}) from None
        user = users.filter(email__iexact=normalized).first()
        if user is not None:
            if not user.groups.filter(name=BOARD_MEMBERS).exists():
                raise ValidationError(
                    {
                        "member": (
                            f"The account for {quoted(email)} is not a board member's. "
                            "Give them the Board members role first, or check the address."
                        )
                    }
                )
            instance.member = user
            return
        new_member = get_user_model()(
            email=normalized,
            first_name=cell_text(row.get("first_name")),
            last_name=cell_text(row.get("last_name")),
        )
        # Set before checking, so the missing account is not also reported as a missing member.
        instance._new_member = new_member
        errors: dict = {}
        if not new_member.first_name:
            errors["first_name"] = [
                "Give the first name: nobody has an account with this email address yet, "
                "so one will be created."
            ]
        try:
            new_member.full_clean(exclude={"password", *errors})
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(
                {
                    self.column_for(name): [self.plain_message(name, e) for e in errs]
                    for name, errs in errors.items()
                }
            )

    def excluded_from_validation(self, instance) -> set[str]:
        # A member whose account is made on saving has no account to check yet.
        return {"member"} if getattr(instance, "_new_member", None) is not None else set()

    def before_save_instance(self, instance, row, **kwargs):
        new_member = getattr(instance, "_new_member", None)
        if new_member is None:
            return
        if self._is_dry_run(kwargs) and not self._is_using_transactions(kwargs):
            return  # Nothing could be rolled back: make no account on a dry run.
        new_member.set_unusable_password()
        new_member.save()
        new_member.groups.add(Group.objects.get(name=BOARD_MEMBERS))
        instance.member = new_member
        instance._new_member = None
        instance._account_created = True


REFERENCE_PATTERN = re.compile(r"R-(\d{4})-(\d+)")


class RecommendationResource(CreateOnlyResource):
    """Recommendations already made, with where each one had got to. No response is created."""

    REQUIRED_COLUMNS = (
        "title",
        "what_should_change",
        "lived_experience",
        "service_area",
        "desired_outcome",
        "submitted_at",
    )
    OPTIONAL_COLUMNS = ("reference", "evidence", "author_email", "author_named", "status")
    COLUMN_FOR_FIELD = {"author": "author_email"}

    reference = fields.Field(attribute="reference", column_name="reference", widget=TextWidget())
    title = fields.Field(attribute="title", column_name="title", widget=TextWidget())
    what_should_change = fields.Field(
        attribute="what_should_change", column_name="what_should_change", widget=TextWidget()
    )
    lived_experience = fields.Field(
        attribute="lived_experience", column_name="lived_experience", widget=TextWidget()
    )
    evidence = fields.Field(attribute="evidence", column_name="evidence", widget=TextWidget())
    service_area = fields.Field(
        attribute="service_area", column_name="service_area", widget=ServiceAreaWidget()
    )
    desired_outcome = fields.Field(
        attribute="desired_outcome", column_name="desired_outcome", widget=TextWidget()
    )
    author_email = fields.Field(
        attribute="author", column_name="author_email", widget=ExistingUserWidget()
    )
    author_named = fields.Field(
        attribute="author_named", column_name="author_named", widget=YesNoWidget()
    )
    status = fields.Field(
        attribute="status",
        column_name="status",
        widget=ChoiceWidget(
            Recommendation.Status.choices, default=Recommendation.Status.RECEIVED, noun="status"
        ),
    )
    submitted_at = fields.Field(
        attribute="submitted_at", column_name="submitted_at", widget=SubmittedDateWidget()
    )

    class Meta:
        model = Recommendation
        fields = (
            "reference",
            "title",
            "what_should_change",
            "lived_experience",
            "evidence",
            "service_area",
            "desired_outcome",
            "author_email",
            "author_named",
            "status",
            "submitted_at",
        )
        clean_model_instances = True
        use_transactions = True
        skip_diff = True
        store_instance = True

    def before_import(self, dataset, **kwargs):
        # References given in the file are kept clear of the ones generated for other rows.
        self._references_in_file = set()
        if dataset.headers and "reference" in dataset.headers:
            self._references_in_file = {
                cell_text(value) for value in dataset["reference"] if cell_text(value)
            }

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        instance._reference_pending = False
        if not instance.reference:
            if instance.submitted_at and "submitted_at" not in errors:
                year = timezone.localtime(instance.submitted_at).year
                instance.reference = self.next_reference(year)
            else:
                # Made from the submitted date, which is reported instead.
                instance._reference_pending = True
        if errors:
            raise ValidationError(errors)

    def next_reference(self, year: int) -> str:
        """The next free "R-YYYY-NNN" for the year, as board.services._next_reference makes."""
        prefix = f"R-{year}-"
        existing = (
            Recommendation.objects.select_for_update()
            .filter(reference__startswith=prefix)
            .values_list("reference", flat=True)
        )
        numbers = [
            int(match.group(2))
            for reference in [*existing, *getattr(self, "_references_in_file", ())]
            if (match := REFERENCE_PATTERN.fullmatch(reference)) and match.group(1) == str(year)
        ]
        return f"{prefix}{max(numbers, default=0) + 1:03d}"

    def excluded_from_validation(self, instance) -> set[str]:
        return {"reference"} if getattr(instance, "_reference_pending", False) else set()

    def plain_message(self, field_name: str, error) -> str:
        if field_name == "reference" and getattr(error, "code", None) == "unique":
            return "Another recommendation already has this reference (in the site or this file)."
        return super().plain_message(field_name, error)
