"""The scheduler's KPI memo: a refresh with unchanged inputs reuses the values; a late import or a rule
edit makes the next refresh compute them again."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from perfrules.engine.demo import custom_size, generate
from perfrules.engine.demo.loading import import_generated
from perfrules.engine.importing import import_files
from perfrules.engine.importing.reading import Upload
from perfrules.engine.periods import parse_period
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.scheduler.refresh import KpiMemo
from perfrules.engine.settings import PROJECT_ROOT, load_settings
from perfrules.storage import Database
from sqlalchemy import text


def test_kpis_are_recomputed_only_after_an_import_or_a_rule_edit(db: Database, tmp_path: Path, zone: ZoneInfo) -> None:
    report = generate(tmp_path / "exports", custom_size(30, 3), seed=5, end=date(2026, 3, 31))
    settings, now = load_settings({}, environ={}), datetime(2026, 4, 2, 9, 0, tzinfo=zone)
    import_generated(db, report, settings, now)
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    memo, march = KpiMemo(zone), parse_period("2026-03")
    first = memo.source(date(2026, 4, 2))(db, load_rulebook(rules), march)
    again = memo.source(date(2026, 4, 20))(db, load_rulebook(rules), march)  # a later daily refresh
    assert first and again == first and memo.computed == 1
    edited = next(iter(sorted(rules.glob("*.yaml"))))
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    memo.source(date(2026, 4, 21))(db, load_rulebook(rules), march)
    assert memo.computed == 2
    import_generated(db, report, settings, now)  # the same files again: nothing changed
    memo.source(date(2026, 4, 22))(db, load_rulebook(rules), march)
    assert memo.computed == 2
    sku = _a_sku(db)
    _movement(db, zone, now, f"M-APRIL,{sku},receipt,2026-04-01T10:00:00,5,1.00,\n")  # April: not March's
    memo.source(date(2026, 4, 23))(db, load_rulebook(rules), march)
    assert memo.computed == 2
    _movement(db, zone, now, f"M-LATE,{sku},receipt,2026-03-30T10:00:00,5,1.00,\n")  # a late March fact
    memo.source(date(2026, 4, 24))(db, load_rulebook(rules), march)
    assert memo.computed == 3
    memo.source(date(2026, 3, 20))(db, load_rulebook(rules), march)  # mid-month: another as-of day
    assert memo.computed == 4


def _a_sku(db: Database) -> str:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT MIN(sku) FROM skus")).scalar_one()


def _movement(db: Database, zone: ZoneInfo, now: datetime, row: str) -> None:
    body = "id,sku,kind,moved_at,quantity,unit_cost,ref\n" + row
    import_files(db, "movements", [Upload("late.csv", body.encode())], zone=zone, now=now, user="test")
