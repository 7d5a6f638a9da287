"""How a report's figures are shown: p-values, estimates with their intervals, and directions.

One copy of each rule, used by the dashboard and its downloads, the annual summary, the chart
and ``survey_report``, so none of them prints "p = 0.001" for 0.00064, "60% (60-60)" or
"0 (-1 to 0), significant", or a difference without its direction.

Pure Python; no Django. Rounding is half up (``whole``), as everywhere in the reports.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SMALLEST_P = 0.001
BELOW_SMALLEST_P = "<0.001"
THREE_PLACES = Decimal("0.001")
ONE_PLACE = Decimal("0.1")


def _decimal(value: float, places: Decimal) -> Decimal:
    # First to 9 places, so floating-point noise does not decide the rounding (as ``whole``).
    exact = Decimal(str(float(value))).quantize(Decimal("1e-9"), rounding=ROUND_HALF_UP)
    return exact.quantize(places, rounding=ROUND_HALF_UP)


def whole(value: float | None) -> int | None:
    """Round half up to a whole number (Python's round() rounds half to even)."""
    return None if value is None else int(_decimal(value, Decimal("1")))


def shown_p(value: float | None) -> Decimal | str | None:
    """A p-value as shown: three decimal places, or "<0.001" for anything below 0.001 (which
    would otherwise round up to 0.001)."""
    if value is None:
        return None
    if value < SMALLEST_P:
        return BELOW_SMALLEST_P
    return _decimal(value, THREE_PLACES)


def interval_places(estimate: float, low: float, high: float, *, significant: bool = False) -> int:
    """0, or 1 where whole numbers would hide the interval: the rounded bounds both equal the
    rounded estimate ("60% (60-60)"), or a significant difference's rounded interval reaches 0
    ("0 (-1 to 0), significant")."""
    rounded = whole(estimate), whole(low), whole(high)
    if rounded[1] == rounded[0] == rounded[2]:
        return 1
    if significant and rounded[1] <= 0 <= rounded[2]:
        return 1
    return 0


def figure(value: float | None, places: int = 0) -> int | Decimal | None:
    """A figure rounded half up to ``places`` (0 or more): an int for 0, else a Decimal (so a
    spreadsheet keeps it as a number)."""
    if value is None:
        return None
    return whole(value) if places == 0 else _decimal(value, Decimal(1).scaleb(-places))


def shown_interval(
    estimate: float | None,
    low: float | None,
    high: float | None,
    *,
    significant: bool = False,
) -> tuple[int | Decimal | None, int | Decimal | None, int | Decimal | None]:
    """The estimate and its interval, all to the places ``interval_places`` chooses."""
    if estimate is None or low is None or high is None:
        return figure(estimate), figure(low), figure(high)
    places = interval_places(estimate, low, high, significant=significant)
    return figure(estimate, places), figure(low, places), figure(high, places)


def percent_text(estimate: float, low: float, high: float, *, to: str = " to ") -> str:
    """E.g. "48% (44 to 52)", or "60.0% (59.6 to 60.4)" where whole numbers would hide it."""
    shown, lower, upper = shown_interval(estimate, low, high)
    return f"{shown}% ({lower}{to}{upper})"


def points(value: int) -> str:
    return f"{value} point" if value == 1 else f"{value} points"


def relative_to(difference: float, reference: str) -> str:
    """A gap with its direction: "3 points above White", "less than 1 point below White",
    "level with White" (only when the difference is exactly nothing)."""
    if difference == 0:
        return f"level with {reference}"
    side = "above" if difference > 0 else "below"
    size = whole(abs(difference))
    return f"{'less than 1 point' if size == 0 else points(size)} {side} {reference}"
