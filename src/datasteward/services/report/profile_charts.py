"""Charts of a profile: histograms, top values, the missing-value matrix, correlations."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from markupsafe import Markup

from datasteward.services.report.missing import MissingMatrix
from datasteward.services.report.profile_view import Bin
from datasteward.services.report.svg import (
    Linear,
    Svg,
    diverging,
    element,
    nice_ticks,
    sequential,
    short_number,
)

__all__ = ["correlation_heatmap", "histogram", "missing_matrix_chart", "top_values"]

_WIDTH = 320


def histogram(
    bins: list[Bin], *, column: str, temporal: bool, quantiles: dict[str, float] | None = None
) -> Markup:
    """Bars of a numeric (or temporal) column's distribution, the median marked."""
    height, left, right, top, bottom = 150, 34, 8, 8, 22
    svg = Svg(_WIDTH, height, label=f"Distribution of {column}", kind="histogram")
    low, high = bins[0].low, bins[-1].high
    tallest = max(b.count for b in bins) or 1
    x = Linear(low, high, left, _WIDTH - right)
    ticks = nice_ticks(0, tallest, 4)
    y = Linear(0, ticks[-1], height - bottom, top)
    for tick in ticks:
        svg.element("line", x1=left, x2=_WIDTH - right, y1=y(tick), y2=y(tick), class_="grid")
        svg.text(left - 4, y(tick) + 3.5, short_number(tick), class_="axis", text_anchor="end")
    for b in bins:
        x0, x1 = x(b.low), x(b.high)
        tip = f"{_edge(b.low, temporal)} to {_edge(b.high, temporal)}: {b.count:,} rows"
        svg.group(
            [
                element(
                    "rect",
                    x=x0 + 0.5,
                    y=y(b.count),
                    width=max(x1 - x0 - 1, 0.8),
                    height=max(y(0) - y(b.count), 0),
                    class_="bar",
                )
            ],
            tooltip=tip,
        )
    median = (quantiles or {}).get("p50")
    if median is not None and not temporal and low <= median <= high:
        svg.element("line", x1=x(median), x2=x(median), y1=top, y2=y(0), class_="marker")
        svg.text(x(median) + 3, top + 9, "median", class_="axis")
    for value, anchor in ((low, "start"), (high, "end")):
        svg.text(x(value), height - 6, _edge(value, temporal), class_="axis", text_anchor=anchor)
    return svg.render()


def top_values(values: list[tuple[str, int]], *, column: str, rows: int | None) -> Markup:
    """Horizontal bars of the most frequent values, with counts and shares."""
    shown = values[:10]
    row_height, label_width = 22, 112
    height = row_height * len(shown) + 4
    svg = Svg(_WIDTH, height, label=f"Most frequent values of {column}", kind="top-values")
    most = max((count for _, count in shown), default=1) or 1
    x = Linear(0, most, label_width, _WIDTH - 64)
    for i, (value, count) in enumerate(shown):
        y = 2 + i * row_height
        share = f" ({count / rows:.1%})" if rows else ""
        svg.group(
            [
                element(
                    "text",
                    _clip(value, 17),
                    x=label_width - 6,
                    y=y + 15,
                    class_="label",
                    text_anchor="end",
                ),
                element(
                    "rect",
                    x=label_width,
                    y=y + 3,
                    width=max(x(count) - label_width, 1),
                    height=row_height - 7,
                    rx=2,
                    class_="bar",
                ),
                element("text", short_number(count), x=x(count) + 4, y=y + 15, class_="axis"),
            ],
            tooltip=f"{value}: {count:,} rows{share}",
        )
    return svg.render()


