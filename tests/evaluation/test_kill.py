"""Money is written whole or not at all: ``perfrules evaluate`` killed with SIGKILL at each point of its
write leaves the store exactly as it was, and the next run writes the whole result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest
from sqlalchemy import text

from tests.walks.company import Company

# The subprocess's sitecustomize wraps one step of the evaluation's transaction: after it ran, the process
# is killed (no exception handler, no rollback, no commit: what a power cut or an OOM kill does).
HOOK = textwrap.dedent(
    """
    import os, signal
    point = os.environ.get("PERFRULES_TEST_KILL_AFTER")
    if point:
        from perfrules.engine.evaluation import run
        from perfrules.storage import evaluation_store as store

        def killing(step):
            def wrapper(*args, **kwargs):
                step(*args, **kwargs)
                os.kill(os.getpid(), signal.SIGKILL)
            return wrapper

        owner = run if point == "reprice" else store
        setattr(owner, point, killing(getattr(owner, point)))
    """
)
POINTS = ["claim_run", "store_findings", "withdraw_escalations", "store_escalations", "reprice", "finish_run"]
TABLES = {
    "evaluation_runs": "period, rulebook_version, facts_hash, status, findings, adjustments, escalations",
    "evaluation_findings": "rule_id, subject, period, kind, status, value, streak",
    "bonus_adjustments": "rule_id, employee_id, period, kind, quarter, share, amount, status",
    "escalations": "rule_id, subject, kind, triggered_period, status",
}


def state(db) -> dict[str, list[tuple]]:
    with db.engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"SELECT {c} FROM {t}")))) for t, c in TABLES.items()}


def evaluate_in_subprocess(company: Company, tmp_path, point: str) -> subprocess.CompletedProcess:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(hook), "PERFRULES_TEST_KILL_AFTER": point}
    args = ["--database-url", company.url, "--rules-dir", str(company.rules), "--timezone", "Asia/Shanghai"]
    code = "from perfrules.engine.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args, "evaluate", "--period", "2026-08", "--as-of", "2026-09-20T12:00:00"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_any_point_leaves_the_store_as_it_was(runner, db, tmp_path, point):
    c = Company(runner, db, tmp_path)
    c.file_list("2026-06", "2026-07-03T10:00:00")
    c.file_list("2026-07", "2026-08-08T10:00:00")  # late: July's −10 % for E_P1
    c.assets("2026-08", "200000.00")  # August's capital occupation ≈ 50 %: −15 %, moved to purchasing
    c.evaluate("2026-07", "2026-08-20T12:00:00")
    before = state(db)

    killed = evaluate_in_subprocess(c, tmp_path, point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert state(db) == before  # nothing of August: not the run, not a finding, not a line

    out = c.evaluate("2026-08", "2026-09-20T12:00:00")
    assert "repeat" not in out and "repaired" not in out  # a whole run, from the state before
    after = state(db)
    assert [r[0] for r in after["evaluation_runs"]] == ["2026-07", "2026-08"]
    assert all(r[3] == "done" for r in after["evaluation_runs"])
    # July's late list −10 % and August's capital occupation −15 % (attributed: the list was late in August)
    assert c.final("2026Q3") == {"E_P1": Decimal("15000.00"), "E_F1": Decimal("10000.00"), "E_O1": Decimal("9000.00")}
    again = c.evaluate("2026-08", "2026-09-20T12:00:00")
    assert "repeat: nothing changed" in again and state(db) == after


def test_an_unfinished_run_is_named_refused_for_export_and_repaired(runner, db, tmp_path):
    """A run a release before whole commits left ``running``: explain warns, export refuses, evaluate repairs."""
    c = Company(runner, db, tmp_path)
    c.file_list("2026-07", "2026-08-08T10:00:00")
    c.evaluate("2026-07", "2026-08-20T12:00:00")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE evaluation_runs SET status = 'running', finished_at = NULL"))
    assert "did not finish" in c.explain("E_P1", "2026Q3")
    refused = c.cli("export", "payroll", "--quarter", "2026Q3", "--output", str(tmp_path / "p.csv"), ok=False)
    assert "did not finish" in refused and "perfrules evaluate --period" in refused
    assert not (tmp_path / "p.csv").exists()
    out = c.evaluate("2026-07", "2026-08-20T12:00:00")
    assert "repaired" in out
    assert c.final("2026Q3")["E_P1"] == Decimal("18000.00")
