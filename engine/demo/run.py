"""The main job of ``perfrules demo`` / ``make demo``: a sequence of steps run on the demo database.

Each step is a function taking the :class:`DemoRun` context; add a step by adding one line to
:data:`STEPS` (e.g. the KPI table, evaluation, payroll export, e-mails). Steps share what they produce
through the context (``report``, ``imported``, and ``results`` for anything else).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from perfrules.engine.demo.accounts import create_demo_users
from perfrules.engine.demo.evaluation import evaluate_quarter
from perfrules.engine.demo.generator import DemoSize, GenerationReport, generate
from perfrules.engine.demo.loading import ImportSummary, import_generated
from perfrules.engine.scheduler.replay import demo_step as replay_quarter
from perfrules.engine.settings import Settings
from perfrules.storage import Database


@dataclass
class DemoRun:
    """What every step gets: the database, settings, the output folder, ``now``, and earlier steps' results."""

    database: Database
    settings: Settings
    output: Path
    now: datetime
    size: DemoSize
    seed: int
    end: date
    echo: Callable[[str], None] = print
    # progress of the long steps: meter(description, total, unit) → a context giving advance(n) (the CLI's bar)
    meter: Callable[[str, int | None, str], AbstractContextManager[Callable[[int], None]]] = lambda *_: nullcontext(
        lambda _n: None
    )
    report: GenerationReport | None = None
    imported: list[ImportSummary] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)


Step = Callable[[DemoRun], None]


def generate_exports(run: DemoRun) -> None:
    """Generate the demo company's export files."""
    with run.meter("generate", run.size.skus, "SKUs") as advance:
        run.report = generate(run.output / "exports", run.size, run.seed, run.end, on_progress=advance)
    r = run.report
    run.echo(
        f"  {r.total_rows:,} rows in {len(r.rows)} files under {r.folder} "
        f"({r.seconds:.1f} s, {r.rows_per_second:,.0f} rows/s)"
    )


def import_exports(run: DemoRun) -> None:
    """Import the export files into the demo database (one transaction per file)."""
    assert run.report is not None, "generate_exports must run first"
    run.imported = import_generated(run.database, run.report, run.settings, run.now)
    run.echo(f"  {sum(s.rows for s in run.imported):,} rows imported into {run.database.display_url}")


def print_summary(run: DemoRun) -> None:
    """Summarise what the demo company holds."""
    assert run.report is not None
    window = run.report.window
    run.echo(f"  company: {run.report.size.skus:,} SKUs, {window.start} to {window.end} (seed {run.seed})")
    for s in run.imported:
        run.echo(f"  {s.kind:16} {s.rows:>10,}")


def where_to_look(run: DemoRun) -> None:
    """Where to look: the e-mails, the payroll export and the dashboard."""
    evaluated = run.results.get("evaluation", {})
    payroll = run.output / "payroll"
    emails = run.output / "emails"
    run.echo(f"  e-mails    {emails}/  (.eml files: open one in any mail client, or read it as text)")
    if evaluated:
        run.echo(f"  payroll    {payroll}/payroll-{evaluated['quarter']}.csv and .xlsx  (a spreadsheet)")
    run.echo(
        f"  dashboard  perfrules --database-url {run.database.display_url} serve, then "
        f"http://{run.settings.listen_host}:{run.settings.listen_port}/ (user hr, password demo)"
    )


STEPS: list[Step] = [
    generate_exports,
    import_exports,
    print_summary,
    evaluate_quarter,
    replay_quarter,
    create_demo_users,
    where_to_look,
]


def run_demo(run: DemoRun, steps: list[Step] | None = None) -> None:
    """Run the steps in order, announcing each by the first line of its docstring."""
    for step in STEPS if steps is None else steps:
        run.echo(f"==> {(step.__doc__ or step.__name__).strip().splitlines()[0]}")
        step(run)
