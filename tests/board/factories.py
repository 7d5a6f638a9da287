"""Factories for the board (factory_boy + wagtail-factories)."""

from __future__ import annotations

from datetime import timedelta

import factory
import wagtail_factories

from django.contrib.auth.models import Group
from django.utils import timezone

from board.models import (
    BoardIndexPage,
    CouncilResponse,
    ImplementedChange,
    Meeting,
    Membership,
    Recommendation,
    ServiceArea,
    TermsOfReferencePage,
    YouSaidWeDidPage,
)
from cms import roles
from tests.factories import UserFactory


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Service {n}")


class BoardMemberFactory(UserFactory):
    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create:
            self.groups.add(*Group.objects.filter(name__in=extracted or [roles.BOARD_MEMBERS]))


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    reference = factory.Sequence(lambda n: f"R-2026-{n + 100:03d}")
    title = factory.Sequence(lambda n: f"Recommendation {n}")
    what_should_change = "Change the way letters are written."
    lived_experience = "I could not understand the letter I was sent."
    desired_outcome = "Letters everyone can read."
    service_area = factory.SubFactory(ServiceAreaFactory)
    author = factory.SubFactory(BoardMemberFactory)
    author_named = False


class CouncilResponseFactory(factory.django.DjangoModelFactory):
    """A response saved as a draft (not live); use ``publish_response`` to make it public."""

    class Meta:
        model = CouncilResponse

    recommendation = factory.SubFactory(RecommendationFactory, status="response_drafted")
    outcome = CouncilResponse.Outcome.ACCEPTED
    response = "We will rewrite our standard letters in plain English."
    live = False


def publish_response(response: CouncilResponse, *, user=None) -> CouncilResponse:
    """Publish as Wagtail does (a revision, then publish), which fires the status change."""
    revision = response.save_revision(user=user)
    revision.publish(user=user, skip_permission_checks=True)
    response.refresh_from_db()
    return response


class ImplementedChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImplementedChange

    recommendation = factory.SubFactory(RecommendationFactory)
    kind = ImplementedChange.Kind.SERVICE
    description = "Letters rewritten."
    service_area = factory.SubFactory(ServiceAreaFactory)
    implemented_on = factory.LazyFunction(timezone.localdate)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    member = factory.SubFactory(BoardMemberFactory)
    term_starts = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=100))
    term_ends = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=630))


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    title = "Board meeting"
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    agenda = "<p>Agenda</p>"


class BoardIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = BoardIndexPage

    title = "The board"
    slug = "board"


class YouSaidWeDidPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = YouSaidWeDidPage

    title = "You said, we did"
    slug = "you-said-we-did"


SECTION = "<p>Section text.</p>"


class TermsOfReferencePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = TermsOfReferencePage

    title = "Terms of Reference"
    slug = "terms-of-reference"
    agreed_on = factory.LazyFunction(timezone.localdate)
    purpose = "<p>Our purpose is to advise.</p>"
    membership = SECTION
    decision_rights = SECTION
    confidentiality = SECTION
    escalation_routes = SECTION
    accessibility = SECTION
    remuneration_and_expenses = SECTION
    safeguarding = SECTION
    trauma_informed_practice = SECTION
    translation_and_interpretation = SECTION
