"""Pages read their KPI figures from the KPI value store: after a push they serve the newest stored set, marked
stale, while the filler draws it up again at once; then they serve the fresh set."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from perfrules.engine.importing import import_files
from perfrules.engine.importing.reading import Upload
from perfrules.engine.web import board, stored, warming
from perfrules.engine.web.security import CSRF_COOKIE
from perfrules.storage import kpi_store

from tests.web.support import NOW, PASSWORD, settings_for, system_headers

SKUS = "sku,name,category,unit_cost,price,supplier,season,kit_components\nP1,Plate,ceramic,10.00,25,,,\n"
COUNT = "id,sku,day,book_qty,counted_qty,counter_id\nC1,P1,2026-02-10,5,5,\n"
PAGES = ("/dashboard?period=2026-02", "/departments/purchasing", "/employees/E2", "/kpis/inventory_accuracy")


def _import(db, kind: str, body: str) -> None:
    import_files(db, kind, [Upload(f"{kind}.csv", body.encode())], zone=NOW.tzinfo, now=NOW, user="test")


def _accuracy(client: TestClient) -> tuple[str | None, dict[str, str]]:
    r = client.get("/api/v1/kpis?period=2026-02")
    assert r.status_code == 200, r.text
    value = next(k["value"] for k in r.json() if k["kpi"] == "inventory_accuracy")
    return value, r.headers


def test_a_push_serves_the_stored_figures_marked_stale_until_the_filler_drew_them_up(
    app, company, database_url, sign_in
):
    _import(company, "skus", SKUS)
    filler = warming.StoreFiller(company, settings_for(database_url), lambda: NOW)
    assert filler.tick() is True  # every page's February figures stored
    hr = sign_in("hr")
    for page in PAGES:
        r = hr.get(page)
        assert r.status_code == 200 and 'id="freshness"' not in r.text, page
    before, headers = _accuracy(hr)
    assert before is None and "X-Figures-Stale" not in headers
    generation = int(headers["X-Facts-Generation"])

    wake = stored.wake_event(company)
    wake.clear()
    push = TestClient(app).post("/api/v1/facts/cycle-counts", content=COUNT, headers=system_headers(company))
    assert push.status_code == 200, push.text
    assert wake.is_set()  # the push woke the filler
    wake.clear()

    for page in PAGES:  # the stored sets, marked stale: no page computes February again
        r = hr.get(page)
        assert r.status_code == 200, page
        note = re.search(r'<p class="stale" id="freshness">([^<]*)</p>', r.text)
        assert note is not None, page
        assert "Figures as of" in note.group(1) and "updating with 1 newer fact batches" in note.group(1)
        assert r.headers["X-Figures-Stale"] == "1"
    assert wake.is_set()  # a stale view wakes the filler too
    assert "数据截至" in hr.get("/dashboard?lang=zh-CN").text
    stale, headers = _accuracy(hr)
    assert stale is None and headers["X-Figures-Stale"] == "1"
    assert int(headers["X-Facts-Generation"]) == generation < int(headers["X-Facts-Current-Generation"])

    r = hr.get("/api/v1/kpis?period=2026-02&fresh=true")  # an API consumer may wait for the current figures
    assert next(k["value"] for k in r.json() if k["kpi"] == "inventory_accuracy") == "1.0000"
    assert "X-Figures-Stale" not in r.headers

    assert filler.tick() is True  # the filler's round: every page's February figures at the new generation
    for page in PAGES:
        r = hr.get(page)
        assert 'id="freshness"' not in r.text and "X-Figures-Stale" not in r.headers, page
    after, headers = _accuracy(hr)
    assert after == "1.0000" and int(headers["X-Facts-Generation"]) > generation


def test_a_fresh_server_process_reads_the_figures_from_the_store(app, company, database_url, sign_in, monkeypatch):
    _import(company, "skus", SKUS)
    _import(company, "cycle-counts", COUNT)
    assert warming.StoreFiller(company, settings_for(database_url), lambda: NOW).tick() is True
    board._CACHE.clear()  # nothing held in memory, as in a server started afresh
    from perfrules.engine.kpi import library

    def refuse(*args, **kwargs):
        raise AssertionError("a stored set was computed again")

    monkeypatch.setattr(library, "compute_all", refuse)
    monkeypatch.setattr(library, "drill_down", refuse)
    hr = sign_in("hr")
    for page in PAGES:
        assert hr.get(page).status_code == 200, page
    assert _accuracy(hr)[0] == "1.0000"
    listed = kpi_store.listing(company)
    assert {s.key.figures for s in listed} >= {"kpis", "slow_movers"}
    assert any(s.key.figures.startswith("drill:") for s in listed)


def test_the_kpi_store_command_fills_lists_and_prunes(company, database_url, runner):
    from perfrules.engine.cli import cli

    _import(company, "skus", SKUS)
    base = ["--database-url", database_url, "kpi-store"]
    r = runner.invoke(cli, [*base, "refresh", "--period", "2026-02", "--page", "company", "--page", "department"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("Filling the KPI value store for 2026-02\n")
    assert "  company    company" in r.output and "  department purchasing" in r.output
    assert "SUCCESS: 3 pages' figures current" in r.output  # the company dashboard and two departments
    r = runner.invoke(cli, [*base, "list", "--period", "2026-02"])
    assert r.exit_code == 0, r.output
    assert re.search(r"2026-02\s+kpis\s+company:company\s+2026-02-28\s+\d+ ", r.output)
    assert "stale" not in r.output and "kpis" in r.output and "department:purchasing" in r.output
    _import(company, "cycle-counts", COUNT)  # February moves on: its stored sets are stale now
    r = runner.invoke(cli, [*base, "list"])
    assert " stale " in r.output
    r = runner.invoke(cli, [*base, "prune"])
    assert r.exit_code == 0 and re.fullmatch(r"pruned \d+ sets no longer current\n", r.output), r.output
    assert all(s.key.period != "2026-02" for s in kpi_store.listing(company))  # January's are still current
    assert kpi_store.listing(company)


def test_after_a_rule_change_pages_show_the_figures_under_the_earlier_rules_marked_until_drawn_up(
    company, tmp_path, database_url
):
    import shutil

    from perfrules.engine.bundled import bundled_path
    from perfrules.engine.settings import load_settings
    from perfrules.engine.web.app import create_app

    rules = tmp_path / "rules"
    shutil.copytree(bundled_path("rules"), rules, ignore=shutil.ignore_patterns("tests"))
    settings = load_settings({"database_url": database_url, "rules_dir": str(rules)}, environ={})
    _import(company, "skus", SKUS)
    _import(company, "cycle-counts", COUNT)
    filler = warming.StoreFiller(company, settings, lambda: NOW)
    assert filler.tick() is True
    app = create_app(settings, db=company, clock=lambda: NOW)
    hr = TestClient(app)
    hr.get("/login")
    hr.post(
        "/login",
        data={"username": "hr", "password": PASSWORD, "next": "/", "csrf": hr.cookies[CSRF_COOKIE]},
        follow_redirects=False,
    )
    assert 'id="freshness"' not in hr.get("/dashboard?lang=en").text
    with (rules / "finance.yaml").open("a") as f:
        f.write("\n# a comment: another file digest, another rulebook\n")
    board._CACHE.clear()
    r = hr.get("/dashboard?lang=en")  # nothing stored under the new rules: the earlier figures, marked
    assert "under the rules before their last change" in r.text and r.headers["X-Figures-Stale"] == "1"
    value, headers = _accuracy(hr)
    assert value == "1.0000" and headers["X-Figures-Stale"] == "1"
    assert filler.tick() is True  # the new rulebook: every page drawn up under it
    r = hr.get("/dashboard?lang=en")
    assert 'id="freshness"' not in r.text and "X-Figures-Stale" not in r.headers
