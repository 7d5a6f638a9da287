"""The board's rules (a site setting) shape what can be saved."""

from datetime import timedelta

import pytest

from django.core.exceptions import ValidationError
from django.utils import timezone

from wagtail.models import Site

from board.models import BoardSettings, Membership
from tests.board.factories import BoardMemberFactory

pytestmark = pytest.mark.django_db


def test_a_term_cannot_be_longer_than_the_rules_allow():
    rules = BoardSettings.for_site(Site.objects.get(is_default_site=True))
    rules.term_length_months = 12
    rules.save()
    start = timezone.localdate()
    too_long = Membership(
        member=BoardMemberFactory(), term_starts=start, term_ends=start + timedelta(days=400)
    )
    with pytest.raises(ValidationError) as error:
        too_long.full_clean()
    assert "at most 12 months" in str(error.value)
    Membership(
        member=BoardMemberFactory(), term_starts=start, term_ends=start + timedelta(days=365)
    ).full_clean()
