"""Rendering a :class:`Report` into one self-contained HTML page with Jinja2.

Styles, the few lines of script (tabs) and every chart are inlined, so the file opens
offline, from an e-mail attachment or a CI artifact, and never loads anything.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from datasteward.services.report import profile_charts, time_charts
from datasteward.services.trend import MIN_POINTS

if TYPE_CHECKING:
    from jinja2 import Environment

    from datasteward.services.report.model import Report

__all__ = ["render_report"]

_ISO_T = re.compile(r"^(\d{4}-\d\d-\d\d)T(?=\d)")


def render_report(report: Report) -> str:
    """The report as a complete HTML document."""
    from datasteward import __version__

    template = _environment().get_template("report.html.j2")
    return template.render(report=report, version=__version__)


def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("datasteward.services.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=number,
        cell=cell,
        when=when,
        day=day,
        size=size,
        pct=percent,
        slug=slug,
    )
    env.globals.update(
        histogram=profile_charts.histogram,
        top_values=profile_charts.top_values,
        missing_matrix=profile_charts.missing_matrix_chart,
        correlation_heatmap=profile_charts.correlation_heatmap,
        metric_chart=time_charts.metric_chart,
        sparkline=time_charts.sparkline,
        status_strip=time_charts.status_strip,
        snapshot_timeline=time_charts.snapshot_timeline,
        sample_columns=sample_columns,
        min_trend_points=MIN_POINTS,
    )
    return env


def number(value: Any) -> str:
    """``12,345``, ``82.9``, ``0.00123``; an em dash for nothing."""
    if value is None or isinstance(value, bool):
        return "—" if value is None else str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"
    return str(value)


def cell(value: Any, limit: int = 80) -> str:
    """A value from the data (a sample row, a min or max) as short text."""
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    text = _ISO_T.sub(r"\1 ", str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def day(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    moment = moment.astimezone(UTC)
    return f"{moment:%b} {moment.day}, {moment:%Y}"


def size(count: int | None) -> str:
    if count is None:
        return "—"
    amount = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{amount:,.0f} {unit}" if unit == "B" else f"{amount:,.1f} {unit}"
        amount /= 1024
    return f"{amount:,.1f} TiB"  # pragma: no cover - the loop returns


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "0%"
    return f"{value:.2g}%" if value < 1 else f"{value:.1f}%"


def slug(text: str) -> str:
    """An HTML id fragment for a dataset or column name."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def sample_columns(samples: list[dict[str, Any]]) -> list[str]:
    """The columns of failing-row samples, in first-seen order."""
    return list(dict.fromkeys(key for row in samples for key in row))
