"""``steward history DATASET --metric M --plot FILE.png``: a metric's history as a chart.

Matplotlib is imported only here, and only its object API with the Agg canvas is used
(no ``pyplot``): nothing global is touched, no window can open, and it works on servers
without a display.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from io import BytesIO
from typing import TYPE_CHECKING, Any

from datasteward.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    from matplotlib.axes import Axes

    from datasteward.services.trend import SeriesTrend

__all__ = ["plot_trends"]

# The report's palette, so a PNG and the HTML report look alike.
_LINE, _TREND, _ANOMALY, _GRID, _INK = "#0b5cad", "#e36209", "#cf222e", "#eaeef2", "#59636e"
_MAX_PANELS = 12


def plot_trends(series: Sequence[SeriesTrend], path: Path, *, title: str) -> None:
    """Draw each series (one panel per column) with its trend and anomalies into a PNG."""
    drawable = [s for s in series if s.points]
    if not drawable:
        raise UsageError("nothing to plot: the metric has no values yet", hint="run 'steward scan'")
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("--plot needs matplotlib", hint="pip install matplotlib") from None

    shown = drawable[:_MAX_PANELS]
    figure = Figure(figsize=(9, 1.2 + 2.6 * len(shown)), dpi=120, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(shown), 1, sharex=True, squeeze=False)[:, 0]
    for ax, one in zip(axes, shown, strict=True):
        _draw(ax, one)
    figure.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    from datasteward.services.files import write_bytes_atomically

    write_bytes_atomically(path, buffer.getvalue())


def _dates(moments: Sequence[datetime]) -> np.ndarray[Any, np.dtype[np.datetime64]]:
    """Times as numpy datetimes (UTC), which matplotlib draws on a date axis."""
    import numpy as np

    naive = [m.astimezone(UTC).replace(tzinfo=None) for m in moments]
    return np.array(naive, dtype="datetime64[us]")


def _draw(ax: Axes, series: SeriesTrend) -> None:
    times = _dates([t for t, _ in series.points])
    values = [v for _, v in series.points]
    ax.plot(times, values, color=_LINE, linewidth=1.8, marker="o", markersize=3, label="value")
    trend = series.trend
    if trend is not None:
        ends = [trend.start, trend.end]
        ax.plot(
            _dates(ends),
            [trend.value_at(t) for t in ends],
            color=_TREND,
            linestyle="--",
            linewidth=1.5,
            label="trend (Theil-Sen)",
        )
    if series.anomalies:
        flagged = dict(series.points)
        ax.scatter(
            _dates(series.anomalies),
            [flagged[t] for t in series.anomalies],
            s=50,
            color=_ANOMALY,
            zorder=3,
            label="anomaly",
        )
    subtitle = trend.describe() if trend is not None else f"{len(values)} point(s): no trend"
    ax.set_title(f"{series.label}   {subtitle}", loc="left", fontsize=10, color=_INK)
    ax.grid(True, color=_GRID)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=_INK, labelsize=8)
    ax.legend(loc="best", fontsize=8, frameon=False)
