"""``decide(rulebook, facts, now) -> Decision``: the production core (:mod:`.core`) run over an in-memory
:class:`~.facts.Facts` bundle, as HR rule tests (:mod:`.rule_tests`) and the agreement tests use it.

Each month of the period under evaluation is judged in turn exactly as ``perfrules evaluate`` judges it
(quarter KPIs in the quarter's last month); earlier breaches become the streak history, earlier
consequences become earlier findings of the quarter, and the quarter is re-priced with each month's
findings (once per quarter, stacking, caps, pro-rated bases). The result is shown in the flat
:mod:`perfrules.engine.evaluation.outcome` view: findings, consequences (the change of each bonus line), escalations,
notice intents and rules not judged. No clock, no database.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal
from typing import Any

from perfrules.engine.evaluation.charging import responsible
from perfrules.engine.evaluation.core import History, LineChange, judge, quarter_changes
from perfrules.engine.evaluation.facts import Facts
from perfrules.engine.evaluation.intents import notice_intents, subject_of
from perfrules.engine.evaluation.observations import Observation
from perfrules.engine.evaluation.outcome import Consequence, Decision, Escalation, Finding, NotApplicable, PlanItem
from perfrules.engine.evaluation.streaks import counts_in
from perfrules.engine.periods import Period, PeriodKind, parse_period, quarter_of
from perfrules.engine.rulebook.compiler import target_of
from perfrules.engine.rulebook.rulebook import Rulebook, SourcedRule

KINDS = {
    "breach": "kpi_breach",
    "met": "kpi_met",
    "warning": "kpi_warning",
    "late": "deadline_missed",
    "missing": "deadline_missed",
    "incomplete": "incomplete",
}


def months_of(window: Period) -> list[Period]:
    """The months judged for ``window``: the month itself, or every month of a longer period."""
    if window.kind is PeriodKind.MONTH:
        return [window]
    month, out = parse_period(window.start.strftime("%Y-%m")), []
    while month.start <= window.end and month.end <= window.end:
        out.append(month)
        month = month.next()
    return out


def decide(rulebook: Rulebook, facts: Facts, now: datetime) -> Decision:
    """Judge ``facts`` month by month with the production core; pure and repeatable."""
    if now.tzinfo is None:
        raise ValueError("now must be zone-aware")
    people, ids = facts.people, itertools.count(1)
    by_id = {p.id: p for p in people}
    history = _history(rulebook, facts)
    earlier = _earlier(rulebook, facts, ids)
    out: dict[str, list[Any]] = {k: [] for k in ("findings", "consequences", "escalations", "notices", "na")}
    triggered: set[tuple[str, str, str, str]] = set()
    for month in months_of(facts.window):
        rules = {s.rule.id: s for s in rulebook.in_force(month.last_day)}
        result = judge(rulebook, month, facts.kpis, facts.submissions, people, history, now)
        rows = [{**row, "id": next(ids), "status": "active"} for row in result.rows]
        quarter = quarter_of(month.start)
        changes = quarter_changes(quarter, by_id, [r for r in earlier if r["quarter"] == quarter.label], rows)
        earlier += rows
        history = history.after(result.rows)
        out["findings"] += [
            _finding(rules[o.rule_id], o, len(r["streak"]))
            for o, r in zip(result.judgement.observations, rows, strict=True)
        ]
        out["findings"] += [_finding(rules[o.rule_id], o, 1) for o in result.judgement.warnings]
        out["consequences"] += [_consequence(rules, c, rows) for c in changes]
        for e in result.escalations:  # as the store keeps them: a streak that goes on never triggers twice
            key = (e["rule_id"], e["subject"], e["kind"], e["streak_start"])
            if key not in triggered:
                triggered.add(key)
                out["escalations"].append(_escalation(rules[e["rule_id"]], e))
        out["notices"] += notice_intents(rulebook, result, changes, people, now)
        out["na"] += [
            NotApplicable(rules[u.rule_id].ref, subject_of(u.subject, u.subject_kind), u.period, u.reason)
            for u in result.judgement.unjudged
        ]
    return Decision(
        now,
        facts.period,
        tuple(sorted(out["findings"], key=lambda f: (f.period, f.ref.id, f.subject, f.kind))),
        tuple(out["consequences"]),
        tuple(out["escalations"]),
        tuple(out["notices"]),
        tuple(out["na"]),
    )


def _subject(rule_subject: str) -> str:
    """``department:purchasing`` → ``purchasing`` (the stored form); ``company`` stays."""
    return rule_subject.split(":", 1)[1] if ":" in rule_subject else rule_subject


def _carriers(rulebook: Rulebook, rule_id: str, subject: str, month: Period, facts: Facts) -> list[str]:
    if subject.startswith("employee:"):
        return [_subject(subject)]
    sourced = rulebook.in_force(month.last_day)
    rule = next((s.rule for s in sourced if s.rule.id == rule_id), None)
    if rule is None:
        return []
    return [p.id for p in responsible(facts.people, rule.department, rule.role, month.last_day)]


def _history(rulebook: Rulebook, facts: Facts) -> History:
    """Earlier breaches as the streak history, each in its event month (``streaks.counts_in``: a KPI
    breach of a rule with a monthly deadline counts in the month the instances due then cover): by subject,
    and by whoever answered for them then (the rule's owners)."""
    subjects: dict[tuple[str, str], list[str]] = {}
    employees: dict[tuple[str, str], list[str]] = {}
    for b in facts.breaches:
        month = parse_period(b.period)
        rule = next((s.rule for s in rulebook.in_force(month.last_day) if s.rule.id == b.rule_id), None)
        # an employee subject of a rule with a deadline (and no employee-scope KPI) is a deadline finding
        on_deadline = b.subject.startswith("employee:") and rule is not None and rule.deadline is not None
        if on_deadline and rule.threshold is not None and rule.threshold.scope == "employee":
            on_deadline = False
        event = counts_in(rule, b.period, "late" if on_deadline else "breach")
        subjects.setdefault((b.rule_id, _subject(b.subject)), []).append(event)
        for employee in _carriers(rulebook, b.rule_id, b.subject, month, facts):
            employees.setdefault((b.rule_id, employee), []).append(event)
    return History(subjects, employees)


def _earlier(rulebook: Rulebook, facts: Facts, ids: itertools.count) -> list[dict[str, Any]]:
    """Earlier consequences as findings of their quarter's first month (what pricing starts from)."""
    rows = []
    for c in facts.consequences:
        month = next(iter(parse_period(c.quarter).months()))
        sourced = next((s for s in rulebook.in_force(month.last_day) if s.rule.id == c.rule_id), None)
        if sourced is None:
            continue
        rule, consequence = sourced.rule, sourced.rule.consequence
        carried = [
            {"employee": e, "department": rule.department, "weight": "1"}
            for e in _carriers(rulebook, c.rule_id, c.subject, month, facts)
        ]
        rows.append(
            {
                "id": next(ids),
                "status": "active",
                "rule_id": rule.id,
                "rule_file": sourced.ref.file,
                "rule_line": sourced.ref.line,
                "rule_version": str(sourced.ref.version),
                "period": month.label,
                "quarter": c.quarter,
                "kind": "breach",
                "share": c.share,
                "charged_to": carried,
                "stacks": bool(consequence and consequence.stacks),
                "share_cap": consequence.cap if consequence else None,
                "reason_code": "kpi_proportional" if consequence and consequence.proportional else "",
            }
        )
    return rows


def _finding(sourced: SourcedRule, obs: Observation, streak: int) -> Finding:
    rule, f = sourced.rule, obs.facts
    kind = KINDS[obs.kind]
    if obs.kpi is not None:
        assert rule.threshold is not None
        return Finding(
            sourced.ref,
            kind,
            subject_of(obs.subject, obs.subject_kind),
            obs.period,
            kpi=obs.kpi,
            value=obs.value,
            target=obs.threshold,
            direction=target_of(rule.threshold)[1],
            streak=streak,
        )
    assert rule.deadline is not None
    return Finding(
        sourced.ref,
        kind,
        f"employee:{obs.subject}",
        obs.period,
        deliverable=f["deliverable"],
        employee=obs.subject,
        state=f["state"],
        due_at=datetime.fromisoformat(f["due_at"]),
        submitted_at=datetime.fromisoformat(f["submitted_at"]) if f["submitted_at"] else None,
        days_late=f["days_late"],
        completeness=Decimal(f["completeness"]) if f["completeness"] is not None else None,
        target=rule.deadline.completeness if kind == "incomplete" else None,
        streak=streak,
    )


def _consequence(rules: dict[str, SourcedRule], change: LineChange, rows: list[dict[str, Any]]) -> Consequence:
    line = change.after
    sourced = rules[line.rule_id]
    rule = sourced.rule
    row = next(r for r in rows if r["id"] in line.finding_ids)
    target = next(t for t in row["charged_to"] if t["employee"] == line.employee_id)
    moved = target["department"] != rule.department
    role = (
        next(
            (a.carried_by.role for a in rule.attribution if a.carried_by.department == target["department"]), rule.role
        )
        if moved
        else rule.role
    )
    status, reason = "applied", None
    if not change.share and change.before is not None:
        status, reason = "suppressed", f"already applied in {line.quarter} (the rule does not stack)"
    elif "capped" in line.computation:
        reason = line.computation[line.computation.index("(capped") + 1 :].rstrip(")")
    return Consequence(
        sourced.ref,
        subject_of(row["subject"], row["subject_kind"]),
        row["period"],
        line.quarter,
        change.share,
        target["department"],
        role,
        line.computation,
        line.employee_id,
        change.amount,
        status,
        reason,
        rule.department if moved else None,
    )


def _escalation(sourced: SourcedRule, row: dict[str, Any]) -> Escalation:
    spec = next(x for x in sourced.rule.escalations if x.action == row["kind"])
    plan = None
    if row["due"] is not None:
        plan = PlanItem(spec.plan.deliverable if spec.plan else "improvement_plan", row["due"])
    return Escalation(
        sourced.ref,
        f"employee:{row['subject']}",
        row["triggered_period"],
        row["kind"],
        spec.after,
        len(row["streak"]),
        plan,
        row["subject"],
    )
