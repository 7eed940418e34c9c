"""The exception hierarchy. Every error a user can act on derives from :class:`PerfRulesError`.

Exceptions carry structured fields and build their own message; the CLI turns them into
``click.ClickException`` at its boundary, so no traceback is shown for an expected error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(word: object, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the option closest to ``word``, or ``""``: the one did-you-mean of every
    message (rule files, HR tests, import columns, settings, options). Abbreviations count: 'qty' → 'quantity'."""
    text, choices = str(word), list(options)
    close = difflib.get_close_matches(text, choices, n=1, cutoff=0.5)
    if not close and len(text) > 1:
        close = [o for o in choices if o[:1] == text[:1] and _subsequence(text, o)][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _subsequence(short: str, long: str) -> bool:
    chars = iter(long)
    return all(c in chars for c in short)


class PerfRulesError(Exception):
    """Base class of every expected, user-actionable error raised by perfrules."""


class ConfigError(PerfRulesError, ValueError):
    """Raised by :mod:`perfrules.engine.settings` when a setting has an invalid value."""

    def __init__(self, name: str, value: object, reason: str):
        super().__init__(f"setting {name}={value!r}: {reason}")
        self.name = name
        self.value = value
        self.reason = reason


class UnknownEmployee(PerfRulesError, LookupError):
    """Raised by importers and the engine when a fact names an employee that is not on file."""

    def __init__(self, employee_id: str):
        super().__init__(f"no employee with id {employee_id!r}")
        self.employee_id = employee_id


class InvalidPeriod(PerfRulesError, ValueError):
    """Raised by :func:`perfrules.engine.periods.parse_period` for text that names no period."""

    def __init__(self, text: str, expected: str = "YYYY-MM, YYYY-Qn, YYYY, YYYY-Www or ttm:YYYY-MM"):
        super().__init__(f"{text!r} is not a period (expected {expected})")
        self.text = text
        self.expected = expected


class DatabaseUnreachable(PerfRulesError, RuntimeError):
    """Raised by :mod:`storage` when a database URL is malformed or its server cannot be reached."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"database {url}: {reason}")
        self.url = url
        self.reason = reason


class DatabaseNotReady(PerfRulesError, RuntimeError):
    """Raised by :mod:`storage` when the database schema is missing or older than this release."""

    def __init__(self, url: str, current: str | None, head: str):
        state = "has no perfrules schema" if current is None else f"is at schema revision {current}"
        super().__init__(f"database {url} {state}; this release needs {head}: run 'perfrules db upgrade'")
        self.url = url
        self.current = current
        self.head = head
