"""The dashboard in a real headless Chromium (Debian's), signed in as each role."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from perfrules.engine.web.app import create_app

from tests.web.support import NOW, PASSWORD, amount_texts, settings_for

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(company, database_url):
    """The app served by uvicorn on a free loopback port, in a thread."""
    app = create_app(settings_for(database_url), db=company, clock=lambda: NOW)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    # A browser test that cannot run is a failure, not a skip: .ci/run installs Debian's chromium.
    assert CHROMIUM.exists(), f"Debian's chromium is needed at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def _sign_in(browser, base: str, username: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/login?lang=en")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_load_state("networkidle")
    return page


def test_hr_finds_every_kpi_with_status_and_trend(server, browser, tmp_path):
    page = _sign_in(browser, server, "hr")
    page.goto(f"{server}/dashboard?period=2026-02")
    assert "Hr (hr)" in page.inner_text("#whoami")
    rows = page.locator("table.kpis tbody tr")
    assert rows.count() >= 12
    statuses = page.locator("table.kpis td.status").all_inner_texts()
    assert all(s.split(" ", 1)[-1] in ("met", "warning", "not met", "no data") for s in statuses)
    canvases = page.locator("#trends canvas[data-chart]")
    assert canvases.count() == rows.count()
    assert page.locator("#trends canvas[data-drawn='1']").count() == canvases.count()  # Chart.js drew them
    assert "E4" in page.inner_text("#adjustments")
    page.screenshot(path=str(tmp_path / "hr-dashboard.png"), full_page=True)
    if DOCS_IMG.is_dir():
        page.screenshot(path=str(DOCS_IMG / "dashboard.png"), full_page=False)
    page.click("table.kpis tbody tr >> nth=0 >> a")  # drill down
    page.wait_for_load_state("networkidle")
    assert "/kpis/" in page.url


def test_manager_sees_team_only(server, browser, tmp_path):
    page = _sign_in(browser, server, "boss")
    page.goto(f"{server}/people")
    people = page.inner_text("#people")
    assert "Wang Fang" in people and "Li Lei" in people and "Chen Jing" not in people
    page.goto(f"{server}/employees/E4")
    assert page.locator("text=you may not see this employee").count() == 1
    page.screenshot(path=str(tmp_path / "manager.png"))


def test_staff_sees_only_themselves(server, browser, tmp_path):
    page = _sign_in(browser, server, "wang")
    assert page.url.endswith("/me")  # staff land on their self-service page
    text = page.inner_text("main")
    assert "Wang Fang" in text and any(t in text for t in amount_texts("E2"))
    for path in ("/employees/E3", "/dashboard", "/people"):
        page.goto(server + path)
        body = page.inner_text("body")
        assert not any(t in body for t in amount_texts("E3")), path
        assert "Li Lei" not in body or path == "/people"
    page.goto(f"{server}/people")
    assert "Li Lei" not in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "staff.png"))


def test_payroll_lands_on_exports(server, browser, tmp_path):
    page = _sign_in(browser, server, "pay")
    assert page.url.endswith("/exports")
    assert "2026Q1" in page.inner_text("#quarters")
    page.screenshot(path=str(tmp_path / "payroll.png"))
