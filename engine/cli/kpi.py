"""``perfrules kpi`` and ``perfrules slow-movers``: the KPI table with status, and the slow-mover list."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import click
from perfrules.engine.cli.context import AppContext, pass_app
from perfrules.engine.cli.params import DAY, MONTH, PERIOD
from perfrules.engine.kpi import catalog
from perfrules.engine.kpi.catalog import ScopeKind, Unit
from perfrules.engine.kpi.library import compute_all
from perfrules.engine.kpi.scope import Scope, parse_scope
from perfrules.engine.kpi.slow_movers import check_list, listed_skus, slow_mover_list
from perfrules.engine.kpi.status import GENERIC_BAND, KpiStatus, Status
from perfrules.engine.money import format_cny, round_cny
from perfrules.engine.periods import Period, month_of
from perfrules.engine.reporting.verdicts import judge_all
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.rulebook.deadlines import RuleDeadlines
from perfrules.storage import Database, access
from perfrules.storage.kpi import reading
from perfrules.storage.kpi.facts import submissions
from perfrules.storage.rollup import SkuMonth, refresh


def _half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def show(value: Decimal | None, unit: Unit) -> str:
    """A KPI figure for people: ratios as percentages, turns per year, days."""
    if value is None:
        return "n/a"
    match unit:
        case Unit.RATIO:
            return f"{_half_up(value * 100, '0.1')}%"
        case Unit.CHANGE:
            return f"{_half_up(value * 100, '0.1'):+}%"
        case Unit.PER_YEAR:
            return f"{_half_up(value, '0.01')}/yr"
    return f"{_half_up(value, '0.1')} d"


def _record(s: KpiStatus) -> dict[str, Any]:
    kpi = s.value.definition
    return s.value.as_dict() | {
        "name_en": kpi.name_en,
        "name_zh": kpi.name_zh,
        "unit": kpi.unit.value,
        "direction": kpi.direction.value,
        "target": str(s.target),
        "achievement": None if s.achievement is None else str(s.achievement),
        "status": s.status.value,
        "band": s.band.label_en if s.band else None,
        "judged_by": s.judged_by,
    }


def _word(s: KpiStatus) -> str:
    """The status as people read it: a rule's ``not_met`` is a breach (it costs bonus)."""
    by_rule = s.judged_by != GENERIC_BAND
    return "breach" if by_rule and s.status is Status.NOT_MET else s.status.value


