"""Staff self-service (``/me``): my KPIs and deadlines, my bonus lines and findings each with its explanation,
my appeals (lodge, withdraw) and my contract clauses in force with the acknowledge button.

The signed-in person acts only on their own records here: every id a form sends is checked against the
person's own lines, findings and appeals by the same engine calls as the CLI and the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from perfrules.engine import acknowledgements
from perfrules.engine.contracts import build_contract, party_of
from perfrules.engine.errors import PerfRulesError
from perfrules.engine.evaluation import appeals as appealing
from perfrules.engine.evaluation.errors import AppealRefused
from perfrules.engine.evaluation.explain import Explained, FindingExplained, LineExplained, explain_items
from perfrules.engine.evaluation.pricing import REGULAR
from perfrules.engine.periods import Period
from perfrules.engine.web import board, data, params, stored
from perfrules.engine.web.appeals import tell
from perfrules.engine.web.auth import Principal, require
from perfrules.engine.web.pages import locale_of, render
from perfrules.storage import access
from perfrules.storage import appeals as appeal_store
from perfrules.storage.appeals import AppealRecord

router = APIRouter(include_in_schema=False)
DONE = ("acknowledged", "appealed", "withdrawn")  # the notices a redirect back to /me may show


@dataclass(frozen=True)
class Contestable:
    """A line or finding of mine as /me lists it: the explained item, its newest appeal, whether I may appeal."""

    subject: str  # line, finding
    item: LineExplained | FindingExplained
    appeal: AppealRecord | None
    may_appeal: bool


def _me(who: Principal) -> str:
    if who.employee_id is None:
        raise HTTPException(404, "this sign-in is not an employee: there is no page of your own")
    return who.employee_id


def _with_appeals(explained: Explained, mine: list[AppealRecord]) -> tuple[list[Contestable], list[Contestable]]:
    def newest(subject: str, subject_id: int) -> AppealRecord | None:
        return next((a for a in mine if a.subject == subject and a.subject_id == subject_id), None)

    lines = []
    for line in explained.lines:
        a = newest("line", line.id)
        open_ = a is not None and a.status == "open"
        ok = line.kind in REGULAR and line.status in appealing.CONTESTABLE and not open_
        lines.append(Contestable("line", line, a, ok))
    findings = []
    for f in explained.findings:
        a = newest("finding", f.id)
        findings.append(Contestable("finding", f, a, a is None or a.status != "open"))
    return lines, findings


def _period(request: Request, text: str | None) -> Period:
    return params.period(text) if text else board.last_month(request.app.state.clock())


def _page(
    request: Request, who: Principal, period: str | None = None, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    me = _me(who)
    db, settings = request.app.state.db, request.app.state.settings
    found = access.employees_of(db, [me])
    if not found:
        raise HTTPException(404, "no such employee")
    person, p, today = found[0], _period(request, period), request.app.state.clock().date()
    quarter = data.quarter_of(p)
    mine = appeal_store.appeals(db, employee_ids=frozenset({me}))
    lines, findings = _with_appeals(explain_items(db, me, params.quarter(quarter)), mine)
    rulebook = board.rulebook_of(settings)
    standing = acknowledgements.standings(db, rulebook, day=today, visible=frozenset({me}))
    contract = None
    if standing:
        contract = build_contract(
            rulebook,
            role=standing[0].role,
            locale=locale_of(request),
            day=today,
            party=party_of(db, me),
            env=request.app.state.views,
        )
    done = request.query_params.get("done")
    with stored.serving() as reading:  # the person's figures from the KPI value store (stale: marked)
        cells = board.kpi_table(
            db, settings, scope_kind="employee", scope=me, period=p, today=today, people_of=person.department
        )
    return render(
        request,
        "me",
        who,
        status_code=status,
        person=person,
        period=p,
        quarter=quarter,
        cells=cells,
        reading=reading,
        deadlines=board.deadlines(db, settings, now=request.app.state.clock(), visible=frozenset({me})),
        lines=lines,
        findings=findings,
        appeals=mine,
        standing=standing[0] if standing else None,
        contract=contract,
        done=done if done in DONE else None,
        error=error,
    )


@router.get("/me")
def me(request: Request, period: str | None = None, who: Principal = Depends(require("people"))) -> HTMLResponse:
    return _page(request, who, period)


def _back(done: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/me?done={done}#{anchor}", status_code=303)


@router.post("/me/acknowledge")
def acknowledge(request: Request, digest: str = Form(...), who: Principal = Depends(require("people"))) -> Response:
    """Acknowledge the clauses of my role in force (the digest the page showed; refused if the rules changed)."""
    me, now = _me(who), request.app.state.clock()
    rulebook = board.rulebook_of(request.app.state.settings)
    try:
        acknowledgements.acknowledge(
            request.app.state.db, rulebook, me, by=who.actor, now=now, day=now.date(), digest=digest
        )
    except PerfRulesError as exc:
        return _page(request, who, error=str(exc), status=409)
    return _back("acknowledged", "contract")


@router.post("/me/appeals")
def lodge(
    request: Request,
    subject: str = Form(...),
    subject_id: int = Form(...),
    reason: str = Form(""),
    who: Principal = Depends(require("people")),
) -> Response:
    """Appeal one of my bonus lines or findings (the reason is required)."""
    me = _me(who)
    try:
        record = appealing.lodge(
            request.app.state.db, me, subject, subject_id, reason=reason, by=who.actor, now=request.app.state.clock()
        )
    except AppealRefused as exc:
        return _page(request, who, error=str(exc), status=409)
    tell(request, record)
    return _back("appealed", f"appeal-{record.id}")


@router.post("/me/appeals/{appeal_id}/withdraw")
def withdraw(request: Request, appeal_id: int, who: Principal = Depends(require("people"))) -> Response:
    """Withdraw one of my open appeals."""
    me, db = _me(who), request.app.state.db
    record = appeal_store.appeal(db, appeal_id)
    if record is None or record.employee_id != me:
        raise HTTPException(404, f"you have no appeal #{appeal_id}")
    try:
        record = appealing.withdraw(db, appeal_id, by=who.actor, now=request.app.state.clock())
    except AppealRefused as exc:
        return _page(request, who, error=str(exc), status=409)
    tell(request, record)
    return _back("withdrawn", f"appeal-{record.id}")
