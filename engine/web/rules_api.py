"""The rule editor's HTTP API (HR only): the rule files in force and their versions, the JSON Schema and
the words a rule may use (for completion), the check of a draft as you type (the same checker as
``perfrules check``), previews of a draft (clauses, diff, HR tests, what-if: nothing written) and the
four-eyes steps of :mod:`perfrules.engine.rulebook.publishing` (draft, submit, approve, reject, withdraw,
publish, rollback). The pages of :mod:`.rules` call the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from perfrules.engine.kpi.catalog import CATALOG
from perfrules.engine.reporting.rule_preview import MAX_MONTHS, DraftPreview, as_dict, preview_draft
from perfrules.engine.rulebook import holidays, publishing
from perfrules.engine.rulebook.checker import RulebookInvalid, rule_files
from perfrules.engine.rulebook.draft_check import check_draft
from perfrules.engine.rulebook.schema import rules_schema
from perfrules.engine.vocabulary import DELIVERABLES, DEPARTMENTS, ROLES
from perfrules.engine.web.auth import Principal, require
from perfrules.engine.web.board import rulebook_of
from perfrules.storage import drafts as store
from pydantic import BaseModel, ConfigDict, Field

router = APIRouter(prefix="/api/v1/rules", tags=["perfrules"])
STEPS = ("submit", "approve", "reject", "withdraw", "publish", "rollback")
MAX_TEXT = 512 * 1024  # a rule file is a few kB; the checker's own limits guard nesting and aliases


class DraftText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str = Field(description="the rule file's name in the rules folder, e.g. purchasing.yaml")
    text: str = Field(max_length=MAX_TEXT, description="the whole file as it would read")


class PreviewIn(DraftText):
    months: int = Field(default=0, ge=0, le=MAX_MONTHS, description="what-if over this many past months (0: none)")


class DraftIn(DraftText):
    note: str = Field(default="", max_length=2000, description="what the change is for (shown to the reviewer)")


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=2000, description="a note kept with the step (needed to reject)")


@dataclass(frozen=True)
class RuleFileInForce:
    """One file of the rules folder with the rule versions it holds, as the running service reads them."""

    file: str
    sha256: str
    rules: tuple[tuple[str, int, date, date | None, bool], ...]  # id, version, from, to, in force today


def editable_files(rules_dir: Path) -> list[str]:
    """The files HR may edit here: the rule files and the holiday calendar (names inside the folder)."""
    names = [p.name for p in rule_files(rules_dir) if p.parent == rules_dir]
    if (rules_dir / holidays.CALENDAR_FILE).exists():
        names.append(holidays.CALENDAR_FILE)
    return sorted(names)


def known_file(request: Request, file: str) -> Path:
    """The path of ``file`` in the rules folder; 404 unless it is one of :func:`editable_files`."""
    rules_dir = request.app.state.settings.rules_path
    if file not in editable_files(rules_dir):
        raise HTTPException(404, f"no rule file {file!r} in the rules folder")
    return rules_dir / file


@dataclass(frozen=True)
class InForce:
    """The rulebook the running app reads from ``rules_dir`` (``digest`` None and ``problems`` when the folder
    does not check: someone edited it by hand; the editor still opens every file to fix it)."""

    digest: str | None
    files: list[RuleFileInForce]
    problems: tuple[str, ...] = ()


def in_force(request: Request) -> InForce:
    """The running app's rulebook digest and its files (re-read when a file changed: hot reload)."""
    settings = request.app.state.settings
    today = request.app.state.clock().date()
    try:
        rulebook = rulebook_of(settings)
    except RulebookInvalid as exc:
        files = [RuleFileInForce(name, "", ()) for name in editable_files(settings.rules_path)]
        return InForce(None, files, tuple(str(p) for p in exc.problems))
    by_file: dict[str, list[Any]] = {}
    shas: dict[str, str] = {}
    for s in rulebook.rules:
        name = Path(s.ref.file).name
        shas[name] = s.ref.sha256
        by_file.setdefault(name, []).append(
            (s.rule.id, s.rule.version, s.rule.effective_from, s.rule.effective_to, s.rule.in_force(today))
        )
    files = [
        RuleFileInForce(name, shas.get(name, ""), tuple(by_file.get(name, ())))
        for name in editable_files(settings.rules_path)
    ]
    return InForce(rulebook.digest, files)


