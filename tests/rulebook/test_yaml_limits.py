"""Alias bombs and absurd nesting are refused with a clear message, by ``check`` and by the service's reload."""

from __future__ import annotations

import shutil
from itertools import pairwise
from pathlib import Path

import pytest
from perfrules.engine.rulebook.loader import MAX_ALIAS_VALUES, MAX_DEPTH, parse_text
from perfrules.engine.rulebook.watch import RulebookHolder
from perfrules.engine.settings import PROJECT_ROOT

RULES = PROJECT_ROOT / "rules"


def alias_bomb(levels: int = 9) -> str:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    names = [chr(ord("a") + i) for i in range(levels + 1)]
    for prev, cur in pairwise(names):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join([*lines, f"rules: *{names[-1]}", ""])


def deep(levels: int = 20_000, flow: bool = True) -> str:
    if flow:
        return "rules:\n  - " + "[" * levels + "]" * levels + "\n"
    return "rules:\n" + "".join(" " * (2 * i + 2) + f"k{i}:\n" for i in range(levels))


def test_an_alias_bomb_is_refused() -> None:
    doc = parse_text(alias_bomb(), "bomb.yaml")  # 9**10 values if expanded
    assert doc.data is None
    [problem] = doc.problems
    assert f"aliases (*name) expand to more than {MAX_ALIAS_VALUES} values" in str(problem)
    assert str(problem).startswith("bomb.yaml:1:")


def test_a_few_aliases_are_fine() -> None:
    doc = parse_text("base: &b {kpi: otif, scope: company}\nrules: [{threshold: *b}, {threshold: *b}]\n", "a.yaml")
    assert not doc.problems
    assert doc.data["rules"][1]["threshold"] == {"kpi": "otif", "scope": "company"}


@pytest.mark.parametrize("flow", [True, False], ids=["flow", "block"])
def test_absurd_nesting_is_refused(flow: bool) -> None:
    doc = parse_text(deep(20_000 if flow else 1_000, flow), "deep.yaml")
    [problem] = doc.problems
    assert f"nesting deeper than {MAX_DEPTH} levels is not allowed" in str(problem)


def test_reload_refuses_a_bomb_and_keeps_the_rulebook(tmp_path: Path, caplog) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("tests"))
    holder = RulebookHolder(folder)
    before = holder.current()
    for text in (alias_bomb(), deep()):
        (folder / "finance.yaml").write_text(text, encoding="utf-8")
        result = holder.reload()
        assert not result.applied and holder.current() is before
        assert any("aliases" in str(p) or "nesting" in str(p) for p in result.problems)
    assert "still using rulebook" in caplog.text
