"""Errors of the evaluation layer (runs, corrections, close, export)."""

from __future__ import annotations

from perfrules.engine.errors import PerfRulesError


class UnknownAdjustment(PerfRulesError, LookupError):
    """Raised by ``perfrules adjustments void|override`` for an id that names no adjustment."""

    def __init__(self, adjustment_id: int):
        super().__init__(f"no adjustment with id {adjustment_id}")
        self.adjustment_id = adjustment_id


class QuarterStateError(PerfRulesError, ValueError):
    """Raised by close/reopen when the quarter is not in the state the command needs."""

    def __init__(self, quarter: str, reason: str):
        super().__init__(f"{quarter}: {reason}")
        self.quarter = quarter
        self.reason = reason


class BadOverride(PerfRulesError, ValueError):
    """Raised by ``perfrules adjustments override`` without exactly one of --amount / --share."""

    def __init__(self, reason: str):
        super().__init__(f"override: {reason}")
        self.reason = reason


class AppealRefused(PerfRulesError, ValueError):
    """Raised by ``perfrules appeals …`` (and the API) for an appeal that cannot be filed or decided as asked:
    an unknown or foreign subject, a second open appeal on it, a decision on an appeal already decided."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
