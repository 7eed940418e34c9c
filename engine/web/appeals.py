"""Appeals over HTTP: ``POST /api/v1/appeals`` (staff contest their own line or finding; HR may lodge for
someone), ``GET /api/v1/appeals`` (what the caller may see: their own, their team's, everyone's for HR) and
``POST /api/v1/appeals/{id}/decision`` (HR accepts — a correction — or rejects, with a reason). The same
engine calls as ``perfrules appeals``; an appeal never changes money by itself."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from perfrules.engine.evaluation import appeals as engine
from perfrules.engine.evaluation.errors import AppealRefused, BadOverride
from perfrules.engine.notices.templating import make_environment
from perfrules.engine.reporting.appeals import notify_appeal
from perfrules.engine.web.auth import Principal, require
from perfrules.engine.web.board import rulebook_of
from perfrules.storage import appeals as store
from pydantic import BaseModel, ConfigDict, Field

router = APIRouter(prefix="/api/v1", tags=["perfrules"])


def tell(request: Request, record: store.AppealRecord) -> None:
    """Queue the notices of the step (delivered by the service's outbox job)."""
    s = request.app.state.settings
    env = make_environment(s.template_overrides_dir or None)
    notify_appeal(request.app.state.db, env, record, now=request.app.state.clock(), mail_from=s.mail_from, zone=s.zone)


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: Literal["line", "finding"]
    id: int = Field(description="the bonus line's or the finding's id (as explain and the findings API show)")
    reason: str = Field(min_length=1, description="what happened and why the line or finding is wrong")
    employee: str | None = Field(default=None, description="whose appeal (HR lodging for someone; default: mine)")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["accept", "reject"]
    reason: str = Field(min_length=1, description="why (the correction's reason; the person is told)")
    amount: Decimal | None = Field(default=None, description="accept: override the one line to this signed CNY")
    share: Decimal | None = Field(default=None, description="accept: override the one line to this signed share")


@router.post("/appeals", status_code=201)
def lodge(request: Request, body: AppealIn, who: Principal = Depends(require("people"))) -> dict[str, Any]:
    """Lodge an appeal against one of one's own bonus lines or findings (HR: for the ``employee`` given)."""
    employee = body.employee or who.employee_id
    if employee is None:
        raise HTTPException(400, "employee: name whose appeal this is")
    if employee != who.employee_id and who.role != "hr":
        raise HTTPException(403, "you may appeal only your own lines and findings")
    try:
        record = engine.lodge(
            request.app.state.db,
            employee,
            body.subject,
            body.id,
            reason=body.reason,
            by=who.actor,
            now=request.app.state.clock(),
        )
    except AppealRefused as exc:
        raise HTTPException(409, str(exc)) from None
    tell(request, record)
    return record.as_dict()


@router.get("/appeals")
def list_appeals(
    request: Request, status: str | None = None, who: Principal = Depends(require("people"))
) -> list[dict[str, Any]]:
    """Appeals the caller may see, newest first; ``status``: open, accepted, rejected or withdrawn."""
    if status is not None and status not in store.STATUSES:
        raise HTTPException(400, f"status: {status!r} is not one of {', '.join(store.STATUSES)}")
    found = store.appeals(request.app.state.db, status=status, employee_ids=who.visible)
    return [a.as_dict() for a in found]


@router.post("/appeals/{appeal_id}/decision")
def decide(
    request: Request, appeal_id: int, body: DecisionIn, who: Principal = Depends(require("admin"))
) -> dict[str, Any]:
    """HR decides an open appeal: ``accept`` (void its lines, or override its one line to ``amount`` /
    ``share``) or ``reject``."""
    db, now = request.app.state.db, request.app.state.clock()
    try:
        if body.decision == "accept":
            cap = rulebook_of(request.app.state.settings).quarterly_cap
            record = engine.accept(
                db,
                appeal_id,
                reason=body.reason,
                by=who.actor,
                now=now,
                amount=body.amount,
                share=body.share,
                total_cap=cap,
            )
        else:
            record = engine.reject(db, appeal_id, reason=body.reason, by=who.actor, now=now)
    except (AppealRefused, BadOverride) as exc:
        status = 404 if str(exc).startswith("no appeal") else 409
        raise HTTPException(status, str(exc)) from None
    tell(request, record)
    return record.as_dict()
