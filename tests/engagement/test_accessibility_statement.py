"""The accessibility statement page, in the structure the 2018 regulations require, and the
footer link to it from Council details."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import wagtail_factories

from django.core.exceptions import ValidationError
from django.utils import timezone

from wagtail.admin.panels import PageChooserPanel
from wagtail.models import Site

from cms.models import AccessibilityStatementPage, SiteSettings

pytestmark = pytest.mark.django_db


class AccessibilityStatementPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = AccessibilityStatementPage

    title = "Accessibility statement"
    slug = "accessibility-statement"
    intro = "This statement applies to the engagement website."
    how_accessible = "<p>HOW-ACCESSIBLE: most of the site works with a screen reader.</p>"
    feedback_and_contact = "<p>FEEDBACK: ask us for another format.</p>"
    reporting_problems = "<p>REPORTING: tell us about problems.</p>"
    compliance = AccessibilityStatementPage.Compliance.PARTIAL
    non_accessible_content = "<p>NON-ACCESSIBLE: some older PDFs.</p>"
    improvements = "<p>IMPROVEMENTS: replacing the PDFs.</p>"
    prepared_on = date(2026, 9, 1)
    last_reviewed_on = date(2026, 11, 1)
    tested_on = date(2026, 10, 15)
    tested_by = "Tested by the digital team with axe-core and a screen reader."


def test_statement_shows_every_required_section_in_order(client, home):
    statement = AccessibilityStatementPageFactory(parent=home)
    body = client.get(statement.url).content.decode()
    headings = [
        "How accessible this website is",
        "Feedback and contact information",
        "Reporting accessibility problems with this website",
        "Enforcement procedure",
        "Technical information about this website's accessibility",
        "What we're doing to improve accessibility",
        "Preparation of this accessibility statement",
    ]
    positions = [body.index(heading) for heading in headings]
    assert positions == sorted(positions)
    for marker in ("HOW-ACCESSIBLE", "FEEDBACK", "REPORTING", "NON-ACCESSIBLE", "IMPROVEMENTS"):
        assert marker in body
    assert "partially compliant with the" in body
    assert "Equality Advisory and Support Service" in body  # the default enforcement text
    assert "This statement was prepared on 1 September 2026." in body
    assert "It was last reviewed on 1 November 2026." in body
    assert "This website was last tested on 15 October 2026." in body


def test_not_fully_compliant_needs_the_non_accessible_content(home):
    with pytest.raises(ValidationError) as error:
        AccessibilityStatementPageFactory(parent=home, non_accessible_content="<p> </p>")
    assert "non_accessible_content" in error.value.message_dict
    AccessibilityStatementPageFactory(
        parent=home,
        compliance=AccessibilityStatementPage.Compliance.FULL,
        non_accessible_content="",
    )


def test_dates_are_checked(home):
    with pytest.raises(ValidationError) as error:
        AccessibilityStatementPageFactory(
            parent=home,
            last_reviewed_on=date(2026, 1, 1),
            tested_on=timezone.localdate() + timedelta(days=1),
        )
    assert {"last_reviewed_on", "tested_on"} <= set(error.value.message_dict)


def test_council_details_link_the_statement_from_every_footer(client, home):
    statement = AccessibilityStatementPageFactory(parent=home)
    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.accessibility_statement_page = statement
    site_settings.save()
    body = client.get("/").content.decode()
    assert (
        f'<a class="govuk-footer__link" href="{statement.url}">Accessibility statement</a>' in body
    )

    # The chooser in Council details offers only statement pages.
    panel = next(
        child
        for group in SiteSettings.panels
        for child in getattr(group, "children", [group])
        if getattr(child, "field_name", "") == "accessibility_statement_page"
    )
    assert isinstance(panel, PageChooserPanel)
    assert panel.page_type == "cms.AccessibilityStatementPage"

    statement.unpublish()
    assert statement.url not in client.get("/").content.decode()


def test_only_one_statement(home):
    AccessibilityStatementPageFactory(parent=home)
    assert not AccessibilityStatementPage.can_create_at(home)
