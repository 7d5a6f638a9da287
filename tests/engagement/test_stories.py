"""Community stories: consent recorded before publishing, the teller named only if they chose,
and an image only with its alt text."""

from __future__ import annotations

from datetime import timedelta

import pytest
import wagtail_factories

from django.core.exceptions import ValidationError
from django.utils import timezone

from engagement.models import StoryPage
from engagement.models.stories import StoryPageForm, consent_errors
from tests.engagement.factories import StoryPageFactory

pytestmark = pytest.mark.django_db


def body_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"consent_given": False}, "consent_given"),
        ({"consent_recorded_on": None}, "consent_recorded_on"),
        (
            {"consent_recorded_on": timezone.localdate() + timedelta(days=1)},
            "consent_recorded_on",
        ),
        ({"name_teller": True, "teller_name": "  "}, "teller_name"),
    ],
)
def test_a_story_cannot_be_published_without_recorded_consent(story_index, fields, error_field):
    with pytest.raises(ValidationError) as error:
        StoryPageFactory(parent=story_index, **fields)
    assert error_field in error.value.message_dict
    assert not StoryPage.objects.exists()


def test_a_draft_can_wait_for_consent_but_publishing_checks_it(story_index):
    draft = StoryPageFactory(
        parent=story_index, live=False, consent_given=False, consent_recorded_on=None
    )
    revision = draft.save_revision()
    with pytest.raises(ValidationError):
        revision.publish()
    draft.refresh_from_db()
    assert not draft.live

    draft.consent_given = True
    draft.consent_recorded_on = timezone.localdate()
    draft.save_revision().publish()
    draft.refresh_from_db()
    assert draft.live


def test_the_admin_form_defers_consent_only_for_drafts(story_index):
    form_class = StoryPage.get_edit_handler().get_form_class()
    assert issubclass(form_class, StoryPageForm)
    data = {
        "title": "A story",
        "slug": "a-story",
        "summary": "Summary.",
        "story-count": "0",
        "image_alt": "",
        "teller_description": "a resident",
        "consent_reference": "",
        "teller_name": "",
    }

    def form(deferred: bool):
        page = StoryPage()
        instance = form_class(data=data, instance=page, parent_page=story_index, for_user=None)
        if deferred:
            instance.defer_required_fields()
        return instance

    publishing = form(deferred=False)
    assert not publishing.is_valid()
    assert {"consent_given", "consent_recorded_on"} <= set(publishing.errors)

    saving_draft = form(deferred=True)
    saving_draft.is_valid()
    assert "consent_given" not in saving_draft.errors
    assert "consent_recorded_on" not in saving_draft.errors


def test_consent_rules_as_a_function():
    today = timezone.localdate()
    assert (
        consent_errors(
            consent_given=True, consent_recorded_on=today, name_teller=False, teller_name=""
        )
        == {}
    )
    assert set(
        consent_errors(
            consent_given=False, consent_recorded_on=None, name_teller=True, teller_name=""
        )
    ) == {"consent_given", "consent_recorded_on", "teller_name"}


def test_teller_is_named_only_when_they_chose(client, story_index):
    named = StoryPageFactory(
        parent=story_index, name_teller=True, teller_name="Adaeze", teller_description=""
    )
    unnamed = StoryPageFactory(
        parent=story_index,
        name_teller=False,
        teller_name="Fatima Quietly",
        teller_description="a grandmother from Clevedon",
        consent_reference="Form 42 in the consent file",
    )
    assert "Told by Adaeze" in body_of(client, named.url)
    body = body_of(client, unnamed.url)
    assert "Told by a grandmother from Clevedon" in body
    assert "Quietly" not in body
    assert "Form 42" not in body  # where consent is kept is never published
    listing = body_of(client, story_index.url)
    assert "Told by Adaeze" in listing and "Quietly" not in listing


def test_story_image_needs_alt_text(client, story_index):
    image = wagtail_factories.ImageFactory()
    with pytest.raises(ValidationError) as error:
        StoryPageFactory(parent=story_index, image=image, image_alt="  ")
    assert "image_alt" in error.value.message_dict

    story = StoryPageFactory(
        parent=story_index, image=image, image_alt="Two women cooking together in a kitchen."
    )
    body = body_of(client, story.url)
    assert 'alt="Two women cooking together in a kitchen."' in body
    assert 'alt="Two women cooking together in a kitchen."' in body_of(client, story_index.url)


def test_a_draft_with_an_image_still_needs_alt_text(story_index):
    image = wagtail_factories.ImageFactory()
    story = StoryPageFactory(parent=story_index, live=False)
    story.image = image
    story.image_alt = ""
    with pytest.raises(ValidationError) as error:
        story.full_clean()
    assert "image_alt" in error.value.message_dict
