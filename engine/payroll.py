"""The payroll export: one row per employee and one line per bonus adjustment, as CSV or xlsx.

The schema is stable and documented in ``docs/evaluation.md`` (column by column). Exporting the same closed
quarter twice gives identical bytes: rows and lines are sorted, the export id is a hash of the content,
and the xlsx has fixed timestamps inside (document properties and zip entries). Totals reconcile with the
line items to the cent: ``adjustment_amount`` is the sum of the employee's line amounts and
``final_bonus = base + adjustment_amount``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter
from perfrules.engine.errors import PerfRulesError
from perfrules.engine.evaluation.people import Person, load_people
from perfrules.engine.money import round_cny
from perfrules.engine.periods import Period
from perfrules.storage import Database
from perfrules.storage import evaluation_store as store

ZERO = Decimal(0)
FORMATS = ("csv", "xlsx")
# Zip entries need a timestamp; a fixed one keeps the bytes reproducible.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PayrollRow:
    """One employee's bonus for the quarter (sheet ``employees`` / the main CSV)."""

    export_id: str
    quarter: str
    employee_id: str
    name: str  # Chinese name
    name_en: str
    department: str  # department on the last day employed in the quarter
    bonus_base: Decimal  # contractual quarterly base
    days_employed: int
    base: Decimal  # pro-rated base: bonus_base × days_employed ÷ days of the quarter
    adjustment_pct: Decimal  # adjustment_amount ÷ base × 100, 2 decimals
    adjustment_amount: Decimal  # Σ line amounts
    final_bonus: Decimal  # base + adjustment_amount
    line_items: int


@dataclass(frozen=True)
class PayrollLine:
    """One bonus line (sheet ``lines`` / ``<stem>.lines.csv``)."""

    export_id: str
    quarter: str
    employee_id: str
    line_no: int
    rule_id: str
    reason_code: str
    kind: str
    period: str
    status: str
    share: Decimal
    amount: Decimal
    corrects_quarter: str


ROW_COLUMNS = tuple(f.name for f in fields(PayrollRow))
LINE_COLUMNS = tuple(f.name for f in fields(PayrollLine))


