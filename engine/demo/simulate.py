"""Day-by-day stock simulation of one block of SKUs, vectorised across the block.

Demand is drawn up front (Poisson orders on seasonal rates); the day loop then serves it from stock,
reorders at a reorder point (regular and emergency purchase orders), builds kits, disposes of listed slow
movers, counts stock and records everything that happened as event arrays. All SKU numbers in a
:class:`Events` are local to the block (add ``lo`` for the catalogue number).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from perfrules.engine.demo.calendar import Window
from perfrules.engine.demo.catalogue import CATEGORIES, KIT, Catalogue
from perfrules.engine.demo.organisation import OPERATIONS, PURCHASERS
from perfrules.engine.demo.plan import Plan

SLOW_DAYS = 90  # 库存超过90天未销售
UNSEEN = 10**9  # ``since`` of a SKU that has not moved yet
DEAD_DAYS = 180
RETURN_RATE = 0.015
RECEIPT_SEC = 7 * 3600
DISPOSAL_SEC = 7 * 3600 + 45 * 60
ACTIONS = ("promotion", "clearance", "return")
PURCHASER_OF_CATEGORY = np.array([PURCHASERS.index(c.purchaser) for c in (*CATEGORIES, KIT)])


@dataclass(frozen=True)
class Context:
    """What every block shares: the window, catalogue, plan, demand curves and scale."""

    window: Window
    catalogue: Catalogue
    plan: Plan
    curves: np.ndarray  # (seasons, days)
    promo: np.ndarray  # (days,)
    scale: float  # orders/day per unit of catalogue rate
    count_every: int


class Log:
    """Columns appended per day and concatenated once at the end."""

    def __init__(self, *names: str):
        self._cols: dict[str, list[np.ndarray]] = {n: [] for n in names}

    def add(self, **cols: np.ndarray | int) -> None:
        size = next(len(v) for v in cols.values() if np.ndim(v))
        if not size:
            return
        for name, value in cols.items():
            self._cols[name].append(np.broadcast_to(np.asarray(value), (size,)).copy())

    def done(self) -> dict[str, np.ndarray]:
        return {n: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for n, v in self._cols.items()}


@dataclass
class Events:
    """Everything that happened to one block of SKUs during the window."""

    lo: int
    opening: np.ndarray
    orders: dict[str, np.ndarray]
    pos: dict[str, np.ndarray]
    work_orders: dict[str, np.ndarray]
    issues: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    disposals: dict[str, np.ndarray]
    listed: dict[str, np.ndarray]
    returns: dict[str, np.ndarray]
    monthly_qty: np.ndarray  # (n, months) units sold (regular sales)
    monthly_expected: np.ndarray  # (n, months) planned demand (units)
    month_value: np.ndarray  # (months,) stock value at month end, fen
    month_dead_value: np.ndarray  # (months,) of which unsold for 180+ days
    month_revenue: np.ndarray  # (months,) regular sales at price, fen
    truth_listed: int = 0
    stats: dict[str, int] = field(default_factory=dict)


def simulate(ctx: Context, lo: int, hi: int, rng: np.random.Generator) -> Events:
    cat, win, plan = ctx.catalogue, ctx.window, ctx.plan
    n, days = hi - lo, win.days
    day_ix = np.arange(days)
    alive = (day_ix >= cat.launch[lo:hi, None]) & (day_ix < cat.death[lo:hi, None])
    seasonal = ctx.curves[cat.season[lo:hi]] * alive
    rate = cat.rate[lo:hi] * ctx.scale
    qm = cat.order_size[lo:hi]
    planned = rate[:, None] * qm[:, None] * seasonal  # expected units/day, without promotions
    orders = _draw_orders(rng, rate[:, None] * seasonal * ctx.promo, qm)
    requested = np.bincount(orders["sku"] * days + orders["day"], weights=orders["qty"], minlength=n * days)
    requested = requested.reshape(n, days).astype(np.int64)

    sup = cat.supplier[lo:hi]
    lead, on_time, defects = cat.supplier_lead[sup], cat.supplier_on_time[sup], cat.supplier_defects[sup]
    cost = cat.unit_cost[lo:hi]
    is_kit = cat.is_kit[lo:hi]
    kits = np.flatnonzero(is_kit)
    kit_comp = np.where(cat.components[lo:hi][kits] >= 0, cat.components[lo:hi][kits] - lo, -1)
    kit_qty = cat.component_qty[lo:hi][kits]
    need_rate = planned.copy()  # what stock must cover: sales plus the kits a component goes into
    for c in range(kit_comp.shape[1]):
        has = kit_comp[:, c] >= 0
        need_rate[kit_comp[has, c]] += planned[kits[has]] * kit_qty[has, c, None]
    stubborn = cat.stubborn[lo:hi]
    structural = cat.season[lo:hi] == 0
    purchaser = PURCHASER_OF_CATEGORY[cat.category[lo:hi]]
    cover = rng.uniform(25, 45, n)
    mean_rate = rate * qm
    overbuy_day = np.where(cat.death[lo:hi] < days, cat.death[lo:hi] - rng.integers(20, 50, n), -1)

    opening = np.where(
        cat.legacy[lo:hi],
        rng.integers(20, 250, n),
        np.round(need_rate[:, :30].mean(axis=1) * (lead + 20) * rng.uniform(0.6, 1.4, n)),
    )
    opening = np.where(cat.launch[lo:hi] > 0, 0, opening).astype(np.int64)
    stock = opening.copy()
    last_sale = np.where(cat.legacy[lo:hi], -rng.integers(100, 500, n), -rng.integers(0, 20, n))
    last_sale = np.where(cat.launch[lo:hi] > 0, cat.launch[lo:hi], last_sale)
    # the KPI library's clock for the slow-mover list: the last sale in the exports, or, never sold there,
    # the first movement (the opening adjustment on day 0); UNSEEN until the SKU first moves
    since = np.where(opening > 0, 0, UNSEEN)
    day_start = stock.copy()
    reg_arr, reg_qty = np.full(n, -1), np.zeros(n, dtype=np.int64)
    emg_arr, emg_qty = np.full(n, -1), np.zeros(n, dtype=np.int64)
    so_open = np.full(n, -1)  # day the open stockout began
    disp_day, disp_action, disp_list = np.full(n, -1), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    wo_ok = np.zeros(n, dtype=np.int64)
    returns_due = np.zeros((n, days + 16), dtype=np.int64)
    served = np.zeros((n, days), dtype=np.int64)
    count_off = rng.integers(0, ctx.count_every, n)
    months = len(win.month_labels)
    month_value, month_dead = np.zeros(months, dtype=np.int64), np.zeros(months, dtype=np.int64)
    month_end = set(np.flatnonzero(np.diff(win.month_index)).tolist()) | {days - 1}
    boundary_of = {int(b): j for j, b in enumerate(plan.boundaries)}

    pos = Log("sku", "ordered", "promised", "arrival", "qty", "rejects", "emergency", "cost")
    wos = Log("sku", "day", "qty", "available")
    issues = Log("sku", "day", "qty", "wo")
    counts = Log("sku", "day", "book", "counted", "keeper")
    disposals = Log("sku", "day", "action", "qty", "list", "employee")
    listed = Log("list", "sku", "cls", "purchaser")
    episodes = Log("sku", "start", "end")
    wo_seq, truth_listed = 0, 0

    def order(sel: np.ndarray, d: int, qty: np.ndarray, emergency: bool) -> np.ndarray:
        k = len(sel)
        promised = d + (rng.integers(2, 4, k) if emergency else lead[sel])
        early = np.minimum(rng.integers(0, 3, k), promised - d - 1)
        arrival = np.where(
            rng.random(k) < (0.97 if emergency else on_time[sel]), promised - early, promised + rng.integers(1, 11, k)
        )
        rejects = rng.binomial(qty, defects[sel])
        drift = 1 - 0.035 * d / 365
        unit = np.round(cost[sel] * drift * rng.normal(1.0, 0.02, k)).astype(np.int64)
        pos.add(
            sku=sel,
            ordered=d,
            promised=promised,
            arrival=arrival,
            qty=qty,
            rejects=rejects,
            emergency=int(emergency),
            cost=unit,
        )
        return arrival, qty - rejects

    for d in range(days):
        if d:
            since[(since == UNSEEN) & (stock != day_start)] = d - 1  # first moved yesterday
            day_start = stock.copy()
        j = boundary_of.get(d)
        if j is not None:  # the slow-mover list for the month just ended, as of its last day (d - 1)
            truth = (stock > 0) & (d - 1 - since > SLOW_DAYS)
            truth_listed += int(truth.sum())
            handed_in = plan.list_day[purchaser, j]
            on_list = truth & (handed_in >= 0) & (rng.random(n) >= plan.omit[purchaser, j])
            cls = np.where(rng.random(n) < plan.misclassify[purchaser, j], ~structural, structural)
            sel = np.flatnonzero(on_list)
            listed.add(list=j, sku=sel, cls=cls[sel].astype(np.int64), purchaser=purchaser[sel])
            go = on_list & ~stubborn & (rng.random(n) < plan.digest[j])
            first, last = handed_in + 1, np.maximum(d + 19, handed_in + 2)
            when = first + (rng.random(n) * (last - first + 1)).astype(np.int64)
            disp_day = np.where(go, when, -1)
            disp_action = rng.choice(3, n, p=[0.35, 0.4, 0.25])
            disp_action = np.where(~cls, 0, disp_action)  # seasonal stock is only promoted
            disp_list[:] = j

        for arr, qty in ((reg_arr, reg_qty), (emg_arr, emg_qty)):
            hit = arr == d
            stock[hit] += qty[hit]
            arr[hit] = -1
        stock += returns_due[:, d]

        due = np.flatnonzero((disp_day == d) & (stock > 0))
        if len(due):
            disposals.add(
                sku=due,
                day=d,
                action=disp_action[due],
                qty=stock[due],
                list=disp_list[due],
                employee=rng.integers(0, len(OPERATIONS), len(due)),
            )
            stock[due] = 0
            sold_off = due[disp_action[due] != ACTIONS.index("return")]  # exported as sales
            since[sold_off] = d
        disp_day[disp_day == d] = -1

        if len(kits):
            want = (stock[kits] <= planned[kits, d] * 3) & (wo_ok[kits] <= d) & (planned[kits, d] > 0.01)
            if want.any():
                k_sel, comp, per = kits[want], kit_comp[want], kit_qty[want]
                qty = np.maximum(1, np.round(planned[k_sel, d] * 6)).astype(np.int64)
                need = per * qty[:, None]
                have = np.where(comp >= 0, stock[np.maximum(comp, 0)], need)
                ok = (have >= need).all(axis=1)
                wo_ids = wo_seq + np.arange(len(k_sel))
                wo_seq += len(k_sel)
                wos.add(sku=k_sel, day=d, qty=qty, available=ok.astype(np.int64))
                used = ok[:, None] & (comp >= 0)
                rows, cols = np.nonzero(used)
                stock[comp[rows, cols]] -= need[rows, cols]
                issues.add(sku=comp[rows, cols], day=d, qty=need[rows, cols], wo=wo_ids[rows])
                stock[k_sel[ok]] += qty[ok]
                wo_ok[k_sel] = d + np.where(ok, 1, 7)

        closed = np.flatnonzero((so_open >= 0) & (stock > 0))
        episodes.add(sku=closed, start=so_open[closed], end=d)
        so_open[closed] = -1

        req = requested[:, d]
        sold = np.minimum(stock, req)
        stock -= sold
        served[:, d] = sold
        last_sale[sold > 0] = d
        since[sold > 0] = d
        short = sold < req
        so_open = np.where(short & (so_open < 0), d, so_open)

        back = np.flatnonzero(sold > 0)
        if len(back):
            returns_due[back, d + rng.integers(3, 16, len(back))] += rng.binomial(sold[back], RETURN_RATE)

        pipeline = stock + np.where(reg_arr >= 0, reg_qty, 0) + np.where(emg_arr >= 0, emg_qty, 0)
        pr = need_rate[:, d]
        need_po = (reg_arr < 0) & ~is_kit & (pr > 0.01) & (pipeline <= pr * (lead + 4))
        big = (overbuy_day == d) & (reg_arr < 0)
        sel = np.flatnonzero(need_po | big)
        if len(sel):
            qty = np.where(big[sel], mean_rate[sel] * rng.uniform(40, 120, len(sel)), pr[sel] * cover[sel])
            reg_arr[sel], reg_qty[sel] = order(sel, d, np.maximum(1, np.round(qty)).astype(np.int64), False)
        rush = short & (emg_arr < 0) & ~is_kit & (pr > 0.01) & ((reg_arr < 0) | (reg_arr - d > 3))
        sel = np.flatnonzero(rush & (rng.random(n) < 0.35))
        if len(sel):
            qty = np.maximum(1, np.round(pr[sel] * 10)).astype(np.int64)
            emg_arr[sel], emg_qty[sel] = order(sel, d, qty, True)

        if win.weekday[d] < 5:
            due = np.flatnonzero((d + count_off) % ctx.count_every == 0)
            if len(due):
                keeper = plan.keeper_of_day[d][due % 3]
                off = rng.random(len(due)) < plan.miscount[keeper]
                delta = np.where(off, rng.integers(1, 4, len(due)) * rng.choice((-1, 1), len(due)), 0)
                counted = np.maximum(0, stock[due] + delta)
                counts.add(sku=due, day=d, book=stock[due], counted=counted, keeper=keeper)
                stock[due] = counted

        if d in month_end:
            m = win.month_index[d]
            value = stock * cost
            month_value[m] += int(value.sum())
            month_dead[m] += int(value[d - last_sale > DEAD_DAYS].sum())

    open_ = np.flatnonzero(so_open >= 0)
    episodes.add(sku=open_, start=so_open[open_], end=-1)
    orders = _serve_orders(orders, served, episodes.done(), days)
    ret_sku, ret_day = np.nonzero(returns_due[:, :days])
    bounds = np.r_[0, np.flatnonzero(np.diff(win.month_index)) + 1]
    sold_monthly = np.add.reduceat(served, bounds, axis=1)
    return Events(
        lo=lo,
        opening=opening,
        orders=orders,
        pos=pos.done(),
        work_orders=wos.done(),
        issues=issues.done(),
        counts=counts.done(),
        disposals=disposals.done(),
        listed=listed.done(),
        returns={"sku": ret_sku, "day": ret_day, "qty": returns_due[ret_sku, ret_day]},
        monthly_qty=sold_monthly,
        monthly_expected=np.add.reduceat(planned, bounds, axis=1),
        month_value=month_value,
        month_dead_value=month_dead,
        month_revenue=(sold_monthly * cat.price[lo:hi, None]).sum(axis=0),
        truth_listed=truth_listed,
    )


def _draw_orders(rng: np.random.Generator, rates: np.ndarray, qm: np.ndarray) -> dict[str, np.ndarray]:
    """Poisson sale orders per SKU-day; sorted by SKU, day and time."""
    per_day = rng.poisson(rates)
    sku, day = np.nonzero(per_day)
    many = per_day[sku, day]
    sku, day = np.repeat(sku, many), np.repeat(day, many)
    qty = 1 + rng.poisson(qm[sku] - 1)
    sec = rng.integers(8 * 3600, 23 * 3600, len(sku))
    order = np.lexsort((sec, day, sku))
    return {"sku": sku[order], "day": day[order], "sec": sec[order], "qty": qty[order]}


def _serve_orders(
    orders: dict[str, np.ndarray], served: np.ndarray, episodes: dict[str, np.ndarray], days: int
) -> dict[str, np.ndarray]:
    """Share each SKU-day's served units out over its orders in time order; attach stockout episodes."""
    sku, day, qty = orders["sku"], orders["day"], orders["qty"]
    cum = np.cumsum(qty)
    key = sku * days + day
    first = np.r_[True, key[1:] != key[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
    before = cum - qty - (cum[group_start] - qty[group_start])
    got = np.clip(served[sku, day] - before, 0, qty)
    short = got < qty
    ep_key = episodes["sku"] * days + episodes["start"]
    order = np.argsort(ep_key)
    ep_key, ep_end = ep_key[order], episodes["end"][order]
    pos = np.searchsorted(ep_key, key, side="right") - 1
    ep_start_day = np.where(short & (pos >= 0), ep_key[np.maximum(pos, 0)] - sku * days, -1)
    ep_end_day = np.where(ep_start_day >= 0, ep_end[np.maximum(pos, 0)], -1)
    # the episode starts at the first short order of its first day
    start_key = np.where(short, key, -1)
    first_short = short & np.r_[True, start_key[1:] != start_key[:-1]]
    sec_of = dict(zip(key[first_short].tolist(), orders["sec"][first_short].tolist(), strict=True))
    ep_start_sec = np.array([sec_of.get(k, 0) for k in (sku * days + ep_start_day)[short].tolist()], dtype=np.int64)
    start_sec = np.zeros(len(key), dtype=np.int64)
    start_sec[short] = ep_start_sec
    return {**orders, "served": got, "so_day": ep_start_day, "so_sec": start_sec, "so_end": ep_end_day}
