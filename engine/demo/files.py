"""The export files: one CSV per import kind, written as a stream, with the column order of the import
formats (docs/architecture.md, "Fact file formats")."""

from __future__ import annotations

import csv
from pathlib import Path
from types import TracebackType

HEADERS: dict[str, tuple[str, ...]] = {
    "departments": ("code", "name_en", "name_zh"),
    "employees": (
        "id",
        "name_en",
        "name_zh",
        "department",
        "role",
        "manager_id",
        "email",
        "locale",
        "bonus_base",
        "active_from",
        "active_to",
    ),
    "skus": ("sku", "name", "category", "unit_cost", "price", "supplier", "season", "kit_components"),
    "movements": ("id", "sku", "kind", "moved_at", "quantity", "unit_cost", "ref"),
    "demand": ("id", "sku", "requested_at", "qty_requested", "qty_served", "stockout_start", "stockout_end"),
    "purchase-orders": (
        "id",
        "sku",
        "supplier",
        "buyer_id",
        "ordered_day",
        "promised_day",
        "received_day",
        "quantity",
        "unit_cost",
        "emergency",
        "qty_inspected",
        "qty_passed",
    ),
    "cycle-counts": ("id", "sku", "day", "book_qty", "counted_qty", "counter_id"),
    "work-orders": ("id", "kit_sku", "day", "quantity", "all_components_available"),
    "forecasts": ("sku", "month", "forecast_qty", "actual_qty", "forecaster_id"),
    "finance": (
        "month",
        "current_assets",
        "revenue",
        "receivable_days",
        "payable_days",
        "impairment_loss",
        "capital_cost",
        "storage_cost",
        "handling_cost",
        "risk_cost",
    ),
    "submissions": ("id", "deliverable", "period", "employee_id", "submitted_at", "note", "payload"),
    "disposals": ("id", "sku", "action", "quantity", "day", "employee_id", "list_period", "recovered_value"),
}
# The order the importer must load them in (later kinds refer to earlier ones).
IMPORT_ORDER = (
    "departments",
    "employees",
    "skus",
    "movements",
    "demand",
    "purchase-orders",
    "cycle-counts",
    "work-orders",
    "forecasts",
    "finance",
    "submissions",
    "disposals",
)
TIME_OF_DAY = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]


def money(fen: int) -> str:
    """Integer fen as decimal CNY text: 12345 -> '123.45' (exact; no float on the way)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def money_list(values: list[int]) -> list[str]:
    return [f"{v // 100}.{v % 100:02d}" if v >= 0 else money(v) for v in values]


def file_name(kind: str) -> str:
    return f"{kind}.csv"


class Sinks:
    """One open CSV file per kind under ``folder``; counts the rows written to each."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.rows = dict.fromkeys(HEADERS, 0)
        self._files = {k: (folder / file_name(k)).open("w", encoding="utf-8", newline="") for k in HEADERS}
        for kind, handle in self._files.items():
            handle.write(",".join(HEADERS[kind]) + "\n")

    def write_lines(self, kind: str, lines: list[str]) -> None:
        """Pre-formatted lines, each ending in a newline, with no cell needing quotes."""
        self._files[kind].write("".join(lines))
        self.rows[kind] += len(lines)

    def write_rows(self, kind: str, rows: list[tuple[object, ...]]) -> None:
        """Rows that may need CSV quoting (JSON payloads, free text), written as they are quoted: no copy of
        the text in memory (the submissions' payloads of 1M SKUs are 100 MB and more)."""
        csv.writer(self._files[kind], lineterminator="\n").writerows(rows)
        self.rows[kind] += len(rows)

    def paths(self) -> dict[str, Path]:
        return {k: self.folder / file_name(k) for k in HEADERS}

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()

    def __enter__(self) -> Sinks:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
