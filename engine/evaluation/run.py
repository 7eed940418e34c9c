"""An evaluation run: load the month's inputs, judge them with :func:`perfrules.engine.evaluation.core.judge`, store
findings and escalations, re-price the quarter from the stored findings.

A run is keyed (period, rulebook digest, facts hash) and claimed with insert-on-conflict; every write is
an upsert on a natural key, so running the same month again with the same facts and rules changes nothing
and duplicates nothing. ``dry_run`` decides and prices but writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from perfrules.engine.evaluation.core import History, judge
from perfrules.engine.evaluation.facts import KpiValue, Submission
from perfrules.engine.evaluation.judging import undatable, without_undatable
from perfrules.engine.evaluation.kpis import library_kpis
from perfrules.engine.evaluation.observations import Judgement, Observation
from perfrules.engine.evaluation.people import load_people
from perfrules.engine.evaluation.pricing import reprice
from perfrules.engine.evaluation.streaks import BREACH_KINDS
from perfrules.engine.kpi.slow_movers import (
    LIST_DELIVERABLE,
    SlowMoverList,
    check_list,
    listed_skus,
    slow_mover_list,
)
from perfrules.engine.periods import Period, PeriodKind, local_date, parse_period, quarter_of, week_of
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store
from perfrules.storage.kpi import reading

KpiSource = Callable[[Database, Rulebook, Period], Sequence[KpiValue]]


log = logging.getLogger("perfrules.evaluation")


@dataclass(frozen=True)
class RunReport:
    """What a run did (or, dry, would do)."""

    period: str
    rulebook_version: str
    run_id: int | None
    repeat: bool
    observations: tuple[Observation, ...]
    charged: dict[tuple, list[dict[str, Any]]] = field(default_factory=dict)
    escalations: int = 0
    lines: int = 0
    quarter_closed: bool = False
    judgement: Judgement = field(default_factory=Judgement)  # + warnings, pending deliverables, unjudged rules
    withdrawn_escalations: tuple[int, ...] = ()  # ids: their streak lost a breach in this run
    repaired: bool = False  # an earlier run of the same facts had not finished: this one wrote its results
    not_judged: tuple[str, ...] = ()  # "rule X not judged: …" for each rule whose due dates have no calendar


def load_submissions(db: Database, month: Period) -> tuple[Submission, ...]:
    labels = [month.label] + [w.label for w in _weeks(month)]
    rows = store.submissions(db, labels)
    lists = [r for r in rows if r["deliverable"] == LIST_DELIVERABLE]
    system: dict[str, SlowMoverList] = {}  # the system's list per covered month, drawn up once
    if lists:
        with reading(db) as conn:
            for label in {r["period"] for r in lists}:
                system[label] = slow_mover_list(conn, parse_period(label).last_day, classify=False, with_buyer=True)
    completeness = {id(r): _completeness(r, system[r["period"]], lists) for r in lists}
    return tuple(
        Submission(r["deliverable"], r["period"], r["employee_id"], r["submitted_at"], completeness.get(id(r)))
        for r in rows
    )


def _weeks(month: Period) -> list[Period]:
    weeks, week = [], week_of(month.start)
    while week.start < month.end:
        weeks.append(week)
        week = week.next()
    return weeks


def _completeness(row: dict[str, Any], system: SlowMoverList, lists: list[dict[str, Any]]) -> Decimal:
    """The share of the system's slow-mover list at the end of the covered month that a submitted list names:
    the submitter's part of it (:meth:`SlowMoverList.owed_by`), as ``perfrules slow-movers --check`` shows
    it — never what the submitter writes."""
    others = set().union(
        *(
            listed_skus(r["payload"])
            for r in lists
            if r["period"] == row["period"] and r["employee_id"] != row["employee_id"]
        )
    )
    return check_list(system.owed_by(row["employee_id"], others), row["payload"] or {}).coverage


def _hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()


def evaluate(
    db: Database,
    rulebook: Rulebook,
    month: Period,
    *,
    now: datetime,
    kpis: KpiSource,
    dry_run: bool = False,
    total_cap: Decimal | None = None,
) -> RunReport:
    """Evaluate ``month`` as of ``now`` (deadline states are judged at ``now``). The quarterly cap is the
    rulebook's ``bonus.quarterly_cap`` unless ``total_cap`` is given."""
    if month.kind is not PeriodKind.MONTH:
        raise ValueError(f"evaluate a month, not {month.label}")
    people = load_people(db)
    by_id = {p.id: p for p in people}
    # a rule whose due dates cannot be computed (calendar: cn, no holiday data) is not judged and named; the
    # KPIs that read deadlines go without it, so every other rule of the month is judged
    blocked = undatable(rulebook.in_force(month.last_day), month)
    for reason in blocked.values():
        log.warning("%s", reason, extra={"period": month.label})
    values = list(kpis(db, without_undatable(rulebook, month), month))
    submissions = load_submissions(db, month)
    past = store.findings(db, months=[m.label for m in _months_before(month, 36)])
    history = History.of(past)
    result = judge(rulebook, month, values, submissions, people, history, now)
    observations, charged = result.judgement.observations, result.charged
    version = rulebook.digest[:16]
    quarter = quarter_of(month.start)
    closed = quarter.label in store.closed_quarters(db)
    if dry_run:
        return RunReport(
            month.label,
            version,
            None,
            False,
            tuple(observations),
            charged,
            quarter_closed=closed,
            judgement=result.judgement,
            not_judged=tuple(blocked.values()),
        )
    facts_hash = _hash(
        [vars(v) for v in values],
        [vars(s) for s in submissions],
        [(o.key, str(o.value), o.facts) for o in observations],
        [(p.id, p.department, p.role, p.stints, p.leaves, p.active_from, p.active_to) for p in people],
    )
    rule_ids = {r.rule.id for r in rulebook.in_force(month.last_day)} - set(blocked)  # keeps what it had
    cap = total_cap if total_cap is not None else rulebook.quarterly_cap
    # One transaction: the run, its findings, escalations and the quarter's bonus lines commit together or
    # not at all (a kill at any point leaves the store as it was; the next run does the whole work).
    with db.session() as s:
        run_id, earlier = store.claim_run(
            s,
            {
                "period": month.label,
                "rulebook_version": version,
                "rule_files": dict(rulebook.files),
                "facts_hash": facts_hash,
                "as_of": now,
                "started_at": now,
                "status": "running",
            },
        )
        store.store_findings(s, run_id, month.label, result.rows, rule_ids)
        withdrawn = store.withdraw_escalations(s, run_id, month.label, BREACH_KINDS)
        escalations = [{**e, "created_run_id": run_id} for e in result.escalations]
        new_escalations = store.store_escalations(s, escalations)
        s.flush()
        lines = reprice(s, run_id, quarter, by_id, store.findings(s, quarter=quarter.label), cap)
        if earlier != "done":  # a repeat keeps the figures of the run that did the work
            store.finish_run(s, run_id, now, findings=len(result.rows), adjustments=lines, escalations=new_escalations)
    created, repaired = earlier is None, earlier not in (None, "done")
    log.info(
        "evaluated %s: run #%d%s, %d finding(s), %d new escalation(s), %d bonus line(s)",
        month.label, run_id, " (repaired an unfinished run)" if repaired else "" if created else " (repeat)",
        len(result.rows), new_escalations, lines,
        extra={"run_id": run_id, "period": month.label},
    )  # fmt: skip
    return RunReport(
        month.label,
        version,
        run_id,
        not created and not repaired,
        tuple(observations),
        charged,
        new_escalations,
        lines,
        closed,
        result.judgement,
        withdrawn_escalations=tuple(withdrawn),
        repaired=repaired,
        not_judged=tuple(blocked.values()),
    )


def evaluate_months(
    db: Database, rulebook: Rulebook, months: Sequence[Period], *, now: datetime, zone: ZoneInfo, dry_run: bool = False
) -> list[RunReport]:
    """:func:`evaluate` each of ``months`` in order with KPIs from the KPI library as of ``now``'s local day:
    what ``perfrules evaluate`` and ``POST /api/v1/evaluations`` run (the scheduler has its own memoised
    KPI source)."""
    kpis = library_kpis(zone, local_date(now, zone))
    return [evaluate(db, rulebook, month, now=now, kpis=kpis, dry_run=dry_run) for month in months]


def _months_before(month: Period, count: int) -> list[Period]:
    out, m = [], month.previous()
    for _ in range(count):
        out.append(m)
        m = m.previous()
    return out
