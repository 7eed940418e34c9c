"""Reports and alerts: what the scheduler sends besides reminders and deadline notices.

:mod:`~engine.reporting.reports` builds the weekly report (operations team, Monday 08:00) and the monthly
report (management, the 5th) from the KPI library; :mod:`~engine.reporting.alerts` turns an evaluation's
results (stored findings and the warning-band values it hands over) into KPI warnings, deduction notices and
escalations. :func:`report_handlers` and :func:`alert_hook` are what :func:`perfrules.engine.scheduler.build_service`
registers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from perfrules.engine.notices.templating import NoticeSandbox
from perfrules.engine.periods import Period
from perfrules.engine.reporting.alerts import Alerts
from perfrules.engine.reporting.reports import Reports
from perfrules.engine.rulebook.rulebook import Rulebook
from perfrules.storage import Database

WEEKLY_REPORT = "weekly_report"
MONTHLY_REPORT = "monthly_report"


def report_handlers(
    db: Database, env: NoticeSandbox, rulebook: Callable[[], Rulebook], mail_from: str, zone: ZoneInfo
) -> dict[str, Callable[[Any, datetime], str]]:
    """Slot handlers of the ``weekly_report`` and ``monthly_report`` kinds."""
    reports = Reports(db, env, rulebook, mail_from, zone)
    return {WEEKLY_REPORT: reports.weekly, MONTHLY_REPORT: reports.monthly}


def alert_hook(
    db: Database, env: NoticeSandbox, rulebook: Callable[[], Rulebook], mail_from: str, zone: ZoneInfo
) -> Callable[[Iterable[Period], datetime, Iterable[Mapping[str, Any]]], str]:
    """What to run after an evaluation of some months: their KPI warnings (stored breaches and the
    evaluation's warning-band rows), deductions and escalations."""
    return Alerts(db, env, rulebook, mail_from, zone).after_evaluation


__all__ = ["Alerts", "Reports", "alert_hook", "report_handlers"]
