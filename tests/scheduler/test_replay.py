"""The accelerated replay leaves every e-mail of a quarter as .eml files, in both languages, once."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path

from perfrules.engine.cli import cli
from perfrules.storage import Database

from tests.scheduler.support import RULES, ZONE, seed_company, submit


def test_replay_a_quarter_into_eml_files(db: Database, runner, tmp_path: Path) -> None:
    seed_company(db)
    submit(db, "s1", "slow_mover_list", "2025-12", "P1", datetime(2026, 1, 3, 10, tzinfo=ZONE))
    submit(db, "s2", "slow_mover_list", "2026-02", "P1", datetime(2026, 3, 5, 10, tzinfo=ZONE))
    args = [
        "--database-url",
        db.url,
        "--rules-dir",
        str(RULES),
        "schedule",
        "replay",
        "--from",
        "2026-01-01",
        "--to",
        "2026-04-01",
        "--output",
        str(tmp_path / "emails"),
    ]
    first = runner.invoke(cli, args, env={"PERFRULES_MAIL_FROM": "perfrules@shop.example"})
    assert first.exit_code == 0, first.output
    assert "13 e-mail(s)" in first.output  # incl. three monthly reports to Li Ming (management)
    files = sorted((tmp_path / "emails").glob("*.eml"))
    messages = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    by_to = sorted((str(m["To"]), str(m["Content-Language"] or "")) for m in messages)
    assert [to for to, _ in by_to] == ["anna@shop.example"] * 6 + ["li@shop.example"] * 4 + ["wang@shop.example"] * 3
    subjects = {str(m["To"]): str(m["Subject"]) for m in messages}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in subjects["wang@shop.example"])
    assert subjects["li@shop.example"].isascii()
    again = runner.invoke(cli, args, env={"PERFRULES_MAIL_FROM": "perfrules@shop.example"})
    assert again.exit_code == 0, again.output
    assert sorted((tmp_path / "emails").glob("*.eml")) == files
