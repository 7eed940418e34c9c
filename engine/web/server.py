"""Serving the dashboard and API with uvicorn: in the foreground (``perfrules web``) or in a thread beside the
scheduler (``perfrules serve``). Both draw the dashboard up in the background after facts change."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI
from perfrules.engine.settings import Settings
from perfrules.engine.web.app import create_app
from perfrules.engine.web.warming import start_filler
from perfrules.storage import Database

log = logging.getLogger("perfrules.web")


def _config(settings: Settings, db: Database, host: str, port: int) -> tuple[uvicorn.Config, FastAPI]:
    asgi = create_app(settings, db=db)
    return uvicorn.Config(asgi, host=host, port=port, log_level="info", access_log=False), asgi


def run(settings: Settings, db: Database, host: str, port: int) -> None:
    """Serve until interrupted (uvicorn handles SIGINT/SIGTERM)."""
    config, asgi = _config(settings, db, host, port)
    stop_filling = start_filler(db, settings, asgi.state.clock)
    try:
        uvicorn.Server(config).run()
    finally:
        stop_filling()


def start(settings: Settings, db: Database, host: str, port: int) -> Callable[[], None]:
    """Serve in a daemon thread; the caller owns the signals. Returns the function that stops it."""
    config, asgi = _config(settings, db, host, port)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # the service owns SIGTERM/SIGINT
    thread = threading.Thread(target=server.run, name="perfrules-web", daemon=True)
    thread.start()
    log.info("dashboard and API on http://%s:%s/", host, port)
    stop_filling = start_filler(db, settings, asgi.state.clock)  # the pages' figures stored after facts change

    def stop() -> None:
        stop_filling()
        server.should_exit = True
        thread.join(timeout=10)

    return stop
