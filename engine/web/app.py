"""The web application: dashboard pages, the HTTP API (with its OpenAPI document) and static files.

``create_app(settings)`` returns the ASGI app; ``perfrules web`` serves it alone with uvicorn and
``perfrules serve`` mounts it next to the scheduler. The app reads the clock only through
``app.state.clock`` (tests pass their own).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from perfrules.engine import __version__
from perfrules.engine.settings import Settings
from perfrules.engine.web import api, appeals, health, pages, rules, rules_api, security
from perfrules.engine.web.auth import NotSignedIn
from perfrules.storage import Database, connect

STATIC_DIR = Path(__file__).resolve().parent / "static"


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
    )  # no CDN UI
    app.state.settings = settings
    app.state.db = db if db is not None else connect(settings.database_url, upgrade=False)
    app.state.clock = clock or (lambda: datetime.now(settings.zone))
    app.state.views = pages.make_views(settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(appeals.router)
    app.include_router(rules_api.router)
    app.include_router(rules.router)
    app.include_router(pages.router)
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
            return JSONResponse({"detail": named}, status_code=400)
        return await request_validation_exception_handler(request, exc)

    return app
