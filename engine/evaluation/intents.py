"""Who is told what about one judged month: notice intents (reminder, deadline_missed, kpi_warning,
consequence, escalation) from the core's result, for the notices layer and for HR tests alike.

Recipients are words of the rule's ``notify`` (employee, manager, hr, department, general_manager),
resolved to employee ids from the people history on the month's last day (``to`` None when nobody holds
that place). A consequence is told only when this month changed the employee's bonus line.

:func:`recipients`, :func:`warns`, :func:`owner`, :func:`template` and :func:`warning_interval` are also
what production alerts (:mod:`perfrules.engine.reporting.alerts`) use, and :func:`deadline_owers`,
:func:`notice_day` and :func:`recipients` what the scheduler's reminders and deadline checks
(:mod:`perfrules.engine.scheduler.actions`) use, so the people HR's tests prove are told are the people the outbox
writes to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from perfrules.engine.evaluation.core import LineChange, MonthResult
from perfrules.engine.evaluation.observations import Observation
from perfrules.engine.evaluation.outcome import NoticeIntent
from perfrules.engine.evaluation.people import Person, holders
from perfrules.engine.evaluation.people import deadline_owers as owers_of
from perfrules.engine.periods import month_of, parse_period
from perfrules.engine.rulebook.model import Rule
from perfrules.engine.rulebook.rulebook import Rulebook, SourcedRule

DEADLINE_KINDS = ("late", "missing", "incomplete")
KPI_WARNING_REPEAT = timedelta(days=7)  # a threshold without its own ``repeat``
ESCALATION_TEMPLATES = {
    "manager": "emails/escalation_manager",
    "hr": "emails/escalation_hr",
    "general_manager": "emails/escalation_hr",
}


def warns(rule: Rule, kind: str) -> bool:
    """Whether a KPI finding of ``kind`` is told as a ``kpi_warning``: a value in the warning band, or a
    breach of a rule without a consequence (a breach with one is told by its deduction notice)."""
    return kind == "warning" or (kind == "breach" and rule.consequence is None)


def warning_interval(rule: Rule) -> timedelta:
    """How often a KPI warning repeats while its breach stays open: the threshold's ``repeat``, else 7 days."""
    own = rule.threshold.repeat if rule.threshold is not None else None
    return own or KPI_WARNING_REPEAT


def owner(subject: str, subject_kind: str) -> str | None:
    """The employee a finding names (per-employee KPIs, deadlines); None: the rule's role holders."""
    return subject if subject_kind == "employee" else None


def department_on(people: Sequence[Person], employee: str, day: date) -> str | None:
    """The department ``employee`` was in on ``day`` (the one a deduction is charged through)."""
    stint = next((p.stint_on(day) for p in people if p.id == employee), None)
    return stint.department if stint else None


def subject_of(subject: str, subject_kind: str) -> str:
    """The subject as notices and HR tests name it: ``company``, ``department:purchasing``, ``employee:E1``."""
    return "company" if subject_kind == "company" else f"{subject_kind}:{subject}"


def deadline_owers(people: Sequence[Person], rule: Rule, due: datetime) -> list[str]:
    """Who owes the instance of ``rule``'s deliverable due at ``due`` (see :func:`people.deadline_owers`)."""
    return owers_of(people, rule.department, rule.role, due)


def notice_day(period: str) -> date:
    """The day the notices about a deadline instance for ``period`` resolve their recipients on: the last
    day of the month judged for it (the month the covered month or week starts in)."""
    return month_of(parse_period(period).start).last_day


def template(rule: Rule, kind: str, recipient: str) -> str:
    if kind in rule.notify.templates:
        return rule.notify.templates[kind]
    if kind == "escalation":
        return ESCALATION_TEMPLATES.get(recipient, "emails/escalation_manager")
    return f"emails/{kind}"


