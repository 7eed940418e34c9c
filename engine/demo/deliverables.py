"""Company-wide files written after the stock simulation: monthly finance figures and the deliverables
staff hand in (slow-mover lists, weekly disposal tracking, capital reports) with their realistic flaws."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
from perfrules.engine.demo.files import TIME_OF_DAY, Sinks, money
from perfrules.engine.demo.organisation import CAPITAL_REPORTER, PURCHASERS
from perfrules.engine.demo.rows import BlockSummary
from perfrules.engine.demo.simulate import ACTIONS, Context

TRACKING_ITEMS = 300  # a weekly tracking update names at most this many SKUs of the list
LATE_REASONS = (
    "ERP导出延迟 / ERP export was late",
    "月底盘点冲突 / clashed with the month-end stock count",
    "人手不足，休假 / short-staffed, on leave",
    "数据口径待确认 / waiting for the definition to be confirmed",
)
TRACKING_NOTES = {
    "promotion": "参加店铺满减促销",
    "clearance": "清仓专区处理",
    "return": "已与供应商确认退货",
    "pending": "待运营排期",
}


def write_finance(
    ctx: Context,
    sinks: Sinks,
    blocks: list[BlockSummary],
    value: np.ndarray,
    dead: np.ndarray,
    revenue: np.ndarray,
    rng: np.random.Generator,
) -> dict[int, dict[str, int]]:
    """Monthly ledger figures for every whole month; stock/current-assets breaches 30% in two runs."""
    win = ctx.window
    full = win.full_months
    recovered = sum((b.recovered for b in blocks), np.zeros(len(win.month_labels), dtype=np.int64))
    written_off = sum((b.written_off for b in blocks), np.zeros(len(win.month_labels), dtype=np.int64))
    occupation = rng.uniform(0.22, 0.29, len(full))
    for _ in range(2):
        if len(full) > 3:
            at = int(rng.integers(0, len(full) - 2))
            occupation[at : at + int(rng.integers(2, 4))] = rng.uniform(0.31, 0.36)
    figures: dict[int, dict[str, int]] = {}
    rows = []
    for k, m in enumerate(full):
        stock = max(int(value[m]), 1)
        fig = {
            "stock": stock,
            "current_assets": round(stock / occupation[k]),
            "revenue": int(revenue[m] + recovered[m]),
            "impairment_loss": int(written_off[m] + dead[m] * rng.uniform(0.002, 0.01)),
            "capital_cost": round(stock * 0.06 / 12),
            "storage_cost": round(stock * rng.uniform(0.08, 0.12) / 12),
            "handling_cost": round(stock * rng.uniform(0.03, 0.05) / 12),
            "risk_cost": round(stock * 0.03 / 12),
        }
        figures[m] = fig
        rows.append(
            f"{win.month_labels[m]},{money(fig['current_assets'])},{money(fig['revenue'])},"
            f"{rng.uniform(35, 55):.1f},{rng.uniform(45, 70):.1f},{money(fig['impairment_loss'])},"
            f"{money(fig['capital_cost'])},{money(fig['storage_cost'])},{money(fig['handling_cost'])},"
            f"{money(fig['risk_cost'])}\n"
        )
    sinks.write_lines("finance", rows)
    return figures


def write_submissions(
    ctx: Context, sinks: Sinks, blocks: list[BlockSummary], figures: dict[int, dict[str, int]], rng: np.random.Generator
) -> None:
    win, plan, cat = ctx.window, ctx.plan, ctx.catalogue
    listed = {k: np.concatenate([b.listed[k] for b in blocks]) for k in ("list", "sku", "cls", "purchaser")}
    gone = {k: np.concatenate([b.disposals[k] for b in blocks]) for k in ("list", "sku", "day", "action")}
    rows: list[tuple[int, int, tuple[object, ...]]] = []  # (day, second, row) to sort by time

    def stamp(day: int, sec: int) -> str:
        return f"{win.day_strings[day]}T{TIME_OF_DAY[sec]}"

    for j, boundary in enumerate(plan.boundaries.tolist()):
        period = win.month_labels[win.month_index[boundary] - 1]
        for p, person in enumerate(PURCHASERS):
            day = int(plan.list_day[p, j])
            if day < 0:
                continue
            mine = (listed["list"] == j) & (listed["purchaser"] == p)
            items = [
                {"sku": s, "class": "structural" if c else "seasonal"}
                for s, c in sorted(zip(_codes(cat, listed["sku"][mine]), listed["cls"][mine].tolist(), strict=True))
            ]
            note = LATE_REASONS[int(rng.integers(len(LATE_REASONS)))] if day > boundary + 4 else ""
            rows.append(
                (
                    day,
                    int(plan.list_sec[p, j]),
                    (
                        f"SML-{period}-{person}",
                        "slow_mover_list",
                        period,
                        person,
                        stamp(day, int(plan.list_sec[p, j])),
                        note,
                        _json({"items": items}),
                    ),
                )
            )
        day = int(plan.capital_day[j])
        if day >= 0:
            m = win.month_index[boundary] - 1
            sec = int(rng.integers(9 * 3600, 19 * 3600))
            rows.append(
                (
                    day,
                    sec,
                    (
                        f"CAP-{period}-{CAPITAL_REPORTER}",
                        "capital_report",
                        period,
                        CAPITAL_REPORTER,
                        stamp(day, sec),
                        "" if day <= boundary + 9 else LATE_REASONS[0],
                        _json(
                            {
                                "impairment_accounted": bool(plan.capital_booked[j]),
                                "summary": _capital_summary(period, figures.get(m)),
                            }
                        ),
                    ),
                )
            )

    disposed: dict[int, dict[int, tuple[int, int]]] = {}
    for lj, s, d, a in zip(*(gone[k].tolist() for k in ("list", "sku", "day", "action")), strict=True):
        disposed.setdefault(lj, {})[s] = (d, a)
    for w, monday in enumerate(plan.week_starts.tolist()):
        week = win.start + timedelta(days=monday)
        label = f"{week.isocalendar().year:04d}-W{week.isocalendar().week:02d}"
        for p, person in enumerate(PURCHASERS):
            day = int(plan.tracking_day[p, w])
            handed = plan.list_day[p]
            current = np.flatnonzero((handed >= 0) & (handed <= day))
            if day < 0 or not len(current):
                continue
            j = int(current[-1])
            mine = np.flatnonzero((listed["list"] == j) & (listed["purchaser"] == p))[:TRACKING_ITEMS]
            done = {s: ACTIONS[a] for s, (d, a) in disposed.get(j, {}).items() if d <= day}
            items = []
            for code, s in zip(_codes(cat, listed["sku"][mine]), listed["sku"][mine].tolist(), strict=True):
                status = done.get(s, "pending")
                items.append({"sku": code, "status": status, "note": TRACKING_NOTES[status]})
            sec = int(rng.integers(15 * 3600, 19 * 3600))
            rows.append(
                (
                    day,
                    sec,
                    (
                        f"DT-{label}-{person}",
                        "disposal_tracking",
                        label,
                        person,
                        stamp(day, sec),
                        "",
                        _json({"items": items}),
                    ),
                )
            )
    rows.sort(key=lambda r: (r[0], r[1], r[2][0]))
    sinks.write_rows("submissions", [r[2] for r in rows])


def _codes(cat, skus: np.ndarray) -> list[str]:
    return [cat.codes(s, s + 1)[0] for s in skus.tolist()]


def _json(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _capital_summary(period: str, fig: dict[str, int] | None) -> str:
    if fig is None:
        return f"{period} 库存资金分析报告"
    share = fig["stock"] / fig["current_assets"] * 100
    return (
        f"{period} 库存金额 {money(fig['stock'])} 元，占流动资产 {share:.1f}%；"
        f"滞销品减值 {money(fig['impairment_loss'])} 元。"
    )
