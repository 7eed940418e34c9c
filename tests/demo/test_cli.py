"""``perfrules demo-data`` and ``perfrules demo`` from the command line."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner
from freezegun import freeze_time
from perfrules.engine.cli import cli

from tests.demo.facts import read


def test_demo_data_writes_files_ending_on_end(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        cli,
        [
            "demo-data",
            "--skus",
            "60",
            "--months",
            "3",
            "--seed",
            "3",
            "--end",
            "2025-03-15",
            "--output",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rows/s" in result.output
    days = sorted(m["moved_at"][:10] for m in read(tmp_path / "out", "movements"))
    assert days[0] == "2024-12-16" and days[-1] == "2025-03-15"


@freeze_time("2025-03-10 12:00:00")
def test_demo_data_ends_last_month_by_default(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["demo-data", "--skus", "60", "--months", "2", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert max(m["moved_at"][:10] for m in read(tmp_path, "movements")) == "2025-02-28"


def test_demo_data_is_deterministic_from_the_cli(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("a", "b"):
        args = ["demo-data", "--skus", "60", "--months", "2", "--end", "2025-01-31", "--output", str(tmp_path / name)]
        assert runner.invoke(cli, args).exit_code == 0
    same = [
        hashlib.sha256((tmp_path / "a" / f).read_bytes()).digest()
        == hashlib.sha256((tmp_path / "b" / f).read_bytes()).digest()
        for f in ("movements.csv", "skus.csv")
    ]
    assert all(same)


def test_demo_data_refuses_an_unknown_size(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["demo-data", "--size", "huge", "--output", "x"])
    assert result.exit_code == 2 and "huge" in result.output


def test_demo_builds_a_fresh_database_and_summarises(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["demo", "--skus", "60", "--months", "3", "--database-url", url, "--output-dir", str(tmp_path / "out")]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "movements" in first.output and (tmp_path / "out" / "exports" / "movements.csv").exists()
    second = runner.invoke(cli, args)  # rebuilt from scratch, not re-imported on top
    assert second.exit_code == 0, second.output
    assert first.output.splitlines()[-12:] == second.output.splitlines()[-12:]
