"""``perfrules check``, ``perfrules test`` and ``perfrules rules diff|schema``: the rulebook commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from perfrules.engine.cli.context import AppContext, pass_app, who
from perfrules.engine.evaluation.rule_tests import run_file, test_files
from perfrules.engine.rulebook.checker import check_path, load_rulebook, rule_files
from perfrules.engine.rulebook.diff import diff_rulebooks
from perfrules.engine.rulebook.schema import schema_text


def _path(app: AppContext, path: str | None) -> Path:
    return Path(path) if path else app.settings.rules_path


@click.command("check")
@click.argument("path", required=False, type=click.Path())
@pass_app
def check(app: AppContext, path: str | None) -> None:
    """Check rule files (default: the rules_dir setting) and list every problem."""
    target = _path(app, path)
    if not target.exists():
        raise click.UsageError(f"no such file or folder: {target}")
    templates_ok = _check_templates(app) if target.is_dir() else True  # a whole rulebook sends notices
    routes_ok = _check_channels(app, target) if target.is_dir() else True
    result = check_path(target, now=app.now())
    for report in result.reports:
        click.echo(f"Checking {report.file}")
        if report.problems:
            click.echo("  FAILED:")
            for problem in sorted(report.problems):
                click.echo(f"{problem}")
        else:
            click.echo(f"  SUCCESS: {report.summary or f'{len(report.rules)} rules found'}")
        for warning in report.warnings:
            click.echo(f"  WARNING: {warning}")
    sys.exit(0 if result.ok and templates_ok and routes_ok else 1)


def _check_channels(app: AppContext, folder: Path) -> bool:
    """The operator's chat channels (settings) and the rulebook's routing to them (``channels.yaml``)."""
    from perfrules.engine.notices.channels import ChannelConfigError, load_channels
    from perfrules.engine.rulebook.channels import CHANNELS_FILE, read_routes

    channels_file = app.settings.channels_file
    try:
        channels = load_channels(channels_file, os.environ)
    except ChannelConfigError as exc:
        click.echo(f"Checking {channels_file}\n  FAILED:")
        for problem in exc.problems:
            click.echo(f"{channels_file}: {problem}")
        return False
    if not (folder / CHANNELS_FILE).exists():
        return True
    shown = folder / CHANNELS_FILE
    routes, problems = read_routes(folder, channels, display=str(shown))
    click.echo(f"Checking {shown}")
    if problems:
        click.echo("  FAILED:")
        for problem in sorted(problems):
            click.echo(f"{problem}")
        return False
    click.echo(f"  SUCCESS: {len(routes.routes)} routes to {len(routes.channels)} channel(s)")
    return True


def _check_templates(app: AppContext) -> bool:
    """The e-mail templates the rules send (HR's overrides first): a template that uses an unknown
    variable fails here, not in someone's inbox."""
    from perfrules.engine.notices import check_templates, environment_from_settings

    overrides = app.settings.template_overrides_dir
    click.echo(f"Checking templates{f' ({overrides} over the bundled set)' if overrides else ''}")
    problems = check_templates(environment_from_settings(app.settings), require_complete=True)
    if problems:
        click.echo("  FAILED:")
        for problem in problems:
            click.echo(f"  {problem}")
        return False
    click.echo("  SUCCESS: every notice template uses only the variables it is given")
    return True


@click.command("test")
@click.argument("path", required=False, type=click.Path())
@pass_app
def test(app: AppContext, path: str | None) -> None:
    """Run the HR rule tests (rules/tests/*.yaml) against the rules they sit next to."""
    target = _path(app, path)
    if not target.exists():
        raise click.UsageError(f"no such file or folder: {target}")
    rules_dir = target if target.is_dir() else target.parent.parent
    rulebook = load_rulebook(rules_dir)
    files = test_files(target)
    if not files:
        raise click.UsageError(f"no rule tests under {target}")
    failed = total = 0
    for file in files:
        click.echo(f"Unit Testing: {file}")
        outcomes = run_file(rulebook, file, str(file))
        total += len(outcomes)
        bad = [o for o in outcomes if not o.passed]
        failed += len(bad)
        for outcome in bad:
            click.echo(f"  FAILED: {outcome.name} ({outcome.file})")
            click.echo(outcome.failure)
        if not bad:
            click.echo(f"  SUCCESS: {len(outcomes)} tests passed")
    click.echo(f"{total - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


@click.group("rules")
def rules() -> None:
    """Compare rulebooks and publish the rule-file JSON Schema."""


@rules.command("diff")
@click.argument("old", type=click.Path(exists=True))
@click.argument("new", type=click.Path(exists=True))
@pass_app
def diff(app: AppContext, old: str, new: str) -> None:
    """Say what changing the rules from OLD to NEW does, rule by rule."""
    lines = diff_rulebooks(load_rulebook(Path(old)), load_rulebook(Path(new)))
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("no rule changes")


@rules.command("schema")
@click.option("--output", "-o", type=click.Path(), help="Write to this file instead of standard output.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of rule files (for editors: VS Code yaml.schemas)."""
    if output:
        Path(output).write_text(schema_text(), encoding="utf-8")
    else:
        click.echo(schema_text(), nl=False)


__all__ = ["check", "rule_files", "rules", "test"]


# --- drafts: four eyes before a change reaches the rules folder ---------------------------------------------


@rules.command("draft")
@click.argument("file")
@click.option(
    "--input",
    "source",
    type=click.File("r", encoding="utf-8"),
    default="-",
    show_default="standard input",
    help="Read the new content of FILE from this file.",
)
@click.option("--note", default="", help="What the change is for (shown to the reviewer).")
@click.option("--by", default=None, help="Who writes it (default: the login name).")
@pass_app
def draft(app: AppContext, file: str, source, note: str, by: str | None) -> None:
    """Draft a new version of the rule file FILE (a name in rules_dir): checked with the whole folder, the
    changes said in words; nothing is enforced until a second person approves and it is published."""
    from perfrules.engine.rulebook import publishing

    record, seen = publishing.draft(
        app.database(), app.settings.rules_path, file, source.read(), author=who(by), now=app.now(), note=note
    )
    click.echo(f"draft #{record.id} of {file} by {record.author}: checks; {len(seen.changes)} change(s)")
    for line in seen.changes:
        click.echo(f"  {line}")
    click.echo(f"next: perfrules rules submit {record.id}")


@rules.command("drafts")
@click.option(
    "--status",
    type=click.Choice(["draft", "submitted", "approved", "published", "rejected", "withdrawn"]),
    help="Only drafts in this state.",
)
@pass_app
def drafts(app: AppContext, status: str | None) -> None:
    """List rule drafts, newest first."""
    from perfrules.storage.drafts import drafts as read

    found = read(app.database(), status=status)
    for d in found:
        review = f", reviewed by {d.reviewer}" if d.reviewer else ""
        click.echo(f"#{d.id:<4} {d.file:<24} [{d.status}] by {d.author} {d.created_at:%Y-%m-%d}{review}  {d.note}")
    if not found:
        click.echo("no drafts")


def _draft_step(name: str, help_text: str):
    @rules.command(name, help=help_text)
    @click.argument("draft_id", type=int)
    @click.option("--note", default="", help="A note kept with the step (needed to reject).")
    @click.option("--by", default=None, help="Who takes the step (default: the login name).")
    @pass_app
    def step(app: AppContext, draft_id: int, note: str, by: str | None) -> None:
        from perfrules.engine.rulebook import publishing

        actor, now, db, folder = who(by), app.now(), app.database(), app.settings.rules_path
        match name:
            case "submit":
                record = publishing.submit(db, draft_id, by=actor, now=now)
            case "approve":
                record = publishing.approve(db, folder, draft_id, by=actor, now=now, note=note)
            case "reject":
                record = publishing.reject(db, draft_id, by=actor, now=now, note=note)
            case "withdraw":
                record = publishing.withdraw(db, draft_id, by=actor, now=now)
            case "publish":
                record = publishing.publish(db, folder, draft_id, by=actor, now=now)
            case _:
                raise AssertionError(name)
        click.echo(f"draft #{record.id} of {record.file}: {record.status}")
        if record.status == "published":
            click.echo(f"  written to {folder / record.file}; rulebook {record.rulebook_digest[:16]}")

    return step


submit = _draft_step("submit", "Ask a second person to review draft DRAFT_ID.")
approve = _draft_step("approve", "Approve a submitted draft (not your own); it still has to be published.")
reject = _draft_step("reject", "Reject a submitted draft, with a --note saying why.")
withdraw = _draft_step("withdraw", "Withdraw a draft that is not published.")
publish = _draft_step("publish", "Write an approved draft into rules_dir (atomically); the service reloads it.")


@rules.command("rollback")
@click.argument("draft_id", type=int)
@click.option("--by", default=None, help="Who drafts the rollback (default: the login name).")
@pass_app
def rollback(app: AppContext, draft_id: int, by: str | None) -> None:
    """Draft the file of published draft DRAFT_ID back to what it was (reviewed and published like any)."""
    from perfrules.engine.rulebook import publishing

    record, seen = publishing.rollback(app.database(), app.settings.rules_path, draft_id, author=who(by), now=app.now())
    click.echo(f"draft #{record.id} rolls {record.file} back; {len(seen.changes)} change(s)")
    for line in seen.changes:
        click.echo(f"  {line}")