def _table(statuses: list[KpiStatus]) -> str:
    head = ("KPI", "scope", "value", "target", "achieved", "status", "judged by", "band / note")
    rows = []
    for s in statuses:
        kpi = s.value.definition
        note = s.value.reason or (s.band.label_en if s.band else "")
        achieved = "" if s.achievement is None else show(s.achievement, Unit.RATIO)
        rows.append(
            (
                kpi.id,
                s.value.scope.label,
                show(s.value.value, kpi.unit),
                show(s.target, kpi.unit),
                achieved,
                f"{s.status.symbol} {_word(s)}",
                s.judged_by,
                note,
            )
        )
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _csv(records: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def _department_of(db: Database, scope: Scope) -> str | None:
    """The department of an employee scope's person (whose rules judge their KPIs)."""
    if scope.kind is not ScopeKind.EMPLOYEE or scope.key is None:
        return None
    found = access.employees_of(db, [scope.key])
    return found[0].department if found else None


def _not_applicable(status: KpiStatus, people_of: str | None) -> KpiStatus:
    """A KPI the scope's people produce no facts for (finance's list timeliness, a purchaser's digestion):
    not applicable, never a 0 % failure — as the dashboard shows it."""
    if people_of is None or catalog.applies_to(status.value.kpi, people_of):
        return status
    why = f"{people_of} produces no such facts"
    value = replace(status.value, value=None, reason=why)
    return replace(status, value=value, achievement=None, status=Status.NOT_APPLICABLE, band=None, judged_by=why)


@click.command("kpi")
@click.option("--period", type=PERIOD, help="2026-09, 2026Q3, 2026, ttm:2026-09.")
@click.option("--as-of", "as_of", type=DAY, help="Compute as of this day (default: the period's last day).")
@click.option(
    "--scope",
    "scope_text",
    default="company",
    show_default=True,
    help="company, department:X, category:X, abc:A, xyz:X, segment:dead, sku:X or employee:X.",
)
@click.option("--kpi", "kpi_ids", multiple=True, metavar="ID", help="Only these KPIs (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="Output: a table to read, JSON or CSV for other tools.",
)
@click.option("--by-category", is_flag=True, help="Also show turnover per category (company scope).")
@click.option("--rebuild", is_flag=True, help="Rebuild the per-SKU rollup from every movement first.")
@pass_app
def kpi(
    app: AppContext,
    period: Period | None,
    as_of: date | None,
    scope_text: str,
    kpi_ids: tuple[str, ...],
    fmt: str,
    by_category: bool,
    rebuild: bool,
) -> None:
    """Compute the KPIs of a period from the fact store and show them with their status against target."""
    db = app.database()
    if rebuild:
        with db.engine.begin() as conn:
            refresh(conn)
        db.vacuum([SkuMonth.__tablename__], analyze=True)  # every row is new: statistics and visibility map
        click.echo("rollup rebuilt", err=True)
    if period is None:
        if rebuild:
            return
        raise click.UsageError("--period is required (e.g. --period 2026-09)")
    rulebook = load_rulebook(app.settings.rules_path)
    scope = parse_scope(scope_text)
    values = compute_all(
        db,
        period,
        scope=scope,
        as_of=as_of,
        zone=app.settings.zone,
        kpis=list(kpi_ids) or None,
        categories=by_category,
        deadlines=RuleDeadlines(rulebook),  # due moments: the rules in force
    )
    department = _department_of(db, scope)
    people_of = scope.key if scope.kind is ScopeKind.DEPARTMENT else department
    statuses = [  # the rule's verdict where one judges; n/a where the scope produces no such facts
        _not_applicable(s, people_of) for s in judge_all(values, rulebook, department)
    ]
    if fmt == "json":
        click.echo(json.dumps([_record(s) for s in statuses], ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(
            _csv(
                [_record(s) for s in statuses],
                [
                    "kpi",
                    "name_en",
                    "name_zh",
                    "scope",
                    "period",
                    "end",
                    "value",
                    "target",
                    "achievement",
                    "status",
                    "band",
                    "judged_by",
                    "reason",
                    "numerator",
                    "denominator",
                    "rows",
                ],
            ),
            nl=False,
        )
    else:
        click.echo(f"KPIs {period.label} as of {values[0].end if values else as_of}, {scope_text}")
        click.echo(_table(statuses))


@click.command("slow-movers")
@click.option("--as-of", "as_of", type=DAY, required=True, help="The day the list is drawn up for.")
@click.option("--category", help="Only this category.")
@click.option(
    "--check",
    "check_month",
    type=MONTH,
    help="Compare the slow_mover_list submitted for this month with the system's list at its end.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="Output: a table to read, JSON or CSV for other tools.",
)
@pass_app
def slow_movers(app: AppContext, as_of: date, category: str | None, check_month: Period | None, fmt: str) -> None:
    """List SKUs on hand with no sale for more than 90 days, classified seasonal or structural."""
    db = app.database()
    day = as_of
    check_period = check_month.label if check_month else None
    with reading(db) as conn:
        listed = slow_mover_list(conn, day, category=category, with_buyer=check_period is not None)
        subs = submissions(conn, "slow_mover_list", [check_period]) if check_period else []
    records = [
        {
            "sku": i.sku,
            "name": i.name,
            "category": i.category,
            "qty": i.qty,
            "value": str(round_cny(i.value)),
            "last_sale_day": i.last_sale_day.isoformat() if i.last_sale_day else None,
            "days_since_sale": i.days_since_sale,
            "class": i.cls,
            "reason": i.reason,
        }
        for i in listed.items
    ]
    if fmt == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(_csv(records, list(records[0]) if records else ["sku"]), nl=False)
    else:
        click.echo(f"{len(records)} slow movers as of {day}, value {format_cny(listed.value)}")
        for r in records:
            click.echo(
                f"  {r['sku']:<16} {r['category']:<14} {r['qty']:>8} {r['value']:>14} "
                f"{r['days_since_sale']:>5} d  {r['class']:<10} {r['reason']}"
            )
    if check_period:
        if month_of(day).label != check_period:
            click.echo(f"note: comparing with the list as of {day}", err=True)
        if not subs:
            raise click.ClickException(f"no slow_mover_list submitted for {check_period}")
        latest = {s.employee_id: s for s in subs}  # each submitter's last list (in submission order)
        for sub in latest.values():
            others = set().union(*(listed_skus(o.payload) for o in subs if o.employee_id != sub.employee_id))
            result = check_list(listed.owed_by(sub.employee_id, others), sub.payload)
            click.echo(
                f"submission {sub.id} by {sub.employee_id}: {result.named} named, "
                f"{len(result.missing)} missing, {len(result.extra)} extra, "
                f"{len(result.misclassified)} misclassified, completeness {result.coverage:.1%}"
            )
            for name, items in (("missing", result.missing), ("extra", result.extra)):
                if items:
                    click.echo(f"  {name}: {', '.join(items)}")
            for m in result.misclassified:
                click.echo(f"  misclassified: {m.sku} is {m.expected}, listed as {m.given}")