def preview(request: Request, file: str, text: str, months: int) -> DraftPreview:
    known_file(request, file)
    app = request.app
    return preview_draft(app.state.db, app.state.settings, file, text, now=app.state.clock(), months=months)


def take_step(request: Request, who: Principal, draft_id: int, step: str, note: str) -> store.DraftRecord:
    """One four-eyes step by the signed-in HR user; :class:`publishing.DraftRefused` says why not."""
    db, rules_dir, now = request.app.state.db, request.app.state.settings.rules_path, request.app.state.clock()
    match step:
        case "submit":
            return publishing.submit(db, draft_id, by=who.name, now=now)
        case "approve":
            return publishing.approve(db, rules_dir, draft_id, by=who.name, now=now, note=note)
        case "reject":
            return publishing.reject(db, draft_id, by=who.name, now=now, note=note)
        case "withdraw":
            return publishing.withdraw(db, draft_id, by=who.name, now=now)
        case "publish":
            return publishing.publish(db, rules_dir, draft_id, by=who.name, now=now)
        case "rollback":
            return publishing.rollback(db, rules_dir, draft_id, author=who.name, now=now)[0]
    raise AssertionError(step)


def draft_dict(d: store.DraftRecord, *, content: bool = False) -> dict[str, Any]:
    out = {
        "id": d.id,
        "file": d.file,
        "status": d.status,
        "note": d.note,
        "author": d.author,
        "created_at": d.created_at.isoformat(),
        "submitted_at": d.submitted_at.isoformat() if d.submitted_at else None,
        "reviewer": d.reviewer,
        "reviewed_at": d.reviewed_at.isoformat() if d.reviewed_at else None,
        "review_note": d.review_note,
        "published_by": d.published_by,
        "published_at": d.published_at.isoformat() if d.published_at else None,
        "rulebook_digest": d.rulebook_digest or None,
    }
    if content:
        out |= {"content": d.content, "base_content": d.base_content}
    return out


def refused(exc: publishing.DraftRefused) -> HTTPException:
    status = 404 if exc.reason.startswith("no draft with id") else 409
    return HTTPException(status, {"reason": exc.reason, "problems": [str(p) for p in exc.problems]})


# --- routes ------------------------------------------------------------------------------------------------


@router.get("")
def rules_in_force(request: Request, who: Principal = Depends(require("rules"))) -> dict[str, Any]:
    """The rulebook the service enforces now: its digest and each file's rule versions and dates."""
    found = in_force(request)
    return {
        "digest": found.digest,
        "problems": list(found.problems),
        "files": [
            {"file": f.file, "sha256": f.sha256,
             "rules": [{"id": i, "version": v, "effective_from": a.isoformat(),
                        "effective_to": b.isoformat() if b else None, "in_force": now} for i, v, a, b, now in f.rules]}
            for f in found.files
        ],
    }  # fmt: skip


@router.get("/schema")
def schema(who: Principal = Depends(require("rules"))) -> dict[str, Any]:
    """The JSON Schema of rule files (as ``perfrules rules schema``)."""
    return rules_schema()


@router.get("/vocabulary")
def vocabulary(who: Principal = Depends(require("rules"))) -> dict[str, Any]:
    """The words a rule may name: KPI ids (with their names), roles, departments and deliverables."""
    return {
        "kpis": [{"id": k.id, "name_en": k.name_en, "name_zh": k.name_zh, "unit": k.unit.value} for k in CATALOG],
        "roles": list(ROLES),
        "departments": list(DEPARTMENTS),
        "deliverables": list(DELIVERABLES),
    }