def missing_matrix_chart(matrix: MissingMatrix) -> Markup:
    """Columns across, row bands (in stored order) down; darker cells hold more NULLs."""
    cell_w = min(36, max(14, 560 // max(len(matrix.columns), 1)))
    cell_h, left, bottom = 5, 56, 24
    top = _rotated_height(matrix.columns) + 4
    width = left + cell_w * len(matrix.columns) + 8
    height = top + cell_h * len(matrix.band_rows) + bottom
    svg = Svg(width, height, label="Missing values by column and row band", kind="missing")
    for c, name in enumerate(matrix.columns):
        cx = left + c * cell_w + cell_w / 2
        share = matrix.column_fraction(c)
        svg.element(
            "text",
            _clip(name, 14),
            x=cx + 3,
            y=top - 6,
            class_="label",
            transform=f"rotate(-55 {cx + 3:.1f} {top - 6})",
        )
        svg.text(cx, height - bottom + 15, _percent(share), class_="axis", text_anchor="middle")
    cells = []
    for b, fractions in enumerate(matrix.fractions):
        first, last = matrix.band_range(b)
        for c, share in enumerate(fractions):
            cells.append(
                f'<rect x="{left + c * cell_w + 0.5:.1f}" y="{top + b * cell_h}" '
                f'width="{cell_w - 1}" height="{cell_h}" fill="{sequential(share)}">'
                f"<title>{_escape(matrix.columns[c])}, rows {first:,} to {last:,}: "
                f"{_percent(share)} missing</title></rect>"
            )
    svg.group(cells, class_="cells")
    svg.text(left - 6, top + 8, "row 1", class_="axis", text_anchor="end")
    svg.text(left - 6, top + cell_h * len(matrix.band_rows), short_number(matrix.rows),
             class_="axis", text_anchor="end")  # fmt: skip
    return svg.render()


def correlation_heatmap(names: list[str], matrix: list[list[float | None]]) -> Markup:
    """A diverging heatmap of pairwise correlations, values printed when they fit."""
    cell = max(18, min(44, 420 // max(len(names), 1)))
    left, top = 96, 8
    size = cell * len(names)
    width, height = left + size + 8, top + size + _rotated_height(names) + 12
    svg = Svg(width, height, label="Correlations between numeric columns", kind="heatmap")
    cells = []
    for r, row in enumerate(matrix):
        for c, value in enumerate(row):
            fill = "#eef0f3" if value is None else diverging(value)
            tip = f"{names[r]} and {names[c]}: " + ("n/a" if value is None else f"{value:+.2f}")
            cells.append(
                f'<g><title>{_escape(tip)}</title><rect x="{left + c * cell}" '
                f'y="{top + r * cell}" width="{cell - 1}" height="{cell - 1}" fill="{fill}"/>'
            )
            if value is not None and cell >= 30:
                ink = "#fff" if abs(value) > 0.6 else "#24292f"
                cells.append(
                    f'<text x="{left + c * cell + cell / 2 - 0.5:.1f}" '
                    f'y="{top + r * cell + cell / 2 + 3.5:.1f}" text-anchor="middle" '
                    f'class="cell" style="fill:{ink}">{_two_places(value)}</text>'
                )
            cells.append("</g>")
    svg.group(cells, class_="cells")
    for i, name in enumerate(names):
        mid = i * cell + cell / 2
        svg.text(left - 6, top + mid + 4, _clip(name, 14), class_="label", text_anchor="end")
        x, y = left + mid + 4, top + size + 8
        svg.element(
            "text",
            _clip(name, 14),
            x=x,
            y=y,
            class_="label",
            text_anchor="end",
            transform=f"rotate(-55 {x:.1f} {y})",
        )
    return svg.render()


def _two_places(value: float) -> str:
    return "0.00" if abs(value) < 0.005 else f"{value:.2f}"  # never "-0.00"


def _rotated_height(names: list[str]) -> int:
    """Room for labels turned 55 degrees: about 5.2 units per character of the longest."""
    return 14 + round(5.2 * max((len(_clip(n, 14)) for n in names), default=1))


def _edge(value: float, temporal: bool) -> str:
    if temporal:
        return f"{datetime.fromtimestamp(value, UTC):%Y-%m-%d}"
    return short_number(value)


def _percent(share: float) -> str:
    if share == 0:
        return "0"
    if share < 0.001:
        return "<0.1%"
    return f"{share:.0%}" if share >= 0.1 else f"{share:.1%}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    return escape(text, quote=False)
