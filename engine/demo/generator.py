"""``generate``: write the demo company's export files (one CSV per import kind) for a size, seed and end date.

Same seed, size and end date give byte-identical files. SKUs are simulated in blocks of
:data:`BLOCK` so memory stays flat whatever the size; every block writes its rows straight to the files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from perfrules.engine.demo.calendar import SEASONS, Window, promotion_curve, season_curves
from perfrules.engine.demo.catalogue import ALL_CATEGORIES, Catalogue, build_catalogue
from perfrules.engine.demo.deliverables import write_finance, write_submissions
from perfrules.engine.demo.files import IMPORT_ORDER, Sinks, money
from perfrules.engine.demo.organisation import BONUS_BASE, DEPARTMENTS, ROSTER, active_from, active_to
from perfrules.engine.demo.plan import draw_plan
from perfrules.engine.demo.rows import Numbering, write_block
from perfrules.engine.demo.simulate import Context, simulate

BLOCK = 5000  # SKUs simulated together; a multiple of catalogue.KIT_EVERY
SALES_SHARE = 0.8  # share of all movements that are regular sales


@dataclass(frozen=True)
class DemoSize:
    """How big the demo company is: SKUs, target number of movements, months of history, count cycle."""

    name: str
    skus: int
    movements: int
    months: int = 24
    count_every: int = 60  # days between two cycle counts of the same SKU


SIZES = {
    "small": DemoSize("small", 2_000, 200_000),
    "medium": DemoSize("medium", 100_000, 10_000_000, count_every=120),
    "large": DemoSize("large", 1_000_000, 50_000_000, count_every=240),
}


def custom_size(skus: int, months: int) -> DemoSize:
    """A size for tests and experiments: ``skus`` SKUs over ``months`` months, 100 movements per SKU-2-years."""
    return DemoSize(f"{skus}x{months}", skus, max(1, skus * 100 * months // 24), months)


@dataclass(frozen=True)
class GenerationReport:
    """What :func:`generate` wrote: the files in import order, rows per kind, and the time it took."""

    folder: Path
    size: DemoSize
    seed: int
    window: Window
    rows: dict[str, int]
    seconds: float

    @property
    def files(self) -> list[tuple[str, Path]]:
        return [(kind, self.folder / f"{kind}.csv") for kind in IMPORT_ORDER]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else float("inf")


def generate(
    folder: Path, size: DemoSize, seed: int, end: date, on_progress: Callable[[int], None] | None = None
) -> GenerationReport:
    """Write every export file of the demo company into ``folder`` (created if missing); ``on_progress(n)``
    is told each time another ``n`` SKUs are written."""
    started = time.perf_counter()
    window = Window.ending(end, size.months)
    catalogue = build_catalogue(np.random.default_rng([seed, 1]), size.skus, window.days)
    curves, promo = season_curves(window), promotion_curve(window)
    ctx = Context(
        window=window,
        catalogue=catalogue,
        plan=draw_plan(np.random.default_rng([seed, 2]), window),
        curves=curves,
        promo=promo,
        scale=_scale(catalogue, curves * promo, size.movements * SALES_SHARE),
        count_every=size.count_every,
    )
    months = len(window.month_labels)
    value, dead, revenue = (np.zeros(months, dtype=np.int64) for _ in range(3))
    with Sinks(folder) as sinks:
        _organisation(sinks, window)
        _skus(sinks, catalogue)
        ids, blocks = Numbering(), []
        for b, lo in enumerate(range(0, size.skus, BLOCK)):
            hi = min(lo + BLOCK, size.skus)
            events = simulate(ctx, lo, hi, np.random.default_rng([seed, 3, b]))
            blocks.append(write_block(ctx, events, sinks, ids, np.random.default_rng([seed, 4, b])))
            value += events.month_value
            dead += events.month_dead_value
            revenue += events.month_revenue
            if on_progress is not None:
                on_progress(hi - lo)
        rng = np.random.default_rng([seed, 5])
        figures = write_finance(ctx, sinks, blocks, value, dead, revenue, rng)
        write_submissions(ctx, sinks, blocks, figures, rng)
        rows = dict(sinks.rows)
    return GenerationReport(folder, size, seed, window, rows, time.perf_counter() - started)


def _scale(cat: Catalogue, curves: np.ndarray, target_orders: float) -> float:
    """Orders per day per unit of catalogue rate so that the expected number of orders hits the target."""
    cumulative = np.concatenate([np.zeros((len(SEASONS), 1)), np.cumsum(curves, axis=1)], axis=1)
    days = curves.shape[1]
    alive_until = cumulative[cat.season, np.minimum(cat.death, days)]
    lifetime = alive_until - cumulative[cat.season, np.minimum(cat.launch, days)]
    expected = float((cat.rate * lifetime).sum())
    return target_orders / expected if expected else 0.0


def _organisation(sinks: Sinks, window: Window) -> None:
    sinks.write_lines("departments", [f"{code},{en},{zh}\n" for code, en, zh in DEPARTMENTS])
    lines = []
    for p in ROSTER:
        until = active_to(p, window.start)
        lines.append(
            f"{p.id},{p.name_en},{p.name_zh},{p.department},{p.role},{p.manager_id or ''},{p.email},"
            f"{p.locale},{money(BONUS_BASE[p.role] * 100)},{active_from(p, window.start).isoformat()},"
            f"{until.isoformat() if until else ''}\n"
        )
    sinks.write_lines("employees", lines)


def _skus(sinks: Sinks, cat: Catalogue) -> None:
    for lo in range(0, cat.size, BLOCK):
        hi = min(lo + BLOCK, cat.size)
        codes, names = cat.codes(lo, hi), cat.names(lo, hi)
        lines = []
        for i, code, name in zip(range(lo, hi), codes, names, strict=True):
            kit = ""
            if cat.is_kit[i]:
                parts = [
                    (int(c), int(q)) for c, q in zip(cat.components[i], cat.component_qty[i], strict=True) if c >= 0
                ]
                kit = "|".join(f"{cat.codes(c, c + 1)[0]}*{q}" for c, q in parts)
            lines.append(
                f"{code},{name},{ALL_CATEGORIES[cat.category[i]].name},{money(int(cat.unit_cost[i]))},"
                f"{money(int(cat.price[i]))},{cat.suppliers[cat.supplier[i]]},{SEASONS[cat.season[i]]},"
                f"{kit}\n"
            )
        sinks.write_lines("skus", lines)