def recipients(
    people: Sequence[Person], rule: Rule, words: Sequence[str], employee: str | None, day, department: str | None = None
) -> list[tuple[str, str | None]]:
    """(recipient word, employee id or None) for each word of a ``notify`` list."""
    department = department or rule.department
    responsible = [employee] if employee else [p.id for p in holders(people, department, day, frozenset({rule.role}))]
    by_id = {p.id: p for p in people}
    out: list[tuple[str, str | None]] = []
    for word in words:
        if word == "employee":
            found = responsible
        elif word == "manager":
            found = sorted({by_id[e].manager_id for e in responsible if e in by_id and by_id[e].manager_id})
        elif word == "hr":
            found = [p.id for p in holders(people, "hr", day)]
        elif word == "department":
            found = [p.id for p in holders(people, department, day)]
        else:
            found = [p.id for p in people if (s := p.stint_on(day)) is not None and s.role == "general_manager"]
        out.extend((word, t) for t in found) if found else out.append((word, None))
    return out


def notice_intents(
    rulebook: Rulebook, result: MonthResult, changes: Sequence[LineChange], people: Sequence[Person], now: datetime
) -> list[NoticeIntent]:
    """Every notice the month calls for, sorted by send time and key."""
    day = result.month.last_day
    rules = {s.rule.id: s for s in rulebook.in_force(day)}
    out: list[NoticeIntent] = []

    def tell(
        sourced: SourcedRule,
        kind: str,
        words: Sequence[str],
        subject: str,
        send_at: datetime,
        about: str | None,
        detail: str | None,
        department: str | None = None,
        repeat=None,
    ) -> None:
        for word, to in recipients(people, sourced.rule, words, about, day, department):
            out.append(
                NoticeIntent(
                    sourced.ref,
                    kind,
                    word,
                    template(sourced.rule, kind, word),
                    subject,
                    result.month.label,
                    send_at,
                    to,
                    about,
                    repeat,
                    detail,
                )
            )

    for state in result.judgement.pending:
        sourced = rules[state.rule_id]
        passed = [t for t in state.reminders if t <= now]
        if passed:
            tell(
                sourced,
                "reminder",
                sourced.rule.notify.reminder,
                f"employee:{state.employee_id}",
                passed[-1],
                state.employee_id,
                f"reminder {len(passed)}",
            )
    for obs in (*result.judgement.observations, *result.judgement.warnings):
        _finding_notices(rules[obs.rule_id], obs, now, tell)
    for change in changes:
        sourced, line = rules[change.after.rule_id], change.after
        if change.share:
            tell(
                sourced,
                "consequence",
                sourced.rule.notify.consequence,
                f"employee:{line.employee_id}",
                now,
                line.employee_id,
                line.employee_id,
                department_on(people, line.employee_id, day),
            )
    for esc in result.escalations:
        sourced = rules[esc["rule_id"]]
        spec = next(x for x in sourced.rule.escalations if x.action == esc["kind"])
        tell(sourced, "escalation", spec.notify, f"employee:{esc['subject']}", now, esc["subject"], esc["kind"])
    return sorted(out, key=lambda n: (n.send_at, n.key))


def _finding_notices(sourced: SourcedRule, obs: Observation, now: datetime, tell) -> None:
    rule = sourced.rule
    subject = subject_of(obs.subject, obs.subject_kind)
    if obs.kind in DEADLINE_KINDS:
        assert rule.deadline is not None
        due = datetime.fromisoformat(obs.facts["due_at"])
        submitted = obs.facts.get("submitted_at")
        send = datetime.fromisoformat(submitted) if submitted else due + rule.deadline.grace
        repeat = rule.deadline.repeat if obs.kind == "missing" else None
        detail = "incomplete" if obs.kind == "incomplete" else "deadline_missed"
        tell(sourced, "deadline_missed", rule.notify.deadline_missed, subject, send, obs.subject, detail, repeat=repeat)
    elif warns(rule, obs.kind):
        tell(
            sourced,
            "kpi_warning",
            rule.notify.kpi_warning,
            subject,
            now,
            owner(obs.subject, obs.subject_kind),
            "kpi_warning" if obs.kind == "warning" else "kpi_breach",
            repeat=warning_interval(rule),
        )
