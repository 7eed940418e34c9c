"""The HTTP API under ``/api/v1`` (OpenAPI at ``/api/openapi.json``): push facts, read KPIs, findings,
adjustments and deadlines, trigger an evaluation, download the payroll export. Bearer tokens or a session."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from perfrules.engine.errors import PerfRulesError
from perfrules.engine.importing import FileResult, UnknownKind
from perfrules.engine.importing.reading import Upload
from perfrules.engine.kpi import catalog
from perfrules.engine.periods import PeriodKind
from perfrules.engine.web import board, data, params, stored
from perfrules.engine.web.auth import Principal, authorized, principal, require
from perfrules.storage import access
from perfrules.storage.db import Connection
from pydantic import BaseModel, ConfigDict

router = APIRouter(prefix="/api/v1", tags=["perfrules"])


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Me(_Out):
    name: str
    kind: str
    role: str
    employee_id: str | None


class KpiOut(_Out):
    kpi: str
    name_en: str
    name_zh: str
    unit: str
    direction: str
    scope_kind: str
    scope: str
    period: str
    value: Decimal | None
    target: Decimal
    achievement: Decimal | None
    status: str
    judged_by: str


class RowsOut(_Out):
    kpi: str
    period: str
    columns: list[str]
    rows: list[list[Any]]


class ImportOut(_Out):
    kind: str
    rows: int
    inserted: int
    updated: int
    unchanged: int


class EvaluationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str


@router.get("/me", response_model=Me)
async def me(who: Principal = Depends(principal)) -> Me:
    return Me(name=who.name, kind=who.kind, role=who.role, employee_id=who.employee_id)


@router.get("/kpis", response_model=list[KpiOut])
def kpis(
    request: Request,
    response: Response,
    period: str,
    scope_kind: str = "company",
    scope: str = "company",
    fresh: bool = False,
    who: Principal = Depends(require("people")),
) -> list[KpiOut]:
    """Every KPI of a scope (company, department, category, abc_class, xyz_class, employee …) for a period;
    a KPI the scope's people produce no facts for has status ``not_applicable``. Where a rule in force judges
    the KPI at this scope and period, ``status`` is its verdict and ``judged_by`` names it (``rule@version``);
    elsewhere the generic band judges (``judged_by``: ``generic band``).

    The figures come from the KPI value store: header ``X-Facts-Generation`` is the facts generation they
    reflect (the newest import batch they include), ``X-Facts-Current-Generation`` the current one of the
    period; while the store draws a set up again after new facts they differ and ``X-Figures-Stale: 1`` is
    set. ``fresh=true`` computes a stale set at once instead (slower: seconds at a large company)."""
    db = request.app.state.db
    params.check_scope(db, who, scope_kind, scope)
    with stored.serving() as reading:
        reading.stale_ok = not fresh
        cells = board.kpi_table(
            db,
            request.app.state.settings,
            scope_kind=scope_kind,
            scope=scope,
            period=params.period(period),
            today=_today(request),
            people_of=board.people_of(db, scope_kind, scope),
        )
    response.headers.update(reading.headers())
    return [
        KpiOut(
            kpi=c.kpi.id,
            name_en=c.kpi.name_en,
            name_zh=c.kpi.name_zh,
            unit=c.kpi.unit.value,
            direction=c.kpi.direction.value,
            scope_kind=c.scope_kind,
            scope=c.scope,
            period=c.period,
            value=c.value,
            target=c.target,
            achievement=c.achievement,
            status=c.status,
            judged_by=c.judged_by,
        )
        for c in cells
    ]


@router.get("/kpis/{kpi_id}/rows", response_model=RowsOut)
def kpi_rows(
    request: Request,
    kpi_id: str,
    period: str,
    scope_kind: str = "company",
    scope: str = "company",
    who: Principal = Depends(require("people")),
) -> RowsOut:
    """The rows behind one KPI figure (drill-down)."""
    try:
        kpi = catalog.get(kpi_id)
    except (KeyError, PerfRulesError):
        raise HTTPException(404, f"no KPI {kpi_id!r}") from None
    params.check_scope(request.app.state.db, who, scope_kind, scope, kpi)
    table = board.drill(
        request.app.state.db,
        request.app.state.settings,
        kpi,
        scope_kind=scope_kind,
        scope=scope,
        period=params.period(period),
    )
    return RowsOut(
        kpi=kpi_id,
        period=period,
        columns=list(table.columns),
        rows=[list(r) for r in table.rows],
    )


@router.get("/findings")
def findings(
    request: Request, period: str | None = None, quarter: str | None = None, who: Principal = Depends(require("people"))
) -> list[dict[str, Any]]:
    """Active findings (breaches, late or missing deliverables) the caller may see."""
    period = None if period is None else params.period(period, kinds=(PeriodKind.MONTH,)).label
    quarter = None if quarter is None else params.quarter(quarter).label
    rows = access.findings_for(request.app.state.db, visible=who.visible, period=period, quarter=quarter)
    return [r.__dict__ | {"charged_to": list(r.charged_to)} for r in rows]


@router.get("/adjustments")
def adjustments(request: Request, quarter: str, who: Principal = Depends(require("people"))) -> list[dict[str, Any]]:
    """Active bonus adjustments of a quarter for the employees the caller may see."""
    label = params.quarter(quarter).label
    rows = access.adjustments_for(request.app.state.db, visible=who.visible, quarter=label)
    return [r.__dict__ | {"finding_ids": list(r.finding_ids)} for r in rows]


@router.get("/deadlines")
def deadlines(request: Request, who: Principal = Depends(require("people"))) -> dict[str, Any]:
    """The deliverables due around now, as the rulebook judges them, for the people the caller may see:
    deliverable, covered period, employee, due (company zone), state (open, overdue, on_time, late), time
    left until it counts as late (``2d 04h``; negative when overdue) and the rule with its version."""
    table = board.deadlines(
        request.app.state.db, request.app.state.settings, now=request.app.state.clock(), visible=who.visible
    )
    return {"columns": list(table.columns), "rows": [list(r) for r in table.rows]}


@router.post("/facts/{kind}", response_model=ImportOut, status_code=200)
async def push_facts(
    request: Request,
    kind: str,
    # not required here: a caller is checked before the body is (an empty one is refused by the import: 422)
    body: bytes = Body(b"", media_type="text/csv"),
) -> ImportOut:
    """Import one fact file (CSV, or JSON Lines with Content-Type application/x-ndjson) all or nothing,
    with the same validation as ``perfrules import``. A bad file changes nothing and answers 422 with
    every error, as ``NAME:LINE: column: message``; NAME is the file name of a
    ``Content-Disposition: attachment; filename="…"`` header, else ``upload.csv`` / ``upload.jsonl``.
    The answer comes once the file is committed to disk. Pushes that arrive together are imported together
    (one transaction, one flush), each with its own answer: a bad file is refused alone."""
    content_type = request.headers.get("content-type", "")
    fmt = "jsonl" if "ndjson" in content_type or "jsonl" in content_type else "csv"
    upload = Upload(_upload_name(request.headers.get("content-disposition", ""), fmt), body)
    # The caller's token is looked up and the file imported in one trip to the thread pool; this coroutine only
    # frames it, so the answer is built on the event loop (a plain ``def`` route, or a ``Depends(require(…))``,
    # would each cost one more thread-pool hop).
    try:
        result = await run_in_threadpool(_import_upload, request, kind, upload, fmt)
    except PerfRulesError as exc:
        lines = exc.lines() if hasattr(exc, "lines") else [str(exc)]
        status_code = 404 if isinstance(exc, UnknownKind) else 422
        raise HTTPException(status_code, {"message": lines[-1], "errors": lines}) from None
    if result.inserted or result.updated:
        stored.wake(request.app.state.db)  # the KPI value store's filler draws the figures up again at once
    return ImportOut(
        kind=kind, rows=result.rows, inserted=result.inserted, updated=result.updated, unchanged=result.unchanged
    )


def _import_upload(request: Request, kind: str, upload: Upload, fmt: str) -> FileResult:
    """The caller (who must have ``push``), then the push's import (grouped with the pushes beside it), its
    audit entry written in its transaction."""
    who = authorized(request, "push")
    now = request.app.state.clock()

    def audit(conn: Connection, done: FileResult) -> None:
        access.record_in(
            conn,
            now=now,
            actor=who.actor,
            action="facts.import",
            target=kind,
            detail={"rows": done.rows, "inserted": done.inserted, "updated": done.updated},
        )

    return request.app.state.pushes.push(kind, upload, fmt=fmt, user=who.actor, on_loaded=audit)


@router.post("/evaluations")
def evaluate(request: Request, body: EvaluationIn, who: Principal = Depends(require("evaluate"))) -> dict[str, Any]:
    """Evaluate a month, or each month of a quarter, now: the rulebook in force, KPIs from the library,
    findings, escalations and bonus lines stored as ``perfrules evaluate`` does. Idempotent: a re-run on
    unchanged facts and rules answers ``repeat: true`` per month and changes nothing. Recorded in the audit
    log."""
    from perfrules.engine.evaluation.run import evaluate_months
    from perfrules.engine.rulebook.checker import load_rulebook

    period = params.period(body.period, kinds=(PeriodKind.MONTH, PeriodKind.QUARTER))
    db, settings, now = request.app.state.db, request.app.state.settings, request.app.state.clock()
    months = [period] if period.kind is PeriodKind.MONTH else list(period.months())
    try:
        reports = evaluate_months(db, load_rulebook(settings.rules_path), months, now=now, zone=settings.zone)
    except PerfRulesError as exc:
        raise HTTPException(422, str(exc)) from None
    result = {
        "period": period.label,
        "rulebook_version": reports[0].rulebook_version,
        "months": [
            {
                "month": r.period,
                "run_id": r.run_id,
                "repeat": r.repeat,
                "findings": len(r.observations),
                "escalations": r.escalations,
                "bonus_lines": r.lines,
                "quarter_closed": r.quarter_closed,
            }
            for r in reports
        ],
    }
    access.record(db, now=now, actor=who.actor, action="evaluation.run", target=period.label, detail=result)
    stored.wake(db)  # a round of the KPI value store's filler (the rules may have changed since its last)
    return result


@router.get("/payroll-export", response_class=Response)
def payroll_export(
    request: Request,
    quarter: str,
    format: str = "csv",
    part: str = "employees",
    who: Principal = Depends(require("export")),
) -> Response:
    """The payroll export file of a quarter, as ``perfrules export payroll`` writes it: ``format`` csv or
    xlsx; for csv ``part`` employees (the main file) or lines (the line items). Recorded in the audit log."""
    return data.payroll_response(request, quarter=quarter, fmt=format, part=part, who=who)


_FILENAME = re.compile(r'filename="?([^";]+)"?')


def _upload_name(disposition: str, fmt: str) -> str:
    """The uploaded file's base name from a Content-Disposition header, or ``upload.<fmt>``."""
    found = _FILENAME.search(disposition)
    name = found.group(1).replace("\\", "/").rsplit("/", 1)[-1].strip() if found else ""
    return name if name and name not in (".", "..") else f"upload.{fmt}"


def _today(request: Request):
    return request.app.state.clock().date()
