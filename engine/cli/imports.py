"""``perfrules import KIND FILE…``: load fact files (CSV / JSON Lines), all or nothing."""

from __future__ import annotations

import codecs
import getpass

import click
from perfrules.engine.cli.context import AppContext, pass_app
from perfrules.engine.cli.progress import meter
from perfrules.engine.importing import KINDS, ImportRejected, import_files


def _encoding(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            raise click.BadParameter(f"unknown encoding {value!r} (e.g. utf-8, gb18030, gbk)") from None
    return value


@click.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)), metavar="KIND")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    help="File format; default from the extension (.csv, .jsonl/.ndjson).",
)
@click.option(
    "--encoding",
    callback=_encoding,
    metavar="CODEC",
    help="Text encoding of CSV files, e.g. gb18030 or gbk (default: UTF-8, BOM detected).",
)
@click.option(
    "--max-errors",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Errors to list before '… and N more errors'.",
)
@click.option("--user", metavar="NAME", help="Name recorded on the import batch (default: the login name).")
@pass_app
def import_(
    app: AppContext,
    kind: str,
    files: tuple[str, ...],
    fmt: str | None,
    encoding: str | None,
    max_errors: int,
    user: str | None,
) -> None:
    """Import fact files of one KIND; nothing is written if any row is bad.

    KIND is one of: departments, employees, skus, movements, demand, purchase-orders, cycle-counts,
    work-orders, forecasts, finance, submissions, disposals.
    """
    try:
        with meter(f"import {kind}", None, "rows") as advance:
            results = import_files(
                app.database(),
                kind,
                files,
                zone=app.settings.zone,
                now=app.now(),
                user=user or getpass.getuser(),
                fmt=fmt,
                encoding=encoding,
                max_errors=max_errors,
                on_progress=advance,
            )
    except ImportRejected as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        click.get_current_context().exit(1)
    for result in results:
        click.echo(result.summary())
