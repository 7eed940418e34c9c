"""The appeals page (``/appeals``): HR sees every appeal (open first) and decides it — accept with a
correction (void, or override to an amount) or reject with a reason; a manager sees their team's appeals
read-only, staff their own. Decisions go through the same engine calls as ``perfrules appeals``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from perfrules.engine.evaluation import appeals as appealing
from perfrules.engine.evaluation.errors import AppealRefused, BadOverride
from perfrules.engine.money import round_cny
from perfrules.engine.web import board
from perfrules.engine.web.appeals import tell
from perfrules.engine.web.auth import Principal, require
from perfrules.engine.web.pages import render
from perfrules.storage import access, evaluation_store
from perfrules.storage import appeals as store
from perfrules.storage.appeals import AppealRecord

router = APIRouter(include_in_schema=False)
DONE = ("accepted", "rejected")
LIMIT = 300  # decided appeals shown below the open ones


@dataclass(frozen=True)
class Contested:
    """A bonus line an appeal contests, as the page shows it."""

    id: int
    rule_id: str
    period: str
    status: str
    amount: Decimal


@dataclass(frozen=True)
class AppealRow:
    """One appeal with whose it is and the lines it contests now."""

    appeal: AppealRecord
    name_en: str
    name_zh: str
    lines: tuple[Contested, ...]


def _lines(db: Any, a: AppealRecord) -> tuple[Contested, ...]:
    return tuple(
        Contested(x["id"], x["rule_id"], x["period"], x["status"], round_cny(evaluation_store.effective(x)))
        for x in appealing.subject_lines(db, a.employee_id, a.subject, a.subject_id)
    )


def _rows(db: Any, who: Principal, status: str | None) -> list[AppealRow]:
    found = store.appeals(db, status=status, employee_ids=who.visible)
    found = sorted(found, key=lambda a: (a.status != "open", -a.id))[:LIMIT]
    people = {e.id: e for e in access.employees_of(db, {a.employee_id for a in found})}
    return [
        AppealRow(a, people[a.employee_id].name_en, people[a.employee_id].name_zh, _lines(db, a))
        for a in found
        if a.employee_id in people
    ]


def _page(
    request: Request, who: Principal, status: str | None = None, *, error: str | None = None, code: int = 200
) -> HTMLResponse:
    if status is not None and status not in store.STATUSES:
        raise HTTPException(400, f"status: {status!r} is not one of {', '.join(store.STATUSES)}")
    done = request.query_params.get("done")
    return render(
        request,
        "appeals",
        who,
        status_code=code,
        rows=_rows(request.app.state.db, who, status),
        status=status,
        statuses=store.STATUSES,
        may_decide=who.can("admin"),
        done=done if done in DONE else None,
        error=error,
    )


@router.get("/appeals")
def appeals(request: Request, status: str | None = None, who: Principal = Depends(require("people"))) -> HTMLResponse:
    return _page(request, who, status or None)


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise BadOverride(f"{text!r} is not an amount in CNY (e.g. -500 or 0)") from None
    if not value.is_finite():
        raise BadOverride(f"{text!r} is not an amount in CNY (e.g. -500 or 0)")
    return value


def _decide(request: Request, who: Principal, appeal_id: int, form: dict[str, str]) -> AppealRecord:
    db, now = request.app.state.db, request.app.state.clock()
    if form["decision"] == "reject":
        return appealing.reject(db, appeal_id, reason=form["reason"], by=who.actor, now=now)
    if form["decision"] != "accept":
        raise AppealRefused(f"decision: {form['decision']!r} is not accept or reject")
    amount = None
    if form["correction"] == "override":
        if not form["amount"].strip():
            raise BadOverride("give the amount the line is overridden to (signed CNY, e.g. -500 or 0)")
        amount = _amount(form["amount"])
    elif form["correction"] != "void":
        raise AppealRefused(f"correction: {form['correction']!r} is not void or override")
    cap = board.rulebook_of(request.app.state.settings).quarterly_cap
    return appealing.accept(db, appeal_id, reason=form["reason"], by=who.actor, now=now, amount=amount, total_cap=cap)


@router.post("/appeals/{appeal_id}/decision")
def decide(
    request: Request,
    appeal_id: int,
    decision: str = Form(...),
    reason: str = Form(""),
    correction: str = Form("void"),
    amount: str = Form(""),
    who: Principal = Depends(require("admin")),
) -> Response:
    """HR decides an open appeal from the page; a refused decision shows its reason on the page."""
    if store.appeal(request.app.state.db, appeal_id) is None:
        raise HTTPException(404, f"no appeal with id {appeal_id}")
    form = {"decision": decision, "reason": reason, "correction": correction, "amount": amount}
    try:
        record = _decide(request, who, appeal_id, form)
    except (AppealRefused, BadOverride) as exc:
        code = 400 if isinstance(exc, BadOverride) else 409
        return _page(request, who, error=f"#{appeal_id}: {exc}", code=code)
    tell(request, record)
    return RedirectResponse(f"/appeals?done={record.status}#appeal-{record.id}", status_code=303)
