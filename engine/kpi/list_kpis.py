"""KPIs of the slow-mover process: list timeliness, disposal tracking and digestion (seed 000)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from perfrules.engine.kpi.run import Run
from perfrules.engine.kpi.scope import Scope
from perfrules.engine.kpi.slow_movers import slow_mover_list
from perfrules.engine.kpi.values import KpiValue
from perfrules.storage.kpi import facts
from perfrules.storage.kpi.common import Selection


def slow_mover_list_timeliness(run: Run, scope: Scope) -> KpiValue:
    """Lists handed in by their deadline ÷ lists due in the period (or, ``coverage``: share of the system list
    named on time). Which lists are due and until when: the rulebook's deadline (:mod:`.deadlines`)."""
    selection = run.selection("slow_mover_list_timeliness", scope)
    due = run.deadlines.due_in("slow_mover_list", run.start, run.end) or []
    subs = facts.submissions(run.conn, "slow_mover_list", [d.covered.label for d in due], selection=selection)
    score = Decimal(0)
    late: list[str] = []
    for instance in due:
        month = instance.covered
        on_time = [s for s in subs if s.period == month.label and s.submitted_at <= instance.until]
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
        lists_due=[d.covered.label for d in due],
        due_until=[d.until.isoformat() for d in due],
        deadline_source=sorted({d.source for d in due}),
        late=late,
        method=run.params.list_timeliness_method,
    )


def disposal_tracking_rate(run: Run, scope: Scope) -> KpiValue:
    """Weekly disposal-tracking updates handed in by their deadline ÷ updates due in the period (the rulebook's
    deadline, e.g. Friday 18:00; the library's Sunday + grace days only where no rule owns it)."""
    selection = run.selection("disposal_tracking_rate", scope)
    due = run.deadlines.due_in("disposal_tracking", run.start, run.end) or []
    weeks = [d.covered for d in due]
    subs = facts.submissions(run.conn, "disposal_tracking", [w.label for w in weeks], selection=selection)
    on_time = [
        d.covered.label for d in due if any(s.period == d.covered.label and s.submitted_at <= d.until for s in subs)
    ]
    missed = [w.label for w in weeks if w.label not in on_time]
    return run.ratio(
        "disposal_tracking_rate",
        scope,
        len(on_time),
        len(weeks),
        "no update due in the period",
        rows=len(subs),
        weeks_missed=missed,
    )


def digestion_until(run: Run) -> date:
    """The last day disposals count for the digestion rate: the day the first instance of the rule's ``by``
    (e.g. the 20th, after its working-day shift) due in the period falls on; the whole period when none is."""
    due = run.deadlines.due_in("slow_mover_digestion_rate", run.start, run.end)
    if not due:
        return run.end
    return min(run.end, min(d.until for d in due).astimezone(run.zone).date())


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
