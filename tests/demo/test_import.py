"""Every generated file goes through the real importer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from perfrules.engine.demo import custom_size, generate
from perfrules.engine.demo.files import IMPORT_ORDER
from perfrules.engine.demo.loading import import_generated
from perfrules.engine.settings import load_settings
from perfrules.storage import Database


def test_tiny_company_imports_whole(db: Database, tmp_path: Path, zone: ZoneInfo) -> None:
    report = generate(tmp_path, custom_size(50, 3), seed=2, end=date(2025, 3, 31))
    done = import_generated(db, report, load_settings({}, environ={}), datetime(2025, 4, 2, 9, 0, tzinfo=zone))
    assert [s.kind for s in done] == list(IMPORT_ORDER)
    assert {s.kind: s.rows for s in done} == {kind: report.rows[kind] for kind in IMPORT_ORDER}
