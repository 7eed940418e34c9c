"""``perfrules demo-data`` and ``perfrules demo``: the seeded demo company, as files or as a ready database."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import click
from perfrules.engine.cli.context import AppContext, pass_app
from perfrules.engine.cli.params import DAY
from perfrules.engine.cli.progress import meter
from perfrules.engine.demo import SIZES, DemoSize, custom_size, generate
from perfrules.engine.demo.loading import import_generated
from perfrules.engine.demo.run import DemoRun, run_demo
from perfrules.storage import connect

DEMO_DATABASE = "sqlite:///demo.db"


def _size_options(func):
    func = click.option(
        "--months", type=click.IntRange(1, 120), hidden=True, help="Months of history (tests; default 24)."
    )(func)
    func = click.option("--skus", type=click.IntRange(1), hidden=True, help="Number of SKUs (tests).")(func)
    return click.option(
        "--size",
        type=click.Choice(sorted(SIZES)),
        default="small",
        show_default=True,
        help="small ≈2k SKUs/200k movements; medium 100k/10M; large 1M/50M (benchmarks).",
    )(func)


def _resolve_size(size: str, skus: int | None, months: int | None) -> DemoSize:
    if skus is None and months is None:
        return SIZES[size]
    return custom_size(skus or SIZES[size].skus, months or SIZES[size].months)


def _default_end(app: AppContext) -> date:
    """The last day of the previous month, by the company clock."""
    return app.now().date().replace(day=1) - timedelta(days=1)


@click.command("demo-data")
@_size_options
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed; same seed, same files.")
@click.option("--end", "end", type=DAY, help="Last day of history [last month's end].")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the export files here and stop (default: a temporary folder, imported at once).",
)
@pass_app
def demo_data(
    app: AppContext, size: str, skus: int | None, months: int | None, seed: int, end: date | None, output: Path | None
) -> None:
    """Generate the seeded demo company's export files (and import them unless --output is given)."""
    chosen = _resolve_size(size, skus, months)
    last = end or _default_end(app)
    if output is not None:
        _generate(chosen, seed, last, output)
        return
    with tempfile.TemporaryDirectory(prefix="perfrules-demo-") as folder:
        report = _generate(chosen, seed, last, Path(folder))
        database = app.database()
        for s in import_generated(database, report, app.settings, app.now()):
            click.echo(f"  imported {s.kind:16} {s.rows:>10,}")
        click.echo(f"imported into {database.display_url}")


def _generate(size: DemoSize, seed: int, end: date, folder: Path):
    with meter(f"demo company {size.name}", size.skus, "SKUs") as advance:
        report = generate(folder, size, seed, end, on_progress=advance)
    click.echo(f"demo company {size.name}, seed {seed}: {report.window.start} to {report.window.end}, in {folder}")
    for kind, path in report.files:
        click.echo(f"  {path.name:20} {report.rows[kind]:>11,} rows")
    click.echo(f"{report.total_rows:,} rows in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)")
    return report


@click.command("demo")
@_size_options
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--database-url",
    "database_url",
    default=DEMO_DATABASE,
    show_default=True,
    help="Where to build the demo company (a SQLite file is recreated each time).",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for the exports and everything the main job produces.",
)
@pass_app
def demo(
    app: AppContext, size: str, skus: int | None, months: int | None, seed: int, database_url: str, output_dir: Path
) -> None:
    """Build the demo company in a fresh database and run the main job on it."""
    _remove_sqlite_file(database_url)
    settings = app.settings.replace(database_url=database_url)
    database = connect(database_url, upgrade=True)
    try:
        now = app.now()
        run_demo(
            DemoRun(
                database=database,
                settings=settings,
                output=output_dir,
                now=now,
                size=_resolve_size(size, skus, months),
                seed=seed,
                end=_default_end(app),
                echo=click.echo,
                meter=meter,
            )
        )
    finally:
        database.dispose()


def _remove_sqlite_file(url: str) -> None:
    """A fresh demo each time: drop the SQLite file and its WAL companions (other databases are reused)."""
    prefix = "sqlite:///"
    path = url[len(prefix) :].split("?", 1)[0] if url.startswith(prefix) else ""
    if not path or path == ":memory:":
        return
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
