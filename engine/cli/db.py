"""``perfrules db``: create, upgrade and inspect the fact-store schema."""

from __future__ import annotations

import click
from perfrules.engine.cli.context import AppContext, pass_app


@click.group()
def db() -> None:
    """Manage the fact-store schema (Alembic migrations)."""


@db.command()
@pass_app
def upgrade(app: AppContext) -> None:
    """Create the schema or migrate it to the newest revision."""
    database = app.database(upgrade=True)
    current, _ = database.revisions()
    click.echo(f"{database.display_url}: schema at revision {current}")


@db.command()
@pass_app
def status(app: AppContext) -> None:
    """Show the database's schema revision and whether an upgrade is due (exit 1 if it is)."""
    database = app.database(upgrade=False)
    current, head = database.revisions()
    click.echo(f"database: {database.display_url}\ncurrent:  {current or '(empty)'}\nnewest:   {head}")
    if current != head:
        raise click.ClickException("an upgrade is due: run 'perfrules db upgrade'")
