"""``perfrules kpi`` and ``perfrules slow-movers``."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from perfrules.engine.cli import cli
from sqlalchemy import text

from tests.conftest import pg_upkeep
from tests.kpi.factories import ZONE, Facts


def small_company(db) -> None:
    f = Facts(db).employee("B1").sku("A").sku("OLD", category="toys")
    f.move("A", "receipt", date(2026, 8, 1), 480).move("A", "sale", date(2026, 9, 10), 200)
    f.move("OLD", "receipt", date(2025, 1, 1), 50)
    f.demand("A", date(2026, 9, 10), 100, 94)
    f.submission(
        "slow_mover_list",
        "2026-08",
        "B1",
        datetime(2026, 9, 3, tzinfo=ZONE),
        {"items": [{"sku": "OLD", "class": "seasonal"}]},
    )
    f.save()


def test_kpi_table_json_and_csv(db, runner):
    small_company(db)
    base = ["--database-url", db.url, "kpi", "--period", "2026-09"]
    table = runner.invoke(cli, base)
    assert table.exit_code == 0, table.output
    assert "fill_rate" in table.output and "94.0%" in table.output and "warning" in table.output
    assert "segment:dead" in table.output
    out = runner.invoke(cli, [*base, "--format", "json", "--kpi", "fill_rate", "--kpi", "obsolete_ratio"])
    records = json.loads(out.output)
    assert [(r["kpi"], r["value"], r["status"]) for r in records] == [
        ("fill_rate", "0.9400", "warning"),
        ("obsolete_ratio", "0.1515", "not_met"),
    ]  # 50 ÷ (280 + 50)
    csv_out = runner.invoke(cli, [*base, "--format", "csv", "--scope", "category:toys", "--kpi", "obsolete_ratio"])
    assert csv_out.output.splitlines()[1].startswith("obsolete_ratio,Obsolete stock ratio,呆滞库存率,category:toys")


def test_kpi_errors_are_one_line(db, runner):
    result = runner.invoke(cli, ["--database-url", db.url, "kpi", "--period", "2026-13"])
    assert result.exit_code == 2 and "--period" in result.output and "is not a period" in result.output
    result = runner.invoke(cli, ["--database-url", db.url, "kpi", "--period", "2026-09", "--scope", "planet:x"])
    assert result.exit_code == 1 and "unknown kind 'planet'" in result.output
    result = runner.invoke(cli, ["--database-url", db.url, "kpi", "--rebuild"])
    assert result.exit_code == 0


def test_slow_movers_and_the_check_of_a_submitted_list(db, runner):
    small_company(db)
    result = runner.invoke(
        cli, ["--database-url", db.url, "slow-movers", "--as-of", "2026-08-31", "--check", "2026-08"]
    )
    assert result.exit_code == 0, result.output
    assert "1 slow movers as of 2026-08-31" in result.output
    assert "misclassified: OLD is structural, listed as seasonal" in result.output


def test_a_kpi_a_rule_judges_shows_the_rules_verdict_and_names_it(db, runner):
    """31 % capital occupation under finance.capital_occupation (≤ 30 %) is a breach, not the generic ⚠."""
    Facts(db).sku("A").move("A", "receipt", date(2026, 8, 1), 3100).finance("2026-09", current_assets=10000).save()
    base = ["--database-url", db.url, "kpi", "--period", "2026-09", "--kpi", "capital_occupation", "--kpi", "fill_rate"]
    records = json.loads(runner.invoke(cli, [*base, "--format", "json"]).output)
    assert [(r["kpi"], r["value"], r["status"], r["judged_by"]) for r in records] == [
        ("capital_occupation", "0.3100", "not_met", "finance.capital_occupation@1"),
        ("fill_rate", None, "not_applicable", "generic band"),
    ]
    table = runner.invoke(cli, base).output
    assert "judged by" in table
    line = next(x for x in table.splitlines() if x.startswith("capital_occupation"))
    assert "breach" in line and "finance.capital_occupation@1" in line and "warning" not in line
    assert "judged_by" in runner.invoke(cli, [*base, "--format", "csv"]).output.splitlines()[0]


def test_kpis_a_scope_produces_no_facts_for_are_not_applicable(db, runner):
    """Finance hands in no slow-mover lists and a purchaser files no disposals: n/a, never ❌ 0 %."""
    small_company(db)
    Facts(db).employee("F1", "finance", "finance_analyst").save()
    base = ["--database-url", db.url, "kpi", "--period", "2026-09", "--format", "json"]
    finance = json.loads(runner.invoke(cli, [*base, "--scope", "department:finance"]).output)
    assert {r["kpi"]: (r["value"], r["status"]) for r in finance}["slow_mover_list_timeliness"] == (
        None,
        "not_applicable",
    )
    buyer = {r["kpi"]: r for r in json.loads(runner.invoke(cli, [*base, "--scope", "employee:B1"]).output)}
    assert buyer["slow_mover_digestion_rate"]["status"] == "not_applicable"
    assert buyer["slow_mover_list_timeliness"]["status"] != "not_applicable"  # purchasing hands in the list


def test_a_rollup_rebuild_leaves_postgresql_statistics_and_a_visibility_map(db, runner):
    if db.dialect != "postgresql":
        pytest.skip("SQLite plans without statistics and has no visibility map")
    small_company(db)
    with db.engine.connect() as conn:
        started = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    result = runner.invoke(cli, ["--database-url", db.url, "kpi", "--rebuild"])
    assert result.exit_code == 0, result.output
    [(analysed, vacuumed, all_visible)] = pg_upkeep(db, "sku_months").values()
    assert analysed >= started and vacuumed >= started and all_visible
