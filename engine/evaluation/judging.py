"""One month through the rule engine: facts → durable_rules (rulebook compiled by ``perfrules.engine.rulebook``,
run by ``perfrules.engine.runtime``) → :class:`Observation` per finding.

Facts sent to the engine (the compiler's contract): KPI values of the month (``t=kpi``), the state of
each deliverable instance covering the month per employee who owed it (``t=dlv``; owed by whoever held the
rule's role in its department on the due date) and gates of quantitative deadlines already due
(``t=gate``). Warnings and pending deliverables come back beside the findings (:class:`Judgement`) for
notices; they are not findings. The actions only record matches; everything else (values seen, thresholds,
consequences) is read back from the rule and the fact that matched, so the explanation shows exactly what was compared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from perfrules.engine.evaluation.consequences import pct, proportional_share
from perfrules.engine.evaluation.facts import KpiValue, Submission, deliverable_states
from perfrules.engine.evaluation.observations import Carry, EscalationSpec, Judgement, Observation, Unjudged
from perfrules.engine.evaluation.people import Person, deadline_owers
from perfrules.engine.kpi.catalog import BY_ID
from perfrules.engine.periods import Period, PeriodKind, parse_period
from perfrules.engine.rulebook.calendar import CalendarOutOfRange, covered_periods, due_at
from perfrules.engine.rulebook.compiler import CompiledRuleset, compile_for, scale, target_of
from perfrules.engine.rulebook.model import Condition, Rule
from perfrules.engine.rulebook.rulebook import Rulebook, SourcedRule
from perfrules.engine.runtime import Match, engine_for

_VERB = {"breach": "is worse than", "met": "meets", "warning": "is inside the warning band of"}
REASONS = {
    "breach": "kpi_breach",
    "met": "kpi_bonus",
    "late": "deadline_late",
    "missing": "deadline_missing",
    "incomplete": "list_incomplete",
}


def _judged_kind(v: KpiValue, month: Period) -> str | None:
    """The period kind of ``v`` when it is judged in ``month``: a month's value in that month, a longer
    period's value (quarter, year) in the month it ends with; None otherwise."""
    if v.period == month.label:
        return "month"
    period = parse_period(v.period)
    if period.kind is not PeriodKind.MONTH and period.end == month.end and period.start <= month.start:
        return period.kind.value
    return None


def _kpi_facts(
    values: Sequence[KpiValue], month: Period
) -> tuple[list[dict[str, Any]], dict[str, KpiValue], list[KpiValue]]:
    facts, by_id, empty = [], {}, []
    for i, v in enumerate(values):
        kind = _judged_kind(v, month)
        if kind is None:
            continue
        if v.value is None:
            empty.append(v)
            continue
        fid = f"k{i}"
        by_id[fid] = v
        facts.append(
            {
                "id": fid,
                "t": "kpi",
                "kpi": v.kpi,
                "scope": v.scope,
                "scope_id": v.scope_id or "",
                "pk": kind,
                "period": month.label,
                "value": scale(v.value),
            }
        )
    return facts, by_id, empty


def without_undatable(rulebook: Rulebook, month: Period) -> Rulebook:
    """``rulebook`` without the rules :func:`undatable` this month (what KPIs that read deadlines may use)."""
    blocked = undatable(rulebook.in_force(month.last_day), month)
    if not blocked:
        return rulebook
    return replace(rulebook, rules=tuple(s for s in rulebook.rules if s.rule.id not in blocked))


def undatable(rules: Sequence[SourcedRule], month: Period) -> dict[str, str]:
    """Rules whose due dates this month cannot be computed (``calendar: cn`` in a year without holiday data),
    by id, with the reason: they are reported as not judged, and every other rule is judged."""
    out = {}
    for sourced in rules:
        rule = sourced.rule
        schedules = [(rule.deadline, c) for c in covered_periods(rule.deadline, month)] if rule.deadline else []
        if rule.threshold is not None and rule.threshold.by is not None:
            schedules.append((rule.threshold.by, month))
        for schedule, covered in schedules:
            try:
                due_at(schedule, covered)
            except CalendarOutOfRange as exc:
                out[rule.id] = f"rule {rule.id} not judged: {exc}"
                break
    return out


