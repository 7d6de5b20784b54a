"""Building blocks of the report's charts: SVG elements, scales, ticks and number labels.

Charts are plain SVG strings built in Python: the report stays one file that opens
offline, with no plotting library or script to load. Colours that mean something
(pass, fail, warn, error) are CSS classes defined once by the page's stylesheet, so a
chart and the table beside it always agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from markupsafe import Markup

__all__ = [
    "Linear",
    "Svg",
    "diverging",
    "nice_ticks",
    "sequential",
    "short_number",
    "time_ticks",
]


_MAX_SCALE = 1.25


def _attr_name(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


def _attr_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return escape(str(value), quote=True)


class Svg:
    """An SVG document assembled element by element; ``render`` gives safe markup."""

    def __init__(self, width: float, height: float, *, label: str, kind: str) -> None:
        self.width = width
        self.height = height
        self._label = label
        self._kind = kind
        self._parts: list[str] = []

    def element(self, tag: str, text: str | None = None, **attrs: object) -> None:
        """Add ``<tag attrs>text</tag>``; ``class_`` → ``class``, ``font_size`` → ``font-size``."""
        self._parts.append(_element(tag, text, attrs))

    def group(self, inner: list[str], tooltip: str | None = None, **attrs: object) -> None:
        """Add a ``<g>`` around already rendered elements, with a hover tooltip."""
        title = f"<title>{escape(tooltip)}</title>" if tooltip else ""
        attributes = "".join(f' {_attr_name(k)}="{_attr_value(v)}"' for k, v in attrs.items())
        self._parts.append(f"<g{attributes}>{title}{''.join(inner)}</g>")

    def text(self, x: float, y: float, text: str, **attrs: object) -> None:
        self.element("text", text, x=x, y=y, **attrs)

    def render(self) -> Markup:
        """The finished ``<svg>``; it never grows past 1.25 times its drawn size."""
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{self._kind}" '
            f'viewBox="0 0 {_attr_value(float(self.width))} {_attr_value(float(self.height))}" '
            f'style="max-width:{_attr_value(self.width * _MAX_SCALE)}px" '
            f'role="img" aria-label="{escape(self._label, quote=True)}">'
        )
        title = f"<title>{escape(self._label)}</title>"
        return Markup(head + title + "".join(self._parts) + "</svg>")


def element(tag: str, text: str | None = None, **attrs: object) -> str:
    """One rendered element, for :meth:`Svg.group`."""
    return _element(tag, text, attrs)


def _element(tag: str, text: str | None, attrs: dict[str, object]) -> str:
    attributes = "".join(f' {_attr_name(k)}="{_attr_value(v)}"' for k, v in attrs.items())
    if text is None:
        return f"<{tag}{attributes}/>"
    return f"<{tag}{attributes}>{escape(text)}</{tag}>"


@dataclass(frozen=True)
class Linear:
    """Maps a data interval onto a pixel interval (either may be reversed)."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low
        share = 0.5 if span == 0 else (value - self.low) / span
        return self.start + share * (self.end - self.start)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]``, about ``count`` of them."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [round(i * step, 12) for i in range(first, max(last, first + 1) + 1)]


def time_ticks(start: datetime, end: datetime, count: int = 6) -> list[datetime]:
    """Midnights (or hours, for short spans) between ``start`` and ``end``, about ``count``."""
    span = (end - start).total_seconds()
    if span <= 0:
        return [start]
    unit = timedelta(days=1) if span >= 2 * 86_400 else timedelta(hours=1)
    units = max(1, math.ceil(span / unit.total_seconds() / max(count, 1)))
    for nice in (1, 2, 3, 6, 7, 12, 14, 30, 60, 90, 180, 365):
        if nice >= units:
            units = nice
            break
    step = unit * units
    base = start.astimezone(UTC)
    first = base.replace(minute=0, second=0, microsecond=0)
    if unit == timedelta(days=1):
        first = first.replace(hour=0)
    while first < base:
        first += unit
    ticks = []
    moment = first
    while moment <= end:
        ticks.append(moment)
        moment += step
    return ticks


def short_number(value: float) -> str:
    """A compact label: ``1.2k``, ``3.4M``, ``0.25``, ``-12``."""
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    for limit, unit, suffix in (
        (1e12, 1e12, "T"),
        (1e9, 1e9, "G"),
        (1e6, 1e6, "M"),
        (1e4, 1e3, "k"),
    ):
        if size >= limit:
            return f"{value / unit:.3g}{suffix}"
    if size >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def sequential(share: float) -> str:
    """A light-to-dark colour for 0..1 (missing values: white is none, deep is all)."""
    share = min(max(share, 0.0), 1.0)
    if share == 0:
        return "#f3f5f8"
    low, high = (254, 226, 200), (164, 36, 36)
    eased = 0.25 + 0.75 * math.sqrt(share)  # a few NULLs must already be visible
    return _mix(low, high, eased)


def diverging(value: float) -> str:
    """Blue for -1, white for 0, red for +1 (correlations)."""
    value = min(max(value, -1.0), 1.0)
    white, blue, red = (247, 247, 247), (33, 102, 172), (178, 24, 43)
    return _mix(white, red if value > 0 else blue, abs(value))


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], share: float) -> str:
    r, g, bl = (round(x + (y - x) * share) for x, y in zip(a, b, strict=True))
    return f"#{r:02x}{g:02x}{bl:02x}"