@dataclass(frozen=True)
class Payroll:
    """A whole export: its id, quarter, whether the quarter was closed, the rows and the lines."""

    export_id: str
    quarter: str
    closed: bool
    rows: tuple[PayrollRow, ...]
    lines: tuple[PayrollLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((r.adjustment_amount for r in self.rows), ZERO)


def _pct(amount: Decimal, base: Decimal) -> Decimal:
    if not base:
        return ZERO.quantize(Decimal("0.01"))
    return (amount / base * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def build(quarter: Period, people: list[Person], adjustments: list[dict], closed: bool) -> Payroll:
    """Assemble the export from people and stored adjustment rows (``perfrules.storage.evaluation_store.adjustments``).

    A closed quarter pays each line's ``frozen_amount`` (what it paid at close); an open one pays the
    effective amount (override, or 0 when void/withdrawn). Lines paying 0 are left out."""
    by_employee: dict[str, list[tuple[dict, Decimal]]] = {}
    for adj in adjustments:
        amount = (adj["frozen_amount"] or ZERO) if closed else store.effective(adj)
        if amount:
            by_employee.setdefault(adj["employee_id"], []).append((adj, round_cny(amount)))
    draft_rows, draft_lines = [], []
    for person in sorted(people, key=lambda p: p.id):
        base, days = person.base_for(quarter)
        items = sorted(
            by_employee.get(person.id, []),
            key=lambda t: (t[0]["period"], t[0]["rule_id"], t[0]["kind"], t[0]["quarter"]),
        )
        if not days and not items:
            continue
        base = round_cny(base)
        total = round_cny(sum((amount for _, amount in items), ZERO))
        last_day = min(quarter.last_day, person.active_to or quarter.last_day)
        stint = person.stint_on(last_day)
        dept = stint.department if stint else person.department
        draft_rows.append(
            [
                quarter.label,
                person.id,
                person.name_zh,
                person.name_en,
                dept,
                round_cny(person.bonus_base),
                days,
                base,
                _pct(total, base),
                total,
                base + total,
                len(items),
            ]
        )
        for n, (adj, amount) in enumerate(items, 1):
            status, share = (adj["frozen_status"], adj["frozen_share"]) if closed else (adj["status"], adj["share"])
            draft_lines.append(
                [
                    quarter.label,
                    person.id,
                    n,
                    adj["rule_id"],
                    adj["reason_code"],
                    adj["kind"],
                    adj["period"],
                    status,
                    share.normalize(),
                    amount,
                    adj["corrects_quarter"] or "",
                ]
            )
    digest = hashlib.sha256(repr((draft_rows, draft_lines)).encode()).hexdigest()[:12]
    export_id = f"PAY-{quarter.label}-{digest}"
    rows = tuple(PayrollRow(export_id, *r) for r in draft_rows)
    lines = tuple(PayrollLine(export_id, *line) for line in draft_lines)
    return Payroll(export_id, quarter.label, closed, rows, lines)


# Cells a spreadsheet would run as a formula (OWASP, CSV injection): text starting with one of these is
# written with a leading apostrophe in CSV and as a plain string cell in xlsx. Numbers are never touched.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:f}"
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _csv_bytes(columns: tuple[str, ...], records: tuple) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(v) for v in astuple(record)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def lines_path(output: Path) -> Path:
    """Where the CSV line items go: next to ``output``, ``<stem>.lines.csv``."""
    return output.with_name(f"{output.stem}.lines.csv")


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry one fixed timestamp (openpyxl stamps the current time otherwise)."""

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):  # type: ignore[override]
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):  # type: ignore[override]
        # openpyxl writes each worksheet from a temporary file, which would stamp that file's mtime
        with open(filename, "rb") as handle:
            self.writestr(str(arcname or filename), handle.read())


def xlsx_bytes(payroll: Payroll) -> bytes:
    wb = Workbook()
    sheets = ((wb.active, "employees", ROW_COLUMNS, payroll.rows), (None, "lines", LINE_COLUMNS, payroll.lines))
    for sheet, title, columns, records in sheets:
        ws = sheet if sheet is not None else wb.create_sheet()
        ws.title = title
        ws.append(list(columns))
        for record in records:
            ws.append(list(astuple(record)))
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text: openpyxl would store "=…" as a live formula
    fixed = datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "perfrules"
    buffer = io.BytesIO()
    with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return buffer.getvalue()


def render(payroll: Payroll, fmt: str, output: Path) -> dict[Path, bytes]:
    """The export's files by path: for CSV ``output`` (employees) and ``<stem>.lines.csv`` (UTF-8 with BOM,
    so Excel opens Chinese text); for xlsx ``output`` alone, with the sheets ``employees`` and ``lines``."""
    if fmt == "csv":
        return {
            output: _csv_bytes(ROW_COLUMNS, payroll.rows),
            lines_path(output): _csv_bytes(LINE_COLUMNS, payroll.lines),
        }
    if fmt == "xlsx":
        return {output: xlsx_bytes(payroll)}
    raise ValueError(f"unknown payroll format {fmt!r} (one of {', '.join(FORMATS)})")


def of_quarter(db: Database, quarter: Period) -> Payroll:
    """The export of ``quarter`` from the store: frozen figures when it is closed, effective ones otherwise."""
    closed = quarter.label in store.closed_quarters(db)
    return build(quarter, load_people(db), store.adjustments(db, quarter=quarter.label), closed)


def export(
    db: Database, quarter: Period, fmt: str, output: Path, *, by: str, now: datetime, write: bool = True
) -> tuple[Payroll, dict[Path, bytes]]:
    """Build the export of ``quarter``, write its files (unless ``write`` is false: a download) and log it
    (files, content hash, who, when). ``perfrules export payroll`` and the dashboard's download both come
    here, so the bytes are the same."""
    unfinished = store.unfinished_runs(db, [m.label for m in quarter.months()])
    if unfinished:
        raise UnfinishedRun(quarter.label, [(r["id"], r["period"]) for r in unfinished])
    result = of_quarter(db, quarter)
    files = render(result, fmt, output)
    if write:
        if not output.parent.is_dir():
            raise ExportFolderMissing(output)
        for path, body in files.items():
            path.write_bytes(body)
    store.log_export(
        db,
        {
            "export_id": result.export_id,
            "quarter": quarter.label,
            "format": fmt,
            "output": str(output) if write else f"download:{output.name}",
            "sha256": hashlib.sha256(b"".join(files.values())).hexdigest(),
            "employees": len(result.rows),
            "lines": len(result.lines),
            "total": result.total,
            "exported_at": now,
            "exported_by": by,
        },
    )
    return result, files


class UnfinishedRun(PerfRulesError):
    """Raised by :func:`export` while an evaluation of the quarter never finished: its money may be half
    written, so nothing is exported until the month is evaluated again (which repairs it)."""

    def __init__(self, quarter: str, runs: list[tuple[int, str]]):
        named = ", ".join(f"run #{i} ({period})" for i, period in runs)
        months = " ".join(sorted({period for _, period in runs}))
        super().__init__(
            f"{quarter}: {named} did not finish, so the bonus lines may be incomplete; "
            f"run perfrules evaluate --period for {months} again, then export"
        )
        self.quarter = quarter
        self.runs = runs


class ExportFolderMissing(PerfRulesError):
    """Raised by :func:`export` when the folder of the output file does not exist."""

    def __init__(self, output: Path):
        super().__init__(f"cannot write {output}: the folder {output.parent} does not exist")
        self.output = output
