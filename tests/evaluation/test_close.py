"""Override, close, payroll export (golden files), a late correction after close, reopen."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from perfrules.engine.cli import cli
from perfrules.engine.evaluation import corrections
from perfrules.engine.evaluation.errors import QuarterStateError
from perfrules.engine.evaluation.explain import explain
from perfrules.engine.payroll import lines_path, of_quarter
from perfrules.engine.periods import parse_period
from perfrules.storage import evaluation_store as store

from tests.evaluation.company import ZONE, at, occupation, rulebook, seed
from tests.evaluation.test_quarter import kpis, lines, run_month, walk_quarter

GOLDEN = Path(__file__).parent / "golden"
Q3, Q4 = parse_period("2026Q3"), parse_period("2026Q4")


@pytest.fixture
def walked(db):
    seed(db)
    source = kpis()
    walk_quarter(db, rulebook(), source)
    return db, source


def line_id(db, employee, rule, quarter="2026Q3"):
    return next(a["id"] for a in store.adjustments(db, quarter=quarter, employee_id=employee) if a["rule_id"] == rule)


def rows_of(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff"), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_override_close_export_and_late_correction(walked, runner, tmp_path, golden):
    db, source = walked
    url = db.url
    ops = line_id(db, "E_O1", "operations.slow_mover_digestion")
    result = runner.invoke(
        cli,
        [
            "--database-url",
            url,
            "adjustments",
            "override",
            str(ops),
            "--amount",
            "-540",
            "--reason",
            "half: new SKU mix",
            "--by",
            "hr.wang",
        ],
    )
    assert result.exit_code == 0, result.output
    assert lines(db)[("E_O1", "operations.slow_mover_digestion", "deduction")] == Decimal("-540.00")

    result = runner.invoke(cli, ["--database-url", url, "close", "2026Q3", "--by", "hr.wang"])
    assert result.exit_code == 0, result.output
    with pytest.raises(QuarterStateError):
        corrections.close(db, "2026Q3", by="x", now=at(2026, 10, 21), zone=ZONE)

    out = tmp_path / "payroll-2026Q3.csv"
    result = runner.invoke(
        cli,
        ["--database-url", url, "export", "payroll", "--quarter", "2026Q3", "--format", "csv", "--output", str(out)],
    )
    assert result.exit_code == 0, result.output
    first = (out.read_bytes(), lines_path(out).read_bytes())
    golden(out.read_bytes(), GOLDEN / "payroll-2026Q3.csv")
    golden(lines_path(out).read_bytes(), GOLDEN / "payroll-2026Q3.lines.csv")
    employees, items = rows_of(out), rows_of(lines_path(out))
    by_id = {r["employee_id"]: r for r in employees}
    assert by_id["E_P1"]["final_bonus"] == "7500.00" and by_id["E_P1"]["line_items"] == "2"
    assert by_id["E_O1"]["adjustment_amount"] == "-540.00" and by_id["E_O1"]["adjustment_pct"] == "-6.00"
    assert by_id["E_O2"]["base"] == "3978.26"  # 6000 × 61/92 days (hired 1 August)
    for row in employees:  # totals reconcile with the line items to the cent
        own = [Decimal(x["amount"]) for x in items if x["employee_id"] == row["employee_id"]]
        assert sum(own, Decimal(0)) == Decimal(row["adjustment_amount"])
        assert Decimal(row["base"]) + Decimal(row["adjustment_amount"]) == Decimal(row["final_bonus"])

    # a late correction: July and August capital occupation were really 29% → finance had no breach
    source.values.update({k: Decimal(v) for k, v in (occupation("2026-07", "0.29"), occupation("2026-08", "0.29"))})
    run_month(db, "2026-07", at(2026, 11, 2), source, rulebook())
    report = run_month(db, "2026-08", at(2026, 11, 2), source, rulebook())
    assert report.quarter_closed
    # the closed quarter's export does not change by a single byte ...
    runner.invoke(cli, ["--database-url", url, "export", "payroll", "--quarter", "2026Q3", "--output", str(out)])
    assert (out.read_bytes(), lines_path(out).read_bytes()) == first
    # ... the difference is a correction line in the next export
    assert lines(db, "2026Q4") == {("E_F1", "finance.capital_occupation", "correction:deduction"): Decimal("1800.00")}
    q4 = of_quarter(db, Q4)
    assert [(x.employee_id, x.kind, x.amount, x.corrects_quarter) for x in q4.lines] == [
        ("E_F1", "correction:deduction", Decimal("1800.00"), "2026Q3")
    ]
    # the escalation it triggered stays on record (HR decides about it), and is not triggered again
    assert [e["kind"] for e in store.escalations(db, "E_F1")] == ["improvement_plan"]

    text = explain(db, "E_O1", Q3)
    assert "override to -540.00 by hr.wang" in text and "half: new SKU mix" in text
    assert "operations.slow_mover_digestion v1" in text and "operations.yaml:2" in text
    assert "streak: 3 month(s) in a row: 2026-07, 2026-08, 2026-09" in text
    assert "reassignment_review" in text

    with pytest.raises(QuarterStateError):
        corrections.reopen(db, "2026Q4", reason="x", by="x", now=at(2026, 11, 3))
    result = runner.invoke(cli, ["--database-url", url, "reopen", "2026Q3", "--reason", "audit", "--by", "hr"])
    assert result.exit_code == 0, result.output
    # reopened: the line itself is withdrawn and the open correction goes away
    assert ("E_F1", "finance.capital_occupation", "deduction") not in lines(db)
    assert lines(db, "2026Q4") == {}


def test_void_and_xlsx_is_reproducible(walked, runner, tmp_path):
    db, _ = walked
    target = line_id(db, "E_P2", "purchasing.slow_mover_list")
    result = runner.invoke(
        cli, ["--database-url", db.url, "adjustments", "void", str(target), "--reason", "transferred", "--by", "hr.li"]
    )
    assert result.exit_code == 0, result.output
    assert ("E_P2", "purchasing.slow_mover_list", "deduction") not in lines(db)
    corrections.close(db, "2026Q3", by="hr", now=at(2026, 10, 21), zone=ZONE)
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for path in (first, second):
        result = runner.invoke(
            cli,
            [
                "--database-url",
                db.url,
                "export",
                "payroll",
                "--quarter",
                "2026Q3",
                "--format",
                "xlsx",
                "--output",
                str(path),
            ],
        )
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    book = load_workbook(first)
    header, *rows = list(book["employees"].values)
    assert header[:3] == ("export_id", "quarter", "employee_id")
    p2 = next(r for r in rows if r[2] == "E_P2")
    assert p2[header.index("name")] == "王伟" and p2[header.index("line_items")] == 0
    assert len(list(book["lines"].values)) - 1 == sum(r[header.index("line_items")] for r in rows)
    assert len(store.exports(db, "2026Q3")) == 2


def test_explain_cli_for_someone_without_findings(walked, runner):
    db, _ = walked
    result = runner.invoke(cli, ["--database-url", db.url, "explain", "E_O2", "--quarter", "2026Q3"])
    assert result.exit_code == 0, result.output
    assert "Bonus lines: none" in result.output and "61/92 days" in result.output
    result = runner.invoke(cli, ["--database-url", db.url, "explain", "NOBODY", "--quarter", "2026Q3"])
    assert result.exit_code == 1 and "no employee with id 'NOBODY'" in result.output