def _deliverables(
    rules: Sequence[SourcedRule],
    month: Period,
    people: Sequence[Person],
    submissions: tuple[Submission, ...],
    now: datetime,
) -> tuple[list[dict[str, Any]], dict]:
    facts, by_id = [], {}
    for sourced in rules:
        rule = sourced.rule
        if rule.deadline is None:
            continue
        for covered in covered_periods(rule.deadline, month):
            due = due_at(rule.deadline, covered)
            owers = deadline_owers(people, rule.department, rule.role, due)
            for state in deliverable_states(rule.id, rule.deadline, covered, owers, submissions, now):
                fid = f"d{len(facts)}"
                by_id[fid] = state
                fact = {
                    "id": fid,
                    "t": "dlv",
                    "rule": rule.id,
                    "deliverable": state.deliverable,
                    "employee": state.employee_id,
                    "period": month.label,
                    "state": state.state,
                }
                if state.completeness is not None:
                    fact["completeness"] = scale(state.completeness)
                facts.append(fact)
    return facts, by_id


def _gates(rules: Sequence[SourcedRule], month: Period, now: datetime) -> tuple[list[dict[str, Any]], dict]:
    """Gate facts of quantitative deadlines already due, and the due time of those not due yet."""
    gates, waiting = [], {}
    for sourced in rules:
        t = sourced.rule.threshold
        if t is not None and t.by is not None:
            due = due_at(t.by, month)
            if due is not None and due <= now:
                gates.append({"id": f"g{len(gates)}", "t": "gate", "rule": sourced.rule.id, "period": month.label})
            elif due is not None:
                waiting[sourced.rule.id] = due
    return gates, waiting


def _unjudged(
    rules: Sequence[SourcedRule],
    kpis: Sequence[KpiValue],
    empty: Sequence[KpiValue],
    month: Period,
    waiting: dict[str, datetime],
) -> list[Unjudged]:
    out = []
    for sourced in rules:
        t = sourced.rule.threshold
        if t is None:
            continue
        for v in empty:
            if v.kpi == t.kpi and v.scope == t.scope:
                out.append(
                    Unjudged(
                        sourced.rule.id,
                        v.scope_id or "company",
                        _subject_kind(v),
                        month.label,
                        f"no value for {v.kpi}: not applicable",
                    )
                )
        if sourced.rule.id in waiting and any(v.kpi == t.kpi for v in kpis):
            out.append(
                Unjudged(
                    sourced.rule.id,
                    t.scope_id or (sourced.rule.department if t.scope == "department" else "company"),
                    t.scope,
                    month.label,
                    f"not judged before the due time {waiting[sourced.rule.id].isoformat()}",
                )
            )
    return out


def _subject_kind(value: KpiValue) -> str:
    return "company" if value.scope == "company" or not value.scope_id else value.scope


Matcher = Callable[[CompiledRuleset, list[dict[str, Any]]], list[Match]]


CHUNK = 5000  # employee-scope KPI facts per engine session


def durable_matcher(ruleset: CompiledRuleset, facts: list[dict[str, Any]]) -> list[Match]:
    """The production matcher: the compiled ruleset on its long-lived durable_rules engine.

    durable_rules keeps every asserted fact in the session state (≈ 3.7 KB each) and slows down as it
    grows, so per-employee KPI facts go in chunks, each session also holding every shared fact (company and
    department KPIs, deliverables, gates) that joins may need; matches repeated across chunks are dropped."""
    engine = engine_for(ruleset.name, ruleset.rules)
    personal = [f for f in facts if f.get("t") == "kpi" and f.get("scope") == "employee"]
    if len(personal) <= CHUNK:
        return engine.evaluate(facts)
    shared = [f for f in facts if not (f.get("t") == "kpi" and f.get("scope") == "employee")]
    seen: set[tuple] = set()
    matches = []
    for start in range(0, len(personal), CHUNK):
        for match in engine.evaluate(shared + personal[start : start + CHUNK]):
            key = (match.rule, tuple(sorted(match.facts.items())))
            if key not in seen:
                seen.add(key)
                matches.append(match)
    return matches


def decide_month(
    rulebook: Rulebook,
    month: Period,
    kpis: Sequence[KpiValue],
    submissions: tuple[Submission, ...],
    people: Sequence[Person],
    now: datetime,
    matcher: Matcher = durable_matcher,
) -> list[Observation]:
    """Every finding of ``month`` under the rule versions in force on its last day. ``matcher`` is
    swappable only so that the benchmark can time a plain-Python matcher on the very same facts."""
    return list(judge_month(rulebook, month, kpis, submissions, people, now, matcher).observations)


