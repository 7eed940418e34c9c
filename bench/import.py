"""Import benchmark: movements per second end to end (rollup included) on SQLite and PostgreSQL, beside a
plain bulk load of the same file into a bare table on the same database.

Generates a movements CSV deterministically (numpy, fixed seed). Each repetition runs every step in a child
process of its own (so its peak RSS is its own), on a fresh database holding the same SKUs:

- import: ``perfrules.engine.importing.import_files`` on the file — read, decode, check every cell, key and
  reference, load (SQLite: ``executemany``; PostgreSQL: ``COPY``), record, refresh the monthly rollup — in one
  transaction;
- bare: the same file loaded into a table of text columns without keys or indexes, in one transaction
  (SQLite: ``csv.reader`` into ``executemany``; PostgreSQL: ``COPY … FROM STDIN (FORMAT csv)``): the physical
  limit of the database on this machine;
- schema: the same rows, cut by ``csv.reader`` and given their day, loaded into perfrules' own ``movements``
  table (its primary key, its foreign key to ``skus`` and two indexes, built after the load as the import
  into an empty table does) and nothing else — no checks, no rollup: what the table's keys and indexes alone
  cost on this database.

``--compare PYTHON`` runs the import also with another interpreter (e.g. another checkout's venv), alternating
with this one, so old and new code meet the same machine state. Prints medians, the ratio import ÷ bare, peak
RSS and the load average. Asserts nothing.

    .venv/bin/python bench/import.py --rows 5000000 --repeat 3
    .venv/bin/python bench/import.py --rows 500000 --databases sqlite --compare /tmp/base/.venv/bin/python
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import child
import numpy as np
import psycopg

ZONE = ZoneInfo("Asia/Shanghai")
KINDS = np.array(["receipt", "sale", "issue", "customer_return", "supplier_return", "adjustment"])
WEIGHTS = [0.15, 0.6, 0.1, 0.06, 0.04, 0.05]
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BARE = "CREATE TABLE bare (id TEXT, sku TEXT, kind TEXT, moved_at TEXT, quantity TEXT, unit_cost TEXT, ref TEXT)"
MOVEMENT_COLUMNS = "id, sku, kind, moved_at, day, quantity, unit_cost, ref"
BLOCK = 1_000_000  # movements formatted and written at a time


def generate(folder: Path, rows: int, skus: int, seed: int = 20260901) -> Path:
    """Write skus.csv and movements.csv into ``folder``; the same arguments give the same bytes."""
    rng = np.random.default_rng(seed)
    cost = np.round(rng.uniform(1, 500, skus), 2)
    (folder / "skus.csv").write_text(
        "sku,name,category,unit_cost,price\n"
        + "".join(f"S{j:06d},Item {j},cat{j % 40},{cost[j]:.2f},{cost[j] * 2:.2f}\n" for j in range(skus)),
        encoding="utf-8",
    )
    sku = rng.integers(0, skus, rows)
    kind = rng.choice(len(KINDS), rows, p=WEIGHTS)
    qty = rng.integers(1, 60, rows)
    qty = np.where(kind == 5, qty - 30, qty)  # adjustments are signed
    qty = np.where(qty == 0, 1, qty)
    start = datetime(2023, 1, 1, tzinfo=UTC).timestamp()
    seconds = np.sort(rng.integers(0, 3 * 365 * 86400, rows)) + int(start) + 8 * 3600  # local wall time
    path = folder / "movements.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("id,sku,kind,moved_at,quantity,unit_cost,ref\n")
        for lo in range(0, rows, BLOCK):
            hi = min(rows, lo + BLOCK)
            stamps = np.datetime_as_string(seconds[lo:hi].astype("datetime64[s]"), unit="s").tolist()
            parts = zip(
                range(lo, hi),
                sku[lo:hi].tolist(),
                KINDS[kind[lo:hi]].tolist(),
                stamps,
                qty[lo:hi].tolist(),
                strict=True,
            )
            out.write("".join(f"M{i:010d},S{s:06d},{k},{t},{q},{cost[s]:.2f},\n" for i, s, k, t, q in parts))
    return path


# -- databases: a template with the SKUs, a fresh copy per run ------------------------------------------------
def sqlite_template(folder: Path) -> str:
    from perfrules.engine.importing import import_files
    from perfrules.storage import connect

    db = connect(f"sqlite:///{folder / 'template.db'}", upgrade=True)
    import_files(db, "skus", [folder / "skus.csv"], zone=ZONE, now=datetime.now(UTC), user="bench")
    db.dispose()
    return str(folder / "template.db")


def sqlite_fresh(template: str, folder: Path) -> str:
    path = folder / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def _pg_admin(sql: str, url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _pg_reachable(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def _pg_url(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def pg_template(folder: Path, url: str) -> str:
    from perfrules.engine.importing import import_files
    from perfrules.storage import connect

    _pg_admin("DROP DATABASE IF EXISTS perfrules_bench_tpl WITH (FORCE)", url)
    _pg_admin("CREATE DATABASE perfrules_bench_tpl", url)
    db = connect(_pg_url(url, "perfrules_bench_tpl").replace("postgresql:", "postgresql+psycopg:"), upgrade=True)
    import_files(db, "skus", [folder / "skus.csv"], zone=ZONE, now=datetime.now(UTC), user="bench")
    db.dispose()
    return "perfrules_bench_tpl"


def pg_fresh(url: str) -> str:
    _pg_admin("DROP DATABASE IF EXISTS perfrules_bench_run WITH (FORCE)", url)
    _pg_admin("CREATE DATABASE perfrules_bench_run TEMPLATE perfrules_bench_tpl", url)
    return _pg_url(url, "perfrules_bench_run")


# -- the measured steps (each in a child process) ---------------------------------------------------------
def child_import(url: str, csv_path: str) -> dict:
    from perfrules.engine.importing import import_files
    from perfrules.storage import connect

    db = connect(url.replace("postgresql:", "postgresql+psycopg:"))
    results = import_files(db, "movements", [csv_path], zone=ZONE, now=datetime.now(UTC), user="bench")
    db.dispose()
    return {"rows": sum(r.rows for r in results)}


def _sqlite(url: str) -> sqlite3.Connection:
    """A plain sqlite3 connection with the pragmas of storage.db that weigh on a load (one flush per load:
    NORMAL or FULL makes no difference to it)."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-131072"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _secondary_indexes(url: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX) of the movements table's secondary indexes on the database of ``url``, from
    perfrules' own model: what the import drops for a bulk load into an empty table and builds after it."""
    from types import SimpleNamespace

    from perfrules.storage.models import Movement
    from perfrules.storage.sqlutil import index_ddl
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = sqlite.dialect() if url.startswith("sqlite") else postgresql.dialect()
    return index_ddl(SimpleNamespace(dialect=dialect), Movement.__table__)


