"""Consecutive-breach streaks and the escalations they trigger.

A streak is a run of consecutive calendar months in which the same rule id (any version) found a breach
that the same employee **answers for**: the employee the finding names, or whoever held the rule's role in
its department (:func:`perfrules.engine.evaluation.charging.owners`). Cross-department attribution moves
money, not escalations: the owner of the KPI answers for it even when another department pays.

Each finding counts in one month, its **event month** (:func:`counts_in`). A late or missing deliverable
counts in the month it covers. A rule that has both a deadline and a threshold judges the deliverable's
timeliness: its KPI breach of month *M* is caused by the instances due in *M*, so it counts in the month
those instances cover (for ``covers: previous_month``, *M* − 1) — the late list and the timeliness breach
it causes are one event, never two months in a row. Months are compared by label, so streaks run across
quarter and year boundaries. An escalation is keyed (rule, employee, action, first month of the streak):
a streak that goes on never triggers the same escalation twice, a new streak after a clean month can.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from perfrules.engine.evaluation.observations import Observation
from perfrules.engine.periods import parse_period
from perfrules.engine.rulebook.model import Rule

BREACH_KINDS = frozenset({"breach", "late", "missing", "incomplete"})


def streak(months: Iterable[str], current: str) -> tuple[str, ...]:
    """The consecutive months ending with ``current`` (included), oldest first."""
    seen = set(months) | {current}
    run = [current]
    month = parse_period(current).previous()
    while month.label in seen:
        run.append(month.label)
        month = month.previous()
    return tuple(reversed(run))


def counts_in(rule: Rule | None, period: str, kind: str) -> str:
    """The event month of a finding of ``rule`` stored for ``period``: the month it counts in for streaks.

    Deadline findings (late, missing, incomplete) are stored for the month their instance covers and count
    there. A monthly KPI breach of a rule that also has a monthly deadline counts in the month covered by
    the deadline instance due in ``period`` (the timeliness KPI of a month measures the instances due in
    it). Everything else counts in its own month."""
    if rule is None or kind != "breach" or rule.deadline is None or rule.threshold is None:
        return period
    if rule.threshold.period != "month" or rule.deadline.due.day is None:
        return period  # weekly deliverables: a week's instance and the month's rate stay in their months
    month = parse_period(period)
    return month.label if rule.deadline.covers == "current_month" else month.previous().label


def answerable(
    obs: Observation,
    owners: Sequence[Mapping[str, Any]],
    event_month: str,
    history: Mapping[tuple[str, str], Iterable[str]],
    this_month: Mapping[tuple[str, str], Iterable[str]],
) -> list[dict[str, Any]]:
    """Each owner of ``obs`` with the streak that decides their escalations: the event months of the rule
    they answered for earlier (``history``) and in this run (``this_month``), ending with ``event_month``.
    Findings that are not breaches (a proportional ``met``) answer for nothing."""
    if obs.kind not in BREACH_KINDS:
        return []
    out = []
    for owner in owners:
        key = (obs.rule_id, owner["employee"])
        months = [*history.get(key, ()), *this_month.get(key, ())]
        out.append({**owner, "streak": list(streak(months, event_month))})
    return out


def escalation_rows(obs: Observation, row: Mapping[str, Any], run_id: int | None, now) -> list[dict[str, Any]]:
    """Escalations due for ``obs`` (stored as finding ``row``): per employee who answers for it, once
    their streak (``row["answerable"]``) reaches a rule's ``after``. The escalation stores that very streak,
    so the finding and the escalation always show the same months."""
    rows = []
    if obs.kind not in BREACH_KINDS:
        return rows
    for spec in obs.escalations:
        for owner in row["answerable"]:
            run = owner["streak"]
            if len(run) < spec.after:
                continue
            valid_to = date(obs.reference_day.year, 12, 31) if spec.action == "no_promotion" else None
            due = (
                obs.reference_day + timedelta(days=spec.plan_due_days)
                if spec.action == "improvement_plan" and spec.plan_due_days is not None
                else None
            )
            rows.append(
                {
                    "rule_id": obs.rule_id,
                    "subject": owner["employee"],
                    "kind": spec.action,
                    "streak_start": run[0],
                    "triggered_period": obs.period,
                    "streak": list(run),
                    "valid_from": obs.reference_day,
                    "valid_to": valid_to,
                    "due": due,
                    "handed_to": spec.handed_to or ("hr" if spec.action == "reassignment_review" else None),
                    "rule_file": obs.rule_file,
                    "rule_line": obs.rule_line,
                    "rule_version": obs.rule_version,
                    "detail": _detail(spec.action, len(run), spec.after, due, valid_to),
                    "created_run_id": run_id,
                    "created_at": now,
                }
            )
    return rows


def once_each(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One escalation per natural key (rule, employee, action, streak start): a late list and the timeliness
    breach it causes may both reach the same escalation in one run; the longer streak is kept."""
    kept: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (row["rule_id"], row["subject"], row["kind"], row["streak_start"])
        if key not in kept or len(row["streak"]) > len(kept[key]["streak"]):
            kept[key] = row
    return list(kept.values())


def _detail(action: str, length: int, after: int, due: date | None, valid_to: date | None) -> str:
    head = f"{length} consecutive months in breach (escalates after {after})"
    if action == "no_promotion":
        return f"{head}: no promotion this year, valid until {valid_to}"
    if action == "improvement_plan":
        return f"{head}: written improvement plan (deliverable improvement_plan) due {due}"
    if action == "reassignment_review":
        return f"{head}: job reassignment review handed to HR"
    return f"{head}: {action}"


def employee_history(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], list[str]]:
    """(rule_id, employee) → event months the employee answered for, from stored findings."""
    history: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        if row["kind"] not in BREACH_KINDS:
            continue
        for owner in row["answerable"]:
            history.setdefault((row["rule_id"], owner["employee"]), set()).add(row["counts_in"] or row["period"])
    return {key: sorted(months) for key, months in history.items()}


def subject_history(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], list[str]]:
    """(rule_id, subject) → event months, from stored findings: the streak shown when nobody answers."""
    history: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        if row["kind"] in BREACH_KINDS:
            history.setdefault((row["rule_id"], row["subject"]), set()).add(row["counts_in"] or row["period"])
    return {key: sorted(months) for key, months in history.items()}
