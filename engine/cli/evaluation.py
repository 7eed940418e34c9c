"""``perfrules evaluate | explain | adjustments | appeals | close | reopen | export payroll | simulate | people``:
evaluation runs, their explanation, HR corrections and appeals, the quarter close and the payroll export."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import click
from perfrules.engine.cli.context import AppContext, pass_app, who
from perfrules.engine.cli.params import AMOUNT, DAY, MOMENT, MONTH, QUARTER, localise
from perfrules.engine.periods import Period


def _as_of(app: AppContext, moment: datetime | None) -> datetime:
    return app.now() if moment is None else localise(moment, app.settings.zone)


def _rulebook(path: Path):
    from perfrules.engine.rulebook.checker import load_rulebook

    return load_rulebook(path)


@click.command()
@click.option("--period", "month", type=MONTH, required=True, help="Month to evaluate.")
@click.option(
    "--as-of", "as_of", type=MOMENT, help="Judge deadlines as of this moment (default: now; no offset: company zone)."
)
@click.option("--dry-run", is_flag=True, help="Decide and show the findings; write nothing.")
@pass_app
def evaluate(app: AppContext, month: Period, as_of: datetime | None, dry_run: bool) -> None:
    """Evaluate one month: compute KPIs, run the rulebook, store findings, escalations and bonus lines."""
    from perfrules.engine.evaluation.run import evaluate_months

    now = _as_of(app, as_of)
    rulebook = _rulebook(app.settings.rules_path)
    [report] = evaluate_months(app.database(), rulebook, [month], now=now, zone=app.settings.zone, dry_run=dry_run)
    note = " (repeat: nothing changed)" if report.repeat else ""
    if report.repaired:
        note = " (repaired: an earlier run of the same facts had not finished; its results are written now)"
    head = "dry run" if dry_run else f"run #{report.run_id}{note}"
    click.echo(f"Evaluating {month.label} with rulebook {report.rulebook_version}: {head}")
    for obs in report.observations:
        who = ", ".join(t["employee"] for t in report.charged.get(obs.key, [])) or "nobody"
        click.echo(f"  {obs.kind.upper():<10} {obs.rule_id} [{obs.subject}] {obs.message} → {who}")
    click.echo(
        f"  {len(report.observations)} finding(s)"
        + (
            ""
            if dry_run
            else f", {report.escalations} new escalation(s), {report.lines} bonus line(s)"
            + (" (quarter closed: differences go to correction lines)" if report.quarter_closed else "")
        )
    )
    for reason in report.not_judged:
        click.echo(f"  {reason}")
    if report.withdrawn_escalations:
        click.echo(
            f"  withdrawn escalation(s) {', '.join(f'#{i}' for i in report.withdrawn_escalations)}: "
            f"a month of their streak is no longer a breach"
        )


@click.command()
@click.argument("employee")
@click.option("--quarter", type=QUARTER, required=True, help="Quarter to explain.")
@pass_app
def explain(app: AppContext, employee: str, quarter: Period) -> None:
    """Explain an employee's findings, bonus lines and escalations for a quarter."""
    from perfrules.engine.evaluation.explain import explain as build

    click.echo(build(app.database(), employee, quarter))


@click.group()
def adjustments() -> None:
    """List, void or override bonus adjustments (HR corrections)."""


@adjustments.command("list")
@click.option("--quarter", type=QUARTER, required=True, help="Quarter whose lines to list.")
@click.option("--employee", default=None, metavar="ID", help="Only this employee's lines.")
@pass_app
def list_(app: AppContext, quarter: Period, employee: str | None) -> None:
    """List the bonus lines of a quarter."""
    from perfrules.storage import evaluation_store as store

    for a in store.adjustments(app.database(), quarter=quarter.label, employee_id=employee):
        click.echo(
            f"#{a['id']:<5} {a['employee_id']:<8} {a['rule_id']:<36} {a['kind']:<22} {a['period']:<8} "
            f"{store.effective(a):>10} [{a['status']}]"
        )


@adjustments.command()
@click.argument("adjustment_id", type=int)
@click.option("--reason", required=True, help="Why the line is voided (kept in the audit trail).")
@click.option("--by", default=None, help="Who decided (default: the login name).")
@pass_app
def void(app: AppContext, adjustment_id: int, reason: str, by: str | None) -> None:
    """Void a bonus line (recorded with reason, who and when)."""
    from perfrules.engine.evaluation.corrections import void as do

    row = do(
        app.database(),
        adjustment_id,
        reason=reason,
        by=who(by),
        now=app.now(),
        total_cap=_rulebook(app.settings.rules_path).quarterly_cap,
    )
    click.echo(f"voided line #{row['id']} ({row['employee_id']}, {row['rule_id']}, {row['quarter']})")


