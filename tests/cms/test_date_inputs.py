"""Browser date pickers get ISO dates: initial values and dates re-shown after an error.

A browser discards a date input's value unless it is ``YYYY-MM-DD``; Django localises it (en-GB
writes "03/12/2026"), so without ``cms.forms.DateInput`` defaults and re-shown dates came up empty.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import date, timedelta

import pytest

from django import forms
from django.utils import timezone

from board.models import Recommendation
from cms.forms import DateInput
from tests.board.factories import CouncilResponseFactory, RecommendationFactory, publish_response

pytestmark = pytest.mark.django_db

PRODUCT_APPS = ("cms", "board", "surveys", "engagement")


def _value_of(html: str, name: str) -> str | None:
    match = re.search(rf'<input type="date" name="{name}"(?: value="([^"]*)")?', html)
    assert match, f"no date input {name!r}"
    return match.group(1)


def test_the_widget_writes_iso_whatever_the_locale():
    rendered = DateInput().render("on", date(2026, 12, 3))
    assert 'type="date"' in rendered
    assert 'value="2026-12-03"' in rendered


def _product_form_classes():
    skip = re.compile(r"\.(migrations|settings)(\.|$)|^cms\.wsgi$")
    for app in PRODUCT_APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if not skip.search(info.name):
                importlib.import_module(info.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in subclasses(forms.BaseForm):
        if cls.__module__.split(".")[0] in PRODUCT_APPS:
            yield cls


def test_every_browser_date_input_in_the_product_writes_iso():
    date_pickers = {
        f"{cls.__module__}.{cls.__qualname__}.{name}": field.widget
        for cls in _product_form_classes()
        for name, field in cls.base_fields.items()
        if getattr(field.widget, "input_type", None) == "date"
    }
    assert date_pickers, "the sweep found no date input at all"
    wrong = [
        name
        for name, widget in date_pickers.items()
        if 'value="2026-12-03"' not in widget.render("d", date(2026, 12, 3))
    ]
    assert not wrong, f"date inputs a browser would blank: {wrong}"


def _manage_url(recommendation) -> str:
    return f"/admin/board/recommendations/{recommendation.pk}/manage/"


def test_manage_page_shows_the_due_date_and_progress_date_as_iso(manager_client):
    recommendation = RecommendationFactory(
        status=Recommendation.Status.ACKNOWLEDGED, due_date=date(2026, 12, 3)
    )
    page = manager_client.get(_manage_url(recommendation)).content.decode()
    assert _value_of(page, "due_date") == "2026-12-03"

    answered = publish_response(CouncilResponseFactory()).recommendation
    page = manager_client.get(_manage_url(answered)).content.decode()
    assert _value_of(page, "date") == timezone.localdate().isoformat()


def test_manage_page_keeps_the_dates_when_a_form_comes_back_with_an_error(manager_client):
    recommendation = RecommendationFactory(status=Recommendation.Status.ACKNOWLEDGED)
    # No owner chosen: the form is shown again, with the date the officer picked.
    response = manager_client.post(
        _manage_url(recommendation), {"action": "assign", "owner": "", "due_date": "2027-01-31"}
    )
    assert response.status_code == 200
    assert _value_of(response.content.decode(), "due_date") == "2027-01-31"

    answered = publish_response(CouncilResponseFactory()).recommendation
    response = manager_client.post(
        _manage_url(answered),
        {"action": "change", "kind": "", "description": "", "implemented_on": "2026-11-30"},
    )
    assert response.status_code == 200
    assert _value_of(response.content.decode(), "implemented_on") == "2026-11-30"


def test_new_board_evaluation_shows_its_default_dates_as_iso(analyst_client):
    page = analyst_client.get("/admin/surveys/board-evaluation/new/").content.decode()
    today = timezone.localdate()
    assert _value_of(page, "opens_on") == today.isoformat()
    assert _value_of(page, "closes_on") == (today + timedelta(days=28)).isoformat()


def test_new_board_evaluation_keeps_its_dates_after_an_error(analyst_client):
    response = analyst_client.post(
        "/admin/surveys/board-evaluation/new/",
        {"year": 2027, "opens_on": "2027-02-01", "closes_on": "2027-01-01"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The wave must close on or after it opens." in page
    assert _value_of(page, "opens_on") == "2027-02-01"
    assert _value_of(page, "closes_on") == "2027-01-01"
