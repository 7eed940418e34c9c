"""The one logging setup of every command and the service.

Log records go to stderr: readable lines on a terminal (rich), plain ``time level logger: message key=value``
lines in a pipe, or JSON lines (``log_format = "json"``) for a log shipper. The context of a record travels
in ``extra`` under the names of :data:`FIELDS` (``log.info("…", extra={"run_id": 7, "period": "2026-09"})``)
and appears as JSON keys or ``key=value`` pairs. Logs carry ids and counts, never names, amounts or e-mail
addresses of people.
"""

from __future__ import annotations

import logging
import sys
from typing import IO

from pythonjsonlogger.json import JsonFormatter
from rich.console import Console
from rich.logging import RichHandler

FIELDS = ("run_id", "period", "rule_id", "employee_id", "outbox_key", "kind", "rows", "slot", "status", "address")
FORMATS = ("auto", "text", "json")
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER = "perfrules"  # the name of the handler this module installs (replaced, never stacked)


class TextFormatter(logging.Formatter):
    """``time level logger: message`` followed by the record's context fields as ``key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{k}={getattr(record, k)}" for k in FIELDS if getattr(record, k, None) is not None)
        return f"{line} {context}" if context else line


class _RichText(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(f"{k}={getattr(record, k)}" for k in FIELDS if getattr(record, k, None) is not None)
        message = record.getMessage()
        return f"{message} [dim]{context}[/dim]" if context else message


def setup(level: str = "info", fmt: str = "auto", stream: IO[str] | None = None) -> logging.Handler:
    """Route the ``perfrules`` loggers (and APScheduler's warnings) to ``stream`` (stderr) in ``fmt``:
    ``auto`` (rich on a terminal, text otherwise), ``text`` or ``json``. Calling it again replaces the handler."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
    stream = stream or sys.stderr
    if fmt == "json":
        handler: logging.Handler = logging.StreamHandler(stream)
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"})
        )
    elif fmt == "auto" and stream.isatty():
        handler = RichHandler(console=Console(file=stream), show_path=False, markup=True, rich_tracebacks=False)
        handler.setFormatter(_RichText())
    else:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(TextFormatter(_TEXT))
    handler.set_name(_HANDLER)
    root = logging.getLogger("perfrules")
    for old in [h for h in root.handlers if h.get_name() == _HANDLER]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    scheduler = logging.getLogger("apscheduler")
    scheduler.setLevel(logging.DEBUG if level == "debug" else logging.WARNING)
    if not any(h.get_name() == _HANDLER for h in scheduler.handlers):
        scheduler.addHandler(handler)
    return handler