@adjustments.command()
@click.argument("adjustment_id", type=int)
@click.option("--amount", type=AMOUNT, default=None, help="New signed amount in CNY, e.g. -500.")
@click.option("--share", type=AMOUNT, default=None, help="New signed share of the line's base, e.g. -5% or -0.05.")
@click.option("--reason", required=True, help="Why the line is overridden (kept in the audit trail).")
@click.option("--by", default=None, help="Who decided (default: the login name).")
@pass_app
def override(
    app: AppContext, adjustment_id: int, amount: Decimal | None, share: Decimal | None, reason: str, by: str | None
) -> None:
    """Override a bonus line's amount or share (recorded with reason, who and when)."""
    from perfrules.engine.evaluation.corrections import override as do

    row = do(
        app.database(),
        adjustment_id,
        reason=reason,
        by=who(by),
        now=app.now(),
        amount=amount,
        share=share,
        total_cap=_rulebook(app.settings.rules_path).quarterly_cap,
    )
    click.echo(f"line #{row['id']} now pays {row['override_amount']} CNY")


@click.command()
@click.argument("quarter", type=QUARTER)
@click.option("--by", default=None, help="Who decided (default: the login name).")
@click.option("--force", is_flag=True, help="Close a quarter that has not ended yet (needs --reason).")
@click.option("--reason", default="", help="Why (required with --force; kept with the close).")
@pass_app
def close(app: AppContext, quarter: Period, by: str | None, force: bool, reason: str) -> None:
    """Close a quarter: its payroll figures are frozen; later changes become correction lines."""
    from perfrules.engine.evaluation.corrections import close as do

    count = do(
        app.database(), quarter.label, by=who(by), now=app.now(), zone=app.settings.zone, force=force, reason=reason
    )
    click.echo(f"closed {quarter.label}: {count} line(s) frozen" + (f" (before its end: {reason})" if force else ""))


@click.command()
@click.argument("quarter", type=QUARTER)
@click.option("--reason", required=True, help="Why the quarter is reopened (kept in the audit trail).")
@click.option("--by", default=None, help="Who decided (default: the login name).")
@pass_app
def reopen(app: AppContext, quarter: Period, reason: str, by: str | None) -> None:
    """Reopen a closed quarter (explicit, with a reason)."""
    from perfrules.engine.evaluation.corrections import reopen as do

    do(app.database(), quarter.label, reason=reason, by=who(by), now=app.now())
    click.echo(f"reopened {quarter.label}")


@click.group()
def export() -> None:
    """Export data for other systems."""


@export.command()
@click.option("--quarter", type=QUARTER, required=True, help="Quarter to export.")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True, help="File format."
)
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (CSV: the line items go beside it as <stem>.lines.csv).",
)
@click.option("--by", default=None, help="Who exports (default: the login name).")
@pass_app
def payroll(app: AppContext, quarter: Period, fmt: str, output: Path, by: str | None) -> None:
    """Write the payroll export of a quarter: one row per employee plus the line items."""
    from perfrules.engine import payroll as payroll_export

    result, files = payroll_export.export(app.database(), quarter, fmt, output, by=who(by), now=app.now())
    state = "closed" if result.closed else "OPEN (figures may still change)"
    click.echo(
        f"{result.export_id}: {len(result.rows)} employee(s), {len(result.lines)} line(s), "
        f"total adjustment {result.total} CNY; quarter {state}"
    )
    for path in files:
        click.echo(f"  wrote {path}")