@router.get("/files/{file}")
def file_text(request: Request, file: str, who: Principal = Depends(require("rules"))) -> dict[str, str]:
    """One rule file as it is in the rules folder."""
    return {"file": file, "text": known_file(request, file).read_text(encoding="utf-8")}


@router.post("/check")
def check(request: Request, body: DraftText, who: Principal = Depends(require("rules"))) -> dict[str, Any]:
    """Check the rules folder with ``file`` replaced by ``text`` (nothing written): every error and warning
    with its file, line and column, as ``perfrules check`` reports them."""
    rules_dir = known_file(request, body.file).parent
    found = check_draft(rules_dir, body.file, body.text, now=request.app.state.clock())
    return {"ok": not any(d.severity == "error" for d in found), "diagnostics": [d.as_dict() for d in found]}


@router.post("/preview")
def preview_api(request: Request, body: PreviewIn, who: Principal = Depends(require("rules"))) -> dict[str, Any]:
    """What the draft would do: the check, the changes in words, clauses (zh-CN, en), the HR rule tests and,
    with ``months``, the what-if per person and quarter. Nothing is written."""
    return as_dict(preview(request, body.file, body.text, body.months))


@router.get("/drafts")
def list_drafts(
    request: Request, status: str | None = None, who: Principal = Depends(require("rules"))
) -> list[dict[str, Any]]:
    """Rule drafts, newest first (``status``: draft, submitted, approved, published, rejected, withdrawn)."""
    if status is not None and status not in store.STATUSES:
        raise HTTPException(400, f"status: {status!r} is not one of {', '.join(store.STATUSES)}")
    return [draft_dict(d) for d in store.drafts(request.app.state.db, status=status)]


@router.post("/drafts", status_code=201)
def save_draft(request: Request, body: DraftIn, who: Principal = Depends(require("rules"))) -> dict[str, Any]:
    """Save a draft of ``file`` by the signed-in user (refused, with every problem, if it does not check)."""
    app = request.app
    try:
        record, seen = publishing.draft(
            app.state.db, app.state.settings.rules_path, body.file, body.text,
            author=who.name, now=app.state.clock(), note=body.note,
        )  # fmt: skip
    except publishing.DraftRefused as exc:
        raise refused(exc) from None
    return draft_dict(record) | {"changes": list(seen.changes)}


@router.get("/drafts/{draft_id}")
def get_draft(request: Request, draft_id: int, who: Principal = Depends(require("rules"))) -> dict[str, Any]:
    found = store.draft(request.app.state.db, draft_id)
    if found is None:
        raise HTTPException(404, f"no draft with id {draft_id}")
    return draft_dict(found, content=True)


def _step_route(step: str) -> None:
    def take(
        request: Request, draft_id: int, body: StepIn | None = None, who: Principal = Depends(require("rules"))
    ) -> dict[str, Any]:
        try:
            record = take_step(request, who, draft_id, step, body.note if body else "")
        except publishing.DraftRefused as exc:
            raise refused(exc) from None
        return draft_dict(record)

    take.__doc__ = STEP_HELP[step]
    router.add_api_route(f"/drafts/{{draft_id}}/{step}", take, methods=["POST"], name=f"rules_{step}")


STEP_HELP = {
    "submit": "Ask a second HR user to review the draft.",
    "approve": "Approve a submitted draft (not your own); it still has to be published.",
    "reject": "Reject a submitted draft, with a note saying why.",
    "withdraw": "Withdraw a draft that is not published.",
    "publish": "Write an approved draft into the rules folder atomically; the service reloads it.",
    "rollback": "Draft the file of a published draft back to what it was (reviewed like any draft).",
}
for _step in STEPS:
    _step_route(_step)
