"""Each import batch records the first day its facts concern, and the facts generation of the months from
then on moves on: what tells the dashboard which cached KPI figures are out of date."""

from __future__ import annotations

from datetime import date

from perfrules.storage import access
from perfrules.storage.models import ImportBatch
from sqlmodel import select

from tests.importing.conftest import SKUS, run, write

PO = (
    "id,sku,supplier,buyer_id,ordered_day,promised_day,received_day,quantity,unit_cost,emergency,qty_inspected,"
    "qty_passed\n"
)


def last_batch(db) -> ImportBatch:
    with db.session() as s:
        return s.exec(select(ImportBatch).order_by(ImportBatch.id.desc())).first()


def test_a_batch_is_dated_by_the_first_day_its_facts_concern(base):
    assert last_batch(base).first_day is None  # SKUs: master data, every period
    run(
        base,
        "movements",
        write(
            "m.csv",
            "id,sku,kind,moved_at,quantity,unit_cost,ref\n"
            "M1,S1,receipt,2026-09-03T08:30:00,100,12.50,\n"
            "M2,S1,sale,2026-09-02T01:30:00,3,12.50,\n",
        ),
    )  # local day 2 September
    assert last_batch(base).first_day == date(2026, 9, 2)
    run(base, "purchase-orders", write("po.csv", PO + "P1,S1,,,2026-07-10,2026-07-20,,10,5,no,,\n"))
    assert last_batch(base).first_day == date(2026, 7, 10)
    # the order date corrected to August: July's figures change too (the old value dates the batch)
    run(base, "purchase-orders", write("po.csv", PO + "P1,S1,,,2026-08-20,2026-08-30,2026-08-29,10,5,no,,\n"))
    assert (last_batch(base).updated, last_batch(base).first_day) == (1, date(2026, 7, 10))
    run(
        base,
        "submissions",
        write(
            "s.csv",
            "id,deliverable,period,employee_id,submitted_at,note,payload\n"
            "S1,disposal_tracking,2026-W38,E1,2026-09-21T09:00:00,,\n",
        ),
    )
    assert last_batch(base).first_day == date(2026, 9, 14)  # the week's Monday
    run(
        base,
        "demand",
        write(
            "d.csv",
            "id,sku,requested_at,qty_requested,qty_served,stockout_start,stockout_end\n"
            "D1,S1,2026-10-02T10:00:00,5,0,2026-09-28T10:00:00,\n",
        ),
    )
    assert last_batch(base).first_day == date(2026, 9, 27)  # a stockout timestamp: the day before, any zone


def test_the_generation_of_a_period_moves_on_only_for_facts_up_to_its_end(base):
    before = {m: access.facts_generation(base, date(2026, m, 28)) for m in (8, 9)}
    run(
        base,
        "movements",
        write("m.csv", "id,sku,kind,moved_at,quantity,unit_cost,ref\nM1,S1,receipt,2026-09-03T08:30:00,100,12.50,\n"),
    )
    assert access.facts_generation(base, date(2026, 8, 28)) == before[8]  # August cannot have changed
    assert access.facts_generation(base, date(2026, 9, 28)) > before[9]
    pushed = access.facts_generation(base)
    run(
        base,
        "movements",
        write("m.csv", "id,sku,kind,moved_at,quantity,unit_cost,ref\nM1,S1,receipt,2026-09-03T08:30:00,100,12.50,\n"),
    )  # unchanged
    assert access.facts_generation(base) == pushed
    run(base, "skus", write("skus.csv", SKUS + "S9,Extra,misc,1.00,2.00,,,\n"))
    assert access.facts_generation(base, date(2026, 8, 28)) > before[8]  # master data: every period
