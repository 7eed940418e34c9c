"""The demo company's export files: deterministic, well-formed, and showing the problems perfrules measures."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from perfrules.engine.demo import custom_size, generate
from perfrules.engine.demo.files import HEADERS, IMPORT_ORDER

from tests.demo.facts import last_moved, read, stock_by_sku

END = date(2025, 6, 30)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 SKUs over two years: big enough for every promised property, small enough to read in Python."""
    folder = tmp_path_factory.mktemp("demo")
    generate(folder, custom_size(400, 24), seed=11, end=END)
    return folder


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))}


def test_same_seed_same_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    size = custom_size(120, 6)
    generate(tmp_path / "a", size, seed=5, end=END)
    generate(tmp_path / "b", size, seed=5, end=END)
    generate(tmp_path / "c", size, seed=6, end=END)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    changed = {name for name, h in digest(tmp_path / "c").items() if digest(tmp_path / "a")[name] != h}
    assert {"skus.csv", "movements.csv", "demand.csv", "purchase-orders.csv"} <= changed


def test_one_file_per_kind_with_the_documented_header(company: Path) -> None:
    assert sorted(p.stem for p in company.glob("*.csv")) == sorted(IMPORT_ORDER)
    for kind in IMPORT_ORDER:
        header = (company / f"{kind}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header == ",".join(HEADERS[kind])


def test_end_is_honoured_and_history_is_two_years(company: Path) -> None:
    days = sorted({m["moved_at"][:10] for m in read(company, "movements")})
    assert days[-1] == END.isoformat()
    assert days[0] == (date(2023, 7, 1)).isoformat()
    months = [f["month"] for f in read(company, "finance")]
    assert months[0] == "2023-07" and months[-1] == "2025-06" and len(months) == 24


def test_ids_are_unique_and_references_resolve(company: Path) -> None:
    skus = {s["sku"] for s in read(company, "skus")}
    employees = {e["id"] for e in read(company, "employees")}
    for kind in ("movements", "demand", "purchase-orders", "cycle-counts", "work-orders", "disposals", "submissions"):
        ids = [r["id"] for r in read(company, kind)]
        assert len(ids) == len(set(ids)), kind
    assert {m["sku"] for m in read(company, "movements")} <= skus
    assert {p["buyer_id"] for p in read(company, "purchase-orders")} <= employees
    assert {e["manager_id"] for e in read(company, "employees")} - {""} <= employees
    for kit in (s for s in read(company, "skus") if s["kit_components"]):
        assert {part.split("*")[0] for part in kit["kit_components"].split("|")} <= skus


def test_stock_never_goes_negative(company: Path) -> None:
    stock: dict[str, int] = defaultdict(int)
    for m in sorted(read(company, "movements"), key=lambda m: (m["moved_at"], m["id"])):
        stock[m["sku"]] += {"sale": -1, "issue": -1, "supplier_return": -1}.get(m["kind"], 1) * int(m["quantity"])
        assert stock[m["sku"]] >= 0, m


def test_dead_stock_exists(company: Path) -> None:
    movements = read(company, "movements")
    stock, last = stock_by_sku(movements), last_moved(movements)
    cost = {s["sku"]: float(s["unit_cost"]) for s in read(company, "skus")}
    cutoff = (END - timedelta(days=180)).isoformat()
    dead = sum(q * cost[s] for s, q in stock.items() if q > 0 and last[s] < cutoff)
    total = sum(q * cost[s] for s, q in stock.items())
    assert 0.03 < dead / total < 0.6


def test_stockouts_emergency_orders_and_count_mismatches(company: Path) -> None:
    short = [d for d in read(company, "demand") if int(d["qty_served"]) < int(d["qty_requested"])]
    assert short and all(d["stockout_start"] for d in short)
    assert any(d["stockout_end"] > d["stockout_start"] for d in short)
    orders = read(company, "purchase-orders")
    emergency = sum(o["emergency"] == "true" for o in orders)
    assert 0 < emergency < len(orders) / 3
    assert any(o["received_day"] > o["promised_day"] for o in orders if o["received_day"])
    counts = read(company, "cycle-counts")
    mismatched = sum(c["book_qty"] != c["counted_qty"] for c in counts)
    assert 0 < mismatched < len(counts) / 10
    work_orders = read(company, "work-orders")
    assert {w["all_components_available"] for w in work_orders} == {"true", "false"}


def test_seasonal_skus_sell_in_their_season(company: Path) -> None:
    summer = {s["sku"] for s in read(company, "skus") if s["season"] == "summer"}
    by_month: Counter[str] = Counter()
    for m in read(company, "movements"):
        if m["kind"] == "sale" and m["sku"] in summer and m["ref"].startswith("DL"):
            by_month[m["moved_at"][5:7]] += int(m["quantity"])
    in_season = sum(by_month[m] for m in ("06", "07", "08")) / 3
    off_season = sum(by_month[m] for m in ("10", "11", "12", "01", "02", "03")) / 6
    assert in_season > 5 * off_season


def test_forecast_accuracy_differs_by_planner(company: Path) -> None:
    error: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for f in read(company, "forecasts"):
        error[f["forecaster_id"]][0] += abs(int(f["forecast_qty"]) - int(f["actual_qty"]))
        error[f["forecaster_id"]][1] += int(f["actual_qty"])
    accuracy = sorted(1 - e / a for e, a in error.values())
    assert len(accuracy) == 2 and accuracy[1] - accuracy[0] > 0.15


def test_deliverables_are_sometimes_late_or_missing(company: Path) -> None:
    submissions = read(company, "submissions")
    lists = [s for s in submissions if s["deliverable"] == "slow_mover_list"]
    late = [s for s in lists if s["submitted_at"][8:10] > "05"]
    assert late and all(s["note"] for s in late)
    handed_in = {(s["period"], s["employee_id"]) for s in lists}
    periods = {s["period"] for s in lists}
    purchasers = {s["employee_id"] for s in lists}
    assert len(handed_in) < len(periods) * len(purchasers)  # some list is missing
    capital = [s for s in submissions if s["deliverable"] == "capital_report"]
    assert any(s["submitted_at"][8:10] > "10" for s in capital)
    assert all(isinstance(json.loads(s["payload"])["impairment_accounted"], bool) for s in capital)
    tracking = [s for s in submissions if s["deliverable"] == "disposal_tracking"]
    assert tracking and all(s["period"][4:6] == "-W" for s in tracking)
    statuses = {i["status"] for s in tracking for i in json.loads(s["payload"])["items"]}
    assert statuses == {"promotion", "clearance", "return", "pending"}


def test_slow_mover_lists_are_sometimes_incomplete_or_misclassified(company: Path) -> None:
    movements = read(company, "movements")
    season = {s["sku"]: s["season"] for s in read(company, "skus")}
    incomplete = complete = misclassified = 0
    state: dict[str, tuple[dict[str, int], dict[str, str]]] = {}
    for sub in (s for s in read(company, "submissions") if s["deliverable"] == "slow_mover_list"):
        period_end = date.fromisoformat(sub["period"] + "-01").replace(day=28) + timedelta(days=4)
        period_end = period_end.replace(day=1) - timedelta(days=1)
        if period_end < date(2023, 7, 1) + timedelta(days=120):
            continue
        until = period_end.isoformat()
        if until not in state:
            before = [m for m in movements if m["moved_at"][:10] <= until]
            state[until] = stock_by_sku(before), last_moved(before, ("sale",))
        stock, sold = state[until]
        cutoff = (period_end - timedelta(days=90)).isoformat()
        items = {i["sku"]: i["class"] for i in json.loads(sub["payload"])["items"]}
        prefixes = {s[:3] for s in items}  # a purchaser lists only their categories: compare within those
        truth = {s for s, q in stock.items() if q > 0 and sold.get(s, "") <= cutoff and s[:3] in prefixes}
        missed = truth - set(items)
        incomplete += bool(missed)
        complete += not missed
        misclassified += sum((c == "seasonal") != bool(season[s]) for s, c in items.items())
    assert incomplete and complete and misclassified


def test_disposals_digest_some_lists_and_not_others(company: Path) -> None:
    listed: dict[str, set[str]] = defaultdict(set)
    for sub in read(company, "submissions"):
        if sub["deliverable"] == "slow_mover_list":
            listed[sub["period"]] |= {i["sku"] for i in json.loads(sub["payload"])["items"]}
    disposed: dict[str, set[str]] = defaultdict(set)
    for d in read(company, "disposals"):
        disposed[d["list_period"]].add(d["sku"])
        assert d["action"] in ("promotion", "clearance", "return") and int(d["quantity"]) > 0
    rates = [len(disposed[p] & skus) / len(skus) for p, skus in listed.items() if len(skus) >= 10]
    assert any(r >= 0.8 for r in rates) and any(r < 0.8 for r in rates)


def test_organisation(company: Path) -> None:
    employees = read(company, "employees")
    assert {e["department"] for e in employees} == {d["code"] for d in read(company, "departments")}
    assert {e["locale"] for e in employees} == {"zh-CN", "en"}
    assert sum(not e["manager_id"] for e in employees) == 1  # the general manager
    assert all(e["name_zh"] and e["name_en"] and float(e["bonus_base"]) > 0 for e in employees)
    assert any(e["active_to"] for e in employees)
