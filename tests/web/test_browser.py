"""The dashboard in a real headless Chromium (Debian's), signed in as each role."""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from perfrules.engine.demo import custom_size, generate
from perfrules.engine.demo.loading import import_generated
from perfrules.engine.evaluation.run import evaluate_months
from perfrules.engine.periods import parse_period
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.web import credentials
from perfrules.engine.web.app import create_app
from perfrules.storage import access

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
    with _serving(create_app(settings_for(database_url), db=company, clock=lambda: NOW)) as base:
        yield base


@contextmanager
def _serving(app):
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
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


def _sign_in(browser, base: str, username: str, *, locale: str = "en", width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{base}/login?lang={locale}")
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
    assert page.locator("#kpis svg.spark").count() == rows.count()  # a sparkline per KPI, no wall of charts
    canvases = page.locator("canvas[data-chart]")
    assert page.locator("canvas[data-drawn='1']").count() == canvases.count() > 0  # Chart.js drew the rest
    assert "E4" in page.inner_text("#adjustments")
    page.screenshot(path=str(tmp_path / "hr-dashboard.png"), full_page=True)
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


# --- a manager's morning view on the demo company, at desktop and phone width, in both languages ---------

DEMO_NOW = datetime(2026, 3, 3, 8, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # Tuesday: lists due Thursday the 5th
DEMO_USERS = {"hr": ("hr", "E060"), "manager": ("manager", "E010")}  # as `perfrules demo` creates them
ARTIFACTS = Path(os.environ.get("PERFRULES_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
DESKTOP, PHONE = {"width": 1400, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture
def demo_server(db, database_url, tmp_path):
    """The demo company (150 SKUs, 14 months to February 2026), January and February evaluated, served."""
    settings = settings_for(database_url)
    report = generate(tmp_path / "exports", custom_size(150, 14), seed=1, end=date(2026, 2, 28))
    import_generated(db, report, settings, DEMO_NOW)
    months = [parse_period("2026-01"), parse_period("2026-02")]
    evaluate_months(db, load_rulebook(settings.rules_path), months, now=DEMO_NOW, zone=settings.zone)
    for username, (role, employee) in DEMO_USERS.items():
        access.add_user(
            db, username=username, display_name=username.title(), password_hash=credentials.hash_password(PASSWORD),
            role=role, employee_id=employee, now=DEMO_NOW, actor="test",
        )  # fmt: skip
    with _serving(create_app(settings, db=db, clock=lambda: DEMO_NOW)) as base:
        yield base, db


def _signed_in(browser, base: str, username: str, viewport: dict, lang: str):
    page = browser.new_page(viewport=viewport)
    page.goto(f"{base}/login?lang={lang}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_load_state("networkidle")
    page.goto(f"{base}/dashboard?period=2026-02&lang={lang}")
    page.wait_for_load_state("networkidle")
    return page


def _shot(page, name: str, database_url: str, docs: str | None = None) -> None:
    """Keep the screenshot as a test artifact; the SQLite run also refreshes the docs' copy."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    page.screenshot(path=str(ARTIFACTS / f"{name}-{backend}.png"))
    if docs and backend == "sqlite" and DOCS_IMG.is_dir():
        page.screenshot(path=str(DOCS_IMG / docs))


def _top(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box["y"] + box["height"]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("username", ["hr", "manager"])
def test_the_morning_view_is_above_the_fold_at_desktop_width(demo_server, browser, database_url, username, lang):
    base, db = demo_server
    page = _signed_in(browser, base, username, DESKTOP, lang)
    # the department status counts, the first person at risk and the deductions heading: all in view
    assert _top(page, "#departments-status tbody tr:last-child") <= DESKTOP["height"]
    assert _top(page, "#at-risk li") <= DESKTOP["height"]
    assert _top(page, "#quarter-deductions h2") <= DESKTOP["height"]
    shown = set(page.locator("#at-risk li").evaluate_all("els => els.map(e => e.dataset.employee)"))
    assert shown, "the demo's purchasers owe February's list on Thursday: someone is at risk"
    if username == "manager":
        assert shown <= access.team_of(db, "E010")
    text = page.inner_text("main")
    assert ("风险人员" in text and "库存周转率" in text) if lang == "zh-CN" else ("People at risk" in text)
    docs = {("hr", "en"): "dashboard.png", ("manager", "zh-CN"): "dashboard-manager-zh.png"}.get((username, lang))
    _shot(page, f"morning-{username}-{lang}-1400", database_url, docs)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("username", ["hr", "manager"])
def test_the_morning_view_fits_a_phone(demo_server, browser, database_url, username, lang):
    base, _ = demo_server
    page = _signed_in(browser, base, username, PHONE, lang)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]  # never scrolls sideways
    assert _top(page, "#at-risk h2") <= PHONE["height"]  # who needs attention comes first
    docs = {("manager", "en"): "dashboard-phone.png", ("manager", "zh-CN"): "dashboard-phone-zh.png"}
    _shot(page, f"morning-{username}-{lang}-390", database_url, docs.get((username, lang)))


def test_kpi_charts_keep_their_aspect_ratio_and_label_ratios_as_percentages(demo_server, browser):
    base, _ = demo_server
    page = _signed_in(browser, base, "hr", DESKTOP, "en")
    page.goto(f"{base}/kpis/fill_rate?period=2026-02")
    page.wait_for_load_state("networkidle")
    canvas = page.locator("canvas[data-drawn='1']").first
    box = canvas.bounding_box()
    assert box is not None and abs(box["width"] / box["height"] - 2) < 0.05
    labels = canvas.evaluate("c => Chart.getChart(c).scales.y.ticks.map(t => t.label)")
    assert labels and all(str(label).endswith("%") for label in labels), labels
