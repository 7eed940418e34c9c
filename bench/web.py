"""Web benchmark: dashboard pages cold, warm and right after a push, and fact-push requests per second.

Pages (the company dashboard, a department, a KPI, an employee, the KPI API), each: cold with an empty KPI
value store (a fresh server each; --no-cold skips), the fill of every page's figures (--no-fill keeps the
store as it is), cold with the filled store in a fresh server, warm (median of --pages views), and right after
a push of a February movement in a server running the store's filler as ``serve`` does (median of rounds,
stale views counted, and how long until the page is current again).

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
    .venv/bin/python bench/web.py --size medium --workdir /tmp/perfrules-web-medium --reuse --pushes 0 --no-cold
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
from perfrules.engine.periods import parse_period
from perfrules.engine.settings import load_settings
from perfrules.engine.web import credentials
from perfrules.engine.web.app import create_app
from perfrules.engine.web.security import CSRF_COOKIE
from perfrules.engine.web.warming import fill, start_filler
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
    db = connect(url, upgrade=True)  # a reused company gets the newer tables (the KPI value store)
    hr_user(db)
    name = f"erp-{int(time.time() * 1000)}"  # a fresh name each run: a reused company keeps the earlier tokens
    secret = credentials.issue_token(db, name=name, role="system", employee_id=None, now=NOW, actor="bench")
    return settings, db, secret


def hr_user(db) -> None:
    """The user the benchmark signs in as (hr, password :data:`PASSWORD`), added unless there."""
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


def _url(folder: Path) -> str:
    return f"sqlite:///{folder}/bench.db"


def _describe(size: DemoSize) -> list:
    return [size.skus, size.movements, size.months, size.count_every]


def _run_server(url: str, port: int, fill: bool, now: datetime) -> None:
    settings = load_settings({"database_url": url}, environ={})
    db = connect(url, upgrade=True)  # a reused company gets the newer tables (the KPI value store)
    app = create_app(settings, db=db, clock=lambda: now)
    if fill:  # as ``perfrules serve`` does: the KPI value store's filler in a background thread
        start_filler(db, settings, lambda: now)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve(settings, fill: bool = False, now: datetime = NOW) -> tuple[multiprocessing.Process, str]:
    """uvicorn serving the app in a fresh process (with the store's filler: ``fill``), its clock at ``now``;
    returns it and its base URL once it answers."""
    port = _port()
    server = multiprocessing.get_context("spawn").Process(
        target=_run_server, args=(settings.database_url, port, fill, now), daemon=True
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


def stop(server: multiprocessing.Process) -> None:
    server.terminate()
    server.join()


def signed_in(base: str) -> httpx.Client:
    """A client signed in as hr through the sign-in form (its CSRF cookie repeated in the form field)."""
    client = httpx.Client(base_url=base, timeout=600)
    client.get("/login")
    r = client.post(
        "/login",
        data={"username": "hr", "password": PASSWORD, "next": "/", "csrf": client.cookies.get(CSRF_COOKIE, "")},
    )
    assert r.status_code in (200, 303) and client.cookies.get(credentials_cookie()), "sign-in failed"
    return client


def credentials_cookie() -> str:
    from perfrules.engine.web.auth import SESSION_COOKIE

    return SESSION_COOKIE


def _pages(db) -> list[str]:
    """The pages whose figures the store keeps: the company dashboard, a department, a KPI, an employee."""
    employee = next(e.id for e in access.employees_of(db) if e.role == "purchaser")
    return [
        "/dashboard?period=2026-02",
        "/departments/purchasing?period=2026-02",
        "/kpis/turnover?period=2026-02",
        f"/employees/{employee}?period=2026-02",
        "/api/v1/kpis?period=2026-02",
    ]


def _empty_store(db) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM kpi_values")


def timed_get(client: httpx.Client, page: str) -> tuple[float, httpx.Response]:
    t0 = time.perf_counter()
    r = client.get(page)
    assert r.status_code == 200, (page, r.status_code)
    return time.perf_counter() - t0, r


def bench_pages(settings, db, count: int, secret: str, cold_empty: bool, fill_store: bool) -> None:
    """Per page: cold with an empty store (a fresh server each, the store emptied), the fill of every page's
    figures, cold with the filled store (a fresh server), warm, and right after a push of a February movement
    (a server running the filler, as ``serve`` does), with how long the page then shows stale figures."""
    pages = _pages(db)
    figures: dict[str, dict[str, str]] = {page: {} for page in pages}
    if cold_empty:
        for page in pages:
            _empty_store(db)
            server, base = serve(settings)
            try:
                seconds, _ = timed_get(signed_in(base), page)
            finally:
                stop(server)
            figures[page]["cold, empty store"] = f"{seconds * 1000:9.0f} ms"
            print(f"  {page:45s} cold, empty store   {seconds * 1000:9.0f} ms  {_load()}", flush=True)
    if fill_store:
        _empty_store(db)
        t0 = time.perf_counter()
        took: dict[str, float] = {}

        def progress(job, seconds: float) -> None:
            took[job.page] = took.get(job.page, 0.0) + seconds

        fill(db, settings, parse_period("2026-02"), NOW.date(), progress=progress)
        each = ", ".join(f"{page} {seconds:.1f} s" for page, seconds in took.items())
        print(f"  fill of every page's figures (empty store): {time.perf_counter() - t0:.1f} s ({each})  {_load()}")
    server, base = serve(settings)
    try:
        client = signed_in(base)
        for page in pages:
            cold, _ = timed_get(client, page)
            warm = statistics.median(timed_get(client, page)[0] for _ in range(count))
            figures[page]["cold, filled store"] = f"{cold * 1000:7.0f} ms"
            figures[page]["warm"] = f"{warm * 1000:7.1f} ms"
            print(
                f"  {page:45s} cold, filled store {cold * 1000:7.0f} ms   warm median {warm * 1000:7.1f} ms  {_load()}",
                flush=True,
            )
    finally:
        stop(server)
    bench_after_push(settings, db, pages, count, secret, figures)
    print("  summary (medians; cold: one view each):")
    for page, row in figures.items():
        print(f"    {page:45s} " + "  ".join(f"{k}: {v.strip()}" for k, v in row.items()))


def bench_after_push(settings, db, pages: list[str], count: int, secret: str, figures: dict) -> None:
    """A server with the filler: each round pushes one February movement (a new facts generation for every
    February set) and views the page at once — it serves the stored set marked stale while the filler draws
    the new one up; then waits until the page is current again (the lag of the figures behind the push)."""
    server, base = serve(settings, fill=True)
    skus = _skus(db)
    try:
        client = signed_in(base)
        for page in pages:
            _wait_current(client, page)
        for page in pages:
            after, lags, stale = [], [], 0
            for i in range(max(3, count // 3)):
                kind, body = _movement(f"view{time.monotonic_ns()}", i, skus)
                r = client.post(
                    f"/api/v1/facts/{kind}",
                    content=body,
                    headers={"Authorization": f"Bearer {secret}", "Content-Type": "text/csv"},
                )
                assert r.status_code == 200, r.text
                pushed = time.perf_counter()
                seconds, response = timed_get(client, page)
                after.append(seconds)
                stale += response.headers.get("X-Figures-Stale") == "1"
                lags.append(_wait_current(client, page) - pushed)
            median = statistics.median(after)
            figures[page]["after a push"] = f"{median * 1000:7.1f} ms"
            figures[page]["current again after"] = f"{statistics.median(lags):5.1f} s"
            print(
                f"  {page:45s} after a push {median * 1000:7.1f} ms ({stale} of {len(after)} views stale), current "
                f"again {statistics.median(lags):5.1f} s after the push  {_load()}",
                flush=True,
            )
    finally:
        stop(server)


def _wait_current(client: httpx.Client, page: str) -> float:
    """Poll ``page`` until it serves current figures; the moment it did."""
    while True:
        _, r = timed_get(client, page)
        if r.headers.get("X-Figures-Stale") != "1":
            return time.perf_counter()
        time.sleep(0.2)


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
    ap.add_argument("--no-cold", action="store_true", help="skip the cold views with an empty store (slow)")
    ap.add_argument("--no-fill", action="store_true", help="keep the store as it is instead of filling it afresh")
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
        if args.pages:
            print("dashboard pages (signed in as hr):")
            bench_pages(settings, db, args.pages, secret, not args.no_cold, not args.no_fill)
        server, base = serve(settings)
        try:
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
