"""Consecutive-breach streaks and the escalations they trigger.

A streak is a run of consecutive calendar months in which the same rule id (any version) charged the same
employee (or fired for the same subject). Months are compared by label, so streaks run across quarter
and year boundaries. An escalation is keyed (rule, employee, action, first month of the streak): a streak
that goes on never triggers the same escalation twice, a new streak after a clean month can.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from perfrules.engine.evaluation.observations import Observation
from perfrules.engine.periods import parse_period

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


def escalation_rows(
    obs: Observation, charged: list[dict[str, Any]], history: Mapping[tuple[str, str], list[str]], run_id: int, now
) -> list[dict[str, Any]]:
    """Escalations due for ``obs``: per charged employee whose own streak reached a rule's ``after``."""
    rows = []
    if obs.kind not in BREACH_KINDS:
        return rows
    for spec in obs.escalations:
        for target in charged:
            run = streak(history.get((obs.rule_id, target["employee"]), ()), obs.period)
            if len(run) < spec.after:
                continue
            run = run[-len(run) :]
            valid_to = date(obs.reference_day.year, 12, 31) if spec.action == "no_promotion" else None
            due = (
                obs.reference_day + timedelta(days=spec.plan_due_days)
                if spec.action == "improvement_plan" and spec.plan_due_days is not None
                else None
            )
            rows.append(
                {
                    "rule_id": obs.rule_id,
                    "subject": target["employee"],
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


def _detail(action: str, length: int, after: int, due: date | None, valid_to: date | None) -> str:
    head = f"{length} consecutive months in breach (escalates after {after})"
    if action == "no_promotion":
        return f"{head}: no promotion this year, valid until {valid_to}"
    if action == "improvement_plan":
        return f"{head}: written improvement plan (deliverable improvement_plan) due {due}"
    if action == "reassignment_review":
        return f"{head}: job reassignment review handed to HR"
    return f"{head}: {action}"


def employee_history(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    """(rule_id, employee) → months charged, from stored findings (``charged_to``)."""
    history: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        if row["kind"] not in BREACH_KINDS:
            continue
        for target in row["charged_to"]:
            history.setdefault((row["rule_id"], target["employee"]), set()).add(row["period"])
    return {key: sorted(months) for key, months in history.items()}
