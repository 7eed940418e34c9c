"""KPIs of the slow-mover process: list timeliness, disposal tracking and digestion (seed 000)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from perfrules.engine.kpi.run import Run
from perfrules.engine.kpi.scope import Scope
from perfrules.engine.kpi.slow_movers import slow_mover_list
from perfrules.engine.kpi.values import KpiValue
from perfrules.engine.periods import Period, month_of, week_of
from perfrules.storage.kpi import facts
from perfrules.storage.kpi.common import Selection


def lists_due(run: Run) -> list[tuple[Period, date]]:
    """(month covered, due day) of every slow-mover list due in the window."""
    out = []
    month = month_of(run.start).previous()
    while month.start <= run.end:
        following = month.next().start
        due = following.replace(day=min(run.params.list_due_day, 28))
        if run.start <= due <= run.end:
            out.append((month, due))
        month = month.next()
    return out


def _deadline(run: Run, day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), run.zone)


def slow_mover_list_timeliness(run: Run, scope: Scope) -> KpiValue:
    """Lists submitted by the due time ÷ lists due (or, ``coverage``: share of the system list named on time)."""
    selection = run.selection("slow_mover_list_timeliness", scope)
    due = lists_due(run)
    subs = facts.submissions(run.conn, "slow_mover_list", [m.label for m, _ in due], selection=selection)
    score = Decimal(0)
    late: list[str] = []
    for month, day in due:
        on_time = [s for s in subs if s.period == month.label and s.submitted_at < _deadline(run, day)]
        if not on_time:
            late.append(month.label)
        elif run.params.list_timeliness_method == "coverage":
            system = slow_mover_list(run.conn, month.last_day, run.params, classify=False).by_sku()
            named = {i.get("sku") for s in on_time for i in s.payload.get("items", []) if isinstance(i, dict)}
            score += Decimal(len(set(system) & named)) / len(system) if system else Decimal(1)
        else:
            score += 1
    return run.ratio(
        "slow_mover_list_timeliness",
        scope,
        score,
        len(due),
        "no list due in the period",
        rows=len(subs),
        lists_due=[m.label for m, _ in due],
        late=late,
        method=run.params.list_timeliness_method,
    )


def disposal_tracking_rate(run: Run, scope: Scope) -> KpiValue:
    """Weeks with a disposal-tracking update by Sunday (+ grace days) ÷ weeks ending in the window."""
    selection = run.selection("disposal_tracking_rate", scope)
    weeks = []
    week = week_of(run.start)
    while week.start <= run.end:
        if run.start <= week.last_day <= run.end:
            weeks.append(week)
        week = week.next()
    subs = facts.submissions(run.conn, "disposal_tracking", [w.label for w in weeks], selection=selection)
    grace = timedelta(days=run.params.tracking_grace_days)
    on_time = [
        w.label
        for w in weeks
        if any(s.period == w.label and s.submitted_at < _deadline(run, w.last_day + grace) for s in subs)
    ]
    missed = [w.label for w in weeks if w.label not in on_time]
    return run.ratio(
        "disposal_tracking_rate",
        scope,
        len(on_time),
        len(weeks),
        "no week ends in the period",
        rows=len(subs),
        weeks_missed=missed,
    )


def digestion_until(run: Run) -> date:
    """The last day disposals count for the digestion rate: the due day of the period's first month."""
    if run.params.digestion_due_day is None:
        return run.end
    return min(run.end, run.start.replace(day=min(run.params.digestion_due_day, 28)))


def slow_mover_digestion_rate(run: Run, scope: Scope) -> KpiValue:
    """Share of the slow-mover list at the period's start disposed of (promotion, clearance, return) by the
    due day, weighted by value at list time (or units, or fully cleared SKUs)."""
    selection = run.selection("slow_mover_digestion_rate", scope)
    listed_on = run.start - timedelta(days=1)
    category = scope.key if selection.kind == "category" else None
    system = slow_mover_list(run.conn, listed_on, run.params, category=category, classify=False)
    until = digestion_until(run)
    person = selection if selection.kind == "employee" else Selection()
    done = facts.disposed(run.conn, run.start, until, [i.sku for i in system.items], selection=person)
    num = den = Decimal(0)
    for item in system.items:
        cleared = min(done.get(item.sku, 0), item.qty)
        match run.params.digestion_weight:
            case "units":
                num, den = num + cleared, den + item.qty
            case "skus":
                num, den = num + (cleared >= item.qty), den + 1
            case _:
                num, den = num + item.value * cleared / item.qty, den + item.value
    return run.ratio(
        "slow_mover_digestion_rate",
        scope,
        num,
        den,
        "empty slow-mover list",
        rows=len(system.items),
        listed_on=listed_on,
        disposals_until=until,
        weight=run.params.digestion_weight,
    )
