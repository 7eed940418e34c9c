"""The evaluation step of ``perfrules demo``: evaluate the demo quarter month by month, print the findings
and write the payroll export (CSV and xlsx) into the demo output folder."""

from __future__ import annotations

from collections import Counter
from typing import Any

from perfrules.engine import payroll
from perfrules.engine.bundled import bundled_path
from perfrules.engine.evaluation.kpis import library_kpis
from perfrules.engine.evaluation.run import evaluate
from perfrules.engine.periods import quarter_of
from perfrules.engine.rulebook.checker import load_rulebook


def evaluate_quarter(run: Any) -> None:
    """Evaluate the demo quarter, print its findings and write the payroll export."""
    rules = run.settings.rules_path
    if not rules.is_dir():
        rules = bundled_path("rules")
    rulebook = load_rulebook(rules)
    quarter = quarter_of(run.end)
    if quarter.last_day > run.end:  # the last complete quarter of the demo history
        quarter = quarter.previous()
    source = library_kpis(run.settings.zone, run.now.date())
    kinds: Counter[str] = Counter()
    for month in quarter.months():
        report = evaluate(run.database, rulebook, month, now=run.now, kpis=source)
        for obs in report.observations:
            kinds[obs.kind] += 1
            who = ", ".join(t["employee"] for t in report.charged.get(obs.key, [])) or "nobody"
            run.echo(f"  {month.label} {obs.kind:<10} {obs.rule_id:<36} {obs.message} → {who}")
        run.echo(f"  {month.label}: {len(report.observations)} finding(s), {report.escalations} new escalation(s)")
    folder = run.output / "payroll"
    folder.mkdir(parents=True, exist_ok=True)
    for fmt in ("csv", "xlsx"):
        result, _ = payroll.export(
            run.database, quarter, fmt, folder / f"payroll-{quarter.label}.{fmt}", by="demo", now=run.now
        )
    run.echo(
        f"  {quarter.label}: {len(result.rows)} employees, {len(result.lines)} bonus lines, total "
        f"{result.total} CNY → {folder}"
    )
    run.results["evaluation"] = {"quarter": quarter.label, "findings": dict(kinds), "export_id": result.export_id}
