"""Web benchmark: median warm answer time of dashboard pages, and fact-push requests per second.

Builds a demo company (size chosen with --skus/--months), serves the app with uvicorn on a loopback port
and drives it over real HTTP. Prints its figures; asserts nothing.

    .venv/bin/python bench/web.py --skus 5000 --months 24 --pages 15 --pushes 400 --workers 8
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
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


def serve(settings, db, now):
    app = create_app(settings, db=db, clock=lambda: now)
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


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


def bench_push(base: str, secret: str, count: int, workers: int) -> None:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "text/csv"}

    def push(i: int) -> int:
        body = f"code,name_en,name_zh\nbench{i % 50},Bench {i},测试{i}\n".encode()
        with httpx.Client(base_url=base, timeout=60) as c:
            return c.post("/api/v1/facts/departments", content=body, headers=headers).status_code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        codes = list(pool.map(push, range(count)))
    took = time.perf_counter() - t0
    ok = sum(1 for c in codes if c == 200)
    print(f"  fact push: {count} requests ({ok} ok) in {took:.2f} s = {count / took:.0f} requests/s "
          f"({workers} concurrent clients)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=5000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--pages", type=int, default=15, help="warm requests per page")
    ap.add_argument("--pushes", type=int, default=400)
    ap.add_argument("--workers", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings, db, now, secret = build(Path(tmp), args.skus, args.months)
        server, base = serve(settings, db, now)
        print("dashboard pages (signed in as hr):")
        bench_pages(base, db, args.pages)
        bench_push(base, secret, args.pushes, args.workers)
        server.should_exit = True


if __name__ == "__main__":
    main()
