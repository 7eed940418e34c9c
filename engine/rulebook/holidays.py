"""``rules/calendar.yaml``: the official holidays HR enters per year, checked like a rule file.

Format (every key optional; a year listed here overrides/extends the chinesecalendar package for that year
and counts as known)::

    years:
      2027:
        holidays: [2027-01-01, 2027-10-01..2027-10-07]   # every day off, ranges inclusive
        workdays: [2027-09-26]                            # every 调休 weekend day that is worked

Also here: attaching the calendar to a rulebook's schedules, and the ``perfrules check`` warning for
deadlines of the next 12 months that fall in a year without official data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from perfrules.engine.errors import suggest
from perfrules.engine.periods import Period, PeriodKind, month_of
from perfrules.engine.rulebook.calendar import (
    FIXED_HOLIDAYS_TEXT,
    PACKAGE_YEARS,
    CalendarOutOfRange,
    OfficialYear,
    WorkCalendar,
    covered_periods,
    due_at,
    nominal_due_day,
)
from perfrules.engine.rulebook.loader import Document, Loc, Problem
from perfrules.engine.rulebook.model import Rule, Schedule

CALENDAR_FILE = "calendar.yaml"
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR = re.compile(r"^(19|20|21)\d{2}$")
_KINDS = ("holidays", "workdays")
WARNING_HORIZON = timedelta(days=365)


def _date(doc: Document, loc: Loc, value: Any, problems: list[Problem]) -> list[date]:
    """The days of one list item: a date or an inclusive range ``2027-10-01..2027-10-07``."""
    if isinstance(value, date):
        return [value]
    text = str(value)
    if isinstance(value, str) and ".." in text:
        first, _, last = (part.strip() for part in text.partition(".."))
        days = _date(doc, loc, first, problems), _date(doc, loc, last, problems)
        if not (days[0] and days[1]):
            return []
        if days[1][0] < days[0][0]:
            problems.append(doc.problem(loc, f"range {text!r} ends before it starts"))
            return []
        return [days[0][0] + timedelta(days=n) for n in range((days[1][0] - days[0][0]).days + 1)]
    if isinstance(value, str) and _ISO.match(text):
        try:
            return [date.fromisoformat(text)]
        except ValueError:
            problems.append(doc.problem(loc, f"{value!r} is not a date"))
            return []
    problems.append(
        doc.problem(loc, f"{value!r} is not a date (write YYYY-MM-DD, or YYYY-MM-DD..YYYY-MM-DD for a range)")
    )
    return []


def _map(doc: Document, loc: Loc, value: Any, what: str, problems: list[Problem]) -> dict[str, Any] | None:
    if value is None:
        return {}
    if not isinstance(value, dict):
        got = "a list" if isinstance(value, list) else repr(value)
        problems.append(doc.problem(loc, f"expected a map ({what}), got {got}"))
        return None
    return value


def _year(doc: Document, key: str, body: Any, problems: list[Problem]) -> OfficialYear | None:
    loc: Loc = ("years", key)
    if not _YEAR.match(key):
        problems.append(doc.problem(loc, f"{key!r} is not a year (write four digits, e.g. 2027)", key=True))
        return None
    year, before = int(key), len(problems)
    body = _map(doc, loc, body, "holidays: and workdays:", problems)
    if body is None:
        return None
    seen: dict[date, tuple[str, int]] = {}
    found: dict[str, set[date]] = {kind: set() for kind in _KINDS}
    for name in body:
        if name not in _KINDS:
            problems.append(doc.problem((*loc, name), f"unknown key {name!r}{suggest(name, _KINDS)}", key=True))
    for kind in _KINDS:
        items = body.get(kind) or []
        if not isinstance(items, list):
            got = items.isoformat() if isinstance(items, date) else repr(items)
            problems.append(doc.problem((*loc, kind), f"expected a list (lines starting with '- '), got {got}"))
            continue
        for i, item in enumerate(items):
            here = (*loc, kind, i)
            for day in _date(doc, here, item, problems):
                if day.year != year:
                    problems.append(doc.problem(here, f"{day.isoformat()} is not in {year}"))
                elif day in seen:
                    other_kind, other_line = seen[day]
                    what = "listed twice" if other_kind == kind else "listed as both a holiday and a workday"
                    problems.append(doc.problem(here, f"{day.isoformat()} is {what} (also on line {other_line})"))
                else:
                    seen[day] = (kind, doc.mark((*loc, kind, i))[0])
                    found[kind].add(day)
    if year not in PACKAGE_YEARS and not found["holidays"] and len(problems) == before:
        problems.append(
            doc.problem(
                loc,
                f"{year} lists no holidays: a year the chinesecalendar package does "
                "not know needs every day off of the State Council's schedule",
                key=True,
            )
        )
    return OfficialYear(year, frozenset(found["holidays"]), frozenset(found["workdays"]))


def check_calendar(doc: Document) -> tuple[WorkCalendar | None, list[Problem]]:
    """The calendar of a parsed ``calendar.yaml`` and every problem in it (calendar None when any)."""
    problems = list(doc.problems)
    if len(problems) == 1 and doc.data is None and problems[0].message.startswith("the file is empty"):
        return WorkCalendar(), []  # only comments: no years listed
    if problems:
        return None, problems
    top = _map(doc, (), doc.data, "with 'years:' at the top", problems)
    if top is None:
        return None, problems
    for name in top:
        if name != "years":
            problems.append(doc.problem((name,), f"unknown key {name!r}{suggest(name, ['years'])}", key=True))
    years = _map(doc, ("years",), top.get("years"), "year: {holidays: …, workdays: …}", problems) or {}
    entries = [_year(doc, str(key), body, problems) for key, body in years.items()]
    if problems:
        return None, problems
    return WorkCalendar(tuple(sorted((e for e in entries if e is not None), key=lambda e: e.year))), []


def describe(calendar: WorkCalendar | None) -> str:
    """The SUCCESS line of ``perfrules check`` (``calendar`` None: there is no calendar.yaml)."""
    package = f"the chinesecalendar package covers {PACKAGE_YEARS[0]}–{PACKAGE_YEARS[-1]}"
    if calendar is None:
        return f"no calendar file ({package})"
    if not calendar.years:
        return f"no years listed ({package})"
    return f"holidays for {', '.join(str(y.year) for y in calendar.years)} ({package})"


def schedules_of(rule: Rule) -> Iterable[Schedule]:
    if rule.deadline is not None:
        yield rule.deadline
    if rule.threshold is not None and rule.threshold.by is not None:
        yield rule.threshold.by


def attach(rules: Iterable[Rule], calendar: WorkCalendar) -> None:
    """Give every schedule of freshly checked ``rules`` the rulebook's calendar (see ``Schedule.work_calendar``)."""
    for rule in rules:
        for schedule in schedules_of(rule):
            schedule._work_calendar = calendar  # a private attribute: frozen fields stay untouched


