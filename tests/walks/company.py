"""A small hand-made company taken through the documented commands, as a new user would.

Only the seed's three contract rules (domain.md §4) are in force, copied from the repository's ``rules/``
with its holiday calendar: ``purchasing.slow_mover_list`` (list timeliness < 90 % → −10 %, training after
two late lists in a row, no promotion after three months below 90 %), ``finance.capital_occupation``
(> 30 % → −15 %, written improvement plan after two months, moved to purchasing while its list was late) and
``operations.slow_mover_digestion``. Facts go in as import files (docs/importing.md): three people, one
SKU that sells every month (so there are no slow movers and digestion is never judged), one ledger row per
month whose current assets set capital occupation (stock ≈ 100,000 CNY: 200,000 of current assets is
≈ 50 %, 1,000,000 is ≈ 10 %), and the slow-mover lists as submissions.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from perfrules.engine.cli import cli
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_RULES = {
    "purchasing": "purchasing.slow_mover_list",
    "finance": "finance.capital_occupation",
    "operations": "operations.slow_mover_digestion",
}
PEOPLE = [
    # id, name_en, name_zh, department, role, quarterly bonus base
    ("E_P1", "Li Na", "李娜", "purchasing", "purchaser", "20000"),
    ("E_F1", "Zhang Min", "张敏", "finance", "finance_analyst", "10000"),
    ("E_O1", "Liu Yang", "刘洋", "operations", "operations_manager", "9000"),
]
HIGH, LOW = "200000.00", "1000000.00"  # current assets: capital occupation ≈ 50 % (breach) or ≈ 10 % (met)


def contract_rules(folder: Path) -> Path:
    """The three contract rules, exactly as the repository's rule files state them, and its calendar."""
    folder.mkdir()
    for department, rule_id in CONTRACT_RULES.items():
        doc = yaml.safe_load((ROOT / "rules" / f"{department}.yaml").read_text(encoding="utf-8"))
        rule = next(r for r in doc["rules"] if r["id"] == rule_id)
        text = yaml.safe_dump({"rules": [rule]}, allow_unicode=True, sort_keys=False)
        (folder / f"{department}.yaml").write_text(text, encoding="utf-8")
    (folder / "calendar.yaml").write_bytes((ROOT / "rules" / "calendar.yaml").read_bytes())
    return folder


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


