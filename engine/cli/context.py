"""Shared state of one CLI invocation: resolved settings, the database, and the error boundary."""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import click
from perfrules.engine import logs
from perfrules.engine.errors import PerfRulesError
from perfrules.engine.settings import Settings, load_settings, open_database
from perfrules.storage import Database

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    """Lazily resolved settings and database for the commands of one invocation."""

    cli_overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None
    _db: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.cli_overrides)
        return self._settings

    def database(self, *, upgrade: bool = True) -> Database:
        """The fact store; by default its schema is created or upgraded first (idempotent)."""
        if self._db is None:
            self._db = open_database(self.settings, upgrade=upgrade)
        return self._db

    def now(self) -> datetime:
        """The one place the CLI reads the clock: an aware datetime in the company zone."""
        return datetime.now(self.settings.zone)


def pass_app(func: F) -> F:
    """Decorator: pass the :class:`AppContext` first and turn domain errors into CLI errors (exit 1)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        app = click.get_current_context().find_object(AppContext)
        if app is None:  # invoked outside the perfrules group (tests calling a sub-command directly)
            app = AppContext()
        try:
            # a command prints its own summary: its log lines show from warning up unless log_level is set
            settings = app.settings
            explicit = settings.sources.get("log_level", "default") != "default"
            logs.setup(settings.log_level if explicit else "warning", settings.log_format)
            return func(app, *args, **kwargs)
        except PerfRulesError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def who(by: str | None) -> str:
    """The person a command acts for: ``--by`` when given, else the login name (``unknown`` in a container
    without one) — what corrections, appeals and drafts record as their author."""
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
