"""HR corrections and the quarter close: void or override a line (who, when, why), close a quarter so its
payroll figures never change again, reopen it explicitly.

A void or override of a line in a closed quarter is recorded against the line, but the closed quarter still
pays what it paid at close: the difference becomes a correction line in the next open quarter.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from perfrules.engine.evaluation.errors import BadOverride, QuarterStateError, UnknownAdjustment
from perfrules.engine.evaluation.people import load_people
from perfrules.engine.evaluation.pricing import REGULAR, settle_lines, sync_corrections
from perfrules.engine.evaluation.pricing import _row as line_row
from perfrules.engine.money import round_cny
from perfrules.engine.periods import local_date, parse_period
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store


def resettle(db: Database, quarter_label: str, total_cap: Decimal | None = None) -> None:
    """Recompute the cap/floor lines of a quarter and, if it is closed, its correction lines."""
    quarter = parse_period(quarter_label)
    people = {p.id: p for p in load_people(db)}
    with db.session() as s:
        rows = store.adjustments(db, quarter=quarter.label, session=s)
        settled = [line_row(x) for x in settle_lines(quarter, people, rows, total_cap)]
        store.store_lines(s, None, quarter.label, settled, ("cap", "floor"))
        closed = store.closed_quarters(session=s)
        if quarter.label in closed:
            sync_corrections(s, None, quarter, closed)


def void(
    db: Database, adjustment_id: int, *, reason: str, by: str, now: datetime, total_cap: Decimal | None = None
) -> dict[str, Any]:
    """Void a line; the quarter's cap and floor lines are settled again (``total_cap``: the rulebook's)."""
    row = store.act_on_adjustment(db, adjustment_id, "void", reason=reason, by=by, at=now)
    if row is None:
        raise UnknownAdjustment(adjustment_id)
    resettle(db, row["quarter"], total_cap)
    return row


def override(
    db: Database,
    adjustment_id: int,
    *,
    reason: str,
    by: str,
    now: datetime,
    amount: Decimal | None = None,
    share: Decimal | None = None,
    total_cap: Decimal | None = None,
) -> dict[str, Any]:
    """Override a line with a fixed ``amount`` (signed CNY) or a ``share`` of the line's base."""
    if (amount is None) == (share is None):
        raise BadOverride("give exactly one of --amount or --share")
    current = store.adjustment(db, adjustment_id)
    if current is None:
        raise UnknownAdjustment(adjustment_id)
    if current["kind"] not in REGULAR:
        raise BadOverride(f"line {adjustment_id} is a {current['kind']} line; override the lines it settles")
    value = round_cny(amount) if amount is not None else round_cny(current["base"] * share)
    row = store.act_on_adjustment(
        db, adjustment_id, "override", reason=reason, by=by, at=now, amount=value, share=share
    )
    assert row is not None
    resettle(db, row["quarter"], total_cap)
    return row


def close(
    db: Database, quarter_label: str, *, by: str, now: datetime, zone: tzinfo, force: bool = False, reason: str = ""
) -> int:
    """Freeze the quarter's lines. A quarter that has not ended yet (in the company zone) is refused unless
    ``force`` is given with a ``reason``, which is stored on the close."""
    period = parse_period(quarter_label)
    quarter = period.label
    if quarter in store.closed_quarters(db):
        raise QuarterStateError(quarter, "already closed")
    today = local_date(now, zone)
    if period.end > today and not force:
        raise QuarterStateError(
            quarter,
            f"has not ended yet (today is {today}, its last day {period.last_day}); to close it anyway "
            "give --force and a --reason",
        )
    if force and not reason.strip():
        raise QuarterStateError(quarter, "--force needs a --reason (kept with the close)")
    return store.close_quarter(db, quarter, by, now, reason.strip())


def reopen(db: Database, quarter_label: str, *, reason: str, by: str, now: datetime) -> None:
    quarter = parse_period(quarter_label)
    closed = store.closed_quarters(db)
    if quarter.label not in closed:
        raise QuarterStateError(quarter.label, "is not closed")
    later = sorted(q for q in closed if parse_period(q).start > quarter.start)
    if later:
        raise QuarterStateError(quarter.label, f"a later quarter is closed ({', '.join(later)}); reopen it first")
    store.reopen_quarter(db, quarter.label, by, now, reason)
