"""``perfrules config``: show the resolved settings and where each came from."""

from __future__ import annotations

import click
from perfrules.engine.cli.context import AppContext, pass_app
from perfrules.engine.settings import SETTINGS


@click.command("config")
@click.option("--list", "list_all", is_flag=True, help="List every setting with its default and help.")
@pass_app
def config(app: AppContext, list_all: bool) -> None:
    """Show each setting's value and source (secrets are masked)."""
    if list_all:
        for s in SETTINGS:
            default = "(secret)" if s.secret else repr(s.default)
            click.echo(f"{s.name:24} {s.env_var:34} default {default}\n    {s.help}")
        return
    for name, shown, source in app.settings.public_items():
        click.echo(f"{name:24} = {shown:40} [{source}]")