@click.command()
@click.option(
    "--rules",
    "rules_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the proposed rule files.",
)
@click.option("--from", "first", type=MONTH, required=True, help="First month to simulate.")
@click.option("--to", "last", type=MONTH, required=True, help="Last month to simulate.")
@click.option(
    "--as-of", "as_of", type=MOMENT, help="Judge deadlines as of this moment (default: now; no offset: company zone)."
)
@pass_app
def simulate(app: AppContext, rules_dir: Path, first: Period, last: Period, as_of: datetime | None) -> None:
    """Evaluate a proposed rulebook against past facts beside the current one; writes nothing."""
    from perfrules.engine.cli.progress import meter
    from perfrules.engine.evaluation.kpis import library_kpis
    from perfrules.engine.evaluation.simulate import months_between, report
    from perfrules.engine.evaluation.simulate import simulate as run

    now = _as_of(app, as_of)
    current, proposed = _rulebook(app.settings.rules_path), _rulebook(rules_dir)
    source = library_kpis(app.settings.zone, now.date())
    steps = 2 * len(months_between(first, last))
    with meter("simulate (current, then proposed)", steps, "months") as advance:
        comparison = run(
            app.database(),
            current,
            proposed,
            first,
            last,
            kpis_for={id(current): source, id(proposed): source},
            now=now,
            on_month=advance,
        )
    click.echo(f"Simulating {first.label}..{last.label}: current {app.settings.rules_path} vs proposed {rules_dir}")
    for line in report(comparison):
        click.echo(line)


@click.group()
def people() -> None:
    """Record transfers and leave (who is charged for what, and pro-rating)."""


@people.command()
@click.argument("employee")
@click.option("--department", required=True, metavar="CODE", help="Department from that day on.")
@click.option("--role", required=True, help="Role from that day on.")
@click.option("--on", "on", type=DAY, required=True, help="First day in the new assignment.")
@pass_app
def transfer(app: AppContext, employee: str, department: str, role: str, on: date) -> None:
    """Record a transfer to another department/role from a day on."""
    from perfrules.storage.evaluation_store import record_transfer

    record_transfer(app.database(), employee, department, role, on)
    click.echo(f"{employee}: {department}/{role} from {on}")


@people.command()
@click.argument("employee")
@click.option("--from", "start", type=DAY, required=True, help="First day of leave.")
@click.option("--to", "end", type=DAY, required=True, help="Last day of leave (inclusive).")
@pass_app
def leave(app: AppContext, employee: str, start: date, end: date) -> None:
    """Record a leave period: deadlines due during it are not charged to the employee."""
    from perfrules.storage.evaluation_store import record_leave

    if end < start:
        raise click.BadParameter(f"{end} is before --from {start}", param_hint="'--to'")
    record_leave(app.database(), employee, start, end)
    click.echo(f"{employee}: on leave {start} – {end}")


@click.group()
def appeals() -> None:
    """Appeals against findings and bonus lines: lodge, list, show, accept, reject, withdraw."""


def _tell(app: AppContext, record) -> None:
    """Queue the notices of the appeal's step (the manager and HR, or the person and the manager)."""
    from perfrules.engine.notices.templating import make_environment
    from perfrules.engine.reporting.appeals import notify_appeal

    s = app.settings
    env = make_environment(s.template_overrides_dir or None)
    count = notify_appeal(app.database(), env, record, now=app.now(), mail_from=s.mail_from, zone=s.zone)
    click.echo(f"  {count} notice(s) queued (perfrules serve or outbox send delivers them)")


def _appeal_line(a) -> str:
    decided = f" — {a.status} by {a.decided_by}: {a.decision}" if a.decided_by else ""
    return (
        f"#{a.id:<4} {a.employee_id:<8} {a.subject} #{a.subject_id:<6} {a.quarter}  [{a.status}] "
        f"{a.filed_at:%Y-%m-%d} by {a.filed_by}: {a.reason}{decided}"
    )


@appeals.command("lodge")
@click.argument("employee")
@click.option("--line", "line_id", type=int, default=None, help="The bonus line contested (its id: see explain).")
@click.option("--finding", "finding_id", type=int, default=None, help="The finding contested (its id: see explain).")
@click.option("--reason", required=True, help="What happened and why the line or finding is wrong.")
@click.option("--by", default=None, help="Who lodges it (default: the login name).")
@pass_app
def lodge(
    app: AppContext, employee: str, line_id: int | None, finding_id: int | None, reason: str, by: str | None
) -> None:
    """Lodge EMPLOYEE's appeal against one of their bonus lines or findings (no money changes yet)."""
    from perfrules.engine.evaluation.appeals import lodge as do

    if (line_id is None) == (finding_id is None):
        raise click.UsageError("give exactly one of --line or --finding")
    subject, subject_id = ("line", line_id) if line_id is not None else ("finding", finding_id)
    assert subject_id is not None
    record = do(app.database(), employee, subject, subject_id, reason=reason, by=who(by), now=app.now())
    click.echo(f"lodged appeal #{record.id}: {employee} contests {subject} #{subject_id} ({record.quarter})")
    _tell(app, record)


