"""``perfrules contracts acknowledgements``: who has and who has not acknowledged the contract clauses of
their role in force (the rulebook of the rule folder)."""

from __future__ import annotations

from datetime import date

import click
from perfrules.engine.cli.context import AppContext, pass_app
from perfrules.engine.cli.params import DAY


@click.group("contracts")
def contracts() -> None:
    """Contract clauses: who acknowledged the clauses of their role in force."""


@contracts.command("acknowledgements")
@click.option("--missing", is_flag=True, help="Only the people who have not acknowledged the clauses in force.")
@click.option("--date", "day", type=DAY, default=None, help="Clauses in force on this day (default: today).")
@pass_app
def acknowledgements(app: AppContext, missing: bool, day: date | None) -> None:
    """List everyone whose role has clauses in force and whether they acknowledged them."""
    from perfrules.engine.acknowledgements import standings
    from perfrules.engine.rulebook.checker import load_rulebook

    rulebook = load_rulebook(app.settings.rules_path)
    day = day or app.now().date()
    found = standings(app.database(), rulebook, day=day, visible=None)
    click.echo(f"Clauses in force on {day}, rulebook {rulebook.digest[:16]}")
    for s in found:
        if missing and s.done:
            continue
        if s.acknowledged is not None:
            a = s.acknowledged
            state = (
                f"acknowledged {a.acknowledged_at.astimezone(app.settings.zone):%Y-%m-%d %H:%M} by {a.acknowledged_by}"
            )
        elif s.earlier is not None:
            state = f"NOT ACKNOWLEDGED (rules changed since {s.earlier.acknowledged_at:%Y-%m-%d})"
        else:
            state = "NOT ACKNOWLEDGED"
        click.echo(f"  {s.employee_id:<8} {s.role:<22} {len(s.clauses)} clause(s)  {state}")
    pending = sum(1 for s in found if not s.done)
    click.echo(f"  {len(found) - pending} of {len(found)} acknowledged, {pending} not")
