"""Turn one block's :class:`~engine.demo.simulate.Events` into CSV lines, numbering facts globally."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from perfrules.engine.demo.catalogue import ALL_CATEGORIES
from perfrules.engine.demo.files import TIME_OF_DAY, Sinks, money_list
from perfrules.engine.demo.organisation import FORECAST_ERROR, KEEPERS, OPERATIONS
from perfrules.engine.demo.simulate import ACTIONS, DISPOSAL_SEC, RECEIPT_SEC, Context, Events

KINDS = ("receipt", "sale", "issue", "customer_return", "supplier_return", "adjustment")
RECEIPT, SALE, ISSUE, CUSTOMER_RETURN, SUPPLIER_RETURN, ADJUSTMENT = range(6)
REFS = ("", "OPENING", "PO{:08d}", "WO{:07d}", "DSP{:08d}", "DL{:010d}", "CC{:09d}")
NO_REF, OPENING, PO, WO, DSP, DL, CC = range(7)
PLANNER = [c.planner for c in ALL_CATEGORIES]
PURCHASER = [c.purchaser for c in ALL_CATEGORIES]


@dataclass
class Numbering:
    """Global counters so that ids run on across blocks: MV0000000001, DL…, PO…"""

    next: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("MV", "DL", "PO", "CC", "WO", "DSP"), 1))

    def take(self, prefix: str, count: int) -> int:
        first = self.next[prefix]
        self.next[prefix] += count
        return first


@dataclass
class BlockSummary:
    """What the company-wide files (finance, submissions) need from a block."""

    listed: dict[str, np.ndarray]  # list, sku (global), cls, purchaser
    disposals: dict[str, np.ndarray]  # list, sku (global), day, action
    recovered: np.ndarray  # (months,) fen
    written_off: np.ndarray  # (months,) fen: cost minus recovered value of disposals


def write_block(ctx: Context, ev: Events, sinks: Sinks, ids: Numbering, rng: np.random.Generator) -> BlockSummary:
    cat, win = ctx.catalogue, ctx.window
    n = len(ev.opening)
    codes = cat.codes(ev.lo, ev.lo + n)
    cost = cat.unit_cost[ev.lo : ev.lo + n]
    days = win.day_strings

    dl_first = _demand(ev, sinks, ids, codes, days)
    po_first = _purchase_orders(ctx, ev, sinks, ids, codes, days)
    cc_first = _counts(ev, sinks, ids, codes, days)
    wo_first = _work_orders(ev, sinks, ids, codes, days)
    dsp_first, recovered, written_off = _disposals(ctx, ev, sinks, ids, codes, rng)
    _forecasts(ctx, ev, sinks, codes, rng)

    parts = []  # (sku, day, sec, kind, qty, cost, ref kind, ref number)
    opened = np.flatnonzero(ev.opening > 0)
    parts.append((opened, 0, 0, ADJUSTMENT, ev.opening[opened], cost[opened], OPENING, 0))
    o = ev.orders
    order_rank = _demand_order(o)
    sold = np.flatnonzero(o["served"] > 0)
    parts.append(
        (
            o["sku"][sold],
            o["day"][sold],
            o["sec"][sold],
            SALE,
            o["served"][sold],
            cost[o["sku"][sold]],
            DL,
            dl_first + order_rank[sold],
        )
    )
    p = ev.pos
    po_rank = _po_order(p)
    got = np.flatnonzero(p["arrival"] < win.days)
    parts.append(
        (
            p["sku"][got],
            p["arrival"][got],
            RECEIPT_SEC,
            RECEIPT,
            p["qty"][got],
            p["cost"][got],
            PO,
            po_first + po_rank[got],
        )
    )
    bad = got[p["rejects"][got] > 0]
    parts.append(
        (
            p["sku"][bad],
            p["arrival"][bad],
            RECEIPT_SEC + 1200,
            SUPPLIER_RETURN,
            p["rejects"][bad],
            p["cost"][bad],
            PO,
            po_first + po_rank[bad],
        )
    )
    w = ev.work_orders
    built = np.flatnonzero(w["available"] == 1)
    parts.append(
        (
            w["sku"][built],
            w["day"][built],
            RECEIPT_SEC + 1800,
            RECEIPT,
            w["qty"][built],
            cost[w["sku"][built]],
            WO,
            wo_first + built,
        )
    )
    i = ev.issues
    parts.append((i["sku"], i["day"], RECEIPT_SEC + 1800, ISSUE, i["qty"], cost[i["sku"]], WO, wo_first + i["wo"]))
    d = ev.disposals
    d_rank = _day_sku_order(d)
    kind = np.where(d["action"] == ACTIONS.index("return"), SUPPLIER_RETURN, SALE)
    parts.append((d["sku"], d["day"], DISPOSAL_SEC, kind, d["qty"], cost[d["sku"]], DSP, dsp_first + d_rank))
    r = ev.returns
    parts.append((r["sku"], r["day"], RECEIPT_SEC + 600, CUSTOMER_RETURN, r["qty"], cost[r["sku"]], NO_REF, 0))
    c = ev.counts
    c_rank = _day_sku_order(c)
    off = np.flatnonzero(c["counted"] != c["book"])
    parts.append(
        (
            c["sku"][off],
            c["day"][off],
            23 * 3600 + 1800,
            ADJUSTMENT,
            c["counted"][off] - c["book"][off],
            cost[c["sku"][off]],
            CC,
            cc_first + c_rank[off],
        )
    )
    _movements(parts, sinks, ids, codes, days)

    months = len(win.month_labels)
    return BlockSummary(
        listed={**ev.listed, "sku": ev.listed["sku"] + ev.lo},
        disposals={"list": d["list"], "sku": d["sku"] + ev.lo, "day": d["day"], "action": d["action"]},
        recovered=np.bincount(win.month_index[d["day"]], weights=recovered, minlength=months).astype(np.int64),
        written_off=np.bincount(win.month_index[d["day"]], weights=written_off, minlength=months).astype(np.int64),
    )


def _movements(parts: list[tuple], sinks: Sinks, ids: Numbering, codes: list[str], days: list[str]) -> None:
    cols = [np.concatenate([np.broadcast_to(np.asarray(part[k]), (len(part[0]),)) for part in parts]) for k in range(8)]
    sku, day, sec, kind, qty, cost, ref_kind, ref_no = cols
    order = np.lexsort((kind, sku, sec, day))
    first = ids.take("MV", len(order))
    refs = [REFS[k].format(v) for k, v in zip(ref_kind[order].tolist(), ref_no[order].tolist(), strict=True)]
    rows = zip(
        range(first, first + len(order)),
        sku[order].tolist(),
        kind[order].tolist(),
        day[order].tolist(),
        sec[order].tolist(),
        qty[order].tolist(),
        money_list(cost[order].tolist()),
        refs,
        strict=True,
    )
    sinks.write_lines(
        "movements",
        [
            f"MV{m:010d},{codes[s]},{KINDS[k]},{days[d]}T{TIME_OF_DAY[t]},{q},{c},{r}\n"
            for m, s, k, d, t, q, c, r in rows
        ],
    )


def _demand_order(o: dict[str, np.ndarray]) -> np.ndarray:
    """Rank of each order (kept in SKU order) in the demand file's time order."""
    order = np.lexsort((o["sku"], o["sec"], o["day"]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _po_order(p: dict[str, np.ndarray]) -> np.ndarray:
    order = np.lexsort((p["sku"], p["ordered"]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _day_sku_order(cols: dict[str, np.ndarray]) -> np.ndarray:
    order = np.lexsort((cols["sku"], cols["day"]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _demand(ev: Events, sinks: Sinks, ids: Numbering, codes: list[str], days: list[str]) -> int:
    o = ev.orders
    order = np.argsort(_demand_order(o))
    first = ids.take("DL", len(order))
    end = ["" if e < 0 else f"{days[e]}T07:30:00" for e in o["so_end"][order].tolist()]
    rows = zip(
        range(first, first + len(order)),
        o["sku"][order].tolist(),
        o["day"][order].tolist(),
        o["sec"][order].tolist(),
        o["qty"][order].tolist(),
        o["served"][order].tolist(),
        o["so_day"][order].tolist(),
        o["so_sec"][order].tolist(),
        end,
        strict=True,
    )
    sinks.write_lines(
        "demand",
        [
            f"DL{i:010d},{codes[s]},{days[d]}T{TIME_OF_DAY[t]},{q},{g},"
            f"{'' if sd < 0 else days[sd] + 'T' + TIME_OF_DAY[ss]},{'' if sd < 0 else e}\n"
            for i, s, d, t, q, g, sd, ss, e in rows
        ],
    )
    return first


def _purchase_orders(ctx: Context, ev: Events, sinks: Sinks, ids: Numbering, codes: list[str], days: list[str]) -> int:
    cat, p = ctx.catalogue, ev.pos
    order = np.argsort(_po_order(p))
    first = ids.take("PO", len(order))
    sku = p["sku"][order]
    supplier = cat.supplier[sku + ev.lo].tolist()
    buyer = [PURCHASER[c] for c in cat.category[sku + ev.lo].tolist()]
    received = p["arrival"][order] < ctx.window.days
    rows = zip(
        range(first, first + len(order)),
        sku.tolist(),
        supplier,
        buyer,
        p["ordered"][order].tolist(),
        p["promised"][order].tolist(),
        p["arrival"][order].tolist(),
        received.tolist(),
        p["qty"][order].tolist(),
        money_list(p["cost"][order].tolist()),
        p["emergency"][order].tolist(),
        p["rejects"][order].tolist(),
        strict=True,
    )
    names = ctx.catalogue.suppliers
    sinks.write_lines(
        "purchase-orders",
        [
            f"PO{i:08d},{codes[s]},{names[su]},{b},{days[o]},{days[pr]},{days[a] if r else ''},{q},{c},"
            f"{'true' if e else 'false'},{q if r else ''},{q - x if r else ''}\n"
            for i, s, su, b, o, pr, a, r, q, c, e, x in rows
        ],
    )
    return first


def _counts(ev: Events, sinks: Sinks, ids: Numbering, codes: list[str], days: list[str]) -> int:
    c = ev.counts
    order = np.argsort(_day_sku_order(c))
    first = ids.take("CC", len(order))
    rows = zip(
        range(first, first + len(order)),
        c["sku"][order].tolist(),
        c["day"][order].tolist(),
        c["book"][order].tolist(),
        c["counted"][order].tolist(),
        c["keeper"][order].tolist(),
        strict=True,
    )
    sinks.write_lines(
        "cycle-counts", [f"CC{i:09d},{codes[s]},{days[d]},{b},{k},{KEEPERS[e]}\n" for i, s, d, b, k, e in rows]
    )
    return first


def _work_orders(ev: Events, sinks: Sinks, ids: Numbering, codes: list[str], days: list[str]) -> int:
    w = ev.work_orders
    first = ids.take("WO", len(w["sku"]))
    rows = zip(
        range(first, first + len(w["sku"])),
        w["sku"].tolist(),
        w["day"].tolist(),
        w["qty"].tolist(),
        w["available"].tolist(),
        strict=True,
    )
    sinks.write_lines(
        "work-orders", [f"WO{i:07d},{codes[s]},{days[d]},{q},{'true' if a else 'false'}\n" for i, s, d, q, a in rows]
    )
    return first


def _disposals(
    ctx: Context, ev: Events, sinks: Sinks, ids: Numbering, codes: list[str], rng: np.random.Generator
) -> tuple[int, np.ndarray, np.ndarray]:
    cat, win, d = ctx.catalogue, ctx.window, ev.disposals
    sku = d["sku"]
    cost, price = cat.unit_cost[sku + ev.lo], cat.price[sku + ev.lo]
    share = np.select(
        [d["action"] == 0, d["action"] == 1],
        [rng.uniform(0.45, 0.75, len(sku)) * price, rng.uniform(0.3, 0.6, len(sku)) * cost],
        0.9 * cost,
    )
    recovered = np.round(share * d["qty"]).astype(np.int64)
    written_off = np.maximum(0, cost * d["qty"] - recovered)
    order = np.argsort(_day_sku_order(d))
    first = ids.take("DSP", len(order))
    period = [win.month_labels[win.month_index[ctx.plan.boundaries[j]] - 1] for j in d["list"][order].tolist()]
    rows = zip(
        range(first, first + len(order)),
        sku[order].tolist(),
        d["action"][order].tolist(),
        d["qty"][order].tolist(),
        d["day"][order].tolist(),
        d["employee"][order].tolist(),
        period,
        money_list(recovered[order].tolist()),
        strict=True,
    )
    sinks.write_lines(
        "disposals",
        [
            f"DSP{i:08d},{codes[s]},{ACTIONS[a]},{q},{win.day_strings[dd]},{OPERATIONS[e]},{lp},{rv}\n"
            for i, s, a, q, dd, e, lp, rv in rows
        ],
    )
    return first, recovered, written_off


def _forecasts(ctx: Context, ev: Events, sinks: Sinks, codes: list[str], rng: np.random.Generator) -> None:
    """Monthly forecasts of whole months; the two planners are not equally good (organisation.FORECAST_ERROR)."""
    win, cat = ctx.window, ctx.catalogue
    full = win.full_months
    expected, actual = ev.monthly_expected[:, full], ev.monthly_qty[:, full]
    n = len(codes)
    planner = [PLANNER[c] for c in cat.category[ev.lo : ev.lo + n].tolist()]
    bias = np.array([FORECAST_ERROR[p][0] for p in planner])[:, None]
    spread = np.array([FORECAST_ERROR[p][1] for p in planner])[:, None]
    shock = rng.choice((1.0, 1.8), (1, len(full)), p=(0.8, 0.2))  # some months everybody misjudges
    informed = 0.8 * actual + 0.2 * expected  # planners see the sales trend, not only the plan
    forecast = np.round(informed * np.exp(bias + spread * shock * rng.standard_normal(expected.shape)))
    keep_sku, keep_m = np.nonzero((expected >= 0.5) | (actual > 0))
    labels = [win.month_labels[m] for m in full]
    rows = zip(
        keep_sku.tolist(),
        keep_m.tolist(),
        forecast[keep_sku, keep_m].astype(np.int64).tolist(),
        actual[keep_sku, keep_m].tolist(),
        strict=True,
    )
    sinks.write_lines("forecasts", [f"{codes[s]},{labels[m]},{f},{a},{planner[s]}\n" for s, m, f, a in rows])
