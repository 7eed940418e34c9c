"""A KPI's small trend line (sparkline), drawn server-side as the path of a fixed-size inline SVG.

Fixed size (``WIDTH`` × ``HEIGHT`` user units, the same on every row), no script: the KPI table never shifts
while charts load, and prints as it shows. A month without a value breaks the line; the target is a
dashed level line; the last value is a dot coloured by the KPI's status.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfrules.engine.web.board import Series

WIDTH, HEIGHT, PAD = 120.0, 28.0, 3.0


@dataclass(frozen=True)
class Spark:
    """What the template draws: the line's path (``d``), the target's height, the last point, and the first
    and last month the line covers (its accessible description)."""

    d: str
    target_y: float | None
    last: tuple[float, float] | None
    first_label: str
    last_label: str
    width: float = WIDTH
    height: float = HEIGHT


def _dataset(series: Series, name: str) -> tuple[float | None, ...]:
    return next((values for key, values in series.datasets if key == name), ())


def spark(series: Series) -> Spark:
    """The sparkline of a trend :class:`Series` (datasets ``value`` and ``target``)."""
    values, targets = _dataset(series, "value"), _dataset(series, "target")
    target = next((t for t in reversed(targets) if t is not None), None)
    known = [v for v in values if v is not None] + ([target] if target is not None else [])
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return round(HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD), 1)

    parts, last, pen_down = [], None, False
    for i, v in enumerate(values):
        if v is None:
            pen_down = False
            continue
        last = (round(PAD + i * step, 1), y(v))
        parts.append(f"{'L' if pen_down else 'M'}{last[0]} {last[1]}")
        pen_down = True
    labels = series.labels or ("",)
    return Spark(" ".join(parts), None if target is None else y(target), last, labels[0], labels[-1])
