"""Where the KPI set's time goes: every SQL statement of the monthly KPI set (and the slow-mover list) on an
existing perfrules database, timed on its connection, longest first.

The KPI set reads on two connections at once (docs/kpis.md, *How it is computed*): "stock" is the caller's
connection (the stock profile and every KPI summed from it, the breakdowns, the slow-mover list), "facts" the
second one (``FACT_SIDE``: the other fact tables' KPIs). The wall time of a set is about the longer of the two
sides plus the Python around them. Times are each statement's median over ``--repeat`` sets; a statement's time
is its execute call (on SQLite up to its first row, which for a grouped or sorted query is nearly all of it).
Asserts nothing.

    .venv/bin/python bench/kpi_statements.py            # the small demo company bench/kpi.py built
    .venv/bin/python bench/kpi_statements.py sqlite:////tmp/perfrules-bench-kpi-medium/kpi.db
    .venv/bin/python bench/kpi_statements.py postgresql+psycopg://postgres@127.0.0.1:5432/perfrules_bench_large \\
        --period 2026-10 --top 20
"""

from __future__ import annotations

import argparse
import re
import statistics
import threading
import time
from collections import defaultdict
from pathlib import Path

from child import load, peak_rss_mib
from perfrules.engine.kpi.library import compute_all
from perfrules.engine.kpi.slow_movers import slow_mover_list
from perfrules.engine.periods import parse_period
from perfrules.storage import connect
from perfrules.storage.kpi import reading
from sqlalchemy import event, make_url

DEFAULT_URL = "sqlite:////tmp/perfrules-bench-kpi-small/kpi.db"  # what `bench/kpi.py` builds (make bench: before this)


def side() -> str:
    return "facts" if threading.current_thread().name.startswith("kpi-facts") else "stock"


def one_set(db, period) -> tuple[float, list[tuple[str, float, str]]]:
    """Compute the set once; its wall time and its statements as (side, seconds, SQL), in order per side."""
    statements: list[tuple[str, float, str]] = []
    lock = threading.Lock()

    def before(conn, _cursor, _statement, _parameters, _context, _many):
        conn.info.setdefault("started", []).append(time.perf_counter())

    def after(conn, _cursor, statement, _parameters, _context, _many):
        seconds = time.perf_counter() - conn.info["started"].pop()
        with lock:
            statements.append((side(), seconds, statement))

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        started = time.perf_counter()
        compute_all(db, period, categories=True)
        with reading(db) as conn:
            slow_mover_list(conn, period.last_day)
        return time.perf_counter() - started, statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)


def shorten(statement: str, width: int) -> str:
    text = re.sub(r"\s+", " ", statement).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default=DEFAULT_URL, help=f"the database (SQLAlchemy URL) [{DEFAULT_URL}]")
    parser.add_argument("--period", default="2026-10", help="the month [2026-10, the demo company's last]")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=15, help="how many statements to list")
    args = parser.parse_args()
    url = make_url(args.url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        raise SystemExit(f"no database at {url.database}: run bench/kpi.py first, or name one")
    db, period = connect(args.url), parse_period(args.period)
    print(f"KPI set statements, {period.label}, {db.display_url}; load {load()}")
    walls, runs = [], []
    for _ in range(args.repeat):
        wall, statements = one_set(db, period)
        walls.append(wall)
        runs.append(statements)
    per_statement: dict[tuple[str, int], list[float]] = defaultdict(list)
    texts: dict[tuple[str, int], str] = {}
    for statements in runs:
        seen: dict[str, int] = defaultdict(int)
        for name, seconds, statement in statements:
            key = (name, seen[name])
            seen[name] += 1
            per_statement[key].append(seconds)
            texts[key] = statement
    medians = {key: statistics.median(times) for key, times in per_statement.items()}
    for name in ("stock", "facts"):
        mine = [seconds for (owner, _), seconds in medians.items() if owner == name]
        print(f"{name:<6} {len(mine):4d} statements  {sum(mine):7.2f} s of SQL")
    print(
        f"set    wall {statistics.median(walls):7.2f} s (median of {args.repeat}: "
        f"{', '.join(f'{w:.2f}' for w in walls)}); peak RSS {peak_rss_mib():.0f} MiB; load {load()}"
    )
    print()
    for key, seconds in sorted(medians.items(), key=lambda item: -item[1])[: args.top]:
        print(f"{seconds:7.3f} s  {key[0]:<5}  {shorten(texts[key], 110)}")
    db.dispose()


if __name__ == "__main__":
    main()
