"""Large-company benchmark (``make bench-large``): the demo company at ``--size large`` (1M SKUs, 24 months,
about 50M movements) generated once, then imported into SQLite and into PostgreSQL, and on each database one
month evaluated, the KPI set computed (``--kpi-repeat`` times, 3 by default: its median is set beside DuckDB's
median, the first run's cold time is printed with the others), the company dashboard's figures drawn up cold
(the KPI value store's filler's work, which stores them) and the dashboard page's first view in a fresh server
(signed in, over HTTP).

Every step runs in a child process of its own (``bench/child.py``), so its peak RSS is its own; the table
prints wall time, CPU time, peak RSS and the load average around each step, the database's size on disk, and
the KPI set beside DuckDB scanning the same raw movements (loaded from the same CSV files into memory; the
load is not timed). Asserts nothing.

    make bench-large                                          # large, SQLite and PostgreSQL (1–2 hours here)
    .venv/bin/python bench/large.py --size 20000x24 --workdir /tmp/perfrules-large-try   # a quick try
    .venv/bin/python bench/large.py --reuse-data --databases postgresql     # files generated before, PG only
    .venv/bin/python bench/large.py --reuse-data --reuse-db --steps evaluate,dashboard   # time again

PostgreSQL: ``--database-url`` (default ``$PERFRULES_BENCH_DATABASE_URL`` or a database ``perfrules_bench_large``
on 127.0.0.1:5432, user postgres), dropped and created afresh unless ``--reuse-db``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import child

END = date(2026, 10, 31)
ZONE = "Asia/Shanghai"
TODAY = END + timedelta(days=25)  # the day the month is evaluated and looked at
NOW = datetime.combine(TODAY, datetime.min.time(), ZoneInfo(ZONE))
STEPS = ("import", "evaluate", "kpi set", "dashboard", "first view")
PG_URL = os.environ.get(
    "PERFRULES_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/perfrules_bench_large"
)


def size_of(name: str):
    from perfrules.engine.demo import SIZES, custom_size

    if name in SIZES:
        return SIZES[name]
    skus, months = name.split("x")
    return custom_size(int(skus), int(months))


def generate_step(size: str, data: Path) -> dict:
    from perfrules.engine.demo import generate

    report = generate(data, size_of(size), 1, END)
    return {"rows": report.total_rows}


def database_step(name: str, url: str, data: Path, repeat: int = 1) -> dict:
    """One step on one database (in a child process); the KPI set ``repeat`` times (its median and first run)."""
    from perfrules.engine.periods import month_of
    from perfrules.engine.settings import load_settings
    from perfrules.storage import connect

    settings = load_settings({"timezone": ZONE, "database_url": url})
    period = month_of(END)
    if name == "import":
        from perfrules.engine.demo.files import IMPORT_ORDER, file_name
        from perfrules.engine.importing import import_files

        db, now = connect(url, upgrade=True), datetime.now(UTC)
        rows = movements = 0
        for kind in IMPORT_ORDER:
            files = [data / file_name(kind)]
            loaded = sum(r.rows for r in import_files(db, kind, files, zone=settings.zone, now=now, user="bench"))
            rows += loaded
            movements += loaded if kind == "movements" else 0
        return {"rows": rows, "movements": movements}
    db = connect(url)
    if name == "evaluate":
        from perfrules.engine.evaluation.run import evaluate_months
        from perfrules.engine.rulebook.checker import load_rulebook

        rulebook = load_rulebook(settings.rules_path)
        [report] = evaluate_months(db, rulebook, [period], now=NOW, zone=settings.zone)
        return {"rows": len(report.observations), "what": f"{period.label}, run #{report.run_id}"}
    if name == "kpi set":
        from perfrules.engine.kpi.library import compute_all
        from perfrules.engine.kpi.slow_movers import slow_mover_list
        from perfrules.storage.kpi import reading

        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            values = compute_all(db, period, categories=True)
            with reading(db) as conn:
                listed = slow_mover_list(conn, END)
            times.append(time.perf_counter() - started)
        return {"rows": len(values) + len(listed.items), "set_runs": times}
    if name == "dashboard":
        from perfrules.engine.web.board import dashboard_figures

        with db.engine.begin() as conn:  # cold: drawn up from the facts, not read from the KPI value store
            conn.exec_driver_sql("DELETE FROM kpi_values")
        figures = dashboard_figures(db, settings, period, TODAY)
        return {"rows": len(figures.cells)}
    if name == "first view":
        import web

        web.hr_user(db)
        server, base = web.serve(settings, now=NOW)
        try:
            seconds, response = web.timed_get(web.signed_in(base), f"/dashboard?period={period.label}")
        finally:
            web.stop(server)
        return {"view_seconds": seconds, "what": f"{len(response.content):,} bytes"}
    raise SystemExit(f"unknown step {name!r}")


def duckdb_step(data: Path) -> dict:
    """The three DuckDB queries of bench/kpi.py on the raw movements (load not counted; median of 3 each)."""
    import duckdb
    from kpi import DUCK_LOAD, DUCK_QUERIES, duck_params, median
    from perfrules.engine.periods import month_of

    duck = duckdb.connect()
    duck.execute(DUCK_LOAD.format(data=data))
    params = duck_params(month_of(END))
    total = sum(median(lambda q=q: duck.execute(q.format(**params)).fetchall(), 3) for q in DUCK_QUERIES.values())
    return {"query_seconds": total}


def size_on_disk(database: str, url: str, workdir: Path) -> float:
    """The database's size on disk in GB (SQLite: the file and its WAL; PostgreSQL: pg_database_size)."""
    if database == "sqlite":
        return sum(p.stat().st_size for p in workdir.glob("large.db*")) / 1e9
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    return size / 1e9


