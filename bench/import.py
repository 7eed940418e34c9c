"""Import benchmark: movements per second through ``perfrules import`` against plain ``sqlite3.executemany``.

Generates a movements CSV deterministically (numpy, fixed seed), then per repetition, each into a fresh
migrated SQLite file holding the same SKUs:

- import: ``perfrules.engine.importing.import_files`` (read, decode, check every cell/key/reference, load, record),
  without the rollup refresh (timed on its own afterwards: it belongs to the KPI library);
- raw: the same final rows, already converted, loaded with one ``executemany`` in one transaction on a
  plain ``sqlite3`` connection with the same pragmas — the floor nothing can beat;
- re-import: the same file again (every row unchanged).

Prints medians of wall and CPU time and the ratio import ÷ raw (on a shared machine the CPU-time ratio is
the steadier one). Asserts nothing.

    .venv/bin/python bench/import.py --rows 2000000 --repeat 3
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from perfrules.engine.importing import import_files
from perfrules.storage import connect
from perfrules.storage.db import _sqlite_pragmas

ZONE = ZoneInfo("Asia/Shanghai")
KINDS = np.array(["receipt", "sale", "issue", "customer_return", "supplier_return", "adjustment"])
WEIGHTS = [0.15, 0.6, 0.1, 0.06, 0.04, 0.05]


def generate(rows: int, skus: int, seed: int = 20260901) -> tuple[str, str]:
    """(skus CSV, movements CSV) text; the same arguments give the same bytes."""
    rng = np.random.default_rng(seed)
    cost = np.round(rng.uniform(1, 500, skus), 2)
    sku_csv = "sku,name,category,unit_cost,price\n" + "".join(
        f"S{j:06d},Item {j},cat{j % 40},{cost[j]:.2f},{cost[j] * 2:.2f}\n" for j in range(skus)
    )
    sku = rng.integers(0, skus, rows)
    kind = rng.choice(len(KINDS), rows, p=WEIGHTS)
    qty = rng.integers(1, 60, rows)
    qty = np.where(kind == 5, qty - 30, qty)  # adjustments are signed
    qty = np.where(qty == 0, 1, qty)
    start = datetime(2023, 1, 1, tzinfo=UTC).timestamp()
    seconds = np.sort(rng.integers(0, 3 * 365 * 86400, rows)) + int(start) + 8 * 3600  # local wall time
    stamps = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    kinds = KINDS[kind]
    lines = [
        f"M{i:010d},S{s:06d},{k},{t},{q},{cost[s]:.2f},\n"
        for i, (s, k, t, q) in enumerate(zip(sku.tolist(), kinds.tolist(), stamps.tolist(), qty.tolist(), strict=True))
    ]
    return sku_csv, "id,sku,kind,moved_at,quantity,unit_cost,ref\n" + "".join(lines)


def template(folder: Path, sku_csv: Path) -> Path:
    path = folder / "template.db"
    db = connect(f"sqlite:///{path}", upgrade=True)
    import_files(db, "skus", [sku_csv], zone=ZONE, now=datetime.now(UTC), user="bench")
    db.dispose()
    return path


def fresh(template_db: Path, folder: Path, name: str) -> Path:
    path = folder / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(template_db, path)
    return path


def raw_rows(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT id, sku, kind, moved_at, day, quantity, unit_cost, ref FROM movements").fetchall()


class Timer:
    """Wall time and this process's CPU time (SQLite runs in-process, so CPU time is fair on a busy machine)."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def time_raw(path: Path, rows: list[tuple]) -> Timer:
    conn = sqlite3.connect(path)
    _sqlite_pragmas(conn, None)
    with Timer() as timer:
        conn.executemany(
            "INSERT INTO movements (id, sku, kind, moved_at, day, quantity, unit_cost, ref) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.commit()
    conn.close()
    return timer


def time_import(path: Path, csv_path: Path, *, refresh: bool = False) -> Timer:
    db = connect(f"sqlite:///{path}")
    with Timer() as timer:
        import_files(
            db, "movements", [csv_path], zone=ZONE, now=datetime.now(UTC), user="bench", refresh_rollup=refresh
        )
    db.dispose()
    return timer


def time_rollup(path: Path) -> float | None:
    try:
        from perfrules.storage import rollup
    except ImportError:
        return None
    db = connect(f"sqlite:///{path}")
    t0 = time.perf_counter()
    with db.engine.begin() as conn:
        rollup.refresh(conn, skus=None, since=None)
    elapsed = time.perf_counter() - t0
    db.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="movements in the generated file")
    parser.add_argument("--skus", type=int, default=20_000, help="SKUs in the catalogue")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (medians are printed)")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        sku_text, movement_text = generate(args.rows, args.skus)
        (folder / "skus.csv").write_text(sku_text, encoding="utf-8")
        csv_path = folder / "movements.csv"
        csv_path.write_text(movement_text, encoding="utf-8")
        del movement_text
        print(
            f"generated {args.rows:,} movements ({csv_path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        base = template(folder, folder / "skus.csv")
        imports, raws, reimports = [], [], []
        rows: list[tuple] = []
        for n in range(args.repeat):
            path = fresh(base, folder, "import.db")
            imports.append(time_import(path, csv_path))
            reimports.append(time_import(path, csv_path))
            if not rows:
                rows = raw_rows(path)
                rollup = time_rollup(path)
            raws.append(time_raw(fresh(base, folder, "raw.db"), rows))
            print(
                f"  run {n + 1}: import {imports[-1].wall:.2f} s ({imports[-1].cpu:.2f} s CPU), "
                f"raw {raws[-1].wall:.2f} s ({raws[-1].cpu:.2f} s CPU), re-import {reimports[-1].wall:.2f} s"
            )
    for clock in ("wall", "cpu"):
        rate = args.rows / statistics.median(getattr(t, clock) for t in imports)
        raw_rate = args.rows / statistics.median(getattr(t, clock) for t in raws)
        again = args.rows / statistics.median(getattr(t, clock) for t in reimports)
        print(f"{clock} time, medians of {args.repeat}:")
        print(f"  import:    {rate:>10,.0f} movements/s")
        print(f"  raw:       {raw_rate:>10,.0f} rows/s (sqlite3.executemany of the converted rows)")
        print(f"  ratio:     {rate / raw_rate:>10.2f} (target ≥ 0.50)")
        print(f"  re-import: {again:>10,.0f} movements/s (all unchanged)")
    if rollup is not None:
        print(f"rollup refresh of every SKU afterwards: {rollup:.2f} s")


if __name__ == "__main__":
    main()
