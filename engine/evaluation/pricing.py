"""Re-price a quarter from its stored findings: lines per employee, cap and floor lines, and — for a closed
quarter — correction lines paid in the next open quarter instead of any silent edit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from perfrules.engine.evaluation.consequences import Charge, Line, price, settle
from perfrules.engine.evaluation.people import Person
from perfrules.engine.money import round_cny
from perfrules.engine.periods import Period
from perfrules.storage import evaluation_store as store
from perfrules.storage.db import Session

ZERO = Decimal(0)
REGULAR = ("deduction", "award", "proportional")


def charges(findings: Iterable[Mapping[str, Any]]) -> list[Charge]:
    """The priced consequences of findings: one charge per charged employee, weighted."""
    out = []
    for f in findings:
        if f["share"] is None or f["status"] != "active":
            continue
        for target in f["charged_to"]:
            out.append(
                Charge(
                    f.get("id"),
                    f["rule_id"],
                    f["rule_file"],
                    f["rule_line"],
                    f["rule_version"],
                    target["employee"],
                    target["department"],
                    f["period"],
                    Decimal(f["share"]) * Decimal(target["weight"]),
                    bool(f["stacks"]),
                    f["share_cap"],
                    f["reason_code"],
                    "proportional" if f["reason_code"] == "kpi_proportional" else "",
                )
            )
    return out


def _row(line: Line) -> dict[str, Any]:
    return {
        "rule_id": line.rule_id,
        "employee_id": line.employee_id,
        "period": line.period,
        "kind": line.kind,
        "quarter": line.quarter,
        "share": line.share,
        "base": line.base,
        "amount": line.amount,
        "reason_code": line.reason_code,
        "rule_file": line.rule_file,
        "rule_line": line.rule_line,
        "rule_version": line.rule_version,
        "finding_ids": list(line.finding_ids),
        "computation": line.computation,
        "corrects_quarter": None,
    }


def settle_lines(
    quarter: Period, people: Mapping[str, Person], rows: Sequence[Mapping[str, Any]], total_cap: Decimal | None
) -> list[Line]:
    """Cap and floor lines from the effective amounts of each employee's regular lines."""
    amounts: dict[str, list[Decimal]] = {}
    for r in rows:
        if r["kind"] in REGULAR:
            amounts.setdefault(r["employee_id"], []).append(store.effective(r))
    lines = []
    for employee_id, values in sorted(amounts.items()):
        base, _ = people[employee_id].base_for(quarter)
        for kind, amount, how in settle(base, values, total_cap):
            rule = "(total cap)" if kind == "cap" else "(floor)"
            lines.append(
                Line(rule, employee_id, quarter.label, kind, quarter.label, ZERO, round_cny(base), amount, kind, how)
            )
    return lines


def reprice(
    session: Session,
    run_id: int,
    quarter: Period,
    people: Mapping[str, Person],
    findings: Sequence[Mapping[str, Any]],
    total_cap: Decimal | None,
) -> int:
    """Recompute and store every line of ``quarter``; returns the number of active lines."""
    lines = price(charges(findings), people, quarter)
    store.store_lines(session, run_id, quarter.label, [_row(x) for x in lines], REGULAR)
    rows = store.adjustments(None, quarter=quarter.label, session=session)  # type: ignore[arg-type]
    store.store_lines(
        session,
        run_id,
        quarter.label,
        [_row(x) for x in settle_lines(quarter, people, rows, total_cap)],
        ("cap", "floor"),
    )
    closed = store.closed_quarters(session=session)
    if quarter.label in closed:
        sync_corrections(session, run_id, quarter, closed)
    return len(lines)


def next_open(quarter: Period, closed: set[str]) -> Period:
    target = quarter.next()
    while target.label in closed:
        target = target.next()
    return target


def sync_corrections(session: Session, run_id: int | None, quarter: Period, closed: set[str]) -> list[dict]:
    """For a closed ``quarter``: what each line pays now minus what was paid at close (and in earlier
    corrections) becomes a ``correction:<kind>`` line in the next open quarter."""
    target = next_open(quarter, closed)
    rows = store.adjustments(None, quarter=quarter.label, session=session)  # type: ignore[arg-type]
    later = [r for r in _corrections_of(session, quarter.label)]
    out = []
    for line in rows:
        if line["kind"].startswith("correction:"):
            continue
        kind = f"correction:{line['kind']}"
        same = [
            c
            for c in later
            if (c["rule_id"], c["employee_id"], c["period"], c["kind"])
            == (line["rule_id"], line["employee_id"], line["period"], kind)
        ]
        prior = sum((store.effective(c) for c in same if c["quarter"] in closed and c["quarter"] != target.label), ZERO)
        paid = line["frozen_amount"] if line["frozen_amount"] is not None else ZERO
        delta = store.effective(line) - paid - prior
        if not delta and not any(c["quarter"] == target.label for c in same):
            continue
        out.append(
            {
                "rule_id": line["rule_id"],
                "employee_id": line["employee_id"],
                "period": line["period"],
                "kind": kind,
                "quarter": target.label,
                "share": ZERO,
                "base": ZERO,
                "amount": delta,
                "reason_code": "correction",
                "rule_file": line["rule_file"],
                "rule_line": line["rule_line"],
                "rule_version": line["rule_version"],
                "finding_ids": line["finding_ids"],
                "computation": (
                    f"correction of {quarter.label} line #{line['id']} ({line['kind']}): pays "
                    f"{store.effective(line)} now, {paid} paid at close"
                    + (f", {prior} corrected earlier" if prior else "")
                    + f" → {delta}"
                ),
                "corrects_quarter": quarter.label,
            }
        )
    store.store_lines(session, run_id, target.label, out, ())
    return out


def _corrections_of(session: Session, quarter: str) -> list[dict]:
    return store.corrections_of(session, quarter)
