"""Accelerated replay: a past period run through the service's calendar, runner, actions and delivery,
with the clock moved by hand from one slot time to the next, and every e-mail left as an .eml file.

The replay is the service minus its wake-up loop: the same :class:`~engine.scheduler.service.Service`
calendar, the same claims in the slots table (so a replay is idempotent, and ``serve`` afterwards does not
repeat it), the same notices; the outbox is delivered one minute after each slot time, as the minute job
would. Used by ``perfrules schedule replay`` and the demo (:func:`demo_step`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from perfrules.engine.notices.delivery import EmlTransport
from perfrules.engine.scheduler.build import build_service
from perfrules.engine.scheduler.refresh import PlanMemo
from perfrules.engine.scheduler.service import ManualScheduler
from perfrules.storage import Database
from perfrules.storage.outbox import list_messages, remembered_people


@dataclass
class ReplayReport:
    """What a replay did: slot runs by kind and status, and the e-mails it left."""

    runs: Counter[tuple[str, str]] = field(default_factory=Counter)
    emails: list[Path] = field(default_factory=list)
    locales: Counter[str] = field(default_factory=Counter)


def replay(
    settings: Any,
    db: Database,
    start: datetime,
    end: datetime,
    folder: Path,
    echo: Callable[[str], None] = lambda _: None,
) -> ReplayReport:
    """Run every slot in ``[start, end)`` at its own time, deliver to ``folder``; returns what happened."""
    transport = EmlTransport(folder)
    service = build_service(settings, db, scheduler=ManualScheduler(), transport_factory=lambda: transport)
    report = ReplayReport()
    # the calendar of the window is expanded once (per rulebook version), not once per slot time
    service.runner.planner = PlanMemo(service.plan, service.rulebook.version, start, end)
    times = sorted({slot.at for slot in service.runner.planner(start, end)})
    service.runner.horizon(start)  # a fresh database starts its catch-up horizon at the replay's start
    with remembered_people():  # nothing imports people during a replay: each person is read once
        for at in times:
            for outcome in service.runner.run_due(at):
                report.runs[(outcome.slot.kind, outcome.status)] += 1
                if outcome.slot.kind != "kpi_refresh":
                    echo(f"  {at.astimezone(service.zone):%Y-%m-%d %a %H:%M}  {outcome.slot.key}: {outcome.detail}")
            service.deliver(at + timedelta(minutes=1))
    sent = [m for m in list_messages(db, statuses=["sent"], limit=100_000)]
    report.emails = sorted(transport.path_for(m) for m in sent)
    report.locales = Counter(m.locale for m in sent)
    return report


def demo_step(run: Any) -> None:
    """Replay the last quarter through the scheduler; leave its e-mails in <output>/emails."""
    from perfrules.engine.periods import quarter_of

    quarter = quarter_of(run.end).previous() if run.end.month % 3 else quarter_of(run.end)
    start, end = quarter.bounds(run.settings.zone)
    folder = run.output / "emails"
    report = replay(run.settings, run.database, start, end, folder)  # per-slot lines: perfrules schedule replay
    done = sum(n for (_, status), n in report.runs.items() if status == "done")
    by_kind = Counter()
    for (kind, _status), n in report.runs.items():
        by_kind[kind] += n
    run.echo("  " + ", ".join(f"{n} {kind}" for kind, n in sorted(by_kind.items())))
    run.echo(
        f"  {quarter.label}: {done} runs, {len(report.emails)} e-mails "
        f"({', '.join(f'{n} {loc}' for loc, n in sorted(report.locales.items()))}) in {folder}"
    )
    run.results["replay"] = report
