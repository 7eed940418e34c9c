"""Dashboard accounts for the demo company, one per access role, so a person can sign in and look."""

from __future__ import annotations

from typing import Any

from perfrules.engine.web import credentials
from perfrules.storage import access

DEMO_PASSWORD = "demo"
DEMO_USERS = (
    # username, role, employee, display name
    ("hr", "hr", "E060", "Gao Yan 高燕 (HR)"),
    ("manager", "manager", "E010", "Li Na 李娜 (purchasing manager)"),
    ("staff", "staff", "E011", "Wang Li 王丽 (purchaser)"),
    ("payroll", "payroll", None, "Payroll office"),
)


def create_demo_users(run: Any) -> None:
    """Create the dashboard sign-ins of the demo (password: demo)."""
    existing = {u.username for u in access.list_users(run.database)}
    for username, role, employee, name in DEMO_USERS:
        if username not in existing:
            access.add_user(
                run.database,
                username=username,
                display_name=name,
                password_hash=credentials.hash_password(DEMO_PASSWORD),
                role=role,
                employee_id=employee,
                now=run.now,
                actor="demo",
            )
    names = ", ".join(u[0] for u in DEMO_USERS)
    run.echo(
        f"  users {names} (password '{DEMO_PASSWORD}'); start the dashboard with "
        f"'perfrules --database-url {run.database.display_url} serve' and open "
        f"http://{run.settings.listen_host}:{run.settings.listen_port}/"
    )