def judge_month(
    rulebook: Rulebook,
    month: Period,
    kpis: Sequence[KpiValue],
    submissions: tuple[Submission, ...],
    people: Sequence[Person],
    now: datetime,
    matcher: Matcher = durable_matcher,
) -> Judgement:
    """:func:`decide_month` plus what only notices and HR tests need: warnings, pending deliverables and
    the rules that could not be judged."""
    ruleset = compile_for(rulebook, month.last_day)
    if not ruleset.rules:
        return Judgement()
    rules = tuple({p.rule.ref.id: p.rule for p in ruleset.parts.values()}.values())
    blocked = undatable(rules, month)
    datable = tuple(s for s in rules if s.rule.id not in blocked)
    kpi_facts, kpi_by_id, empty = _kpi_facts(kpis, month)
    dlv_facts, dlv_by_id = _deliverables(datable, month, people, submissions, now)
    gates, waiting = _gates(datable, month, now)
    matches = matcher(ruleset, kpi_facts + dlv_facts + gates)
    found: dict[tuple, Observation] = {}
    warnings: list[Observation] = []
    pending = []
    carries: list[tuple[tuple, Carry]] = []
    for match in matches:
        part = ruleset.parts[match.rule]
        rule, ref = part.rule.rule, part.rule.ref
        if ref.id in blocked:  # reported as not judged, with the reason
            continue
        fact_id = match.facts.get("m")
        if part.part in ("breach", "met"):
            obs = _kpi_observation(part.rule, part.part, kpi_by_id[fact_id], month)
        elif part.part == "warning":
            warnings.append(_kpi_observation(part.rule, part.part, kpi_by_id[fact_id], month))
            continue
        elif part.part == "pending":
            pending.append(dlv_by_id[fact_id])
            continue
        elif part.part in ("deadline", "incomplete"):
            obs = _deadline_observation(part.rule, part.part, dlv_by_id[fact_id], month)
        else:  # attribution
            attribution = rule.attribution[part.index]
            value = kpi_by_id[fact_id]
            because = _because(attribution.when, match.facts.get("c"), kpi_by_id, dlv_by_id)
            carries.append(
                (
                    (ref.id, value.scope_id or "company", month.label, "breach"),
                    Carry(attribution.carried_by.department, attribution.carried_by.role, attribution.share, because),
                )
            )
            continue
        found[obs.key] = obs
    for key, carry in carries:
        if key in found and found[key].carry is None:
            found[key] = _replace(found[key], carry=carry)
    return Judgement(
        tuple(sorted(found.values(), key=lambda o: o.key)),
        tuple(sorted(warnings, key=lambda o: o.key)),
        tuple(sorted(pending, key=lambda d: (d.rule_id, d.period, d.employee_id))),
        tuple(_unjudged(datable, kpis, empty, month, waiting))
        + tuple(
            Unjudged(rule_id, _owner(rules, rule_id), "department", month.label, reason)
            for rule_id, reason in blocked.items()
        ),
    )


def _owner(rules: Sequence[SourcedRule], rule_id: str) -> str:
    return next(s.rule.department for s in rules if s.rule.id == rule_id)


def _replace(obs: Observation, **changes: Any) -> Observation:
    from dataclasses import replace

    return replace(obs, **changes)


def _specs(rule: Rule) -> tuple[EscalationSpec, ...]:
    return tuple(
        EscalationSpec(
            e.after,
            e.action,
            e.plan.due_in.days if e.plan else (14 if e.action == "improvement_plan" else None),
            plan_deliverable=(e.plan.deliverable if e.plan else "improvement_plan")
            if e.action == "improvement_plan"
            else None,
        )
        for e in rule.escalations
    )


def _common(sourced: SourcedRule) -> dict[str, Any]:
    rule, ref = sourced.rule, sourced.ref
    c = rule.consequence
    return {
        "rule_id": rule.id,
        "rule_version": str(ref.version),
        "rule_file": ref.file,
        "rule_line": ref.line,
        "department": rule.department,
        "role": rule.role,
        "escalations": _specs(rule),
        "stacks": bool(c and c.stacks),
        "share_cap": c.cap if c else None,
    }


