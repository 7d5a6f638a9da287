"""Server-rendered SVG charts of a measure's report (no JavaScript: the admin's CSP allows none).

``percent_positive_chart`` draws percent positive by group over the waves: a point for each
figure shown, its 95% interval as a bar, and a line joining a group's points in consecutive
waves of the same series. A suppressed figure has no point, and a line never crosses it or a
break in series, so both show as a gap. Each group has its own colour and marker shape (so
colour is never the only cue), and keeps them from one measure to the next.

The chart is ``role="img"`` with a ``<title>`` and ``<desc>``; the page puts its data table
straight after it. Colours, not CSS, are SVG attributes, which the CSP does not restrict.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from surveys import classifications as c
from surveys.analysis.formatting import shown_interval
from surveys.analysis.groups import ALL, GROUP_LABELS, NOT_ANSWERED
from surveys.analysis.report import Report

WIDTH = 760
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 44
PLOT_HEIGHT = 300
LEGEND_ROW = 24
LEGEND_COLUMNS = 2
MARKER = 5.0

# Colours with at least 3:1 contrast against white (WCAG 1.4.11), and a marker shape each.
STYLES: dict[str, tuple[str, str]] = {
    "asian": ("#0072B2", "circle"),
    "black": ("#C14F00", "square"),
    c.ETHNIC_MINORITIES: ("#AA3377", "triangle"),
    "mixed": ("#007A5A", "diamond"),
    "white": ("#332288", "circle"),
    c.WHITE_BRITISH: ("#5C7A00", "square"),
    "other": ("#8C510A", "triangle-down"),
    c.PREFER_NOT_TO_SAY: ("#8A6A00", "diamond"),
    NOT_ANSWERED: ("#6B6B6B", "triangle-down"),
    ALL: ("#000000", "square"),
}
FALLBACK = ("#444444", "circle")


def _polygon(points: list[tuple[float, float]]) -> str:
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "z"


def _marker(shape: str, x: float, y: float, size: float = MARKER) -> str:
    """An SVG path for a marker centred on (x, y)."""
    s = size
    if shape == "square":
        s *= 0.9
        return _polygon([(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)])
    if shape == "triangle":
        return _polygon([(x, y - s * 1.2), (x + s * 1.1, y + s * 0.8), (x - s * 1.1, y + s * 0.8)])
    if shape == "triangle-down":
        return _polygon([(x, y + s * 1.2), (x + s * 1.1, y - s * 0.8), (x - s * 1.1, y - s * 0.8)])
    if shape == "diamond":
        s *= 1.25
        return _polygon([(x, y - s), (x + s, y), (x, y + s), (x - s, y)])
    # A circle as two arcs, so that every marker is a <path>.
    return (
        f"M{x - s:.1f},{y:.1f}a{s:.1f},{s:.1f} 0 1,0 {2 * s:.1f},0"
        f"a{s:.1f},{s:.1f} 0 1,0 {-2 * s:.1f},0z"
    )


def chart_description(report: Report) -> str:
    first, last = report.years[0], report.years[-1]
    span = str(first) if first == last else f"{first} to {last}"
    parts = [
        f"Percent of answers that are positive, by ethnic group, {span}, each with its 95% "
        "interval.",
        "Figures suppressed to protect confidentiality are left out.",
    ]
    if report.breaks:
        parts.append(
            "A break in series at "
            + ", ".join(str(year) for year in report.breaks)
            + ": the lines are not joined across it."
        )
    parts.append(report.summary())
    parts.append("The figures are in the tables that follow the chart.")
    return " ".join(parts)


def percent_positive_chart(report: Report, *, title: str, chart_id: str = "measure-chart") -> str:
    """The chart as SVG markup, or "" when the report has no waves with answers."""
    if not report.years:
        return ""
    years = report.years
    groups = [group for group in report.groups if any(r.group == group for r in report.rows)]
    plot_width = WIDTH - LEFT - RIGHT
    band = plot_width / len(years)
    step = min(12.0, band * 0.8 / max(len(groups), 1))
    legend_rows = -(-len(groups) // LEGEND_COLUMNS)
    legend_top = TOP + PLOT_HEIGHT + BOTTOM
    height = legend_top + legend_rows * LEGEND_ROW + 8

    def x_of(index: int, group_index: int) -> float:
        return LEFT + band * (index + 0.5) + (group_index - (len(groups) - 1) / 2) * step

    def y_of(percent: float) -> float:
        return TOP + (100 - percent) / 100 * PLOT_HEIGHT

    parts: list[str] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="measure-chart" '
            'viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="{}-title {}-desc">'
            '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
            WIDTH,
            height,
            chart_id,
            chart_id,
            chart_id,
            title,
            chart_id,
            chart_description(report),
        )
    ]
    # Grid and axes.
    for percent in range(0, 101, 20):
        y = y_of(percent)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="#0b0c0c">{}%</text>',
                LEFT,
                WIDTH - RIGHT,
                f"{y:.1f}",
                f"{y:.1f}",
                "#505a5f" if percent == 0 else "#d8dadb",
                LEFT - 8,
                f"{y + 4:.1f}",
                percent,
            )
        )
    parts.append(
        format_html(
            '<text transform="translate(16 {}) rotate(-90)" text-anchor="middle" font-size="12" '
            'fill="#0b0c0c">% positive</text>',
            f"{TOP + PLOT_HEIGHT / 2:.1f}",
        )
    )
    for index, year in enumerate(years):
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="13" fill="#0b0c0c">{}</text>',
                f"{LEFT + band * (index + 0.5):.1f}",
                TOP + PLOT_HEIGHT + 20,
                year,
            )
        )
        if year in report.breaks:
            x = LEFT + band * index
            parts.append(
                format_html(
                    '<g class="series-break"><line x1="{}" x2="{}" y1="{}" y2="{}" '
                    'stroke="#505a5f" stroke-width="1.5" stroke-dasharray="6 4"/>'
                    '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="#0b0c0c">'
                    "Break in series</text></g>",
                    f"{x:.1f}",
                    f"{x:.1f}",
                    TOP - 4,
                    TOP + PLOT_HEIGHT,
                    f"{x:.1f}",
                    TOP - 10,
                )
            )

    # Series: interval bars, lines between consecutive shown points, then the points on top.
    points: list[str] = []
    for group_index, group in enumerate(groups):
        colour, shape = STYLES.get(group, FALLBACK)
        label = GROUP_LABELS.get(group, group)
        shown = {}
        for index, year in enumerate(years):
            row = report.row(year, group)
            if row is None or row.suppressed or row.percent is None:
                continue
            shown[index] = row
            x, y = x_of(index, group_index), y_of(row.percent)
            if row.ci_low is not None and row.ci_high is not None:
                low, high = y_of(row.ci_low), y_of(row.ci_high)
                parts.append(
                    format_html(
                        '<path class="interval" d="M{},{}V{}M{},{}h{}M{},{}h{}" stroke="{}" '
                        'stroke-width="1.5" fill="none"/>',
                        f"{x:.1f}",
                        f"{low:.1f}",
                        f"{high:.1f}",
                        f"{x - 3:.1f}",
                        f"{low:.1f}",
                        6,
                        f"{x - 3:.1f}",
                        f"{high:.1f}",
                        6,
                        colour,
                    )
                )
            points.append(
                format_html(
                    '<path class="point" data-group="{}" data-year="{}" d="{}" fill="{}" '
                    'stroke="#ffffff" stroke-width="1">'
                    "<title>{}, {}: {}% ({} to {})</title></path>",
                    group,
                    year,
                    _marker(shape, x, y),
                    colour,
                    label,
                    year,
                    *shown_interval(row.percent, row.ci_low, row.ci_high),
                )
            )
        for index in range(1, len(years)):
            if index - 1 in shown and index in shown and years[index] not in report.breaks:
                parts.append(
                    format_html(
                        '<line class="series-line" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" '
                        'stroke-width="2"/>',
                        f"{x_of(index - 1, group_index):.1f}",
                        f"{y_of(shown[index - 1].percent):.1f}",
                        f"{x_of(index, group_index):.1f}",
                        f"{y_of(shown[index].percent):.1f}",
                        colour,
                    )
                )
        # Legend entry.
        column, line = group_index % LEGEND_COLUMNS, group_index // LEGEND_COLUMNS
        lx = LEFT + column * (plot_width / LEGEND_COLUMNS)
        ly = legend_top + line * LEGEND_ROW
        parts.append(
            format_html(
                '<g class="legend-entry"><path d="{}" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" fill="#0b0c0c">{}{}</text></g>',
                _marker(shape, lx + 6, ly),
                colour,
                f"{lx + 18:.1f}",
                f"{ly + 4:.1f}",
                label,
                "" if shown else " (no figures shown)",
            )
        )
    parts.extend(points)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above went through format_html


def point_count(svg: str | SafeString) -> int:
    """How many figures a chart plots (for tests and checks)."""
    return str(svg).count('class="point"')


__all__ = ["chart_description", "percent_positive_chart", "point_count"]
