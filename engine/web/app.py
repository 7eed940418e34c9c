"""The web application: dashboard pages, the HTTP API (with its OpenAPI document) and static files.

``create_app(settings)`` returns the ASGI app; ``perfrules web`` serves it alone with uvicorn and
``perfrules serve`` mounts it next to the scheduler. The app reads the clock only through
``app.state.clock`` (tests pass their own).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from perfrules.engine import __version__
from perfrules.engine.importing.pushes import PushQueue
from perfrules.engine.settings import Settings, open_database
from perfrules.engine.web import (
    acknowledgements,
    api,
    appeal_pages,
    appeals,
    health,
    pages,
    rules,
    rules_api,
    security,
    selfservice,
)
from perfrules.engine.web.auth import MACHINE_PATHS, NotSignedIn
from perfrules.storage import Database
from starlette.exceptions import HTTPException

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_TEMPLATES = ("dashboard", "department", "employee", "kpi", "me", "people", "login")
log = logging.getLogger("perfrules.web")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Before the server answers: the one-time costs of a process (the rulebook read, the KPI library
    imported, the page templates compiled), so the first viewer does not pay them."""
    await run_in_threadpool(_warm_up, app)
    yield


def _warm_up(app: FastAPI) -> None:
    from perfrules.engine.kpi import library  # noqa: F401  (numpy and the KPI SQL: imported on first use)
    from perfrules.engine.web import board

    try:
        board.rulebook_of(app.state.settings)
    except Exception:  # a broken rule folder: the pages report it as they would
        log.warning("could not read the rulebook at start-up", exc_info=True)
    for name in PAGE_TEMPLATES:
        app.state.views.get_template(f"web/{name}.html.j2")


def create_app(
    settings: Settings, *, db: Database | None = None, clock: Callable[[], datetime] | None = None
) -> FastAPI:
    """The ASGI app over ``settings``' database (or ``db``); ``clock`` returns the aware current time."""
    app = FastAPI(
        title="perfrules",
        version=__version__,
        description="Inventory-performance KPIs, deadlines and bonus rules: dashboard and API.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=_lifespan,
    )  # no CDN UI
    app.state.settings = settings
    app.state.db = db if db is not None else open_database(settings)
    app.state.clock = clock or (lambda: datetime.now(settings.zone))
    app.state.views = pages.make_views(settings)
    app.state.pushes = PushQueue(app.state.db, zone=settings.zone, clock=app.state.clock)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(appeals.router)
    app.include_router(acknowledgements.router)
    app.include_router(rules_api.router)
    app.include_router(rules.router)
    app.include_router(pages.router)
    app.include_router(selfservice.router)
    app.include_router(appeal_pages.router)
    app.include_router(acknowledgements.pages)
    app.include_router(health.router)
    health.install(app)
    security.install(app)

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn):
        if exc.api:
            return JSONResponse(
                {"detail": "not signed in: send 'Authorization: Bearer <token>'"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _bad_parameter(request: Request, exc: RequestValidationError):
        """A missing or malformed query or path parameter is a 400 naming it, like every other bad
        parameter (:mod:`perfrules.engine.web.params`); a bad request body keeps FastAPI's 422."""
        errors = exc.errors()
        if errors and all(e.get("loc", ("",))[0] in ("query", "path") for e in errors):
            named = "; ".join(f"{e['loc'][-1]}: {e['msg'].lower()}" for e in errors)
            if _wants_page(request):
                return pages.error_page(request, 400, named)
            return JSONResponse({"detail": named}, status_code=400)
        return await request_validation_exception_handler(request, exc)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        """A browser asking for a page gets the error as a page in its language; the API keeps JSON."""
        if _wants_page(request) and exc.status_code >= 400:
            return pages.error_page(request, exc.status_code, str(exc.detail))
        return await http_exception_handler(request, exc)

    return app


def _wants_page(request: Request) -> bool:
    """A browser's page request (not the API, not a probe, not a script asking for JSON)."""
    if request.url.path.startswith((*MACHINE_PATHS, "/static/", "/healthz", "/readyz")):
        return False
    return "text/html" in request.headers.get("accept", "")
