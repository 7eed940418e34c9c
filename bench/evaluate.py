"""Benchmark: evaluate one month of a large company end to end.

Builds a company of ``--employees`` people in a fresh database, a rulebook with one employee-scope
threshold rule per KPI that is computed per employee, and known KPI values per employee (seeded random,
about ``--breach-rate`` of them in breach). It then times, in the same run and on the same facts:

* the rule-engine path: facts → durable_rules (compiled rulebook) → observations;
* a plain-Python path: the same facts, the same thresholds compared in a dict lookup → observations;
* the whole month end to end: ``perfrules.engine.evaluation.run.evaluate`` (decide, store findings, escalations,
  re-price the quarter), once fresh and once repeated (idempotent re-run).

Run: ``.venv/bin/python bench/evaluate.py --employees 20000``; prints facts per second and the ratio.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from perfrules.engine.evaluation.facts import KpiValue
from perfrules.engine.evaluation.judging import decide_month, durable_matcher
from perfrules.engine.evaluation.people import load_people
from perfrules.engine.evaluation.run import evaluate
from perfrules.engine.kpi.catalog import CATALOG, ScopeKind
from perfrules.engine.periods import parse_period
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.rulebook.compiler import CompiledRuleset, compile_for, scale
from perfrules.engine.runtime import Match
from perfrules.storage import connect
from perfrules.storage.models import Department, Employee

ZONE = ZoneInfo("Asia/Shanghai")
DEPARTMENTS = {
    "purchasing": "purchaser",
    "operations": "operations_manager",
    "warehouse": "warehouse_keeper",
    "planning": "planner",
    "finance": "finance_analyst",
}
KPIS = [k for k in CATALOG if ScopeKind.EMPLOYEE in k.scopes and k.unit == "ratio"]


def write_rules(folder: Path) -> None:
    for kpi in KPIS:
        role = DEPARTMENTS.get(kpi.department, "purchaser")
        (folder / f"{kpi.id}.yaml").write_text(
            f"rules:\n  - id: bench.{kpi.id}\n    effective_from: 2026-01-01\n"
            f"    title: {{zh-CN: {kpi.name_zh}, en: {kpi.name_en}}}\n"
            f"    department: {kpi.department if kpi.department in DEPARTMENTS else 'purchasing'}\n"
            f"    role: {role}\n    threshold: {{kpi: {kpi.id}, scope: employee, period: month}}\n"
            f"    consequence: {{deduction: 5%}}\n    escalations:\n      - after: 3\n"
            f"        action: no_promotion\n",
            encoding="utf-8",
        )


def seed_company(url: str, employees: int) -> None:
    db = connect(url, upgrade=True)
    with db.session() as s:
        for code in DEPARTMENTS:
            s.add(Department(code=code, name_en=code, name_zh=code))
        s.flush()
        codes = list(DEPARTMENTS)
        for i in range(employees):
            dept = codes[i % len(codes)]
            s.add(
                Employee(
                    id=f"E{i:06d}",
                    name_en=f"Person {i}",
                    name_zh=f"员工{i}",
                    department=dept,
                    role=DEPARTMENTS[dept],
                    email=f"e{i}@example.com",
                    bonus_base=Decimal(10000 + i % 7 * 1000),
                    active_from=date(2025, 1, 1),
                )
            )
    db.dispose()


def kpi_values(employees: int, month: str, breach_rate: float, seed: int) -> list[KpiValue]:
    rng = random.Random(seed)
    values = []
    for i in range(employees):
        for kpi in KPIS:
            worse = rng.random() < breach_rate
            step = Decimal(rng.randint(1, 2000)) / 100000
            higher = kpi.direction == "higher"
            value = kpi.target - step if worse == higher else kpi.target + step
            value = min(max(value, Decimal(0)), Decimal(1))
            values.append(KpiValue(kpi.id, month, value, "employee", f"E{i:06d}"))
    return values


def plain_matcher(ruleset: CompiledRuleset, facts: list[dict]) -> list[Match]:
    """The same thresholds, compared in plain Python: index the rules by (kpi, scope, period kind)."""
    index: dict[tuple[str, str, str], list[tuple[str, bool, int]]] = {}
    for name, part in ruleset.parts.items():
        t = part.rule.rule.threshold
        if part.part != "breach" or t is None:
            continue
        kpi = next(k for k in CATALOG if k.id == t.kpi)
        target = t.target if t.target is not None else kpi.target
        higher = (t.direction or kpi.direction.value) == "higher"
        index.setdefault((t.kpi, t.scope, t.period), []).append((name, higher, scale(target)))
    matches = []
    for fact in facts:
        if fact.get("t") != "kpi":
            continue
        for name, higher, target in index.get((fact["kpi"], fact["scope"], fact["pk"]), ()):
            if (fact["value"] < target) if higher else (fact["value"] > target):
                matches.append(Match(name, {"m": fact["id"]}))
    return matches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=20000)
    parser.add_argument("--breach-rate", type=float, default=0.3)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "rules"
        folder.mkdir()
        write_rules(folder)
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        seed_company(url, args.employees)
        print(
            f"company: {args.employees:,} employees, {len(KPIS)} employee KPIs "
            f"({time.perf_counter() - started:.1f} s to build)"
        )
        db = connect(url)
        rulebook = load_rulebook(folder)
        month = parse_period("2026-09")
        now = datetime(2026, 10, 20, 12, tzinfo=ZONE)
        values = kpi_values(args.employees, month.label, args.breach_rate, args.seed)
        people = load_people(db)
        facts = len(values)

        decide_month(rulebook, month, values[:100], (), people, now)  # warm the long-lived engine
        timings = {}
        for name, kwargs in (("durable_rules", {}), ("plain Python", {"matcher": plain_matcher})):
            t0 = time.perf_counter()
            found = decide_month(rulebook, month, values, (), people, now, **kwargs)
            timings[name] = (time.perf_counter() - t0, len(found), {o.key for o in found})
        (engine_s, engine_n, engine_keys), (plain_s, _, plain_keys) = timings.values()
        assert engine_keys == plain_keys, "the two paths disagree"
        print(f"decide (facts → observations), {facts:,} facts, {engine_n:,} findings:")
        print(f"  rule engine   {engine_s:7.2f} s  {facts / engine_s:12,.0f} facts/s")
        print(f"  plain Python  {plain_s:7.2f} s  {facts / plain_s:12,.0f} facts/s")
        print(f"  ratio rule engine / plain Python: {engine_s / plain_s:.2f}x (target ≤ 3x)")

        # matching alone (no fact building, no observations): the engine's raw cost per fact
        ruleset = compile_for(rulebook, month.last_day)
        raw = [
            {
                "id": f"k{i}",
                "t": "kpi",
                "kpi": v.kpi,
                "scope": v.scope,
                "scope_id": v.scope_id,
                "pk": "month",
                "period": month.label,
                "value": scale(v.value),
            }
            for i, v in enumerate(values)
        ]
        t0 = time.perf_counter()
        durable_matcher(ruleset, raw)
        match_engine = time.perf_counter() - t0
        t0 = time.perf_counter()
        plain_matcher(ruleset, raw)
        match_plain = time.perf_counter() - t0
        print(
            f"matching alone: rule engine {facts / match_engine:,.0f} facts/s, plain Python "
            f"{facts / match_plain:,.0f} facts/s ({match_engine / match_plain:.1f}x)"
        )

        def source(_db, _rb, m):
            return values if m == month else []

        for label in ("end to end, first run", "end to end, repeat"):
            t0 = time.perf_counter()
            report = evaluate(db, rulebook, month, now=now, kpis=source)
            seconds = time.perf_counter() - t0
            print(
                f"{label}: {seconds:.1f} s ({facts / seconds:,.0f} facts/s), {len(report.observations):,} "
                f"findings, {report.lines:,} bonus lines, repeat={report.repeat} (target < 60 s)"
            )
        db.dispose()


if __name__ == "__main__":
    main()
