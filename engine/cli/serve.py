"""``perfrules serve`` (the scheduler service) and ``perfrules schedule list`` (what runs when)."""

from __future__ import annotations

import signal
import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path

import click
from perfrules.engine import logs
from perfrules.engine.cli.context import AppContext, pass_app
from perfrules.engine.cli.params import DAY
from perfrules.engine.scheduler.build import build_service
from perfrules.engine.scheduler.calendar import occurrences, slots_between
from perfrules.engine.scheduler.leadership import leadership_for
from perfrules.engine.scheduler.loop import serve as serve_loop
from perfrules.engine.scheduler.replay import replay
from perfrules.engine.scheduler.rules import FolderRules
from perfrules.storage.schedule import get_slot, list_slots


def _web_server():
    """The web server module, imported only by ``serve`` itself (the schedule commands need none of it)."""
    from perfrules.engine.web import server

    return server


@click.command("serve")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning"]),
    default=None,
    help="Least important log lines shown (default: setting log_level, info).",
)
@click.option("--web/--no-web", default=True, show_default=True, help="Also serve the dashboard and HTTP API.")
@click.option("--host", metavar="ADDR", help="Dashboard address (default: setting listen_host, 127.0.0.1).")
@click.option("--port", type=int, metavar="PORT", help="Dashboard port (default: setting listen_port, 8000).")
@pass_app
def serve(app: AppContext, log_level: str | None, web: bool, host: str | None, port: int | None) -> None:
    """Run the service: scheduler (reminders, checks, reports, evaluation, e-mail) and the dashboard."""
    logs.setup(log_level or app.settings.log_level, app.settings.log_format)
    db = app.database()
    FolderRules(app.settings.rules_path)  # refuse to start on a broken rule folder, before taking the lock
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop_web = (
        _web_server().start(app.settings, db, host or app.settings.listen_host, port or app.settings.listen_port)
        if web
        else (lambda: None)
    )
    try:
        serve_loop(lambda: build_service(app.settings, db), leadership_for(db), stop)
    finally:
        stop_web()


@click.group("schedule")
def schedule() -> None:
    """Show the service's schedule."""


@schedule.command("list")
@click.option("--days", default=14, show_default=True, help="How far ahead to look.")
@click.option("--history", is_flag=True, help="Show the runs of the past --days instead, with their outcome.")
@click.option("--all", "show_all", is_flag=True, help="Include the daily KPI refresh.")
@pass_app
def list_(app: AppContext, days: int, history: bool, show_all: bool) -> None:
    """List the upcoming runs (or past runs with --history), in the company's time zone."""
    db = app.database()
    now, zone = app.now(), app.settings.zone
    if history:
        for rec in list_slots(db, since=now - timedelta(days=days)):
            if show_all or rec.key.kind != "kpi_refresh":
                at = rec.scheduled_at.astimezone(zone).isoformat(timespec="minutes")
                late = " (caught up)" if rec.caught_up else ""
                click.echo(f"{at}  {rec.status:8} {rec.key}{late}: {rec.detail or ''}")
        return
    rules = FolderRules(app.settings.rules_path)
    click.echo("every minute      outbox delivery")
    for slot in slots_between(rules.rules(), occurrences, now, now + timedelta(days=days), zone):
        if slot.kind == "kpi_refresh" and not show_all:
            continue
        done = get_slot(db, slot.key)
        state = f"  [{done.status}]" if done else ""
        click.echo(f"{slot.at.astimezone(zone):%Y-%m-%d %a %H:%M}  {slot.key}{state}")


@schedule.command("replay")
@click.option("--from", "start", required=True, type=DAY, help="First day replayed.")
@click.option("--to", "end", required=True, type=DAY, help="Day after the last one.")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("replay-emails"),
    show_default=True,
    help="Folder for the .eml files of every e-mail sent.",
)
@pass_app
def replay_(app: AppContext, start: date, end: date, output: Path) -> None:
    """Replay a past period through the schedule in accelerated time; e-mails go to .eml files."""
    zone = app.settings.zone
    first, stop = (datetime.combine(day, time(), zone) for day in (start, end))
    report = replay(app.settings, app.database(), first, stop, output, click.echo)
    runs = ", ".join(f"{n} {kind} {status}" for (kind, status), n in sorted(report.runs.items()))
    click.echo(f"{runs}\n{len(report.emails)} e-mail(s) in {output}")
