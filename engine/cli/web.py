"""Commands of the web side: ``web`` (serve the dashboard and API), ``users``, ``tokens`` and
``render contract``."""

from __future__ import annotations

import getpass
import os
from datetime import timedelta
from pathlib import Path

import click
from perfrules.engine.cli.context import AppContext, pass_app
from perfrules.engine.cli.params import DURATION
from perfrules.engine.web import credentials, server
from perfrules.storage import access


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in a container
        return f"cli:uid{os.getuid()}"


@click.command("web")
@click.option("--host", metavar="ADDR", help="Address to bind (default: setting listen_host, 127.0.0.1).")
@click.option("--port", type=int, metavar="PORT", help="Port (default: setting listen_port, 8000).")
@pass_app
def web(app: AppContext, host: str | None, port: int | None) -> None:
    """Serve only the dashboard and HTTP API with uvicorn (no scheduler)."""
    settings = app.settings
    host = host or settings.listen_host
    port = port or settings.listen_port
    click.echo(f"perfrules web on http://{host}:{port}/ (database {app.database().display_url})")
    server.run(settings, app.database(), host, port)


# --- users -------------------------------------------------------------------------------------------------


@click.group("users")
def users() -> None:
    """Manage the people who sign in to the dashboard."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(access.ROLES), required=True, help="What the user may see and do.")
@click.option("--employee", "employee_id", metavar="ID", help="The employee this user is (manager, staff).")
@click.option("--name", "display_name", metavar="TEXT", help="Name shown in the dashboard (default: user name).")
@click.option(
    "--password",
    envvar="PERFRULES_NEW_PASSWORD",
    metavar="TEXT",
    help="Password (or PERFRULES_NEW_PASSWORD; prompted when neither is given).",
)
@pass_app
def users_add(
    app: AppContext, username: str, role: str, employee_id: str | None, display_name: str | None, password: str | None
) -> None:
    """Add a dashboard user (the password is stored as an argon2 hash)."""
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = access.add_user(
        app.database(),
        username=username,
        display_name=display_name or username,
        password_hash=credentials.hash_password(password),
        role=role,
        employee_id=employee_id,
        now=app.now(),
        actor=_actor(),
    )
    anchor = f", employee {user.employee_id}" if user.employee_id else ""
    click.echo(f"added user {user.username} ({user.role}{anchor})")


@users.command("list")
@pass_app
def users_list(app: AppContext) -> None:
    """List the dashboard users."""
    for u in access.list_users(app.database()):
        state = " (disabled)" if u.disabled else ""
        click.echo(f"{u.username}\t{u.role}\t{u.employee_id or '-'}\t{u.display_name}{state}")


@users.command("unlock")
@click.argument("username")
@pass_app
def users_unlock(app: AppContext, username: str) -> None:
    """Lift the sign-in lock of an account after repeated failed sign-ins (recorded in the audit log)."""
    db = app.database()
    if access.get_user(db, username) is None:
        raise click.ClickException(f"no user {username!r}")
    access.record(db, now=app.now(), actor=_actor(), action=access.SIGNIN_UNLOCK, target=username)
    click.echo(f"unlocked {username}: earlier failed sign-ins no longer count")


# --- API tokens --------------------------------------------------------------------------------------------


@click.group("tokens")
def tokens() -> None:
    """Manage the API tokens systems use (bearer tokens, stored hashed)."""


@tokens.command("create")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(access.ROLES), default="system", show_default=True, help="What the token may do."
)
@click.option("--employee", "employee_id", metavar="ID", help="Employee the token acts for (manager, staff).")
@click.option(
    "--expires-in",
    "expires_in",
    type=DURATION,
    default=None,
    help="Valid for this long, e.g. 90d or 12w (recommended; default: until revoked).",
)
@pass_app
def tokens_create(app: AppContext, name: str, role: str, employee_id: str | None, expires_in: timedelta | None) -> None:
    """Create an API token and print it once (only its SHA-256 is stored)."""
    now = app.now()
    expires_at = None if expires_in is None else now + expires_in
    secret = credentials.issue_token(
        app.database(), name=name, role=role, employee_id=employee_id, now=now, actor=_actor(), expires_at=expires_at
    )
    click.echo(secret)
    until = "until revoked" if expires_at is None else f"until {expires_at:%Y-%m-%d %H:%M %Z}"
    click.echo(f"token {name!r} ({role}) created, valid {until}; it is shown only this once", err=True)


@tokens.command("revoke")
@click.argument("name")
@pass_app
def tokens_revoke(app: AppContext, name: str) -> None:
    """Revoke the API token NAME."""
    access.revoke_token(app.database(), name=name, now=app.now(), actor=_actor())
    click.echo(f"revoked token {name!r}")


@tokens.command("list")
@pass_app
def tokens_list(app: AppContext) -> None:
    """List the unrevoked API tokens (name, role, first characters, created, expiry)."""
    now = app.now()
    for t in access.list_tokens(app.database()):
        expiry = "never" if t.expires_at is None else f"{t.expires_at:%Y-%m-%d}"
        state = "\tEXPIRED" if t.expired(now) else ""
        click.echo(f"{t.name}\t{t.role}\t{t.prefix}…\t{t.created_at:%Y-%m-%d}\t{t.created_by}\texpires {expiry}{state}")


# --- contracts ---------------------------------------------------------------------------------------------


@click.group("render")
def render() -> None:
    """Render documents from the rules in force."""


@render.command("contract")
@click.option("--role", metavar="ROLE", help="Render the clauses of this role (e.g. purchaser).")
@click.option("--employee", "employee_id", metavar="ID", help="Render the clauses of this employee's role.")
@click.option("--locale", type=click.Choice(["zh-CN", "en"]), help="Language (default: employee's, or setting).")
@click.option(
    "--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True, help="Markdown or HTML."
)
@click.option("--date", "on", type=click.DateTime(["%Y-%m-%d"]), help="Rules in force on this day (default today).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@pass_app
def render_contract(
    app: AppContext, role: str | None, employee_id: str | None, locale: str | None, fmt: str, on, output: Path | None
) -> None:
    """Render the duty and consequence clauses of a role from the rule files in force."""
    from perfrules.engine import contracts

    if (role is None) == (employee_id is None):
        raise click.UsageError("give exactly one of --role or --employee")
    day = on.date() if on else app.now().date()
    party = None
    if employee_id is not None:
        party = contracts.party_of(app.database(), employee_id)
        role = party.role
        locale = locale or party.locale
    text = contracts.render_contract(
        app.settings, role=role, locale=locale or app.settings.default_locale, fmt=fmt, day=day, party=party
    )
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
