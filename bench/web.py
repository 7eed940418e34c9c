"""Web benchmark: median warm answer time of dashboard pages, and fact-push requests per second.

Builds a demo company (size chosen with --skus/--months), serves the app with uvicorn on a loopback port
in a process of its own (so the clients' threads do not share its interpreter lock) and drives it over real
HTTP. Fact pushes: one-row department upserts (changes recorded) and one-row movements spread over the
SKUs (each refreshes the rollup of its SKU), with 1 and with --workers concurrent clients; each client keeps
its connection open, as an ERP pushing facts would (--new-connections opens one per request instead).
Prints its figures; asserts nothing.

    .venv/bin/python bench/web.py --skus 2000 --months 24 --pages 15 --pushes 400 --workers 8
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import uvicorn

from engine.demo.generator import custom_size, generate
from engine.demo.loading import import_generated
from engine.settings import load_settings
from engine.web import credentials
from engine.web.app import create_app
from storage import access, connect

ZONE = ZoneInfo("Asia/Shanghai")
PASSWORD = "bench-password"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(folder: Path, skus: int, months: int):
    url = f"sqlite:///{folder}/bench.db"
    settings = load_settings({"database_url": url}, environ={})
    db = connect(url, upgrade=True)
    now = datetime(2026, 3, 10, 9, tzinfo=ZONE)
    t0 = time.perf_counter()
    report = generate(folder / "exports", custom_size(skus, months), seed=7, end=date(2026, 2, 28))
    import_generated(db, report, settings, now)
    print(f"company: {skus} SKUs, {months} months, {sum(report.rows.values()):,} fact rows "
          f"(built in {time.perf_counter() - t0:.1f} s)")
    access.add_user(db, username="hr", display_name="HR", password_hash=credentials.hash_password(PASSWORD),
                    role="hr", employee_id=None, now=now, actor="bench")
    secret = credentials.new_token()
    access.create_token(db, name="erp", digest=credentials.digest(secret), prefix=secret[:8], role="system",
                        employee_id=None, now=now, actor="bench")
    return settings, db, now, secret


def _run_server(url: str, now: datetime, port: int) -> None:
    settings = load_settings({"database_url": url}, environ={})
    app = create_app(settings, db=connect(url), clock=lambda: now)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve(settings, now) -> tuple[multiprocessing.Process, str]:
    """uvicorn serving the app in a fresh process; returns it and its base URL once it answers."""
    port = _port()
    server = multiprocessing.get_context("spawn").Process(target=_run_server, args=(settings.database_url, now, port),
                                                          daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(base + "/api/openapi.json", timeout=1)
            return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the web server did not start")


def bench_pages(base: str, db, count: int) -> None:
    client = httpx.Client(base_url=base, timeout=120)
    client.post("/login", data={"username": "hr", "password": PASSWORD, "next": "/"})
    employee = access.employees_of(db)[0].id
    pages = ["/dashboard?period=2026-02", "/departments/purchasing?period=2026-02",
             f"/employees/{employee}?period=2026-02", "/kpis/turnover?period=2026-02", "/people",
             "/api/v1/kpis?period=2026-02"]
    for page in pages:
        t0 = time.perf_counter()
        assert client.get(page).status_code == 200, page
        cold = time.perf_counter() - t0
        times = []
        for _ in range(count):
            t0 = time.perf_counter()
            client.get(page)
            times.append(time.perf_counter() - t0)
        print(f"  {page:45s} cold {cold * 1000:8.1f} ms   warm median {statistics.median(times) * 1000:7.1f} ms")


def _department(i: int, _skus: list[str]) -> tuple[str, bytes]:
    return "departments", f"code,name_en,name_zh\nbench{i % 50},Bench {i},测试{i}\n".encode()


def _movement(i: int, skus: list[str]) -> tuple[str, bytes]:
    sku = skus[i * 7919 % len(skus)]
    return "movements", (f"id,sku,kind,moved_at,quantity,unit_cost,ref\n"
                         f"BENCH-{i},{sku},receipt,2026-02-27T10:00:00,3,1.50,bench\n").encode()


def bench_push(base: str, secret: str, body: Callable[[int, list[str]], tuple[str, bytes]], skus: list[str], *,
               start: int, count: int, workers: int, new_connections: bool) -> None:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "text/csv"}
    local = threading.local()

    def push(i: int) -> int:
        try:
            return _post(i)
        except httpx.TransportError:
            return 0  # counted as a failed request (e.g. the server dropped the connection)

    def _post(i: int) -> int:
        kind, content = body(i, skus)
        if new_connections:
            with httpx.Client(base_url=base, timeout=60) as c:
                return c.post(f"/api/v1/facts/{kind}", content=content, headers=headers).status_code
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, timeout=60)
        return local.client.post(f"/api/v1/facts/{kind}", content=content, headers=headers).status_code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        codes = list(pool.map(push, range(start, start + count)))
    took = time.perf_counter() - t0
    ok = sum(1 for c in codes if c == 200)
    kind = body(0, skus)[0]
    print(f"  push {kind:12s} {workers} client{'s' if workers > 1 else ' '}: {count} requests ({ok} ok) "
          f"in {took:5.2f} s = {count / took:4.0f} requests/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=5000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--pages", type=int, default=15, help="warm requests per page")
    ap.add_argument("--pushes", type=int, default=400)
    ap.add_argument("--workers", type=int, default=8, help="concurrent clients of the second push run")
    ap.add_argument("--new-connections", action="store_true", help="a new HTTP connection for every push")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings, db, now, secret = build(Path(tmp), args.skus, args.months)
        skus = _skus(db)
        server, base = serve(settings, now)
        try:
            print("dashboard pages (signed in as hr):")
            bench_pages(base, db, args.pages)
            print("fact push (one-row files, bearer token):")
            start = 0
            for body in (_department, _movement):
                for workers in (1, args.workers):
                    bench_push(base, secret, body, skus, start=start, count=args.pushes, workers=workers,
                               new_connections=args.new_connections)
                    start += args.pushes
        finally:
            server.terminate()
            server.join()


def _skus(db) -> list[str]:
    with db.engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql("SELECT sku FROM skus ORDER BY sku")]


if __name__ == "__main__":
    main()
