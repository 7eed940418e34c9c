"""Helpers for the import tests: files written into the test's own folder, and a small base of facts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from perfrules.engine.importing import import_files

from tests.conftest import SHANGHAI

NOW = datetime(2026, 10, 8, 9, 0, tzinfo=UTC)

DEPARTMENTS = "code,name_en,name_zh\npurchasing,Purchasing,采购\nwarehouse,Warehouse,仓储\n"
EMPLOYEES = (
    "id,name_en,name_zh,department,role,manager_id,email,locale,bonus_base,active_from,active_to\n"
    "E1,Li Na,李娜,purchasing,purchaser,E2,li@example.com,,12000,2024-01-01,\n"
    "E2,Wang Wei,王伟,purchasing,purchasing_manager,,wang@example.com,en,20000,2022-01-01,\n"
)
SKUS = (
    "sku,name,category,unit_cost,price,supplier,season,kit_components\n"
    "S1,Bowl,ceramic,12.50,30,,,\nS2,Cup,ceramic,6.80,18,,,\n"
)


def write(name: str, content: str | bytes) -> Path:
    path = Path(name)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def run(db, kind: str, *files: str | Path, **options):
    return import_files(db, kind, list(files), zone=SHANGHAI, now=NOW, user="tester", **options)


@pytest.fixture
def base(db):
    """Departments, two employees and two SKUs on file."""
    run(db, "departments", write("departments.csv", DEPARTMENTS))
    run(db, "employees", write("employees.csv", EMPLOYEES))
    run(db, "skus", write("skus.csv", SKUS))
    return db
