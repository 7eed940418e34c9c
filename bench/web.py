"""Web benchmark: median warm answer time of dashboard pages, and fact-push requests per second.

Builds a demo company (--size, or --skus/--months), serves the app with uvicorn on a loopback port in a
process of its own and drives it over real HTTP. With --workdir the company is kept there and --reuse takes
it again instead of rebuilding (the medium company takes 6–8 minutes to build here).

Fact pushes: one-row department upserts (changes recorded) and one-row movements spread over the SKUs (each
refreshes the rollup of its SKU), with 1 and with --workers concurrent clients, each keeping its connection
open as an ERP pushing facts would. Two load generators, both printed: wrk (Debian's ``wrk``, a C client
that costs the server little CPU: the server's capacity) when it is installed, and httpx clients in
threads of this process (they share the machine's cores with the server). Every figure is the median of
--repeat runs; the load average is printed with it. Prints its figures; asserts nothing.

    .venv/bin/python bench/web.py --skus 2000 --months 24
    .venv/bin/python bench/web.py --size medium --workdir /tmp/perfrules-web-medium --reuse --pushes 0
    .venv/bin/python bench/web.py --pages 0 --batch 1000     # also pushes of 1000 movements per request
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from perfrules.engine.demo.generator import SIZES, DemoSize, custom_size, generate
from perfrules.engine.demo.loading import import_generated
from perfrules.engine.settings import load_settings
from perfrules.engine.web import credentials
from perfrules.engine.web.app import create_app
from perfrules.storage import access, connect

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 9, tzinfo=ZONE)
PASSWORD = "bench-password"
BUILT = "company.json"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(folder: Path, size: DemoSize) -> None:
    """Generate the demo company of ``size`` and import it into ``folder``/bench.db; note what was built."""
    url = _url(folder)
    settings = load_settings({"database_url": url}, environ={})
    db = connect(url, upgrade=True)
    t0 = time.perf_counter()
    report = generate(folder / "exports", size, seed=7, end=date(2026, 2, 28))
    import_generated(db, report, settings, NOW)
    shutil.rmtree(folder / "exports")
    rows = sum(report.rows.values())
    print(
        f"company {size.name}: {size.skus:,} SKUs, {size.months} months, {rows:,} fact rows "
        f"(built in {time.perf_counter() - t0:.1f} s)"
    )
    (folder / BUILT).write_text(json.dumps({"size": _describe(size), "rows": rows}))
    db.dispose()


def company(folder: Path, size: DemoSize, reuse: bool):
    """The company in ``folder``: built unless ``reuse`` finds one of the same size there; a fresh API token."""
    marker = folder / BUILT
    if reuse and marker.exists() and json.loads(marker.read_text())["size"] == _describe(size):
        print(f"company {size.name}: reused from {folder}")
    else:
        for stale in folder.glob("bench.db*"):
            stale.unlink()
        marker.unlink(missing_ok=True)
        build(folder, size)
    url = _url(folder)
    settings = load_settings({"database_url": url}, environ={})
    db = connect(url)
    if access.get_user(db, "hr") is None:
        access.add_user(
            db,
            username="hr",
            display_name="HR",
            password_hash=credentials.hash_password(PASSWORD),
            role="hr",
            employee_id=None,
            now=NOW,
            actor="bench",
        )
    secret = credentials.new_token()
    access.create_token(
        db,
        name=f"erp-{secret[3:11]}",
        digest=credentials.digest(secret),
        prefix=secret[:8],
        role="system",
        employee_id=None,
        now=NOW,
        actor="bench",
    )
    return settings, db, secret


def _url(folder: Path) -> str:
    return f"sqlite:///{folder}/bench.db"


def _describe(size: DemoSize) -> list:
    return [size.skus, size.movements, size.months, size.count_every]


def _run_server(url: str, port: int) -> None:
    settings = load_settings({"database_url": url}, environ={})
    app = create_app(settings, db=connect(url), clock=lambda: NOW)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve(settings) -> tuple[multiprocessing.Process, str]:
    """uvicorn serving the app in a fresh process; returns it and its base URL once it answers."""
    port = _port()
    server = multiprocessing.get_context("spawn").Process(
        target=_run_server, args=(settings.database_url, port), daemon=True
    )
    server.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(base + "/api/openapi.json", timeout=1)
            return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the web server did not start")


def bench_pages(base: str, db, count: int, secret: str) -> None:
    client = httpx.Client(base_url=base, timeout=300)
    client.post("/login", data={"username": "hr", "password": PASSWORD, "next": "/"})
    employee = access.employees_of(db)[0].id
    pages = [
        "/dashboard?period=2026-02",
        "/departments/purchasing?period=2026-02",
        "/departments/warehouse?period=2026-02",
        f"/employees/{employee}?period=2026-02",
        "/kpis/turnover?period=2026-02",
        "/people",
        "/api/v1/kpis?period=2026-02",
    ]
    for page in pages:
        t0 = time.perf_counter()
        assert client.get(page).status_code == 200, page
        cold = time.perf_counter() - t0
        times = []
        for _ in range(count):
            t0 = time.perf_counter()
            client.get(page)
            times.append(time.perf_counter() - t0)
        print(
            f"  {page:45s} cold {cold * 1000:8.1f} ms   warm median {statistics.median(times) * 1000:7.1f} ms"
            f"  {_load()}"
        )
    # the view a manager gets while an ERP pushes: each round pushes one movement of the shown month (a new
    # facts generation for it), then views the dashboard — only that month's figures are drawn up again
    skus = _skus(db)
    after = []
    for i in range(max(3, count // 3)):
        kind, body = _movement(f"view{time.monotonic_ns()}", i, skus)
        r = client.post(
            f"/api/v1/facts/{kind}",
            content=body,
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "text/csv"},
        )
        assert r.status_code == 200, r.text
        t0 = time.perf_counter()
        assert client.get(pages[0]).status_code == 200
        after.append(time.perf_counter() - t0)
    print(
        f"  {pages[0] + ' after a push':45s} median {statistics.median(after) * 1000:8.1f} ms "
        f"({len(after)} rounds: push a February movement, view)  {_load()}"
    )


# -- fact pushes ------------------------------------------------------------------------------------------------
# Each push is one row; ids carry a per-run tag so every movement push inserts a new row even on a reused
# company, and department pushes cycle over 50 codes (first inserts, then updates with changes recorded).


def _department(tag: str, i: int, _skus: list[str]) -> tuple[str, bytes]:
    return "departments", f"code,name_en,name_zh\nbench{i % 50},Bench {tag} {i},测试{i}\n".encode()


def _movement(tag: str, i: int, skus: list[str]) -> tuple[str, bytes]:
    sku = skus[i * 7919 % len(skus)]
    return "movements", (
        f"id,sku,kind,moved_at,quantity,unit_cost,ref\nBENCH-{tag}-{i},{sku},receipt,2026-02-27T10:00:00,3,1.50,bench\n"
    ).encode()


BODIES = {"departments": _department, "movements": _movement}


def _batch(rows: int):
    """Movement pushes of ``rows`` rows each (a system that sends what it has ready in one request)."""

    def body(tag: str, i: int, skus: list[str]) -> tuple[str, bytes]:
        lines = (
            f"BENCH-{tag}-{i:06d}-{j:05d},{skus[(i * rows + j) * 7919 % len(skus)]},receipt,2026-02-27T10:00:00,3,1.50,"
            for j in range(rows)
        )
        return "movements", ("id,sku,kind,moved_at,quantity,unit_cost,ref\n" + "\n".join(lines) + "\n").encode()

    return body


def bench_batch(base: str, secret: str, db, skus: list[str], *, clients: int, count: int, repeat: int, rows: int):
    """Batch pushes: ``count`` requests of ``rows`` movements each from ``clients`` httpx clients."""
    BODIES["batch"] = _batch(rows)
    runs = []
    for r in range(repeat):
        tag = f"b{clients}{r}{os.getpid()}{int(time.time())}"
        rate, ok = httpx_push(base, secret, "batch", skus, tag, count=count, clients=clients)
        runs.append(rate)
        print(
            f"    httpx batch of {rows} movements, {clients} clients: {count} requests, {count - ok} failed"
            f"{_stored(db, 'movements', tag, count)}: {rate:5.1f} requests/s = {rate * rows:7.0f} rows/s  {_load()}"
        )
    median = statistics.median(runs)
    print(f"  httpx batch of {rows}: median {median:.1f} requests/s = {median * rows:.0f} movements/s (of {repeat})")


def httpx_push(
    base: str, secret: str, kind: str, skus: list[str], tag: str, *, count: int, clients: int
) -> tuple[float, int]:
    """``count`` pushes from ``clients`` httpx clients in threads: (requests per second, requests answered 200)."""
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "text/csv"}
    local = threading.local()

    def push(i: int) -> int:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, timeout=60)
        try:
            path, body = BODIES[kind](tag, i, skus)
            return local.client.post(f"/api/v1/facts/{path}", content=body, headers=headers).status_code
        except httpx.TransportError:
            return 0  # counted as a failed request (e.g. the server dropped the connection)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        codes = list(pool.map(push, range(count)))
    return count / (time.perf_counter() - t0), sum(1 for c in codes if c == 200)


_WRK_SCRIPT = """
local kind, tag, skus = "%(kind)s", "%(tag)s", {%(skus)s}
local counter = 0
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer %(secret)s"
wrk.headers["Content-Type"] = "text/csv"
request = function()
  local i = counter
  counter = counter + 1
  local body
  if kind == "movements" then
    local sku = skus[(i * 7919) %% #skus + 1]
    body = "id,sku,kind,moved_at,quantity,unit_cost,ref\\n" .. "BENCH-" .. tag .. "-" .. i .. "," .. sku ..
           ",receipt,2026-02-27T10:00:00,3,1.50,bench\\n"
  else
    body = "code,name_en,name_zh\\nbench" .. (i %% 50) .. ",Bench " .. tag .. " " .. i .. ",wrk" .. i .. "\\n"
  end
  return wrk.format(nil, "/api/v1/facts/" .. kind, nil, body)
end
"""


def wrk_push(
    base: str, secret: str, kind: str, skus: list[str], tag: str, *, seconds: float, clients: int
) -> tuple[float, int, int]:
    """wrk for ``seconds`` with ``clients`` connections: (requests per second, requests, non-2xx answers)."""
    sample = skus[:: max(1, len(skus) // 5000)]  # a spread of SKUs small enough for a Lua table literal
    script = _WRK_SCRIPT % {"kind": kind, "tag": tag, "secret": secret, "skus": ",".join(f'"{s}"' for s in sample)}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "30s", "-s", f.name, base],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)
    return rate, total, failed


def bench_push(
    base: str, secret: str, db, skus: list[str], *, clients: list[int], count: int, seconds: float, repeat: int
) -> None:
    have_wrk = shutil.which("wrk") is not None
    if not have_wrk:
        print("  (wrk is not installed: httpx clients only; apt-get install wrk for the server's own capacity)")
    for kind in BODIES:
        for n in clients:
            if have_wrk:
                runs = []
                for r in range(repeat):
                    tag = f"w{n}{r}{os.getpid()}{int(time.time())}"
                    rate, total, failed = wrk_push(base, secret, kind, skus, tag, seconds=seconds, clients=n)
                    stored = _stored(db, kind, tag, total)
                    runs.append(rate)
                    print(
                        f"    wrk   {kind:12s} {n} client{'s' if n > 1 else ' '}: {total:5d} requests, "
                        f"{failed} failed{stored}: {rate:5.0f} requests/s  {_load()}"
                    )
                print(
                    f"  wrk   {kind:12s} {n} client{'s' if n > 1 else ' '}: median {statistics.median(runs):5.0f}"
                    f" requests/s (of {repeat})"
                )
            runs = []
            for r in range(repeat):
                tag = f"h{n}{r}{os.getpid()}{int(time.time())}"
                rate, ok = httpx_push(base, secret, kind, skus, tag, count=count, clients=n)
                runs.append(rate)
                print(
                    f"    httpx {kind:12s} {n} client{'s' if n > 1 else ' '}: {count:5d} requests, "
                    f"{count - ok} failed{_stored(db, kind, tag, count)}: {rate:5.0f} requests/s  {_load()}"
                )
            print(
                f"  httpx {kind:12s} {n} client{'s' if n > 1 else ' '}: median {statistics.median(runs):5.0f}"
                f" requests/s (of {repeat})"
            )


def _stored(db, kind: str, tag: str, requests: int) -> str:
    """For movements: how many of the run's rows are in the store (one per request answered 200)."""
    if kind != "movements":
        return ""
    prefix = f"BENCH-{tag}-"
    with db.engine.connect() as conn:  # a key range, not LIKE: the primary key's index answers it
        n = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM movements WHERE id >= ? AND id < ?", (prefix, prefix[:-1] + ".")
        ).scalar()
    return f", {n} rows stored"


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=sorted(SIZES), help="a demo size (medium = 100k SKUs, 24 months)")
    ap.add_argument("--skus", type=int, default=5000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--workdir", type=Path, help="build (and keep) the company here instead of a temporary folder")
    ap.add_argument("--reuse", action="store_true", help="reuse the company in --workdir if it is of this size")
    ap.add_argument("--pages", type=int, default=15, help="warm requests per page (0: skip pages)")
    ap.add_argument("--pushes", type=int, default=400, help="requests per httpx push run (0: skip pushes)")
    ap.add_argument("--seconds", type=float, default=5.0, help="length of one wrk push run")
    ap.add_argument("--repeat", type=int, default=3, help="runs per push figure (the median is reported)")
    ap.add_argument("--workers", type=int, default=8, help="concurrent clients of the second push figure")
    ap.add_argument("--batch", type=int, default=0, help="also push movements N rows per request (httpx, --workers)")
    args = ap.parse_args()
    size = SIZES[args.size] if args.size else custom_size(args.skus, args.months)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        settings, db, secret = company(folder, size, args.reuse and args.workdir is not None)
        skus = _skus(db)
        server, base = serve(settings)
        try:
            if args.pages:
                print("dashboard pages (signed in as hr):")
                bench_pages(base, db, args.pages, secret)
            if args.pushes:
                print("fact push (one-row files, bearer token):")
                bench_push(
                    base,
                    secret,
                    db,
                    skus,
                    clients=[1, args.workers],
                    count=args.pushes,
                    seconds=args.seconds,
                    repeat=args.repeat,
                )
            if args.batch:
                print(f"batch push ({args.batch} movements per request, bearer token):")
                count = max(20, args.pushes // 10)
                bench_batch(
                    base, secret, db, skus, clients=args.workers, count=count, repeat=args.repeat, rows=args.batch
                )
        finally:
            server.terminate()
            server.join()


def _skus(db) -> list[str]:
    with db.engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT sku FROM skus ORDER BY sku")]


if __name__ == "__main__":
    main()
