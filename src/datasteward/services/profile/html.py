"""A profile as one self-contained HTML page: inline CSS and SVG charts, no scripts, no CDN.

``render_fragment`` gives the profile section alone (with its own scoped ``<style>``) for a
larger report to embed; ``render_html`` wraps it in a page. Chart geometry is computed here;
the markup lives in ``templates/``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datasteward.services.profile.model import QUANTILES, ColumnProfile, Profile

if TYPE_CHECKING:
    import jinja2

__all__ = ["render_fragment", "render_html", "write_html"]

_TEMPLATES = Path(__file__).parent / "templates"
CHART_WIDTH, CHART_HEIGHT = 320, 110


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    color: str
    text: str
    title: str


def render_html(profile: Profile) -> str:
    """The standalone page of a profile."""
    return (
        _environment()
        .get_template("profile_page.html.j2")
        .render(fragment=render_fragment(profile), title=f"Profile of {profile.dataset}")
    )


def render_fragment(profile: Profile) -> str:
    """The profile section alone: ``<section class="steward-profile">`` with its own style."""
    return (
        _environment()
        .get_template("profile_fragment.html.j2")
        .render(
            profile=profile,
            facts=_facts(profile),
            missing=_missing_bars(profile),
            columns=[_column_view(c) for c in profile.columns],
            heatmaps=_heatmaps(profile),
            keys=[", ".join(k.columns) for k in profile.candidate_keys],
            chart_width=CHART_WIDTH,
            chart_height=CHART_HEIGHT,
        )
    )


def write_html(profile: Profile, path: Path) -> None:
    """Write the standalone page atomically."""
    from datasteward.services.files import write_text_atomically

    write_text_atomically(path, render_html(profile))


@cache
def _environment() -> jinja2.Environment:
    try:
        import jinja2
    except ImportError:  # pragma: no cover - a dependency of the package
        from datasteward.errors import UsageError

        raise UsageError("HTML output needs jinja2", hint="pip install jinja2") from None
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["show"] = show
    environment.filters["count"] = count
    return environment


def show(value: Any) -> str:
    """A value as people read it: 1,234 · 0.1235 · 2026-01-05 12:00:00 · -."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.0f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def count(value: int | None) -> str:
    """A count with thousands separators."""
    return "-" if value is None else f"{value:,}"


def _facts(profile: Profile) -> list[tuple[str, str]]:
    facts = [
        ("rows", count(profile.row_count)),
        ("columns", count(len(profile.columns))),
        ("engine", profile.engine),
        ("seconds", f"{profile.seconds:.2f}"),
    ]
    if profile.sample is not None:
        facts.append(("sample", f"{profile.sample} of {count(profile.total_rows)} rows"))
    if profile.distinct_error is not None:
        facts.append(("distinct counts", f"approximate, ±~{profile.distinct_error:.0%}"))
    return facts


def _missing_bars(profile: Profile) -> list[tuple[str, float, str]]:
    """(column, bar width in percent, label) for the missing-values chart."""
    return [
        (c.name, c.missing_percent, f"{c.missing_percent:.2f}% ({c.missing_count:,})")
        for c in profile.columns
    ]


def _column_view(column: ColumnProfile) -> dict[str, Any]:
    stats: list[tuple[str, Any]] = [
        ("type", column.type),
        ("missing", f"{count(column.missing_count)} ({column.missing_percent:.2f}%)"),
        ("distinct", count(column.distinct_count) + ("" if column.distinct_exact else " ≈")),
        ("min", show(column.min)),
        ("max", show(column.max)),
    ]
    if column.mean is not None:
        stats += [("mean", show(column.mean)), ("stddev", show(column.stddev))]
    stats += [(key, show(column.quantiles[key])) for key, _ in QUANTILES if key in column.quantiles]
    if column.lengths is not None:
        lengths = column.lengths
        stats.append(
            ("length", f"{show(lengths.min)} to {show(lengths.max)}, mean {show(lengths.mean)}")
        )
    return {
        "profile": column,
        "stats": stats,
        "histogram": _histogram_bars(column),
        "top": _frequency_bars([(show(t.value), t.count) for t in column.top_values]),
        "patterns": _frequency_bars([(p.value, p.count) for p in column.patterns]),
        "days": _day_bars(column),
    }


def _histogram_bars(column: ColumnProfile) -> list[Bar]:
    if not column.histogram:
        return []
    tallest = max(b.count for b in column.histogram) or 1
    width = CHART_WIDTH / len(column.histogram)
    bars = []
    for i, item in enumerate(column.histogram):
        height = (CHART_HEIGHT - 14) * item.count / tallest
        title = f"{show(item.lower)} to {show(item.upper)}: {item.count:,}"
        bars.append(Bar(i * width, CHART_HEIGHT - 14 - height, max(width - 1, 0.5), height, title))
    return bars


def _frequency_bars(items: list[tuple[str, int]]) -> list[tuple[str, float, str]]:
    """(label, bar width in percent of the largest, count) for horizontal bar lists."""
    largest = max((n for _, n in items), default=1) or 1
    return [(label, 100.0 * n / largest, f"{n:,}") for label, n in items]


def _day_bars(column: ColumnProfile) -> list[Bar]:
    if column.rows_per_day is None or not column.rows_per_day.series:
        return []
    series = column.rows_per_day.series
    tallest = max(d.count for d in series) or 1
    width = CHART_WIDTH / len(series)
    return [
        Bar(
            i * width,
            CHART_HEIGHT - CHART_HEIGHT * d.count / tallest,
            max(width, 0.5),
            CHART_HEIGHT * d.count / tallest,
            f"{show(d.value)}: {d.count:,} rows",
        )
        for i, d in enumerate(series)
    ]


def _heatmaps(profile: Profile) -> list[dict[str, Any]]:
    maps = []
    for method, title in (
        ("pearson", "Pearson correlation"),
        ("spearman", "Spearman correlation"),
        ("cramers_v", "Cramér's V"),
    ):
        items = [c for c in profile.correlations if c.method == method]
        if not items:
            continue
        names = list(dict.fromkeys(n for c in items for n in c.columns))
        values = {frozenset(c.columns): c.value for c in items}
        cells = []
        for y, a in enumerate(names):
            for x, b in enumerate(names):
                value = 1.0 if a == b else values.get(frozenset((a, b)))
                text = "" if value is None else f"{value:.2f}"
                cells.append(Cell(x, y, _color(value), text, f"{a} and {b}: {text or 'n/a'}"))
        maps.append({"title": title, "names": names, "cells": cells, "size": len(names)})
    return maps


def _color(value: float | None) -> str:
    """Blue for positive, red for negative, white near zero (a diverging scale)."""
    if value is None:
        return "#eeeeee"
    strength = min(1.0, abs(value))
    fade = round(255 - 180 * strength)
    return f"rgb({fade},{fade},255)" if value >= 0 else f"rgb(255,{fade},{fade})"
