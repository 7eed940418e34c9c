"""The pure decision core: ``decide(rulebook, facts, now) -> Decision``.

Steps: pick the rule versions in force for each period judged; build engine facts (KPI values,
deliverable states worked out from deadlines and submissions at ``now``, gates of quantitative deadlines
that are due); let durable_rules match them (:mod:`engine.runtime`); turn matches into findings, then
compute consequences (fixed or proportional shares of the quarterly bonus, attribution, caps,
once-per-quarter stacking), escalations from consecutive-breach streaks, and notice intents. No clock,
no database: the same inputs always give the same decision.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from engine.decision import Consequence, Decision, Escalation, Finding, NotApplicable, NoticeIntent, PlanItem
from engine.facts import DeliverableState, Facts, KpiValue, Person, deliverable_states
from engine.kpi.catalog import BY_ID, Unit
from engine.money import round_cny
from engine.periods import Period, parse_period, quarter_of
from engine.rulebook.calendar import covered_periods, due_at
from engine.rulebook.compiler import compile_for, scale, target_of
from engine.rulebook.model import Rule
from engine.rulebook.rulebook import Rulebook, RuleRef, SourcedRule
from engine.runtime import engine_for

_PERCENT_POINT = Decimal("0.01")
BREACHES = ("kpi_breach", "deadline_missed", "incomplete")


@dataclass
class _Run:
    """Working state of one decision."""

    facts: Facts
    now: datetime
    findings: list[Finding] = field(default_factory=list)
    notices: list[NoticeIntent] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)
    rules: dict[RuleRef, Rule] = field(default_factory=dict)
    attributions: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (rule, kpi fact id) -> idx
    fact_of: dict[tuple[str, str, str, str], str] = field(default_factory=dict)  # finding key -> kpi fact id


def decide(rulebook: Rulebook, facts: Facts, now: datetime) -> Decision:
    """Judge ``facts`` against the versions of ``rulebook`` in force in each period; pure and repeatable."""
    if now.tzinfo is None:
        raise ValueError("now must be zone-aware")
    run = _Run(facts, now, rules={s.ref: s.rule for s in rulebook.rules})
    window = facts.window
    groups: dict[date, list[Period]] = defaultdict(list)
    for period in _periods(rulebook, facts, window):
        groups[rulebook.segment_start(period.last_day)].append(period)
    for periods in groups.values():
        _judge(rulebook, run, periods)
    findings = sorted(run.findings, key=lambda f: (f.period, f.ref.id, f.subject, f.kind))
    findings = _with_streaks(findings, facts)
    consequences = _consequences(run, findings)
    escalations = _escalations(run, findings)
    notices = run.notices + _outcome_notices(run, findings, consequences, escalations)
    return Decision(now, facts.period, tuple(findings), tuple(consequences), tuple(escalations),
                    tuple(sorted(notices, key=lambda n: (n.send_at, n.key))), tuple(run.not_applicable))


def _periods(rulebook: Rulebook, facts: Facts, window: Period) -> set[Period]:
    periods = {parse_period(k.period) for k in facts.kpis}
    periods = {p for p in periods if window.start <= p.start and p.end <= window.end}
    for sourced in rulebook.rules:
        if sourced.rule.deadline is not None:
            periods.update(covered_periods(sourced.rule.deadline, window))
    return periods


def owers(rule: Rule, people: tuple[Person, ...]) -> list[str]:
    return sorted(p.employee_id for p in people if p.role == rule.role and p.department == rule.department)


def _judge(rulebook: Rulebook, run: _Run, periods: list[Period]) -> None:
    day = periods[0].last_day
    in_force = rulebook.in_force(day)
    ruleset = compile_for(rulebook, day)
    labels = {p.label for p in periods}
    engine_facts: list[dict] = []
    kpis: dict[str, KpiValue] = {}
    states: dict[str, DeliverableState] = {}
    for i, kv in enumerate(k for k in run.facts.kpis if k.period in labels):
        if kv.value is None:
            _record_not_applicable(run, in_force, kv)
            continue
        kpis[f"k{i}"] = kv
        engine_facts.append({"id": f"k{i}", "t": "kpi", "kpi": kv.kpi, "scope": kv.scope, "scope_id": kv.scope_id,
                             "pk": parse_period(kv.period).kind.value, "period": kv.period,
                             "value": scale(kv.value)})
    for sourced in in_force:
        rule = sourced.rule
        if rule.deadline is not None:
            who = sorted(set(owers(rule, run.facts.people)) | {
                s.employee_id for s in run.facts.submissions if s.deliverable == rule.deadline.deliverable})
            for state in deliverable_states(rule.id, rule.deadline, run.facts.window, who, run.facts.submissions,
                                            run.now):
                if state.period not in labels:
                    continue
                fid = f"d{len(states)}"
                states[fid] = state
                engine_facts.append({"id": fid, "t": "dlv", "rule": rule.id, "deliverable": state.deliverable,
                                     "employee": state.employee_id, "period": state.period, "state": state.state,
                                     "completeness": scale(state.completeness if state.completeness is not None
                                                           else Decimal(1))})
        if rule.threshold is not None and rule.threshold.by is not None:
            for label in sorted(labels):
                due = due_at(rule.threshold.by, parse_period(label))
                if due is not None and run.now >= due:
                    engine_facts.append({"id": f"g:{rule.id}:{label}", "t": "gate", "rule": rule.id, "period": label})
                elif due is not None and any(k.kpi == rule.threshold.kpi and k.period == label for k in kpis.values()):
                    run.not_applicable.append(NotApplicable(sourced.ref, rule.threshold.scope, label,
                                                            f"not judged before the due time {due.isoformat()}"))
    matches = engine_for(ruleset.name, ruleset.rules).evaluate(engine_facts)
    for match in sorted(matches, key=lambda m: 0 if ruleset.parts[m.rule].part == "attribution" else 1):
        part = ruleset.parts[match.rule]
        if part.part == "attribution":
            run.attributions.setdefault((part.rule.rule.id, match.facts["m"]), []).append(part.index)
        elif part.part in ("breach", "warning", "met"):
            _kpi_finding(run, part.rule, part.part, kpis[match.facts["m"]], match.facts["m"])
        else:
            _deliverable_finding(run, part.rule, part.part, states[match.facts["m"]])


def _record_not_applicable(run: _Run, in_force: tuple[SourcedRule, ...], kv: KpiValue) -> None:
    for sourced in in_force:
        t = sourced.rule.threshold
        if t is not None and t.kpi == kv.kpi and t.scope == kv.scope:
            run.not_applicable.append(NotApplicable(sourced.ref, _subject(kv), kv.period,
                                                    f"no value for {kv.kpi}: not applicable"))


def _subject(kv: KpiValue) -> str:
    return "company" if kv.scope == "company" else f"{kv.scope}:{kv.scope_id}"


_KIND = {"breach": "kpi_breach", "warning": "kpi_warning", "met": "kpi_met"}


def _kpi_finding(run: _Run, sourced: SourcedRule, part: str, kv: KpiValue, fact_id: str) -> None:
    threshold = sourced.rule.threshold
    assert threshold is not None
    target, direction = target_of(threshold)
    if part == "warning":
        target = threshold.warning or target
    finding = Finding(sourced.ref, _KIND[part], _subject(kv), kv.period, kpi=kv.kpi, value=kv.value, target=target,
                      direction=direction)
    run.findings.append(finding)
    run.fact_of[finding.key] = fact_id


def _deliverable_finding(run: _Run, sourced: SourcedRule, part: str, state: DeliverableState) -> None:
    rule = sourced.rule
    assert rule.deadline is not None
    if part == "pending":
        passed = [t for t in state.reminders if t <= run.now]
        if passed:
            lead = len(passed)
            for recipient, to in _recipients(run.facts.people, rule, rule.notify.reminder, state.employee_id):
                run.notices.append(NoticeIntent(sourced.ref, "reminder", recipient, _template(rule, "reminder",
                                                recipient), f"employee:{state.employee_id}", state.period,
                                                passed[-1], to, state.employee_id, detail=f"reminder {lead}"))
        return
    kind = "incomplete" if part == "incomplete" else "deadline_missed"
    run.findings.append(Finding(sourced.ref, kind, f"employee:{state.employee_id}", state.period,
                                deliverable=state.deliverable, employee=state.employee_id, state=state.state,
                                due_at=state.due_at, submitted_at=state.submitted_at, days_late=state.days_late,
                                completeness=state.completeness,
                                target=rule.deadline.completeness if kind == "incomplete" else None))


def _with_streaks(findings: list[Finding], facts: Facts) -> list[Finding]:
    seen = {(b.rule_id, b.subject, b.period) for b in facts.breaches}
    out = []
    for f in findings:
        if f.kind not in BREACHES:
            out.append(f)
            continue
        seen.add((f.ref.id, f.subject, f.period))
        streak, period = 1, parse_period(f.period).previous()
        while (f.ref.id, f.subject, period.label) in seen:
            streak, period = streak + 1, period.previous()
        out.append(replace(f, streak=streak))
    return out


def _share(rule: Rule, finding: Finding) -> tuple[Decimal, str]:
    c = rule.consequence
    assert c is not None
    if c.deduction is not None:
        return -c.deduction, f"fixed deduction of {c.deduction:%} of the quarterly bonus"
    p = c.proportional
    assert p is not None and finding.value is not None and finding.target is not None
    unit = BY_ID[finding.kpi].unit if finding.kpi else Unit.RATIO
    point = p.point or (_PERCENT_POINT if unit in (Unit.RATIO, Unit.CHANGE) else Decimal(1))
    diff = finding.value - finding.target if finding.direction == "higher" else finding.target - finding.value
    points = diff / point
    rate = p.per_point_above if points > 0 else p.per_point_below
    share = p.kpi_share * p.weight * points * rate
    return share, (f"{points:+.2f} points × {rate:%} per point on {p.kpi_share:%} KPI share × {p.weight:%} weight")


def _consequences(run: _Run, findings: list[Finding]) -> list[Consequence]:
    out: list[Consequence] = []
    used: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    counted: set[tuple[str, str, str]] = set()
    for past in run.facts.consequences:
        used[(past.rule_id, past.subject, past.quarter)] += abs(past.share)
        counted.add((past.rule_id, past.subject, past.quarter))
    for f in findings:
        rule = run.rules[f.ref]
        if rule.consequence is None:
            continue
        proportional = rule.consequence.proportional is not None
        if proportional and f.kind not in ("kpi_breach", "kpi_met"):
            continue
        if not proportional and f.kind != ("kpi_breach" if rule.threshold is not None else "deadline_missed"):
            continue
        share, basis = _share(rule, f)
        quarter = quarter_of(parse_period(f.period).start).label
        slot = (rule.id, f.subject, quarter)
        status, reason = "applied", None
        if slot in counted and not rule.consequence.stacks:
            status, reason = "suppressed", f"already applied in {quarter} (the rule does not stack)"
        elif rule.consequence.cap is not None and used[slot] + abs(share) > rule.consequence.cap:
            room = max(rule.consequence.cap - used[slot], Decimal(0))
            share = room.copy_sign(share) if share else share
            reason = f"capped at {rule.consequence.cap:%} per quarter"
        if status == "applied":
            counted.add(slot)
            used[slot] += abs(share)
        out.extend(_split(run, rule, f, share, quarter, basis, status, reason))
    return out


def _split(run: _Run, rule: Rule, f: Finding, share: Decimal, quarter: str, basis: str, status: str,
           reason: str | None) -> list[Consequence]:
    """Apply attribution (move or share the consequence), then spread it over the responsible people."""
    parts: list[tuple[str, str, Decimal, str | None]] = []
    remaining = Decimal(1)
    fact_id = run.fact_of.get(f.key)
    for index in run.attributions.get((rule.id, fact_id), []) if fact_id else []:
        attribution = rule.attribution[index]
        moved = min(attribution.share, remaining)
        remaining -= moved
        parts.append((attribution.carried_by.department, attribution.carried_by.role, moved, rule.department))
    if remaining > 0:
        parts.append((rule.department, rule.role, remaining, None))
    out = []
    for department, role, portion, moved_from in parts:
        portion_share = share * portion
        people = [p for p in run.facts.people if p.department == department and p.role == role]
        if f.employee:
            people = [p for p in people if p.employee_id == f.employee] or people
        base = dict(ref=f.ref, subject=f.subject, period=f.period, quarter=quarter, share=portion_share,
                    department=department, role=role, basis=basis, status=status, reason=reason,
                    attributed_from=moved_from)
        if not people:
            out.append(Consequence(**base))
        for person in people:
            amount = round_cny(portion_share * person.bonus_base) if person.bonus_base is not None else None
            out.append(Consequence(**base, employee=person.employee_id, amount=amount))
    return out


def _escalations(run: _Run, findings: list[Finding]) -> list[Escalation]:
    out = []
    for f in findings:
        rule = run.rules[f.ref]
        if f.kind not in BREACHES:
            continue
        for esc in rule.escalations:
            if f.streak >= esc.after:
                plan = None
                if esc.action == "improvement_plan":
                    spec = esc.plan
                    plan = PlanItem(spec.deliverable if spec else "improvement_plan",
                                    run.now + (spec.due_in if spec else timedelta(days=14)))
                out.append(Escalation(f.ref, f.subject, f.period, esc.action, esc.after, f.streak, plan))
    return out


def _template(rule: Rule, kind: str, recipient: str) -> str:
    if kind in rule.notify.templates:
        return rule.notify.templates[kind]
    if kind == "escalation":
        return "emails/escalation_hr" if recipient == "hr" else "emails/escalation_manager"
    return f"emails/{kind}"


def _recipients(people: tuple[Person, ...], rule: Rule, who: list[str], employee: str | None,
                department: str | None = None) -> list[tuple[str, str | None]]:
    """(recipient word, resolved employee id or None) for each recipient of a notice."""
    department = department or rule.department
    responsible = [employee] if employee else [p.employee_id for p in people
                                               if p.department == department and p.role == rule.role]
    by_id = {p.employee_id: p for p in people}
    out: list[tuple[str, str | None]] = []
    for word in who:
        if word == "employee":
            targets = responsible
        elif word == "manager":
            targets = sorted({by_id[e].manager_id for e in responsible if e in by_id and by_id[e].manager_id})
        elif word == "hr":
            targets = [p.employee_id for p in people if p.department == "hr"]
        elif word == "department":
            targets = [p.employee_id for p in people if p.department == department]
        else:
            targets = [p.employee_id for p in people if p.role == "general_manager"]
        out.extend((word, t) for t in targets) if targets else out.append((word, None))
    return out


def _outcome_notices(run: _Run, findings: list[Finding], consequences: list[Consequence],
                     escalations: list[Escalation]) -> list[NoticeIntent]:
    out = []
    people = run.facts.people
    for f in findings:
        rule = run.rules[f.ref]
        if f.kind in ("deadline_missed", "incomplete"):
            assert rule.deadline is not None and f.due_at is not None
            repeat = rule.deadline.repeat if f.state == "missing" else None
            send = f.submitted_at or f.due_at + rule.deadline.grace
            for word, to in _recipients(people, rule, rule.notify.deadline_missed, f.employee):
                out.append(NoticeIntent(f.ref, "deadline_missed", word, _template(rule, "deadline_missed", word),
                                        f.subject, f.period, send, to, f.employee, repeat, f.kind))
        elif f.kind == "kpi_warning" or (f.kind == "kpi_breach" and rule.consequence is None):
            for word, to in _recipients(people, rule, rule.notify.kpi_warning, None):
                out.append(NoticeIntent(f.ref, "kpi_warning", word, _template(rule, "kpi_warning", word), f.subject,
                                        f.period, run.now, to, None, None, f.kind))
    for c in consequences:
        rule = run.rules[c.ref]
        if c.status != "applied" or not c.share:
            continue
        for word, to in _recipients(people, rule, rule.notify.consequence, c.employee, c.department):
            out.append(NoticeIntent(c.ref, "consequence", word, _template(rule, "consequence", word), c.subject,
                                    c.period, run.now, to, c.employee, None, c.employee or c.department))
    for e in escalations:
        rule = run.rules[e.ref]
        esc = next(x for x in rule.escalations if x.action == e.action and x.after == e.after)
        about = e.subject.split(":", 1)[1] if e.subject.startswith("employee:") else None
        for word, to in _recipients(people, rule, esc.notify, about):
            out.append(NoticeIntent(e.ref, "escalation", word, _template(rule, "escalation", word), e.subject,
                                    e.period, run.now, to, about, None, e.action))
    return out