def child_bare(url: str, csv_path: str) -> dict:
    if url.startswith("sqlite"):
        conn = _sqlite(url)
        conn.execute(BARE)
        with open(csv_path, encoding="utf-8", newline="") as handle:
            rows = csv.reader(handle)
            next(rows)
            conn.executemany("INSERT INTO bare VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.commit()
        conn.close()
        return {}
    with psycopg.connect(url) as conn, conn.cursor() as cur, open(csv_path, "rb") as handle:
        cur.execute(BARE)
        with cur.copy("COPY bare FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while block := handle.read(1 << 20):
                copy.write(block)
    return {}


def child_schema(url: str, csv_path: str, indexes: list[tuple[str, str]]) -> dict:
    with open(csv_path, encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        typed = ((i, s, k, t, t[:10], int(q), c, r or None) for i, s, k, t, q, c, r in rows)
        if url.startswith("sqlite"):
            conn = _sqlite(url)
            for name, _ddl in indexes:
                conn.execute(f"DROP INDEX {name}")
            conn.executemany(f"INSERT INTO movements ({MOVEMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", typed)
            for _name, ddl in indexes:
                conn.execute(ddl)
            conn.commit()
            conn.close()
            return {}
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            for name, _ddl in indexes:
                cur.execute(f"DROP INDEX {name}")
            with cur.copy(f"COPY movements ({MOVEMENT_COLUMNS}) FROM STDIN") as copy:
                for row in typed:
                    copy.write_row(row)
            for _name, ddl in indexes:
                cur.execute(ddl)
    return {}


# -- the parent ---------------------------------------------------------------------------------------------
def measure(args: argparse.Namespace, folder: Path, csv_path: Path, database: str) -> None:
    if database == "sqlite":
        template = sqlite_template(folder)
        fresh = lambda: sqlite_fresh(template, folder)  # noqa: E731
    else:
        pg_template(folder, args.pg_url)
        fresh = lambda: pg_fresh(args.pg_url)  # noqa: E731
    pythons = {"this": sys.executable, **({"compared": args.compare} if args.compare else {})}
    runs: dict[str, list[dict]] = {label: [] for label in (*pythons, "schema", "bare")}
    for n in range(args.repeat):
        for label, python in pythons.items():
            runs[label].append(child.run(python, __file__, "--child", "import", fresh(), str(csv_path)))
        for step in ("schema", "bare"):
            runs[step].append(child.run(sys.executable, __file__, "--child", step, fresh(), str(csv_path)))
        print(
            f"  {database} run {n + 1}: "
            + ", ".join(f"{label} {r[-1]['seconds']:.1f} s (load {r[-1]['load']})" for label, r in runs.items()),
            flush=True,
        )
    if database == "postgresql":
        for name in ("perfrules_bench_run", "perfrules_bench_tpl"):
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", args.pg_url)
    bare_rate = args.rows / statistics.median(r["seconds"] for r in runs["bare"])
    print(f"{'database':<10} {'code':<9} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'bare/s':>10} "
          f"{'ratio':>6} {'RSS':>8}   load average (1/5/15 min) before → after the last run")  # fmt: skip
    for label, done in runs.items():
        seconds = statistics.median(r["seconds"] for r in done)
        rate = args.rows / seconds
        print(
            f"{database:<10} {label:<9} {args.rows:>10,} {seconds:>8.1f} {rate:>10,.0f} {bare_rate:>10,.0f} "
            f"{rate / bare_rate:>6.2f} {max(r['rss_mib'] for r in done):>8.0f}   {done[-1]['load']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="movements in the generated file")
    parser.add_argument("--skus", type=int, default=20_000, help="SKUs in the catalogue")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (medians are printed)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg-url", default=PG_URL, help=f"a PostgreSQL server's admin database [{PG_URL}]")
    parser.add_argument("--compare", metavar="PYTHON", help="also import with this interpreter (alternating)")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, url, csv_path = args.child
        indexes = _secondary_indexes(url) if step == "schema" else []  # read before the clock starts
        steps = {"import": child_import, "schema": lambda u, p: child_schema(u, p, indexes), "bare": child_bare}
        child.measured(lambda: steps[step](url, csv_path))
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        csv_path = generate(folder, args.rows, args.skus)
        print(f"generated {args.rows:,} movements ({csv_path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - started:.1f} s; load {child.load()}")  # fmt: skip
        print("medians; rates in movements/s; import includes the rollup refresh; RSS = peak of the child, MiB")
        for database in args.databases.split(","):
            if database == "postgresql" and not _pg_reachable(args.pg_url):
                print(f"postgresql: no server at {args.pg_url}: skipped")
                continue
            measure(args, folder, csv_path, database)


if __name__ == "__main__":
    main()
