"""Rule files → durable_rules rulesets as data.

One ruleset per stretch of days with the same rule versions in force. Each HR rule becomes a few
durable rules: the main one is named exactly like the HR rule id (a KPI breach, or for a rule with only
a deadline, a missed deadline); helpers carry a suffix (``id~warning``, ``id~met``, ``id~deadline``,
``id~pending``, ``id~incomplete``, ``id~attribution.N``). Actions only record matches.

Facts the ruleset expects (built by :mod:`perfrules.engine.evaluation.judging`, normalised by
:mod:`perfrules.engine.runtime`):
``{"t": "kpi", kpi, scope, scope_id, pk (period kind), period, value}``,
``{"t": "dlv", rule, deliverable, employee, period, state, completeness}`` and
``{"t": "gate", rule, period}`` (a quantitative deadline's due time has passed).
Numbers are integers in millionths (:func:`scale`), so 90% is 900000: no floats, no exponent form.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from perfrules.engine.kpi.catalog import BY_ID
from perfrules.engine.rulebook.model import Condition, Rule, Threshold
from perfrules.engine.rulebook.rulebook import Rulebook, SourcedRule

SCALE = Decimal(1_000_000)
MAX_SCALED = 2**53
MAX_RULES = 511  # durable_rules hangs at 512 rules in one ruleset
MAX_MATCHES_PER_FACT = 64  # one fact matching more rules at once fails with error 303


def scale(value: Decimal) -> int:
    """A Decimal as an integer count of millionths: the only number form the engine sees."""
    scaled = int((value * SCALE).to_integral_value(rounding=ROUND_HALF_EVEN))
    if abs(scaled) >= MAX_SCALED:
        raise ValueError(f"{value} is too large for the rules engine")
    return scaled


@dataclass(frozen=True)
class Part:
    """What a compiled durable rule stands for: the HR rule and which part of it."""

    rule: SourcedRule
    part: str  # breach, warning, met, deadline, pending, incomplete, attribution
    index: int = 0


@dataclass(frozen=True)
class CompiledRuleset:
    """A ruleset as data (``{name: {"all": [...], "run": name}}``) and what each durable rule means."""

    name: str
    rules: dict[str, dict[str, Any]]
    parts: dict[str, Part]


def target_of(threshold: Threshold) -> tuple[Decimal, str]:
    kpi = BY_ID[threshold.kpi]
    target = threshold.target if threshold.target is not None else kpi.target
    return target, threshold.direction or kpi.direction.value


def _kpi_base(kpi: str, scope: str, scope_id: str | None, period: str | None) -> list[dict[str, Any]]:
    base: list[dict[str, Any]] = [{"t": "kpi"}, {"kpi": kpi}, {"scope": scope}]
    if scope_id is not None:
        base.append({"scope_id": scope_id})
    if period is not None:
        base.append({"pk": period})
    return base


def threshold_base(rule: Rule) -> list[dict[str, Any]]:
    t = rule.threshold
    assert t is not None
    scope_id = t.scope_id if t.scope_id is not None else (rule.department if t.scope == "department" else None)
    return _kpi_base(t.kpi, t.scope, scope_id, t.period)


def _worse(direction: str, target: Decimal) -> dict[str, Any]:
    return {"$lt" if direction == "higher" else "$gt": {"value": scale(target)}}


def _not_worse(direction: str, target: Decimal) -> dict[str, Any]:
    return {"$gte" if direction == "higher" else "$lte": {"value": scale(target)}}


def _condition(cond: Condition) -> list[dict[str, Any]]:
    join = {"period": {"m": "period"}}
    if cond.deliverable is not None:
        states = ["late", "missing"] if cond.state == "late_or_missing" else [cond.state]
        return [{"t": "dlv"}, {"deliverable": cond.deliverable}, join, {"$or": [{"state": s} for s in states]}]
    assert cond.kpi is not None
    out = _kpi_base(cond.kpi, cond.scope, cond.scope_id, None)
    out.append(join)
    if cond.below is not None:
        out.append({"$lt": {"value": scale(cond.below)}})
    if cond.above is not None:
        out.append({"$gt": {"value": scale(cond.above)}})
    if cond.below is None and cond.above is None:
        kpi = BY_ID[cond.kpi]
        out.append(_worse(kpi.direction.value, kpi.target))
    return out


def _gate(rule: Rule) -> list[dict[str, Any]]:
    if rule.threshold is None or rule.threshold.by is None:
        return []
    return [{"g": {"$and": [{"t": "gate"}, {"rule": rule.id}, {"period": {"m": "period"}}]}}]


def compile_rule(sourced: SourcedRule) -> dict[str, tuple[dict[str, Any], Part]]:
    """The durable rules of one HR rule, by name."""
    rule = sourced.rule
    out: dict[str, tuple[dict[str, Any], Part]] = {}

    def add(name: str, patterns: list[dict[str, Any]], part: str, index: int = 0) -> None:
        out[name] = ({"all": patterns, "run": name}, Part(sourced, part, index))

    if rule.threshold is not None:
        target, direction = target_of(rule.threshold)
        base = threshold_base(rule)
        gate = _gate(rule)
        add(rule.id, [{"m": {"$and": [*base, _worse(direction, target)]}}, *gate], "breach")
        if rule.threshold.warning is not None:
            band = [_not_worse(direction, target), _worse(direction, rule.threshold.warning)]
            add(f"{rule.id}~warning", [{"m": {"$and": [*base, *band]}}, *gate], "warning")
        if rule.consequence is not None and rule.consequence.proportional is not None:
            add(f"{rule.id}~met", [{"m": {"$and": [*base, _not_worse(direction, target)]}}, *gate], "met")
        for i, attribution in enumerate(rule.attribution):
            add(
                f"{rule.id}~attribution.{i}",
                [
                    {"m": {"$and": [*base, _worse(direction, target)]}},
                    *gate,
                    {"c": {"$and": _condition(attribution.when)}},
                ],
                "attribution",
                i,
            )
    if rule.deadline is not None:
        dlv = [{"t": "dlv"}, {"rule": rule.id}]
        missed = {"$or": [{"state": "late"}, {"state": "missing"}]}
        add(rule.id if rule.threshold is None else f"{rule.id}~deadline", [{"m": {"$and": [*dlv, missed]}}], "deadline")
        add(f"{rule.id}~pending", [{"m": {"$and": [*dlv, {"state": "pending"}]}}], "pending")
        if rule.deadline.completeness is not None:
            submitted = {"$or": [{"state": "on_time"}, {"state": "late"}]}
            add(
                f"{rule.id}~incomplete",
                [{"m": {"$and": [*dlv, submitted, {"$lt": {"completeness": scale(rule.deadline.completeness)}}]}}],
                "incomplete",
            )
    return out


def compile_rules(name: str, rules: tuple[SourcedRule, ...]) -> CompiledRuleset:
    compiled: dict[str, dict[str, Any]] = {}
    parts: dict[str, Part] = {}
    for sourced in rules:
        for rule_name, (data, part) in compile_rule(sourced).items():
            compiled[rule_name] = data
            parts[rule_name] = part
    return CompiledRuleset(name, compiled, parts)


def compile_for(rulebook: Rulebook, day: date) -> CompiledRuleset:
    """The ruleset of the versions in force on ``day``, named after the rulebook digest and stretch start."""
    start = rulebook.segment_start(day)
    return compile_rules(f"rb_{rulebook.digest[:16]}_{start.isoformat()}", rulebook.in_force(day))


def fact_keys(ruleset: CompiledRuleset) -> Counter[str]:
    """How many durable rules test each kind of fact (a KPI id or a rule's deliverable): a bound on the
    number of rules one fact can match at once."""
    counts: Counter[str] = Counter()
    for data in ruleset.rules.values():
        keys = set()
        for pattern in data["all"]:
            for clause in next(iter(pattern.values()))["$and"]:
                for field in ("kpi", "rule", "deliverable"):
                    if field in clause and isinstance(clause[field], str):
                        keys.add(f"{field} {clause[field]}")
        counts.update(keys)
    return counts
