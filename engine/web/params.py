"""Query parameters of the pages and the API, checked once: a malformed value answers 400 naming the
parameter, a scope that does not exist 404, one the caller may not see 403 — never a 500, never a silent
empty answer."""

from __future__ import annotations

from fastapi import HTTPException
from perfrules.engine.errors import PerfRulesError
from perfrules.engine.kpi.catalog import KpiDef
from perfrules.engine.periods import Period, PeriodKind, parse_period
from perfrules.engine.web import board
from perfrules.engine.web.auth import Principal, require_employee
from perfrules.storage import Database


def period(text: str, name: str = "period", kinds: tuple[PeriodKind, ...] | None = None) -> Period:
    """``text`` as a period (of one of ``kinds``), or 400 naming the parameter ``name``."""
    try:
        found = parse_period(text)
    except PerfRulesError as exc:
        raise HTTPException(400, f"{name}: {exc}") from None
    if kinds is not None and found.kind not in kinds:
        expected = " or ".join(k.value for k in kinds)
        raise HTTPException(400, f"{name}: {text!r} is a {found.kind.value}; expected a {expected}")
    return found


def quarter(text: str, name: str = "quarter") -> Period:
    """``text`` as a quarter, or 400 naming the parameter."""
    try:
        found = parse_period(text)
    except PerfRulesError:
        found = None
    if found is None or found.kind is not PeriodKind.QUARTER:
        raise HTTPException(400, f"{name}: {text!r} is not a quarter (expected YYYYQn)")
    return found


def check_scope(db: Database, who: Principal, scope_kind: str, scope: str, kpi: KpiDef | None = None) -> None:
    """The caller may see the scope (an employee they may see; any other scope is an aggregate figure for
    those who may see the overview), and it exists and fits ``kpi``."""
    if scope_kind == "employee":
        require_employee(who, scope)
    elif not who.can("overview"):
        raise HTTPException(403, "you may not see aggregate figures")
    problem = board.scope_problem(db, scope_kind, scope, kpi)
    if problem is not None:
        raise HTTPException(*problem)