@appeals.command("list")
@click.option(
    "--status",
    type=click.Choice(["open", "accepted", "rejected", "withdrawn", "all"]),
    default="open",
    show_default=True,
    help="Which appeals.",
)
@click.option("--employee", default=None, metavar="ID", help="Only this employee's appeals.")
@click.option("--quarter", type=QUARTER, default=None, help="Only appeals on this payroll quarter.")
@pass_app
def list_appeals(app: AppContext, status: str, employee: str | None, quarter: Period | None) -> None:
    """List appeals, newest first."""
    from perfrules.storage.appeals import appeals as read

    found = read(
        app.database(),
        status=None if status == "all" else status,
        employee_ids=frozenset({employee}) if employee else None,
        quarter=quarter.label if quarter else None,
    )
    for a in found:
        click.echo(_appeal_line(a))
    if not found:
        click.echo(f"no {'' if status == 'all' else status + ' '}appeals")


@appeals.command()
@click.argument("appeal_id", type=int)
@pass_app
def show(app: AppContext, appeal_id: int) -> None:
    """One appeal with the lines it contests."""
    from perfrules.engine.evaluation.appeals import subject_lines
    from perfrules.storage import evaluation_store as store
    from perfrules.storage.appeals import appeal

    a = appeal(app.database(), appeal_id)
    if a is None:
        raise click.ClickException(f"no appeal with id {appeal_id}")
    click.echo(_appeal_line(a))
    for line in subject_lines(app.database(), a.employee_id, a.subject, a.subject_id):
        click.echo(
            f"  line #{line['id']} {line['rule_id']} {line['kind']} {line['period']}: {store.effective(line)} CNY "
            f"[{line['status']}]"
        )
    if a.correction:
        click.echo(f"  carried out as: {a.correction} of line(s) {', '.join(map(str, a.adjustment_ids)) or '-'}")


@appeals.command()
@click.argument("appeal_id", type=int)
@click.option("--reason", required=True, help="Why it is accepted (the correction's reason; the person is told).")
@click.option("--amount", type=AMOUNT, default=None, help="Override the one line to this signed amount in CNY.")
@click.option("--share", type=AMOUNT, default=None, help="Override the one line to this signed share, e.g. -5%.")
@click.option("--by", default=None, help="Who decided (default: the login name).")
@pass_app
def accept(
    app: AppContext, appeal_id: int, reason: str, amount: Decimal | None, share: Decimal | None, by: str | None
) -> None:
    """Accept an appeal: void the lines it contests (or override its one line), as an HR correction."""
    from perfrules.engine.evaluation.appeals import accept as do

    if amount is not None and share is not None:
        raise click.UsageError("give at most one of --amount or --share")
    record = do(
        app.database(),
        appeal_id,
        reason=reason,
        by=who(by),
        now=app.now(),
        amount=amount,
        share=share,
        total_cap=_rulebook(app.settings.rules_path).quarterly_cap,
    )
    lines = ", ".join(f"#{i}" for i in record.adjustment_ids) or "none (no line attached)"
    click.echo(f"accepted appeal #{record.id}: {record.correction} of line(s) {lines}")
    _tell(app, record)


@appeals.command()
@click.argument("appeal_id", type=int)
@click.option("--reason", required=True, help="Why it is rejected (the person is told).")
@click.option("--by", default=None, help="Who decided (default: the login name).")
@pass_app
def reject(app: AppContext, appeal_id: int, reason: str, by: str | None) -> None:
    """Reject an appeal; the lines stay as they are."""
    from perfrules.engine.evaluation.appeals import reject as do

    record = do(app.database(), appeal_id, reason=reason, by=who(by), now=app.now())
    click.echo(f"rejected appeal #{record.id}")
    _tell(app, record)


@appeals.command()
@click.argument("appeal_id", type=int)
@click.option("--reason", default="", help="Why (optional).")
@click.option("--by", default=None, help="Who withdraws it (default: the login name).")
@pass_app
def withdraw(app: AppContext, appeal_id: int, reason: str, by: str | None) -> None:
    """Withdraw an open appeal."""
    from perfrules.engine.evaluation.appeals import withdraw as do

    record = do(app.database(), appeal_id, reason=reason, by=who(by), now=app.now())
    click.echo(f"withdrew appeal #{record.id}")
    _tell(app, record)
