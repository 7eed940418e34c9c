"""Memory benchmark: peak RSS of each step of building and using the demo company, at two sizes side by side.

Each step runs in a child process of its own (``bench/child.py``), so its peak RSS is its own:

- demo-data: ``perfrules.engine.demo.generate`` writes the export files;
- import: every file through the real importer, kind by kind (one transaction each; the rollup refresh of
  the movements import included);
- rollup: a full rebuild of ``sku_months`` from every movement (``perfrules kpi --rebuild``);
- kpi set: every KPI of the catalogue at company scope with categories, and the slow-mover list, for the last
  month of history.

If memory is bounded by design, the two columns are close however far apart the sizes are. Asserts nothing.

    .venv/bin/python bench/memory.py                           # small and 20000x24 (2M movements)
    .venv/bin/python bench/memory.py --sizes small,medium      # medium: 100k SKUs, 10M movements (slow)
    .venv/bin/python bench/memory.py --python /tmp/base/.venv/bin/python   # the same steps with older code
    .venv/bin/python bench/memory.py --sizes 100000x13,1000000x13x5000000 --keep   # SKUSxMONTHSxMOVEMENTS
    .venv/bin/python bench/memory.py --sizes 100000x13,1000000x13x5000000 --steps import,rollup   # kept data

A third part of a custom size sets the number of movements (default: 100 per SKU and two years), so the SKU
count of the large company (what the rollup and the reference checks hold per SKU) is reached without its
50M movements. ``--keep`` leaves each size's files and database in ``--workdir``; ``--steps`` runs some steps
only, on what an earlier ``--keep`` run left there.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import child

END = date(2026, 10, 31)
STEPS = ("demo-data", "import", "rollup", "kpi set")


def size_of(name: str):
    from perfrules.engine.demo import SIZES, custom_size

    if name in SIZES:
        return SIZES[name]
    skus, months, *movements = (int(part) for part in name.split("x"))
    size = custom_size(skus, months)
    return replace(size, movements=movements[0]) if movements else size


def step(name: str, size: str, workdir: Path) -> dict:
    from perfrules.storage import connect

    data, url = workdir / "data", f"sqlite:///{workdir / 'kpi.db'}"
    if name == "demo-data":
        from perfrules.engine.demo import generate

        report = generate(data, size_of(size), 1, END)
        return {"rows": report.total_rows}
    if name == "import":
        from perfrules.engine.demo.files import IMPORT_ORDER, file_name
        from perfrules.engine.importing import import_files
        from perfrules.engine.settings import load_settings

        zone = load_settings({"timezone": "Asia/Shanghai"}).zone
        db = connect(url, upgrade=True)
        rows = 0
        for kind in IMPORT_ORDER:
            done = import_files(db, kind, [data / file_name(kind)], zone=zone, now=datetime.now(UTC), user="bench")
            rows += sum(r.rows for r in done)
        return {"rows": rows}
    db = connect(url)
    if name == "rollup":
        from perfrules.storage.rollup import SkuMonth, refresh

        with db.engine.begin() as conn:
            SkuMonth.__table__.drop(conn, checkfirst=True)
            SkuMonth.__table__.create(conn)
            refresh(conn)
        return {}
    from perfrules.engine.kpi.library import compute_all
    from perfrules.engine.kpi.slow_movers import slow_mover_list
    from perfrules.engine.periods import month_of
    from perfrules.storage.kpi import reading

    period = month_of(END)
    values = compute_all(db, period, categories=True)
    with reading(db) as conn:
        listed = slow_mover_list(conn, END)
    return {"rows": len(values) + len(listed.items)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default="small,20000x24", help="sizes side by side: small, medium, large, SKUSxMONTHS[xMOVEMENTS]"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/perfrules-bench-memory"))
    parser.add_argument("--python", default=sys.executable, help="interpreter of the steps (another checkout's venv)")
    parser.add_argument("--steps", default=",".join(STEPS), help="the steps to run, comma-separated (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep each size's files and database in --workdir")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, size, workdir = args.child
        child.measured(lambda: step(name, size, Path(workdir)))
        return
    sizes, steps = args.sizes.split(","), [s for s in STEPS if s in args.steps.split(",")]
    figures: dict[str, dict[str, dict]] = {}
    for size in sizes:
        workdir = args.workdir / size
        if "demo-data" in steps:
            shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True, exist_ok=True)
        for name in steps:
            figures.setdefault(name, {})[size] = done = child.run(
                args.python, __file__, "--child", name, size, str(workdir)
            )
            print(
                f"  {size:<10} {name:<10} {done['seconds']:8.1f} s {done['cpu']:8.1f} s CPU {done['rss_mib']:8.0f} MiB"
                f"  load {done['load']}",
                flush=True,
            )
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"peak RSS (MiB) and seconds per step, each in its own process; {stamp}")
    print(f"{'step':<10}" + "".join(f"{s + ' MiB':>22} {s + ' s':>18}" for s in sizes) + "  rows")
    for name, per in figures.items():
        cells = "".join(f"{per[s]['rss_mib']:>22.0f} {per[s]['seconds']:>18.1f}" for s in sizes)
        print(f"{name:<10}{cells}  {' / '.join(str(per[s].get('rows', '')) for s in sizes)}")


if __name__ == "__main__":
    main()
