"""The platform's registries: duplicates refused, order decided in one place, and no model that
holds personal data left unclaimed."""

from __future__ import annotations

import pytest

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models

from cms.platform import personal_data
from cms.platform.registry import Registry


@pytest.fixture
def throwaway_model():
    """Make a model in the board app for one test, and remove it from the app registry after."""
    made = []

    def make(name: str, **fields):
        model = type(name, (models.Model,), {"__module__": "board.models", **fields})
        made.append(model)
        return model

    yield make
    for model in made:
        del apps.all_models["board"][model._meta.model_name]
    apps.clear_cache()


def test_every_installed_model_that_holds_personal_data_is_claimed_or_exempt():
    assert personal_data.check_personal_data_is_claimed() == []
    claimed = personal_data.claimed_models()
    # The apps' own records, and the third-party ones a board member's erasure must reach.
    for label in ("board.Membership", "engagement.NewsletterSubscriber"):
        assert label in claimed
    assert claimed["surveys.SurveyInvitation"] == "surveys"
    for label in ("account.EmailAddress", "mfa.Authenticator", "wagtailadmin.FormState"):
        assert claimed[label] == "account"
    assert "wagtailcore.Revision" in personal_data.exempt_models()


def test_a_new_model_linking_to_the_user_fails_the_check_until_a_provider_claims_it(
    throwaway_model,
):
    throwaway_model(
        "MentoringNote",
        member=models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE),
        text=models.TextField(),
    )
    with pytest.raises(SystemCheckError, match=r"cms\.E001.*board\.MentoringNote.*member"):
        call_command("check")
    errors = personal_data.check_personal_data_is_claimed()
    assert [error.id for error in errors] == ["cms.E001"]
    assert "no personal-data provider claims it" in errors[0].msg

    personal_data.exempt("board.MentoringNote", reason="a test")
    try:
        assert personal_data.check_personal_data_is_claimed() == []
    finally:
        personal_data._exempt.pop("board.MentoringNote")


def test_an_email_field_is_personal_data_too(throwaway_model):
    throwaway_model("CallbackRequest", contact=models.EmailField())
    errors = personal_data.check_personal_data_is_claimed()
    assert any("board.CallbackRequest holds personal data (contact)" in e.msg for e in errors)


def test_a_claim_for_a_model_that_does_not_exist_is_an_error():
    personal_data.exempt("board.NoSuchModel", reason="a test")
    try:
        errors = personal_data.check_personal_data_is_claimed()
    finally:
        personal_data._exempt.pop("board.NoSuchModel")
    assert [(e.id, e.level) for e in errors] == [("cms.E002", checks.ERROR)]


def test_an_exemption_needs_a_reason():
    with pytest.raises(ValueError, match="say why"):
        personal_data.exempt("board.Membership", reason=" ")


def test_a_second_entry_under_one_key_is_refused():
    registry: Registry[str] = Registry(name="Things", module="no_such_module")
    registry.register("a", "first", app_label="board")
    with pytest.raises(ImproperlyConfigured, match="'a' is registered twice"):
        registry.register("a", "second", app_label="surveys")
    assert registry.get("a") == "first"
    with pytest.raises(LookupError, match="known: a"):
        registry.get("b")


def test_entries_come_by_order_then_installed_apps():
    registry: Registry[str] = Registry(name="Things", module="no_such_module")
    registry.register("engagement thing", "e", app_label="engagement")
    registry.register("late cms thing", "c-late", app_label="cms", order=100)
    registry.register("board thing", "b", app_label="board")
    registry.register("cms thing", "c", app_label="cms")
    assert list(registry) == ["c", "b", "e", "c-late"]


def test_the_personal_data_providers_walk_in_a_fixed_order():
    keys = [entry.key for entry in personal_data.providers.entries()]
    # The account's closure (anonymising the account itself) comes last.
    assert keys == [
        "account",
        "background tasks",
        "board",
        "surveys",
        "newsletter",
        "account closure",
    ]


@pytest.mark.django_db
def test_surveys_reach_current_board_members_through_the_audience_the_board_registers():
    from datetime import timedelta

    from django.utils import timezone

    from cms.platform import audiences
    from surveys import services
    from tests.board.factories import BoardMemberFactory, MembershipFactory

    today = timezone.localdate()
    current = BoardMemberFactory(email="current@example.org")
    MembershipFactory(member=current, term_starts=today - timedelta(days=30))
    former = BoardMemberFactory(email="former@example.org")
    MembershipFactory(
        member=former,
        term_starts=today - timedelta(days=800),
        term_ends=today - timedelta(days=1),
    )
    entry = audiences.audiences.entries()[0]
    assert (entry.key, entry.app_label) == (audiences.CURRENT_BOARD_MEMBERS, "board")
    assert audiences.emails_of(audiences.CURRENT_BOARD_MEMBERS) == ["current@example.org"]
    assert services.board_member_emails() == ["current@example.org"]
    with pytest.raises(LookupError, match="nothing registered as 'staff network'"):
        audiences.emails_of("staff network")
