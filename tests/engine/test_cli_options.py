"""Every option of every command: help text, a typed value, and a usage error (exit 2, the option named,
no traceback) for a malformed date, month, quarter or period."""

from __future__ import annotations

import click
import pytest
from freezegun import freeze_time
from perfrules.engine.cli import cli
from perfrules.engine.cli.params import DayType, MomentType, PeriodType

DATED = {"--period", "--quarter", "--as-of", "--on", "--from", "--to", "--end", "--check-period"}
TYPED = (PeriodType, DayType, MomentType)


def _walk(group: click.Group, path: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _walk(command, (*path, name))


COMMANDS = list(_walk(cli))
OPTIONS = [
    (path, param)
    for path, command in COMMANDS
    for param in command.params
    if isinstance(param, click.Option) and not param.hidden
]


@pytest.mark.parametrize(("path", "option"), OPTIONS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else v.name)
def test_every_option_has_help_text(path, option):
    assert option.help, f"perfrules {' '.join(path)} {option.opts[0]} has no help text"


DATED_OPTIONS = [(path, p) for path, p in OPTIONS if set(p.opts) & DATED]
DATED_ARGUMENTS = [
    (path, p)
    for path, command in COMMANDS
    for p in command.params
    if isinstance(p, click.Argument) and isinstance(p.type, TYPED)
]


def test_the_walk_finds_the_dated_options():
    named = {(" ".join(path), p.opts[0]) for path, p in DATED_OPTIONS}
    assert {("evaluate", "--period"), ("explain", "--quarter"), ("people leave", "--from"), ("kpi", "--as-of")} <= named
    assert {" ".join(path) for path, _ in DATED_ARGUMENTS} >= {"close", "reopen"}


@pytest.mark.parametrize(
    ("path", "option"), DATED_OPTIONS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else v.name
)
def test_dated_options_are_typed(path, option):
    assert isinstance(option.type, TYPED), f"perfrules {' '.join(path)} {option.opts[0]} is {option.type!r}"


@pytest.mark.parametrize("bad", ["2026-13", "garbage", "2026-02-30", "2026Q9"])
@pytest.mark.parametrize(
    ("path", "option"), DATED_OPTIONS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else v.name
)
def test_a_malformed_date_is_a_usage_error_naming_the_option(runner, tmp_path, path, option, bad):
    result = runner.invoke(cli, ["--database-url", f"sqlite:///{tmp_path / 'x.db'}", *path, option.opts[0], bad])
    assert result.exit_code == 2, result.output
    assert option.opts[0] in result.output
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("path", [("close",), ("reopen",)])
def test_a_malformed_quarter_argument_is_a_usage_error(runner, path):
    result = runner.invoke(cli, [*path, "2026Q9", "--reason", "x"])
    assert result.exit_code == 2
    assert "QUARTER" in result.output.upper() and "2026Q9" in result.output


@pytest.mark.parametrize(
    "url", ["garbage", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "sqlite:////no/such/folder/x.db"]
)
def test_a_bad_database_url_is_an_error_without_traceback(runner, url):
    result = runner.invoke(cli, ["--database-url", url, "adjustments", "list", "--quarter", "2026Q3"])
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


@freeze_time("2026-12-03 10:00:00+08:00")
def test_closing_a_quarter_before_its_end_needs_force_and_a_reason(runner, db):
    url = db.url
    early = runner.invoke(cli, ["--database-url", url, "close", "2026Q4"])
    assert early.exit_code == 1
    assert "has not ended yet" in early.output and "--force" in early.output
    no_reason = runner.invoke(cli, ["--database-url", url, "close", "2026Q4", "--force"])
    assert no_reason.exit_code == 1 and "--reason" in no_reason.output
    forced = runner.invoke(cli, ["--database-url", url, "close", "2026Q4", "--force", "--reason", "company closes"])
    assert forced.exit_code == 0, forced.output
    assert "before its end: company closes" in forced.output
    ended = runner.invoke(cli, ["--database-url", url, "close", "2026Q3"])
    assert ended.exit_code == 0, ended.output
