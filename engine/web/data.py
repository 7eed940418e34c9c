"""Evaluation results for the web layer: findings, warnings, adjustments and payroll exports, filtered
by what the viewer may see, and the audit entry for every export."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.responses import Response
from perfrules.engine import payroll
from perfrules.engine.periods import Period
from perfrules.engine.web import params
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


PAYROLL_PARTS = ("employees", "lines")


def payroll_response(request: Request, *, quarter: str, fmt: str, part: str, who: Principal) -> Response:
    """The payroll export of ``quarter`` as a download, byte for byte what ``perfrules export payroll`` writes
    (CSV: ``part=employees`` is the main file, ``part=lines`` the ``.lines.csv``; xlsx holds both sheets).
    Logged as an export and in the audit log with who took it."""
    period = params.quarter(quarter)
    if fmt not in payroll.FORMATS:
        raise HTTPException(400, f"format: {fmt!r} is not one of {', '.join(payroll.FORMATS)}")
    if part not in PAYROLL_PARTS or (fmt == "xlsx" and part != "employees"):
        raise HTTPException(400, f"part: {part!r} is not one of {', '.join(PAYROLL_PARTS)} (csv only)")
    db, now = request.app.state.db, request.app.state.clock()
    name = Path(f"payroll-{period.label}.{fmt}")
    _, files = payroll.export(db, period, fmt, name, by=who.actor, now=now, write=False)
    chosen = name if part == "employees" else payroll.lines_path(name)
    body = files[chosen]
    access.record(
        db,
        now=now,
        actor=who.actor,
        action="payroll.export",
        target=period.label,
        detail={"format": fmt, "part": part, "bytes": len(body)},
    )
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX_MEDIA
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{chosen.name}"'})


XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
