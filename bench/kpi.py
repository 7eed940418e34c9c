"""KPI benchmark: the whole monthly KPI set on the fact store beside DuckDB on the same movements.

Builds the demo company (``perfrules.engine.demo``: generate the export files, import them with the real importer,
which keeps the per-SKU rollup up to date), then times, for the last month of history:

- rollup: a full rebuild of ``sku_months`` from every movement (what ``perfrules kpi --rebuild`` does);
- kpi set: every KPI of the catalogue at company scope, turnover per ABC class, XYZ class, segment and
  category, and the slow-mover list (``perfrules.engine.kpi``, set-wise SQL on the rollup);
- duckdb: the slow-mover list, category turnover and obsolete ratio computed by DuckDB from the raw
  movements (loaded from the same CSV files into an in-memory table; the load is not timed).

Prints the times (median of ``--repeat`` runs), their ratio and the peak memory. Asserts nothing.

    .venv/bin/python bench/kpi.py --size medium            # 100k SKUs, 10M movements (slow to build)
    .venv/bin/python bench/kpi.py --skus 5000 --months 24  # smaller
    .venv/bin/python bench/kpi.py --size medium --reuse    # time again on the database built before
    .venv/bin/python bench/kpi.py --size medium --reuse --keep-rollup  # … without rebuilding the rollup
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
from perfrules.engine.demo import SIZES, custom_size, generate
from perfrules.engine.demo.loading import import_generated
from perfrules.engine.kpi.library import compute_all
from perfrules.engine.kpi.slow_movers import slow_mover_list
from perfrules.engine.periods import add_months, month_of
from perfrules.engine.settings import load_settings
from perfrules.storage import connect
from perfrules.storage.kpi import reading
from perfrules.storage.models import DemandLine
from perfrules.storage.rollup import FACT_INDEXES, SkuMonth, refresh

DUCK_LOAD = """
CREATE TABLE skus AS SELECT sku, category, CAST(unit_cost AS DOUBLE) AS unit_cost
  FROM read_csv('{data}/skus.csv', header = true, all_varchar = true);
CREATE TABLE mv AS SELECT sku, kind, CAST(CAST(moved_at AS TIMESTAMP) AS DATE) AS day,
  CASE WHEN kind IN ('sale', 'issue', 'supplier_return') THEN -CAST(quantity AS BIGINT)
       ELSE CAST(quantity AS BIGINT) END AS q, CAST(unit_cost AS DOUBLE) AS unit_cost
  FROM read_csv('{data}/movements.csv', header = true, all_varchar = true);
"""
DUCK_STATE = """
WITH st AS (
  SELECT sku, SUM(q) AS qty, SUM(CASE WHEN day < DATE '{start}' THEN q ELSE 0 END) AS open_qty,
    SUM(CASE WHEN kind IN ('sale', 'issue') AND day >= DATE '{start}' THEN -q * unit_cost ELSE 0 END) AS out_cost,
    MAX(CASE WHEN kind = 'sale' THEN day END) AS last_sale, MAX(CASE WHEN kind IN ('sale', 'issue') THEN day END)
    AS last_out, MIN(day) AS first_day
  FROM mv WHERE day <= DATE '{end}' GROUP BY sku)
"""
DUCK_QUERIES = {
    "slow-mover list": DUCK_STATE
    + """
SELECT st.sku, st.qty, st.qty * s.unit_cost AS value, st.last_sale FROM st JOIN skus s USING (sku)
WHERE st.qty > 0 AND COALESCE(st.last_sale, st.first_day) < DATE '{slow_cut}' ORDER BY value DESC""",
    "category turnover": DUCK_STATE
    + """
SELECT s.category, SUM(st.out_cost) * 365.0 / {days} / NULLIF((SUM(CASE WHEN st.open_qty > 0 THEN st.open_qty
  * s.unit_cost ELSE 0 END) + SUM(CASE WHEN st.qty > 0 THEN st.qty * s.unit_cost ELSE 0 END)) / 2, 0)
FROM st JOIN skus s USING (sku) GROUP BY s.category""",
    "obsolete ratio": DUCK_STATE
    + """
SELECT SUM(CASE WHEN st.qty > 0 AND COALESCE(st.last_out, st.first_day) <= DATE '{obsolete_cut}'
  THEN st.qty * s.unit_cost ELSE 0 END) / SUM(CASE WHEN st.qty > 0 THEN st.qty * s.unit_cost ELSE 0 END)
