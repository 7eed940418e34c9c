"""Contract acknowledgements over HTTP: ``POST /api/v1/acknowledgements`` (I read my role's clauses in force),
``GET /api/v1/acknowledgements`` (who has and has not acknowledged them: everyone for HR, a manager's team,
staff themselves) and the page ``/acknowledgements`` for HR and managers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from perfrules.engine import acknowledgements as engine
from perfrules.engine.errors import PerfRulesError
from perfrules.engine.web import board
from perfrules.engine.web.auth import Principal, require
from perfrules.engine.web.pages import render
from pydantic import BaseModel, ConfigDict, Field

router = APIRouter(prefix="/api/v1", tags=["perfrules"])
pages = APIRouter(include_in_schema=False)


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    digest: str | None = Field(
        default=None,
        description="the rulebook digest of the clauses read (as GET shows it); refused when the rules changed since",
    )


def _standings(request: Request, who: Principal) -> list[engine.Standing]:
    rulebook = board.rulebook_of(request.app.state.settings)
    day = request.app.state.clock().date()
    return engine.standings(request.app.state.db, rulebook, day=day, visible=who.visible)


@router.post("/acknowledgements", status_code=201)
def acknowledge(
    request: Request, body: AcknowledgeIn | None = None, who: Principal = Depends(require("people"))
) -> JSONResponse:
    """Acknowledge the clauses of the caller's role in force (201 new, 200 already acknowledged)."""
    if who.employee_id is None:
        raise HTTPException(400, "this caller is not an employee: only a person acknowledges their own clauses")
    now = request.app.state.clock()
    rulebook = board.rulebook_of(request.app.state.settings)
    try:
        record, created = engine.acknowledge(
            request.app.state.db,
            rulebook,
            who.employee_id,
            by=who.actor,
            now=now,
            day=now.date(),
            digest=body.digest if body else None,
        )
    except PerfRulesError as exc:
        raise HTTPException(409, str(exc)) from None
    return JSONResponse({**record.as_dict(), "created": created}, status_code=201 if created else 200)


@router.get("/acknowledgements")
def list_acknowledgements(
    request: Request, missing: bool = False, who: Principal = Depends(require("people"))
) -> list[dict[str, Any]]:
    """Everyone the caller may see whose role has clauses in force, and their acknowledgement of them
    (``missing=true``: only those who have not acknowledged them)."""
    return [s.as_dict() for s in _standings(request, who) if not (missing and s.done)]


@pages.get("/acknowledgements")
def acknowledgements_page(request: Request, who: Principal = Depends(require("overview"))) -> HTMLResponse:
    standings = _standings(request, who)
    digest = board.rulebook_of(request.app.state.settings).digest
    missing = sum(1 for s in standings if not s.done)
    return render(request, "acknowledgements", who, standings=standings, digest=digest, missing=missing)