class Company:
    """The company's fact store and rule folder, driven only through the ``perfrules`` CLI."""

    def __init__(self, runner: CliRunner, db: Database, folder: Path):
        self.runner, self.db, self.url, self.folder = runner, db, db.url, folder
        self.rules = contract_rules(folder / "rules")
        self.files = 0
        out = self.cli("check")
        assert "FAILED" not in out, out
        self.load(
            "departments",
            [
                {"code": c, "name_en": c.title(), "name_zh": zh}
                for c, zh in (("purchasing", "采购"), ("finance", "财务"), ("operations", "运营"), ("hr", "人事"))
            ],
        )
        self.load(
            "employees",
            [
                {
                    "id": pid,
                    "name_en": en,
                    "name_zh": zh,
                    "department": dept,
                    "role": role,
                    "email": f"{pid.lower()}@example.com",
                    "bonus_base": base,
                    "active_from": "2025-01-01",
                }
                for pid, en, zh, dept, role, base in PEOPLE
            ],
        )
        self.load("skus", [{"sku": "S1", "name": "spare part", "category": "parts", "unit_cost": "1.00", "price": "2"}])
        moves = [{"id": "R1", "sku": "S1", "kind": "receipt", "moved_at": "2026-04-01T09:00:00", "quantity": "100000"}]
        moves += [
            {"id": f"S{m}", "sku": "S1", "kind": "sale", "moved_at": f"2026-{m:02d}-10T15:00:00", "quantity": "100"}
            for m in range(4, 13)
        ]
        self.load("movements", [{**m, "unit_cost": "1.00"} for m in moves])
        for month in range(4, 13):
            self.assets(f"2026-{month:02d}", LOW)

    def cli(self, *args: str, ok: bool = True) -> str:
        base = ["--database-url", self.url, "--rules-dir", str(self.rules), "--timezone", "Asia/Shanghai"]
        result = self.runner.invoke(cli, [*base, *args])
        assert "Traceback" not in result.output
        if ok:
            assert result.exit_code == 0, f"perfrules {' '.join(args)}: exit {result.exit_code}\n{result.output}"
        return result.output

    def load(self, kind: str, rows: list[dict[str, Any]]) -> str:
        self.files += 1
        path = self.folder / f"{self.files:02d}-{kind}.csv"
        path.write_text(_csv(rows), encoding="utf-8")
        return self.cli("import", kind, str(path))

    def assets(self, month: str, current_assets: str) -> None:
        """The ledger row of ``month``; its current assets decide capital occupation."""
        self.load(
            "finance",
            [
                {
                    "month": month,
                    "current_assets": current_assets,
                    "revenue": "50000",
                    "receivable_days": "45",
                    "payable_days": "60",
                    "impairment_loss": "0",
                    "capital_cost": "0",
                    "storage_cost": "0",
                    "handling_cost": "0",
                    "risk_cost": "0",
                }
            ],
        )

    def file_list(
        self, covers: str, submitted_at: str, employee: str = "E_P1", items: tuple[dict[str, str], ...] = ()
    ) -> None:
        """Purchasing hands in the slow-mover list of ``covers`` at ``submitted_at`` (company time), naming
        ``items``. The system's own slow-mover list is empty while S1 alone is stocked (it sells every month),
        so an empty list is complete."""
        self.load(
            "submissions",
            [
                {
                    "id": f"LIST-{covers}-{submitted_at}",
                    "deliverable": "slow_mover_list",
                    "period": covers,
                    "employee_id": employee,
                    "submitted_at": submitted_at,
                    "note": "",
                    "payload": json.dumps({"items": list(items)}),
                }
            ],
        )

    def evaluate(self, month: str, as_of: str) -> str:
        return self.cli("evaluate", "--period", month, "--as-of", as_of)

    def explain(self, employee: str, quarter: str) -> str:
        return self.cli("explain", employee, "--quarter", quarter)

    def payroll(self, quarter: str) -> tuple[dict[str, dict[str, Any]], list[dict[str, str]]]:
        """``export payroll`` as CSV: employee rows by id (money as Decimal) and the line rows."""
        path = self.folder / f"payroll-{quarter}.csv"
        self.cli("export", "payroll", "--quarter", quarter, "--format", "csv", "--output", str(path), "--by", "hr")
        rows = _read(path)
        lines = _read(path.with_name(f"{path.stem}.lines.csv"))
        money = ("bonus_base", "base", "adjustment_amount", "final_bonus")
        employees = {r["employee_id"]: {**r, **{k: Decimal(r[k]) for k in money}} for r in rows}
        for r in rows:  # the export's own invariant, to the cent
            mine = [Decimal(x["amount"]) for x in lines if x["employee_id"] == r["employee_id"]]
            assert sum(mine, Decimal(0)) == Decimal(r["adjustment_amount"])
            assert Decimal(r["base"]) + Decimal(r["adjustment_amount"]) == Decimal(r["final_bonus"])
        return employees, lines

    def final(self, quarter: str) -> dict[str, Decimal]:
        """Each employee's final bonus of ``quarter`` as the payroll export states it."""
        return {e: row["final_bonus"] for e, row in self.payroll(quarter)[0].items()}

    def escalations(self) -> set[tuple[str, str, str, tuple[str, ...]]]:
        """Active escalations: (employee, action, rule, streak)."""
        return {
            (e["subject"], e["kind"], e["rule_id"], tuple(e["streak"]))
            for e in store.escalations(self.db)
            if e["status"] == "active"
        }


def _read(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))
