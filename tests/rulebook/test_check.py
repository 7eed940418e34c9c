"""``perfrules check``: the default rulebook passes, every bad fixture gives its documented error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from perfrules.engine.cli import cli
from perfrules.engine.rulebook.checker import check_path, load_rulebook
from perfrules.engine.settings import PROJECT_ROOT

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "rules"
BAD = sorted(FIXTURES.glob("*.bad.yaml"))
GOOD = sorted(FIXTURES.glob("*.good.yaml"))


@pytest.fixture
def in_project(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(PROJECT_ROOT)  # so file names print relative, as in the expected texts
    return PROJECT_ROOT


def test_there_are_enough_bad_cases() -> None:
    assert len(BAD) >= 15


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_fixture_reports_expected_error(path: Path, runner, in_project) -> None:
    expected = path.with_suffix(".txt").read_text(encoding="utf-8")
    result = runner.invoke(cli, ["check", str(path.relative_to(PROJECT_ROOT))])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert lines[0] == f"Checking {path.relative_to(PROJECT_ROOT)}"
    assert lines[1] == "  FAILED:"
    assert "\n".join(lines[2:]) + "\n" == expected


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_good_fixture_passes(path: Path, runner, in_project) -> None:
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "SUCCESS" in result.output


def test_default_rulebook_passes(runner, in_project) -> None:
    result = runner.invoke(cli, ["check", "rules"])
    assert result.exit_code == 0, result.output
    for name in ("purchasing", "finance", "operations", "planning", "warehouse", "inventory"):
        assert f"Checking rules/{name}.yaml" in result.output
    assert "  SUCCESS: 6 rules found" in result.output


def test_default_path_comes_from_settings(runner, tmp_path: Path) -> None:
    folder = tmp_path / "myrules"
    folder.mkdir()
    (folder / "a.yaml").write_text((FIXTURES / "weekly_deadline.good.yaml").read_text(encoding="utf-8"))
    assert runner.invoke(cli, ["--rules-dir", str(folder), "check"]).exit_code == 0
    (folder / "b.yaml").write_text("rules: []\n")
    result = runner.invoke(cli, ["--rules-dir", str(folder), "check"])
    assert result.exit_code == 1
    assert "rules: list should have at least 1 item" in result.output


def test_missing_path_is_a_usage_error(runner) -> None:
    assert runner.invoke(cli, ["check", "nowhere"]).exit_code == 2


def test_every_error_of_a_file_is_reported(tmp_path: Path) -> None:
    text = (FIXTURES / "unknown_key.bad.yaml").read_text().replace("role: purchaser", "role: purchasr")
    path = tmp_path / "two.yaml"
    path.write_text(text)
    problems = check_path(path).problems
    assert [p.path for p in problems] == ["rules[0].role", "rules[0].treshold"]


def test_default_rulebook_loads_every_rule() -> None:
    result = check_path(PROJECT_ROOT / "rules")
    assert result.ok and result.rulebook is not None
    assert len(result.rulebook.rules) == 24


def test_rules_name_their_files_relative_to_the_rulebook_not_the_server(tmp_path, monkeypatch):
    """Findings, notices and contract clauses show ``rules/purchasing.yaml`` wherever the folder lives and
    whatever the working directory: never /srv/… of the server."""
    folder = tmp_path / "srv" / "perfrules" / "rules"
    shutil.copytree(Path(__file__).resolve().parents[2] / "rules", folder)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    rulebook = load_rulebook(folder)
    files = {s.ref.file for s in rulebook.rules}
    assert "rules/purchasing.yaml" in files
    assert all(f.startswith("rules/") and str(tmp_path) not in f for f in files)
