"""The dashboard's figures are kept between requests and drawn up again as soon as facts change."""

from __future__ import annotations

import pytest
from perfrules.engine.importing import import_files
from perfrules.engine.importing.reading import Upload
from perfrules.engine.periods import parse_period
from perfrules.engine.web import board, figures, warming
from perfrules.storage import access

from tests.web.support import NOW, settings_for

SKUS = "sku,name,category,unit_cost,price,supplier,season,kit_components\nP1,Plate,ceramic,10.00,25,,,\n"


@pytest.fixture
def computed(monkeypatch) -> list[tuple]:
    """What the dashboard draws up from here on (the cache keys of the figures it computes, not found kept)."""
    drawn: list[tuple] = []
    real = board._cached

    def counting(db, what, compute, until, generations=None, codec=None):
        return real(db, what, lambda: drawn.append(what) or compute(), until, generations, codec)

    monkeypatch.setattr(board, "_cached", counting)
    return drawn


def _import(db, kind: str, body: str) -> None:
    import_files(db, kind, [Upload(f"{kind}.csv", body.encode())], zone=NOW.tzinfo, now=NOW, user="test")


def test_slow_mover_figures_are_kept_until_facts_change(company, database_url):
    settings = settings_for(database_url)
    february = parse_period("2026-02")
    _import(company, "skus", SKUS)
    first = board.slow_movers(company, settings, february)
    assert first[3].rows == ()
    assert board.slow_movers(company, settings, february) is first  # kept: nothing changed
    _import(
        company,
        "movements",
        "id,sku,kind,moved_at,quantity,unit_cost,ref\nM1,P1,receipt,2025-06-02T10:00:00,5,10.00,po\n",
    )
    after = board.slow_movers(company, settings, february)  # the import moved the facts generation on
    assert [row[0] for row in after[3].rows] == ["P1"]
    assert after[0].labels == ("ceramic",) and after[0].datasets == (("value", (50.0,)),)
    assert board.slow_movers(company, settings, february) is after


def test_kpi_trends_show_a_push_at_once(company, database_url):
    settings = settings_for(database_url)
    february = parse_period("2026-02")
    kpi = next(k for k in board.kpi_defs() if k.id == "inventory_accuracy")
    _import(company, "skus", SKUS)
    before = board.trend(company, settings, kpi, scope_kind="company", scope="company", end=february)
    assert dict(before.datasets)["value"][-1] is None  # no cycle count yet
    _import(company, "cycle-counts", "id,sku,day,book_qty,counted_qty,counter_id\nC1,P1,2026-02-10,5,5,\n")
    after = board.trend(company, settings, kpi, scope_kind="company", scope="company", end=february)
    assert dict(after.datasets)["value"][-1] == 1.0
    assert dict(after.datasets)["value"][:-1] == dict(before.datasets)["value"][:-1]


def test_a_push_recomputes_the_months_it_concerns_and_keeps_the_earlier_ones(company, database_url, computed):
    """Figures of a month are drawn up again only when a batch changed facts of a month up to its end (or
    master data): today's movements leave last year's figures where they are."""
    settings = settings_for(database_url)
    _import(company, "skus", SKUS)
    january, february = parse_period("2026-01"), parse_period("2026-02")
    for month in (january, february):
        board.kpi_table(company, settings, scope_kind="company", scope="company", period=month)
    assert [what[3] for what in computed] == ["2026-01", "2026-02"]
    _import(
        company,
        "movements",
        "id,sku,kind,moved_at,quantity,unit_cost,ref\nM1,P1,receipt,2026-02-03T10:00:00,5,10.00,po\n",
    )  # a February fact
    for month in (january, february):
        board.kpi_table(company, settings, scope_kind="company", scope="company", period=month)
    assert [what[3] for what in computed] == ["2026-01", "2026-02", "2026-02"]  # January kept
    _import(company, "skus", SKUS.replace("10.00", "12.00"))  # a cost: master data concerns every month
    for month in (january, february):
        board.kpi_table(company, settings, scope_kind="company", scope="company", period=month)
    assert [what[3] for what in computed] == ["2026-01", "2026-02", "2026-02", "2026-01", "2026-02"]


def test_the_filler_draws_the_pages_up_after_facts_change_so_the_first_view_computes_nothing(
    company, database_url, computed
):
    settings = settings_for(database_url)
    _import(company, "skus", SKUS)
    filler = warming.StoreFiller(company, settings, lambda: NOW)  # 10 March: the pages show February
    assert filler.tick() is True
    computed.clear()  # what the filler drew up
    february = parse_period("2026-02")
    generations = access.fact_generations(company)
    shown = board.dashboard_figures(company, settings, february, NOW.date())
    assert computed == [] and len(shown.trends) == len(shown.cells) > 0  # all drawn up by the filler
    figures.department_figures(company, settings, "purchasing", february, NOW.date(), generations)
    figures.employee_figures(company, settings, "E2", "purchasing", february, NOW.date(), generations)
    turnover = next(k for k in board.kpi_defs() if k.id == "turnover")
    figures.kpi_figures(company, settings, turnover, "company", "company", february, NOW.date(), generations)
    assert computed == []
    assert filler.tick() is False  # nothing changed since
    _import(
        company,
        "movements",
        "id,sku,kind,moved_at,quantity,unit_cost,ref\nM1,P1,receipt,2026-02-03T10:00:00,5,10.00,po\n",
    )
    assert filler.tick() is True
    assert {what[0] for what in computed} >= {"kpis", "slow_movers", "slow_mover_charts"}
    assert {what[3] for what in computed if what[0] == "kpis"} == {"2026-02"}  # only the month the push concerns
    computed.clear()
    board._CACHE.clear()  # a fresh server process: the figures come from the store
    board.dashboard_figures(company, settings, february, NOW.date())
    assert computed == []


def test_a_failing_round_is_logged_and_the_filler_goes_on(company, database_url, monkeypatch, caplog):
    import threading

    filler = warming.StoreFiller(company, settings_for(database_url), lambda: NOW)
    rounds: list[int] = []

    def broken() -> bool:
        rounds.append(1)
        if len(rounds) == 2:
            stop.set()
        raise RuntimeError("boom")

    stop = threading.Event()
    monkeypatch.setattr(filler, "tick", broken)
    filler.run(stop, 0.01)
    assert len(rounds) == 2 and "could not fill the KPI value store" in caplog.text
