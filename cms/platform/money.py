"""Sums of money, written one way everywhere: on screen "£1,234.50", in a CSV "1234.50".

A database sum is not always pence: SQLite keeps a DecimalField as a float, and Django hands back
its sum as ``Decimal("12.4000000000000")``, which pages and CSVs once printed as it came. Every
money display and export goes through here, so the rounding cannot drift between them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PENCE = Decimal("0.01")


def to_pounds(value: Decimal | float | int | str) -> Decimal:
    """An amount as pounds and pence (two decimal places, halves rounded up)."""
    if not isinstance(value, Decimal):
        # Through str: Decimal(0.1) would carry the float's binary error into the pence.
        value = Decimal(str(value))
    return value.quantize(PENCE, rounding=ROUND_HALF_UP)


def format_pounds(value: Decimal | float | int | str) -> str:
    """For people: "£1,234.50"."""
    return f"£{to_pounds(value):,}"


def pounds_cell(value: Decimal | float | int | str) -> str:
    """For a CSV cell a spreadsheet reads as a number: "1234.50", no symbol or separators."""
    return f"{to_pounds(value)}"
