"""Evaluation results for the web layer: findings, warnings, adjustments and payroll exports, filtered
by what the viewer may see, and the audit entry for every export."""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

from fastapi import HTTPException, Request
from fastapi.responses import Response
from perfrules.engine.periods import Period, parse_period
from perfrules.engine.web.auth import Principal
from perfrules.storage import Database, access

WARNING_KINDS = ("warning", "kpi_warning", "breach", "late", "missing")


def quarter_of(period: Period) -> str:
    d = period.last_day
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def recent_quarters(today: date, count: int) -> list[str]:
    year, q = today.year, (today.month - 1) // 3 + 1
    out = []
    for _ in range(count):
        out.append(f"{year}Q{q}")
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    return out


def departments(db: Database) -> list[access.DepartmentRef]:
    return access.departments(db)


def department(db: Database, code: str) -> access.DepartmentRef | None:
    return next((d for d in access.departments(db) if d.code == code), None)


def findings(
    db: Database, *, period: Period | None, quarter: str | None, visible: frozenset[str] | None
) -> list[access.FindingView]:
    return access.findings_for(db, visible=visible, period=None if period is None else period.label, quarter=quarter)


def warnings(db: Database, *, period: Period, visible: frozenset[str] | None) -> list[access.FindingView]:
    """Open findings of the period: warnings, breaches and late or missing deliverables."""
    return access.findings_for(db, visible=visible, period=period.label, kinds=WARNING_KINDS)


def adjustments(db: Database, *, quarter: str, visible: frozenset[str] | None) -> list[access.AdjustmentView]:
    return access.adjustments_for(db, visible=visible, quarter=quarter)


def export_history(db: Database) -> list[access.AuditRecord]:
    return access.audit_entries(db, limit=50, action="payroll.export")


def _payroll_module():
    try:
        return importlib.import_module("perfrules.engine.evaluation.payroll")
    except ImportError:
        return None


def payroll_response(request: Request, *, quarter: str, fmt: str, who: Principal) -> Response:
    """The payroll export file of ``quarter`` as a download; recorded in the audit log with who took it."""
    try:
        parse_period(quarter)
    except Exception:
        raise HTTPException(400, f"{quarter!r} is not a quarter (expected YYYYQn)") from None
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(400, "format must be csv or xlsx")
    module = _payroll_module()
    if module is None or not hasattr(module, "export"):
        raise HTTPException(503, "the payroll export is not available in this installation yet")
    db, now = request.app.state.db, request.app.state.clock()
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / f"payroll-{quarter}.{fmt}"
        module.export(db, quarter=quarter, fmt=fmt, output=path, now=now, by=who.actor)
        body = path.read_bytes()
    access.record(
        db,
        now=now,
        actor=who.actor,
        action="payroll.export",
        target=quarter,
        detail={"format": fmt, "bytes": len(body)},
    )
    media = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="payroll-{quarter}.{fmt}"'}
    )
