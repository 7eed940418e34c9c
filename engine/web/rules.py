"""The rule editor's pages (HR only): ``/rules`` (the files in force with their versions, and the drafts),
``/rules/edit`` (a file in the CodeMirror editor, checked as you type through the API of :mod:`.rules_api`),
``/rules/drafts/{id}`` (the review page: what the draft would do, and the four-eyes step its state allows).
Forms post with the page's CSRF field; a refused step is shown on the page, never as an error page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from perfrules.engine.rulebook import publishing
from perfrules.engine.web import rules_api
from perfrules.engine.web.auth import Principal, require
from perfrules.engine.web.pages import render
from perfrules.engine.web.rules_api import MAX_TEXT, PreviewIn, known_file, preview, take_step
from perfrules.storage import drafts as store

router = APIRouter(include_in_schema=False)
PREVIEWED = ("draft", "submitted", "approved")  # states whose draft is compared with the folder as it is
DEFAULT_MONTHS = 3


@router.get("/rules")
def index(request: Request, who: Principal = Depends(require("rules"))) -> HTMLResponse:
    found = rules_api.in_force(request)
    drafts = store.drafts(request.app.state.db)
    return render(request, "rules", who, book=found, drafts=drafts, today=_today(request))


@router.get("/rules/edit")
def edit(
    request: Request, file: str, draft: int | None = None, who: Principal = Depends(require("rules"))
) -> HTMLResponse:
    path = known_file(request, file)
    text = path.read_text(encoding="utf-8")
    if draft is not None:
        found = store.draft(request.app.state.db, draft)
        if found is None or found.file != file:
            raise HTTPException(404, f"no draft #{draft} of {file}")
        text = found.content
    return render(request, "rules_edit", who, file=file, text=text, note="", refusal=None, months=DEFAULT_MONTHS)


@router.post("/rules/drafts")
def save(
    request: Request,
    file: str = Form(...),
    text: str = Form(..., max_length=MAX_TEXT),
    note: str = Form("", max_length=2000),
    who: Principal = Depends(require("rules")),
) -> Response:
    known_file(request, file)
    app = request.app
    try:
        record, _ = publishing.draft(
            app.state.db, app.state.settings.rules_path, file, text, author=who.name, now=app.state.clock(), note=note
        )
    except publishing.DraftRefused as exc:
        return render(
            request, "rules_edit", who, status_code=409, file=file, text=text, note=note, refusal=exc,
            months=DEFAULT_MONTHS,
        )  # fmt: skip
    return RedirectResponse(f"/rules/drafts/{record.id}", status_code=303)


@router.post("/rules/preview")
def preview_fragment(request: Request, body: PreviewIn, who: Principal = Depends(require("rules"))) -> HTMLResponse:
    """The preview panel of the editor (an HTML fragment the editor's script puts on the page)."""
    seen = preview(request, body.file, body.text, body.months)
    return render(request, "rules_preview", who, seen=seen)


@router.get("/rules/drafts/{draft_id}")
def review(
    request: Request, draft_id: int, months: int = DEFAULT_MONTHS, who: Principal = Depends(require("rules"))
) -> HTMLResponse:
    return _review(request, who, draft_id, months=months)


@router.post("/rules/drafts/{draft_id}/{step}")
def step(
    request: Request,
    draft_id: int,
    step: str,
    note: str = Form("", max_length=2000),
    who: Principal = Depends(require("rules")),
) -> Response:
    if step not in rules_api.STEPS:
        raise HTTPException(404, f"no step {step!r}: one of {', '.join(rules_api.STEPS)}")
    try:
        record = take_step(request, who, draft_id, step, note)
    except publishing.DraftRefused as exc:
        if exc.reason.startswith("no draft with id"):
            raise HTTPException(404, exc.reason) from None
        return _review(request, who, draft_id, months=DEFAULT_MONTHS, refusal=exc, status_code=409)
    return RedirectResponse(f"/rules/drafts/{record.id}?done={step}", status_code=303)


def _review(
    request: Request,
    who: Principal,
    draft_id: int,
    *,
    months: int,
    refusal: publishing.DraftRefused | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = store.draft(request.app.state.db, draft_id)
    if found is None:
        raise HTTPException(404, f"no draft with id {draft_id}")
    months = min(max(months, 0), rules_api.MAX_MONTHS)
    seen = preview(request, found.file, found.content, months) if found.status in PREVIEWED else None
    done = request.query_params.get("done")
    return render(
        request, "rules_draft", who, status_code=status_code, d=found, seen=seen, months=months, refusal=refusal,
        done=done if done in rules_api.STEPS else None, unified=publishing.unified_diff(found),
    )  # fmt: skip


def _today(request: Request):
    return request.app.state.clock().date()
