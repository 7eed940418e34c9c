"""KPI values for a month from the KPI library (``perfrules.engine.kpi.library``), exactly the ones the rules in
force look at: their thresholds and the KPIs their attribution conditions name, per scope, for the month
(and for the quarter or year when the month closes it).

A threshold (or an attribution condition) without ``scope_id`` covers every member of its scope, as HR's
rule tests do with the facts they list: every category of the SKU master, every ABC / XYZ class and
segment, and every employee of the rule's department employed at the month's end (a condition then holds
when any member's value does). A ``sku`` threshold must name its SKU (``perfrules check``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from perfrules.engine.evaluation.facts import KpiValue
from perfrules.engine.evaluation.people import Person, load_people
from perfrules.engine.kpi.catalog import ScopeKind
from perfrules.engine.kpi.scope import Scope
from perfrules.engine.periods import Period, quarter_of, year_of
from perfrules.engine.rulebook.deadlines import RuleDeadlines
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.storage import Database

# scope kind → its members, for a threshold without scope_id (categories and employees come from the database)
FIXED_MEMBERS = {"abc_class": ("A", "B", "C"), "xyz_class": ("X", "Y", "Z"), "segment": ("active", "slow", "dead")}
Members = Callable[[str, str, date], Sequence[str]]  # (scope kind, rule department, day) → scope keys


def wanted(
    rulebook: Rulebook, month: Period, members: Members | None = None
) -> dict[tuple[str, str | None, str], set[str]]:
    """(scope kind, scope key, period kind) → KPI ids the rules in force on the month's last day need.
    ``members`` names the keys of a threshold without ``scope_id`` (None: one value without a key)."""
    need: dict[tuple[str, str | None, str], set[str]] = defaultdict(set)

    def keys(scope: str, scope_id: str | None, department: str) -> Sequence[str | None]:
        if scope_id is not None or scope in ("company", "department") or members is None:
            return [scope_id if scope_id is not None else (department if scope == "department" else None)]
        return members(scope, department, month.last_day)

    for sourced in rulebook.in_force(month.last_day):
        rule = sourced.rule
        if rule.threshold is not None:
            t = rule.threshold
            for key in keys(t.scope, t.scope_id, rule.department):
                need[(t.scope, key, t.period)].add(t.kpi)
        for attribution in rule.attribution:  # a condition without scope_id holds when any member's value does
            cond = attribution.when
            if cond.kpi is not None:
                for key in keys(cond.scope, cond.scope_id, rule.department):
                    need[(cond.scope, key, "month")].add(cond.kpi)
    return need


def scope_members(db: Database) -> Members:
    """The members of each scope kind: the categories of the SKU master, the fixed classes and segments, and
    the people employed on the day in the rule's department (each read from ``db`` once, when first asked)."""
    from perfrules.storage.kpi import categories

    known_categories: list[str] | None = None
    people: list[Person] | None = None

    def members(kind: str, department: str, day: date) -> Sequence[str]:
        nonlocal known_categories, people
        if kind == "category":
            known_categories = categories(db) if known_categories is None else known_categories
            return known_categories
        if kind == "employee":
            people = load_people(db) if people is None else people
            return [p.id for p in people if (stint := p.stint_on(day)) is not None and stint.department == department]
        return FIXED_MEMBERS.get(kind, ())

    return members


def _period(kind: str, month: Period) -> Period | None:
    if kind == "month":
        return month
    if kind == "quarter":
        quarter = quarter_of(month.start)
        return quarter if quarter.end == month.end else None
    if kind == "year":
        year = year_of(month.start)
        return year if year.end == month.end else None
    return None


def library_kpis(zone: ZoneInfo, as_of: date | None = None):
    """A KPI source (see ``perfrules.engine.evaluation.run.KpiSource``) backed by the KPI library."""
    from perfrules.engine.kpi.library import compute_all

    def source(db: Database, rulebook: Rulebook, month: Period) -> list[KpiValue]:
        members = scope_members(db)
        deadlines = RuleDeadlines(rulebook)
        values = []
        for (scope_kind, key, period_kind), kpi_ids in sorted(
            wanted(rulebook, month, members).items(), key=lambda kv: repr(kv[0])
        ):
            period = _period(period_kind, month)
            if period is None:
                continue
            scope = Scope(ScopeKind(scope_kind), key) if scope_kind != "company" else Scope()
            day = min(period.last_day, as_of) if as_of else period.last_day
            found = compute_all(
                db,
                period,
                scope=scope,
                as_of=day,
                zone=zone,
                kpis=sorted(kpi_ids),
                breakdown=False,
                deadlines=deadlines,
            )
            for v in found:
                values.append(KpiValue(v.kpi, v.period, v.value, scope_kind, key or ""))
        return values

    return source