def unknown_year_warnings(rules: Iterable[Rule], now: datetime) -> list[str]:
    """One warning per year without official data in which a due date of the next 12 months falls."""
    today = now.date()
    window = Period(month_of(today).shift(-2).start, month_of(today + WARNING_HORIZON).shift(1).end, PeriodKind.MONTH)
    hits: dict[int, list[tuple[date, str, str]]] = {}
    for rule in rules:
        for schedule in schedules_of(rule):
            if schedule.calendar == "weekends" or schedule.business_days == "none":
                continue
            strict = schedule.model_copy(update={"calendar": "cn"})  # keeps the attached calendar
            for covered in covered_periods(schedule, window):
                nominal = nominal_due_day(schedule, covered)
                if nominal is None or not today <= nominal <= today + WARNING_HORIZON:
                    continue
                if not rule.in_force(nominal):
                    continue
                try:
                    due_at(strict, covered)
                except CalendarOutOfRange as exc:
                    hits.setdefault(exc.day.year, []).append((nominal, rule.id, schedule.calendar))
    return [_warning(year, sorted(found)) for year, found in sorted(hits.items())]


def _warning(year: int, found: list[tuple[date, str, str]]) -> str:
    first_day, first_rule, _ = found[0]
    rules = sorted({rule_id for _, rule_id, _ in found})
    policies = {calendar for _, _, calendar in found}
    until = []
    if "cn" in policies:
        until.append(
            "deadlines with calendar: cn are skipped by the scheduler (it logs an error; calendar: "
            f"cn_provisional would schedule them counting only weekends and {FIXED_HOLIDAYS_TEXT} "
            "as days off)"
        )
    if "cn_provisional" in policies:
        until.append(
            f"deadlines with calendar: cn_provisional count only weekends and {FIXED_HOLIDAYS_TEXT} as days off"
        )
    return (
        f"no official holiday data for {year}, but {len(rules)} rule(s) have due dates in it within 12 "
        f"months (first: {first_rule} on {first_day.isoformat()}). When the State Council publishes the "
        f"{year} holiday schedule, add it to rules/calendar.yaml under 'years: {year}:' with 'holidays:' "
        f"(every day off) and 'workdays:' (every 调休 weekend working day). Until then " + "; ".join(until) + "."
    )