def _kpi_observation(sourced: SourcedRule, part: str, value: KpiValue, month: Period) -> Observation:
    rule = sourced.rule
    assert rule.threshold is not None and value.value is not None
    target, direction = target_of(rule.threshold)
    comparison = "<" if direction == "higher" else ">"
    share, how = _share(rule, value.value, target, direction, part)
    kind = part
    if part == "warning":
        target, share, how = rule.threshold.warning or target, None, "warning only"
    subject_kind = _subject_kind(value)
    facts = {
        "kpi": value.kpi,
        "scope": value.scope,
        "scope_id": value.scope_id,
        "period": value.period,
        "value": str(value.value),
        "target": str(target),
        "direction": direction,
        "share_rule": how,
    }
    kpi = BY_ID[value.kpi]
    message = (
        f"{kpi.name_en} ({kpi.name_zh}) {_show(value.value, kpi.unit)} "
        f"{_VERB[kind]} {'warning level' if kind == 'warning' else 'target'} {_show(target, kpi.unit)}"
    )
    return Observation(
        **_common(sourced),
        subject=value.scope_id or "company",
        subject_kind=subject_kind,
        period=month.label,
        kind=kind,
        reference_day=month.last_day,
        kpi=value.kpi,
        value=value.value,
        threshold=target,
        comparison=comparison,
        facts=facts,
        message=message,
        share=share,
        proportional=bool(rule.consequence and rule.consequence.proportional),
        reason_code="kpi_proportional"
        if rule.consequence and rule.consequence.proportional
        else REASONS.get(kind, kind),
    )


def _incomplete(completeness: Decimal | None, required: Decimal | None) -> str:
    named = pct(round(completeness or Decimal(0), 4)).lstrip("+")
    return (
        f"incomplete: names {named} of the system's slow-mover list, {pct(required or Decimal(1)).lstrip('+')} required"
    )


def _deadline_observation(sourced: SourcedRule, part: str, state, month: Period) -> Observation:
    rule = sourced.rule
    kind = state.state if part == "deadline" else "incomplete"
    share = None
    if part == "deadline" and rule.threshold is None and rule.consequence and rule.consequence.deduction:
        share = -rule.consequence.deduction
    facts = {
        "deliverable": state.deliverable,
        "covers": state.period,
        "due_at": state.due_at.isoformat(),
        "submitted_at": state.submitted_at.isoformat() if state.submitted_at else None,
        "state": state.state,
        "days_late": state.days_late,
        "completeness": str(state.completeness) if state.completeness is not None else None,
    }
    late = (
        "missing"
        if state.state == "missing"
        else (f"{state.days_late} day(s) late" if state.days_late else "late (same day)")
    )
    message = f"{state.deliverable} for {state.period} due {state.due_at:%Y-%m-%d %H:%M}: " + (
        late if kind != "incomplete" else _incomplete(state.completeness, rule.deadline.completeness)
    )
    return Observation(
        **_common(sourced),
        subject=state.employee_id,
        subject_kind="employee",
        period=month.label,
        kind=kind,
        reference_day=state.due_at.date(),
        facts=facts,
        message=message,
        share=share,
        reason_code=REASONS[kind],
    )


def _share(rule: Rule, value: Decimal, target: Decimal, direction: str, part: str) -> tuple[Decimal | None, str]:
    c = rule.consequence
    if c is None:
        return None, "no consequence"
    if c.deduction is not None:
        if part != "breach":
            return None, "met"
        return -c.deduction, f"fixed deduction {pct(-c.deduction)} of the quarterly bonus"
    p = c.proportional
    assert p is not None
    fractional = BY_ID[rule.threshold.kpi].unit in ("ratio", "change")
    point = p.point if p.point is not None else (Decimal("0.01") if fractional else Decimal(1))
    share, how = proportional_share(
        value / point / 100,
        target / point / 100,
        direction == "higher",
        p.kpi_share,
        p.weight,
        p.per_point_above,
        p.per_point_below,
    )
    return share, how


def _because(cond: Condition, fact_id: str | None, kpis: dict, states: dict) -> str:
    if cond.deliverable is not None:
        state = states.get(fact_id)
        who = f" ({state.employee_id}, {state.state})" if state else ""
        return f"{cond.deliverable} was {cond.state.replace('_', ' ')}{who}"
    value = kpis.get(fact_id)
    seen = f"{value.value}" if value else "?"
    level = (
        f"below {cond.below}"
        if cond.below is not None
        else (f"above {cond.above}" if cond.above is not None else "worse than target")
    )
    return f"{cond.kpi} of {cond.scope_id or cond.scope} was {seen} ({level})"


def _show(value: Decimal, unit: str) -> str:
    if unit in ("ratio", "change"):
        return f"{(value * 100).quantize(Decimal('0.01')).normalize():f}%"
    return f"{value.quantize(Decimal('0.01')).normalize():f}"
