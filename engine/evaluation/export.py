"""Write the payroll export of a quarter and log it (file, content hash, who, when)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from perfrules.engine import payroll
from perfrules.engine.evaluation.run import load_people
from perfrules.engine.periods import Period
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store


def build(db: Database, quarter: Period) -> payroll.Payroll:
    closed = quarter.label in store.closed_quarters(db)
    return payroll.build(quarter, load_people(db), store.adjustments(db, quarter=quarter.label), closed)


def export_payroll(
    db: Database, quarter: Period, fmt: str, output: Path, *, by: str, now: datetime
) -> tuple[payroll.Payroll, list[Path]]:
    result = build(db, quarter)
    paths = payroll.write(result, output, fmt)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()
    store.log_export(
        db,
        {
            "export_id": result.export_id,
            "quarter": quarter.label,
            "format": fmt,
            "output": str(output),
            "sha256": digest,
            "employees": len(result.rows),
            "lines": len(result.lines),
            "total": result.total,
            "exported_at": now,
            "exported_by": by,
        },
    )
    return result, paths
