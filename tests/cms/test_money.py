"""One money formatter: "£1,234.50" for people, "1234.50" for a CSV."""

from __future__ import annotations

from decimal import Decimal

import pytest

from django.template import Context, Template

from cms.platform.money import format_pounds, pounds_cell, to_pounds


@pytest.mark.parametrize(
    ("value", "shown", "cell"),
    [
        # What SQLite's Sum of a DecimalField hands back for 12.40.
        (Decimal("12.4000000000000"), "£12.40", "12.40"),
        (Decimal("1234.5"), "£1,234.50", "1234.50"),
        (12.4, "£12.40", "12.40"),
        (7, "£7.00", "7.00"),
        ("0.005", "£0.01", "0.01"),
        (Decimal("1000000"), "£1,000,000.00", "1000000.00"),
    ],
)
def test_money_is_pounds_and_pence(value, shown, cell):
    assert format_pounds(value) == shown
    assert pounds_cell(value) == cell
    assert to_pounds(value) == Decimal(cell)


def test_the_template_filter_uses_the_same_formatter():
    template = Template("{% load cms_tags %}[{{ a|pounds }}][{{ b|pounds }}]")
    assert template.render(Context({"a": Decimal("12.4000000000000"), "b": None})) == "[£12.40][]"
