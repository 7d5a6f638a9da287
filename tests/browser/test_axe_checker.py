"""The accessibility checker itself must catch a broken page."""

import pytest

from tests.browser.conftest import axe_violations


def test_checker_catches_an_image_without_alt_text(chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.set_content(
        "<!DOCTYPE html><html lang='en'><head><title>Broken</title></head>"
        "<body><main><h1>Broken</h1><img src='data:image/png;base64,iVBORw0KGgo='></main></body>"
        "</html>"
    )
    ids = {violation["id"] for violation in axe_violations(page)}
    context.close()
    assert "image-alt" in ids


def test_checker_passes_a_sound_page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.set_content(
        "<!DOCTYPE html><html lang='en'><head><title>Fine</title></head>"
        "<body><main><h1>Fine</h1><p>Text</p></main></body></html>"
    )
    assert axe_violations(page) == []
    context.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_checker_reports_console_errors(browser_for):
    visitor = browser_for("checker")
    visitor.visit("/", check=False)
    visitor.page.evaluate("console.error('deliberate')")
    with pytest.raises(AssertionError, match="console errors"):
        visitor.check()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("run", [1, 2])
def test_each_browser_test_starts_from_the_migrated_database(chromium, run):
    """Roles and the default site come from migrations; a transactional test before this one
    flushed them, so they are here only if serialized rollback restored them (it did not when
    Playwright's greenlet context hid the test database's connection wrapper)."""
    from django.contrib.auth.models import Group
    from django.db import connection

    from wagtail.models import Site

    from cms import roles

    assert hasattr(connection, "_test_serialized_contents")
    assert Site.objects.filter(is_default_site=True).exists()
    assert set(roles.ALL_ROLES) <= set(Group.objects.values_list("name", flat=True))
