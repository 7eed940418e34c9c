"""The typed option values of every command: months, quarters, periods, days, moments and amounts.

A malformed value is a usage error (exit status 2) that names the option and the expected form, never a
traceback. Commands receive parsed values (:class:`~perfrules.engine.periods.Period`, ``date``, ``datetime``,
``Decimal``); a moment without an offset is in the company time zone (:func:`localise`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

import click
from perfrules.engine.errors import PerfRulesError
from perfrules.engine.periods import Period, PeriodKind, parse_period
from perfrules.engine.rulebook.model import parse_duration


class PeriodType(click.ParamType):
    """A period label (``2026-09``, ``2026Q3``, ``2026``, ``ttm:2026-09`` …), optionally of one kind only."""

    def __init__(self, kind: PeriodKind | None, metavar: str, what: str):
        self.kind, self.metavar, self.name = kind, metavar, what

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return self.metavar

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Period:
        if isinstance(value, Period):
            return value
        try:
            period = parse_period(str(value).strip())
        except PerfRulesError:
            self.fail(f"{value!r} is not a {self.name} ({self.metavar})", param, ctx)
        if self.kind is not None and period.kind is not self.kind:
            self.fail(f"{value!r} is not a {self.name} ({self.metavar})", param, ctx)
        return period


class DayType(click.ParamType):
    """A calendar day, ``YYYY-MM-DD``."""

    name = "day"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a day (YYYY-MM-DD)", param, ctx)


class MomentType(click.ParamType):
    """A moment, ISO 8601 (``2026-10-08T18:00``, ``2026-10-08 18:00+08:00``, or a day: its start)."""

    name = "moment"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "ISO"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a moment (ISO 8601, e.g. 2026-10-08T18:00+08:00)", param, ctx)


class AmountType(click.ParamType):
    """A signed number; with ``%`` a share (``-5%`` = ``-0.05``)."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        text = str(value).strip()
        try:
            number = Decimal(text.removesuffix("%"))
        except InvalidOperation:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not number.is_finite():
            self.fail(f"{value!r} is not a number", param, ctx)
        return number / 100 if text.endswith("%") else number


class DurationType(click.ParamType):
    """A length of time as rule files write it: ``90d``, ``12h``, ``30m``, ``2w``."""

    name = "duration"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            found = parse_duration(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a duration (write e.g. 90d, 12h or 2w)", param, ctx)
        if found <= timedelta(0):
            self.fail(f"{value!r} must be longer than nothing", param, ctx)
        return found


MONTH = PeriodType(PeriodKind.MONTH, "YYYY-MM", "month")
QUARTER = PeriodType(PeriodKind.QUARTER, "YYYYQn", "quarter")
PERIOD = PeriodType(None, "PERIOD", "period")
DAY = DayType()
MOMENT = MomentType()
AMOUNT = AmountType()
DURATION = DurationType()


def localise(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` as an aware datetime: without an offset it is read in ``zone`` (the company's)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
