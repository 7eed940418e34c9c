"""The ``perfrules`` command line. Thin: it parses, calls the engine, and formats.

Each command group lives in its own module of this package and is registered in ``COMMANDS``.
Domain errors become CLI errors only here: exit 0 ok, 1 failure, 2 usage; no traceback for an
expected error.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any

import click
from perfrules.engine import __version__
from perfrules.engine.cli.context import AppContext, pass_app

# (module, attribute holding the click command). The command's name is the attribute with underscores as dashes
# and a trailing underscore dropped (``import_`` -> ``import``); modules are imported only when their command
# runs, so ``perfrules check`` does not pay for the web stack.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("perfrules.engine.cli.db", "db"),
    ("perfrules.engine.cli.config", "config"),
    ("perfrules.engine.cli.kpi", "kpi"),
    ("perfrules.engine.cli.kpi", "slow_movers"),
    ("perfrules.engine.cli.kpi_store", "kpi_store"),
    ("perfrules.engine.cli.imports", "import_"),
    ("perfrules.engine.cli.rules", "check"),
    ("perfrules.engine.cli.rules", "test"),
    ("perfrules.engine.cli.rules", "rules"),
    ("perfrules.engine.cli.serve", "serve"),
    ("perfrules.engine.cli.serve", "schedule"),
    ("perfrules.engine.cli.notices", "outbox"),
    ("perfrules.engine.cli.notices", "preview"),
    ("perfrules.engine.cli.web", "web"),
    ("perfrules.engine.cli.web", "users"),
    ("perfrules.engine.cli.demo", "demo_data"),
    ("perfrules.engine.cli.demo", "demo"),
    ("perfrules.engine.cli.web", "tokens"),
    ("perfrules.engine.cli.web", "render"),
    ("perfrules.engine.cli.contracts", "contracts"),
    ("perfrules.engine.cli.evaluation", "evaluate"),
    ("perfrules.engine.cli.evaluation", "explain"),
    ("perfrules.engine.cli.evaluation", "adjustments"),
    ("perfrules.engine.cli.evaluation", "appeals"),
    ("perfrules.engine.cli.evaluation", "close"),
    ("perfrules.engine.cli.evaluation", "reopen"),
    ("perfrules.engine.cli.evaluation", "export"),
    ("perfrules.engine.cli.evaluation", "simulate"),
    ("perfrules.engine.cli.evaluation", "people"),
)


def command_name(attr: str) -> str:
    return attr.rstrip("_").replace("_", "-")


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use (click's documented lazy-loading pattern)."""

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*self.commands, *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attr = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return self.commands.get(cmd_name)


@click.group(
    cls=LazyGroup,
    lazy={command_name(attr): (module, attr) for module, attr in COMMANDS},
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="perfrules")
@click.option("--database-url", metavar="URL", help="Fact store URL (overrides PERFRULES_DATABASE_URL).")
@click.option("--timezone", metavar="ZONE", help="Company time zone (overrides PERFRULES_TIMEZONE).")
@click.option("--rules-dir", metavar="DIR", help="Rule folder (overrides PERFRULES_RULES_DIR).")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None, timezone: str | None, rules_dir: str | None) -> None:
    """perfrules: inventory-performance KPIs, deadlines and bonus rules, enforced."""
    ctx.obj = AppContext(cli_overrides={"database_url": database_url, "timezone": timezone, "rules_dir": rules_dir})


def main() -> None:
    cli.main(prog_name="perfrules")


__all__ = ["cli", "main", "pass_app"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
