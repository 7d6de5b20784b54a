"""Charts over time: metric trends with anomalies, status strips, the snapshot timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from markupsafe import Markup

from datasteward.services.report.svg import (
    Linear,
    Svg,
    element,
    nice_ticks,
    short_number,
    time_ticks,
)

if TYPE_CHECKING:
    from datasteward.services.backup.manifest import Manifest
    from datasteward.services.report.model import MetricSeries

__all__ = ["metric_chart", "snapshot_timeline", "sparkline", "status_strip"]


def metric_chart(series: MetricSeries, width: int = 480, height: int = 210) -> Markup:
    """A metric over time: the values, the fitted trend, the expected band, anomalies."""
    left, right, top, bottom = 54, 14, 12, 30
    svg = Svg(width, height, label=f"{series.label} over time", kind="trend")
    times = [t for t, _ in series.points]
    values = [v for _, v in series.points]
    values += [b.low for b in series.bands] + [b.high for b in series.bands]
    start, end = _time_span(times)
    x = _time_scale(start, end, left, width - right)
    ticks = nice_ticks(min(values), max(values), 5)
    y = Linear(ticks[0], ticks[-1], height - bottom, top)
    for tick in ticks:
        svg.element("line", x1=left, x2=width - right, y1=y(tick), y2=y(tick), class_="grid")
        svg.text(left - 5, y(tick) + 4, short_number(tick), class_="axis", text_anchor="end")
    _time_axis(svg, start, end, x, height - bottom)
    if len(series.bands) > 1:
        upper = [f"{x(b.as_of):.1f},{y(b.high):.1f}" for b in series.bands]
        lower = [f"{x(b.as_of):.1f},{y(b.low):.1f}" for b in reversed(series.bands)]
        svg.element("polygon", points=" ".join(upper + lower), class_="band")
    trend = series.trend
    if trend is not None:
        svg.element(
            "line",
            x1=x(trend.start),
            y1=y(trend.value_at(trend.start)),
            x2=x(trend.end),
            y2=y(trend.value_at(trend.end)),
            class_="trend",
        )
    path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in series.points)
    svg.element("polyline", points=path, class_="line")
    for moment, value in series.points:
        anomaly = series.is_anomaly(moment)
        tip = f"{moment:%Y-%m-%d %H:%M}: {value:,.6g}" + (" — anomaly" if anomaly else "")
        shape = element(
            "circle",
            cx=x(moment),
            cy=y(value),
            r=5.5 if anomaly else 2.6,
            class_="anomaly" if anomaly else "pt",
        )
        svg.group([shape], tooltip=tip)
    return svg.render()


def sparkline(series: MetricSeries, width: int = 132, height: int = 30) -> Markup:
    """A small line of recent values; anomalies are red dots."""
    svg = Svg(width, height, label=f"{series.label}: recent values", kind="spark")
    values = [v for _, v in series.points]
    start, end = _time_span([t for t, _ in series.points])
    x = _time_scale(start, end, 3, width - 3)
    low, high = min(values), max(values)
    y = Linear(low, high, height - 4, 4) if high > low else Linear(low - 1, low + 1, height, 0)
    path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in series.points)
    svg.element("polyline", points=path, class_="line")
    last_time, last_value = series.points[-1]
    svg.element("circle", cx=x(last_time), cy=y(last_value), r=2.2, class_="pt")
    for moment, value in series.points:
        if series.is_anomaly(moment):
            svg.element("circle", cx=x(moment), cy=y(value), r=3, class_="anomaly")
    return svg.render()


def status_strip(history: Sequence[tuple[datetime, str]], label: str) -> Markup:
    """One small square per run, oldest first, coloured by status."""
    size, gap = 9, 3
    width = max(len(history) * (size + gap) - gap, size)
    svg = Svg(width, 16, label=label, kind="strip")
    for i, (moment, status) in enumerate(history):
        square = element("rect", x=i * (size + gap), y=3, width=size, height=11, rx=2)
        svg.group([square], tooltip=f"{moment:%Y-%m-%d %H:%M}: {status}", class_=f"st-{status}")
    return svg.render()


def snapshot_timeline(
    snapshots: Sequence[Manifest],
    runs: Sequence[tuple[datetime, str]] = (),
    width: int = 600,
    height: int = 210,
) -> Markup:
    """Rows of each snapshot over time, coloured by the scan before it, above a lane of
    scan statuses: which snapshot was the last good one is visible at a glance."""
    left, right, top, bottom, lane = 66, 18, 14, 30, 28 if runs else 0
    svg = Svg(width, height, label="Snapshots over time", kind="snapshots")
    start, end = _time_span([m.created for m in snapshots] + [t for t, _ in runs], pad=0.03)
    x = _time_scale(start, end, left, width - right)
    ticks = nice_ticks(0, max(m.rows for m in snapshots), 4)
    base = height - bottom - lane
    y = Linear(0, ticks[-1], base, top)
    for tick in ticks:
        svg.element("line", x1=left, x2=width - right, y1=y(tick), y2=y(tick), class_="grid")
        svg.text(left - 6, y(tick) + 4, short_number(tick), class_="axis", text_anchor="end")
    if runs:
        svg.text(left - 6, base + 19, "scans", class_="axis", text_anchor="end")
        for moment, status in runs:
            mark = element("rect", x=x(moment) - 2.5, y=base + 8, width=5, height=12, rx=1.5)
            svg.group(
                [mark], tooltip=f"scan {moment:%Y-%m-%d %H:%M}: {status}", class_=f"st-{status}"
            )
    _time_axis(svg, start, end, x, height - bottom, count=5)
    steps = []
    for i, manifest in enumerate(snapshots):
        px, py = x(manifest.created), y(manifest.rows)
        if i:
            steps.append(f"{px:.1f},{y(snapshots[i - 1].rows):.1f}")
        steps.append(f"{px:.1f},{py:.1f}")
    svg.element("polyline", points=" ".join(steps), class_="line step")
    for manifest in snapshots:
        tags = f"; tags {', '.join(manifest.tags)}" if manifest.tags else ""
        tip = (
            f"{manifest.id}\n{manifest.created:%Y-%m-%d %H:%M} UTC, {manifest.kind}, "
            f"{manifest.rows:,} rows; quality {manifest.quality}{tags}"
        )
        marker = element(
            "circle",
            cx=x(manifest.created),
            cy=y(manifest.rows),
            r=7 if manifest.kind == "full" else 5,
            class_=f"snap st-{manifest.quality}",
        )
        svg.group([marker], tooltip=tip)
    return svg.render()


def _time_span(times: Sequence[datetime], pad: float = 0.0) -> tuple[datetime, datetime]:
    start, end = min(times), max(times)
    if start == end:
        return start - timedelta(hours=12), end + timedelta(hours=12)
    margin = (end - start) * pad
    return start - margin, end + margin


def _time_scale(start: datetime, end: datetime, left: float, right: float) -> _TimeScale:
    return _TimeScale(start, Linear(0, (end - start).total_seconds(), left, right))


class _TimeScale:
    def __init__(self, start: datetime, scale: Linear) -> None:
        self._start = start
        self._scale = scale

    def __call__(self, moment: datetime) -> float:
        return self._scale((moment - self._start).total_seconds())


def _time_axis(
    svg: Svg, start: datetime, end: datetime, x: _TimeScale, baseline: float, count: int = 5
) -> None:
    svg.element("line", x1=x(start), x2=x(end), y1=baseline, y2=baseline, class_="baseline")
    ticks = time_ticks(start, end, count)
    short_span = (end - start) < timedelta(days=2)
    for tick in ticks:
        label = f"{tick:%H:%M}" if short_span else f"{tick:%b} {tick.day}"
        svg.element("line", x1=x(tick), x2=x(tick), y1=baseline, y2=baseline + 4, class_="tick")
        # A label at the very left would run into the value axis' labels.
        anchor = "start" if x(tick) - x(start) < 24 else "middle"
        svg.text(x(tick), baseline + 18, label, class_="axis", text_anchor=anchor)
