"""The demo's slow-mover lists follow the KPI library's definition: a list the demo draws up complete passes
``check_list``; only the lists it deliberately leaves incomplete miss SKUs; none names a SKU that is not slow."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from perfrules.engine.demo import custom_size, generate
from perfrules.engine.demo.calendar import Window
from perfrules.engine.demo.catalogue import ALL_CATEGORIES
from perfrules.engine.demo.loading import import_generated
from perfrules.engine.demo.organisation import PURCHASERS
from perfrules.engine.demo.plan import draw_plan
from perfrules.engine.demo.simulate import PURCHASER_OF_CATEGORY
from perfrules.engine.kpi.slow_movers import check_list, slow_mover_list
from perfrules.engine.periods import parse_period
from perfrules.engine.settings import load_settings
from perfrules.storage import Database
from perfrules.storage.kpi import reading

from tests.demo.facts import read

SEED, SKUS, MONTHS, END = 4, 120, 8, date(2025, 8, 31)


def test_complete_lists_pass_the_library_check_and_incomplete_ones_fail(
    db: Database, tmp_path: Path, zone: ZoneInfo
) -> None:
    report = generate(tmp_path, custom_size(SKUS, MONTHS), seed=SEED, end=END)
    import_generated(db, report, load_settings({}, environ={}), datetime(2025, 9, 2, 9, 0, tzinfo=zone))
    window = Window.ending(END, MONTHS)
    plan = draw_plan(np.random.default_rng([SEED, 2]), window)  # the generator's own draw: which lists omit SKUs
    omits = {
        (person, window.month_labels[window.month_index[int(b)] - 1]): float(plan.omit[p, j])
        for p, person in enumerate(PURCHASERS)
        for j, b in enumerate(plan.boundaries)
    }
    passed, failed, slow = [], [], 0
    with reading(db) as conn:
        for row in read(tmp_path, "submissions"):
            if row["deliverable"] != "slow_mover_list":
                continue
            system = slow_mover_list(conn, parse_period(row["period"]).last_day)
            slow += len(system.items)
            mine = {
                i.sku: i
                for i in system.items
                if any(item["sku"] == i.sku for item in json.loads(row["payload"])["items"])
            }
            check = check_list(system, json.loads(row["payload"]))
            assert check.extra == (), (row["id"], check.extra)
            assert not check.invalid
            # a purchaser lists only the categories they buy; the system list is company-wide
            (passed if len(mine) == len(_theirs(system, row)) else failed).append(row)
            if omits[(row["employee_id"], row["period"])] == 0:
                assert row in passed, (row["id"], sorted(set(_theirs(system, row)) - set(mine)))
    assert slow > 0 and passed and failed  # the company has slow movers and shows both kinds of list
    assert all(omits[(r["employee_id"], r["period"])] > 0 for r in failed)


def _theirs(system, row: dict[str, str]) -> list[str]:
    """The system's slow movers in the categories the submitting purchaser is responsible for."""
    p = PURCHASERS.index(row["employee_id"])
    mine = {c.name for k, c in enumerate(ALL_CATEGORIES) if PURCHASER_OF_CATEGORY[k] == p}
    return [i.sku for i in system.items if i.category in mine]
