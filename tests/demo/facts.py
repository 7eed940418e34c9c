"""Read generated export files back for the demo tests (plain csv: the tests check the files, not our code)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

SIGN = {"receipt": 1, "sale": -1, "issue": -1, "customer_return": 1, "supplier_return": -1, "adjustment": 1}


def read(folder: Path, kind: str) -> list[dict[str, str]]:
    with (folder / f"{kind}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def stock_by_sku(movements: list[dict[str, str]], until: str | None = None) -> dict[str, int]:
    """On-hand stock per SKU after every movement up to ``until`` (a date, inclusive)."""
    stock: dict[str, int] = defaultdict(int)
    for m in movements:
        if until is None or m["moved_at"][:10] <= until:
            stock[m["sku"]] += SIGN[m["kind"]] * int(m["quantity"])
    return dict(stock)


def last_moved(movements: list[dict[str, str]], kinds: tuple[str, ...] = tuple(SIGN)) -> dict[str, str]:
    last: dict[str, str] = {}
    for m in movements:
        if m["kind"] in kinds:
            last[m["sku"]] = max(last.get(m["sku"], ""), m["moved_at"][:10])
    return last
