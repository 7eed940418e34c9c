"""``perfrules kpi-store``: fill, list and prune the KPI value store the dashboard pages read."""

from __future__ import annotations

import time

import click
from perfrules.engine.cli.context import AppContext, pass_app
from perfrules.engine.cli.params import PERIOD
from perfrules.engine.periods import Period
from perfrules.engine.web import board, warming
from perfrules.storage import access
from perfrules.storage import kpi_store as store


@click.group("kpi-store")
def kpi_store_group() -> None:
    """Fill, list and prune the KPI figure sets the dashboard pages read (kept per facts generation)."""


kpi_store = kpi_store_group  # the name COMMANDS registers (``kpi-store``)


@kpi_store_group.command("refresh")
@click.option("--period", type=PERIOD, help="The month to fill (default: the last complete month, as pages show).")
@click.option(
    "--page",
    "pages",
    multiple=True,
    type=click.Choice(warming.PAGES),
    help="Only these pages (repeatable; default: all, company first).",
)
@pass_app
def refresh(app: AppContext, period: Period | None, pages: tuple[str, ...]) -> None:
    """Compute and store every page's figures of a month that are not stored at the current facts generation."""
    now = app.now()
    period = period or board.last_month(now)
    click.echo(f"Filling the KPI value store for {period.label}")
    started = time.monotonic()
    count = 0

    def progress(job: warming.Job, seconds: float) -> None:
        nonlocal count
        count += 1
        click.echo(f"  {job.page:10s} {job.scope:28s} {seconds:7.2f} s")

    warming.fill(app.database(), app.settings, period, now.date(), pages=pages or warming.PAGES, progress=progress)
    click.echo(f"  SUCCESS: {count} pages' figures current ({time.monotonic() - started:.1f} s)")


@kpi_store_group.command("list")
@click.option("--period", type=PERIOD, help="Only the sets of this period.")
@pass_app
def list_(app: AppContext, period: Period | None) -> None:
    """List the stored figure sets: what, period, facts generation (current or stale), size, when computed."""
    generations = access.fact_generations(app.database())
    sets = store.listing(app.database(), period=None if period is None else period.label)
    zone = app.settings.zone
    click.echo(f"{'period':8s} {'figures':28s} {'scope':30s} {'as of':10s} {'generation':>12s} {'bytes':>9s}  computed")
    for s in sets:
        state = "" if s.generation >= generations.until(s.key.period_end) else " stale"
        click.echo(
            f"{s.key.period:8s} {s.key.figures:28s} {s.key.scope_kind + ':' + s.key.scope:30s} "
            f"{s.key.as_of.isoformat():10s} {str(s.generation) + state:>12s} {s.size:9,d}  "
            f"{s.computed_at.astimezone(zone):%Y-%m-%d %H:%M:%S}"
        )
    click.echo(f"{len(sets)} sets, {sum(s.size for s in sets):,} bytes")


@kpi_store_group.command("prune")
@pass_app
def prune(app: AppContext) -> None:
    """Delete the sets no longer current (older facts generation, or another rulebook); pages compute them again."""
    generations = access.fact_generations(app.database())
    current = {end: generations.until(end) for end in store.period_ends(app.database())}
    digest = board.rulebook_of(app.settings).digest
    deleted = store.prune(app.database(), current=current, rulebook=digest)
    click.echo(f"pruned {deleted} sets no longer current")