def fresh_postgres(url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database."""
    import sqlalchemy as sa

    target = sa.engine.make_url(url)
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="large", help="small, medium, large or SKUSxMONTHS [large]")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/perfrules-bench-large"))
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--database-url", default=PG_URL, help="the PostgreSQL database (dropped and created)")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"which of {', '.join(STEPS)}")
    parser.add_argument("--reuse-data", action="store_true", help="take the export files generated before")
    parser.add_argument("--reuse-db", action="store_true", help="take the databases imported before")
    parser.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB comparison")
    parser.add_argument("--kpi-repeat", type=int, default=3, help="KPI set runs, median compared [3]")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "generate":
            child.measured(lambda: generate_step(rest[0], Path(rest[1])))
        elif kind == "duckdb":
            child.measured(lambda: duckdb_step(Path(rest[0])))
        else:
            child.measured(lambda: database_step(kind, rest[0], Path(rest[1]), *map(int, rest[2:])))
        return

    data = args.workdir / "data"
    args.workdir.mkdir(parents=True, exist_ok=True)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    urls = {"sqlite": f"sqlite:///{args.workdir / 'large.db'}", "postgresql": args.database_url}
    print(f"perfrules large-company benchmark, {args.size}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}")
    rows: list[tuple[str, str, dict]] = []

    def show(database: str, step: str, done: dict) -> None:
        rows.append((database, step, done))
        print(
            f"  {database:<10} {step:<10} {done['seconds']:8.1f} s  cpu {done['cpu']:8.1f} s  "
            f"{done['rss_mib']:7.0f} MiB  load {done['load']}",
            flush=True,
        )

    if not (args.reuse_data and (data / "movements.csv").exists()):
        show("files", "demo-data", child.run(sys.executable, __file__, "--child", "generate", args.size, str(data)))
    disk: dict[str, float] = {}
    for database in databases:
        url = urls[database]
        if "import" in steps and not args.reuse_db:
            if database == "sqlite":
                for old in args.workdir.glob("large.db*"):
                    old.unlink()
            else:
                fresh_postgres(url)
        for step in steps:
            extra = [str(args.kpi_repeat)] if step == "kpi set" else []
            show(database, step, child.run(sys.executable, __file__, "--child", step, url, str(data), *extra))
        disk[database] = size_on_disk(database, url, args.workdir)
    duck = None
    if "kpi set" in steps and not args.no_duckdb:
        duck = child.run(sys.executable, __file__, "--child", "duckdb", str(data))

    print()
    print(f"{'database':<10} {'step':<10} {'wall s':>9} {'cpu s':>9} {'peak MiB':>9}  {'load (1/5/15 min)':<26} note")
    for database, step, done in rows:
        note = ""
        if step == "import" and done.get("rows"):
            note = (
                f"{done['rows']:,} rows ({done['movements']:,} movements) of every kind, "
                f"{done['rows'] / done['seconds']:,.0f} rows/s end to end, rollup included"
            )
        elif step == "demo-data":
            note = f"{done['rows']:,} rows"
        elif step == "kpi set":
            runs, median = done["set_runs"], statistics.median(done["set_runs"])
            note = f"median of {len(runs)}: {median:.2f} s (runs {', '.join(f'{t:.2f}' for t in runs)} s)"
            if duck:
                note += f", {median / duck['query_seconds']:.2f}× DuckDB ({duck['query_seconds']:.2f} s)"
        elif step == "evaluate":
            note = done.get("what", "")
        elif step == "first view":
            stored = "; read from the store the dashboard step filled" if "dashboard" in steps else ""
            note = f"GET /dashboard: {done['view_seconds'] * 1000:,.0f} ms ({done['what']}{stored})"
        print(
            f"{database:<10} {step:<10} {done['seconds']:>9.1f} {done['cpu']:>9.1f} {done['rss_mib']:>9.0f}  "
            f"{done['load']:<26} {note}"
        )
    for database, gigabytes in disk.items():
        print(f"{database:<10} {'on disk':<10} {gigabytes:>9.1f} GB")
    if duck:
        print(f"{'duckdb':<10} {'3 queries':<10} {duck['query_seconds']:>9.2f}    (peak {duck['rss_mib']:.0f} MiB)")


if __name__ == "__main__":
    main()