FROM st JOIN skus s USING (sku)""",
}


def build(workdir: Path, args: argparse.Namespace) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
    data = workdir / "data"
    size = custom_size(args.skus, args.months) if args.skus or args.months else SIZES[args.size]
    if args.skus or args.months:
        size = custom_size(args.skus or SIZES[args.size].skus, args.months or SIZES[args.size].months)
    started = time.perf_counter()
    report = generate(data, size, args.seed, args.end)
    print(f"generate   {time.perf_counter() - started:8.1f} s  ({size.skus:,} SKUs, {size.months} months)")
    started = time.perf_counter()
    db = connect(f"sqlite:///{workdir / 'kpi.db'}", upgrade=True)
    settings = load_settings({"timezone": "Asia/Shanghai"})
    summaries = import_generated(db, report, settings, datetime.now(UTC))
    rows = {s.kind: s.rows for s in summaries}
    print(
        f"import     {time.perf_counter() - started:8.1f} s  ({rows.get('movements', 0):,} movements, "
        "incl. the importer's rollup refresh)"
    )
    db.dispose()


def duck_params(period) -> dict:
    """The values the DuckDB queries are formatted with, for the month ``period``."""
    start, end = period.start, period.last_day
    return {
        "start": start,
        "end": end,
        "days": (end - start).days + 1,
        "slow_cut": end - timedelta(days=90),
        "obsolete_cut": add_months(end, -12),
    }


def median(function, repeat: int) -> float:
    """The median time of ``repeat`` calls (the machine is shared: single runs vary with its load)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--skus", type=int, help="custom number of SKUs")
    parser.add_argument("--months", type=int, help="custom months of history")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 10, 31), help="last day of history")
    parser.add_argument("--workdir", type=Path, help="where the data and database live [/tmp/perfrules-bench-kpi-…]")
    parser.add_argument("--reuse", action="store_true", help="reuse the database built by an earlier run")
    parser.add_argument("--keep-rollup", action="store_true", help="with --reuse: do not rebuild the rollup")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    label = f"{args.skus}x{args.months}" if args.skus or args.months else args.size
    workdir = args.workdir or Path(f"/tmp/perfrules-bench-kpi-{label}")
    reuse = args.reuse and (workdir / "kpi.db").exists()
    if not reuse:
        build(workdir, args)
    db = connect(f"sqlite:///{workdir / 'kpi.db'}")
    period = month_of(args.end)
    end = period.last_day

    with db.engine.begin() as conn:  # a database built by an older layout may lack them
        for index in (*FACT_INDEXES, *DemandLine.__table__.indexes):
            index.create(conn, checkfirst=True)
    if not (reuse and args.keep_rollup):
        started = time.perf_counter()
        with db.engine.begin() as conn:  # derived data: recreated, so a reused database gets today's layout
            SkuMonth.__table__.drop(conn, checkfirst=True)
            SkuMonth.__table__.create(conn)
            refresh(conn)
        print(f"rollup     {time.perf_counter() - started:8.2f} s  (full rebuild of sku_months)")

    def kpi_set() -> None:
        values = compute_all(db, period, categories=True)
        with reading(db) as conn:
            listed = slow_mover_list(conn, end)
        kpi_set.summary = f"{len(values)} KPI values, {len(listed.items):,} slow movers"  # type: ignore[attr-defined]

    sqlite_time = median(kpi_set, args.repeat)
    print(f"kpi set    {sqlite_time:8.2f} s  SQLite ({kpi_set.summary}, period {period.label})")  # type: ignore
    print(f"peak RSS   {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:8.0f} MiB  (before DuckDB)")

    duck = duckdb.connect()
    started = time.perf_counter()
    duck.execute(DUCK_LOAD.format(data=workdir / "data"))
    print(f"duckdb load{time.perf_counter() - started:8.2f} s  (not counted)")
    params = duck_params(period)
    duck_total = 0.0
    for name, query in DUCK_QUERIES.items():
        seconds = median(lambda q=query: duck.execute(q.format(**params)).fetchall(), args.repeat)
        duck_total += seconds
        print(f"  duckdb {name:<18} {seconds:6.2f} s")
    print(f"duckdb     {duck_total:8.2f} s  (the three queries)")
    print(f"ratio      {sqlite_time / duck_total:8.2f}  SQLite KPI set ÷ DuckDB three queries (target ≤ 2)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS   {peak:8.0f} MiB")


if __name__ == "__main__":
    main()
