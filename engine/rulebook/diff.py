"""``perfrules rules diff OLD NEW``: what a rulebook change does, in words HR understands.

Example line: ``purchasing.slow_mover_list: threshold 90% → 85%; deduction 10% → 8%; effective from
2026-10-01``. Rules are matched by id; for each id the newest version on each side is compared.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from perfrules.engine.rulebook.model import Rule
from perfrules.engine.rulebook.rulebook import Rulebook
from pydantic import BaseModel

_LABELS = {
    "threshold.target": "threshold",
    "threshold.warning": "warning band",
    "consequence.deduction": "deduction",
    "consequence.cap": "cap",
    "deadline.due.day": "due day",
    "deadline.due.time": "due time",
    "deadline.due.weekday": "due weekday",
    "deadline.grace": "grace",
    "deadline.repeat": "repeat",
    "deadline.reminders": "reminders",
    "deadline.completeness": "completeness",
    "threshold.kpi": "KPI",
    "role": "responsible role",
    "department": "department",
}
_SKIP = {"id", "version", "effective_from", "effective_to", "title", "wording"}


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, BaseModel):
        out: dict[str, Any] = {}
        for name in type(value).model_fields:
            if not prefix and name in _SKIP:
                continue
            out.update(_flat(getattr(value, name), f"{prefix}{name}."))
        return out
    return {prefix.rstrip("."): value}


def _show(key: str, value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, Decimal):
        if abs(value) <= 1:  # shares and ratios read as percentages; days and turns as numbers
            return f"{value * 100:f}".rstrip("0").rstrip(".") + "%"
        return f"{value:f}"
    if isinstance(value, timedelta):
        return f"{value.days}d" if not value.seconds else f"{value.seconds // 3600}h"
    if isinstance(value, list):
        return "[" + ", ".join(_show(key, v) for v in value) + "]" if value else "none"
    if hasattr(value, "strftime") and hasattr(value, "hour"):
        return value.strftime("%H:%M")
    return str(value)


def describe_change(old: Rule, new: Rule) -> list[str]:
    before, after = _flat(old), _flat(new)
    changes = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            label = _LABELS.get(key, key.replace(".", " "))
            changes.append(f"{label} {_show(key, before.get(key))} → {_show(key, after.get(key))}")
    return changes


def diff_rulebooks(old: Rulebook, new: Rulebook) -> list[str]:
    """One line per added, removed or changed rule; empty when nothing changed."""

    def newest(book: Rulebook) -> dict[str, Rule]:
        out: dict[str, Rule] = {}
        for sourced in book.rules:
            current = out.get(sourced.rule.id)
            if current is None or sourced.rule.version > current.version:
                out[sourced.rule.id] = sourced.rule
        return out

    a, b = newest(old), newest(new)
    lines = []
    for rule_id in sorted(set(a) | set(b)):
        if rule_id not in a:
            lines.append(
                f"{rule_id}: new rule (version {b[rule_id].version}); effective from {b[rule_id].effective_from}"
            )
        elif rule_id not in b:
            lines.append(f"{rule_id}: removed")
        else:
            changes = describe_change(a[rule_id], b[rule_id])
            if a[rule_id].effective_from != b[rule_id].effective_from or changes:
                when = f"effective from {b[rule_id].effective_from}"
                if b[rule_id].version != a[rule_id].version:
                    when = f"version {a[rule_id].version} → {b[rule_id].version}; " + when
                lines.append(f"{rule_id}: " + "; ".join([*changes, when]))
    return lines
