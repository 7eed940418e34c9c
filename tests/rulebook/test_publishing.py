"""Four eyes on the rulebook through the CLI: draft (checked, the change in words), submit, a second person
approves, publish writes the file atomically into the rules folder; every refusal says why."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from perfrules.engine.cli import cli
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.storage.access import audit_entries

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def folder(tmp_path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    return rules


def _cli(runner, database_url, folder, *args, input=None, ok=True):
    result = runner.invoke(cli, ["--database-url", database_url, "--rules-dir", str(folder), *args], input=input)
    assert "Traceback" not in result.output
    if ok:
        assert result.exit_code == 0, result.output
    return result.output


def _new_deduction(folder: Path) -> str:
    text = (folder / "purchasing.yaml").read_text(encoding="utf-8")
    assert "deduction: 10%" in text
    return text.replace("deduction: 10%", "deduction: 8%", 1)


def test_a_change_needs_a_second_person_then_is_published(runner, db, database_url, folder):
    out = _cli(runner, database_url, folder, "rules", "draft", "purchasing.yaml", "--by", "hr.li",
               "--note", "softer", input=_new_deduction(folder))  # fmt: skip
    (draft,) = re.findall(r"draft #(\d+) of purchasing.yaml by hr.li: checks", out)
    assert "10%" in out and "8%" in out  # the change, in words
    before = (folder / "purchasing.yaml").read_text(encoding="utf-8")
    assert "deduction: 10%" in before  # nothing written yet

    _cli(runner, database_url, folder, "rules", "submit", draft, "--by", "hr.li")
    own = _cli(runner, database_url, folder, "rules", "approve", draft, "--by", "hr.li", ok=False)
    assert "a second person must approve it" in own
    early = _cli(runner, database_url, folder, "rules", "publish", draft, "--by", "hr.li", ok=False)
    assert "only an approved draft is published" in early
    _cli(runner, database_url, folder, "rules", "approve", draft, "--by", "hr.wang")
    out = _cli(runner, database_url, folder, "rules", "publish", draft, "--by", "hr.li")
    assert f"draft #{draft} of purchasing.yaml: published" in out
    assert "deduction: 8%" in (folder / "purchasing.yaml").read_text(encoding="utf-8")
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary file left behind
    load_rulebook(folder)  # the folder still checks
    actions = [e.action for e in audit_entries(db) if e.target.startswith(f"draft #{draft}")]
    assert actions == ["rules.publish", "rules.approve", "rules.submit", "rules.draft"]
    published = next(e for e in audit_entries(db) if e.action == "rules.publish")
    assert published.detail["reviewer"] == "hr.wang" and "-      deduction: 10%" in published.detail["diff"]
    assert "[published]" in _cli(runner, database_url, folder, "rules", "drafts")

    back = _cli(runner, database_url, folder, "rules", "rollback", draft, "--by", "hr.wang")
    (undo,) = re.findall(r"draft #(\d+) rolls purchasing.yaml back", back)
    _cli(runner, database_url, folder, "rules", "submit", undo, "--by", "hr.wang")
    _cli(runner, database_url, folder, "rules", "approve", undo, "--by", "hr.li")
    _cli(runner, database_url, folder, "rules", "publish", undo, "--by", "hr.wang")
    assert (folder / "purchasing.yaml").read_text(encoding="utf-8") == before


def test_a_draft_that_breaks_the_rulebook_is_refused_with_its_problems(runner, database_url, folder):
    broken = _new_deduction(folder).replace("deduction: 8%", "deducton: 8%", 1)
    out = _cli(runner, database_url, folder, "rules", "draft", "purchasing.yaml", input=broken, ok=False)
    assert "would break the rulebook" in out and "rules/purchasing.yaml:" in out and "deducton" in out
    assert "/tmp" not in out.split("would break")[1]
    bad_name = _cli(runner, database_url, folder, "rules", "draft", "../etc.yaml", input="x", ok=False)
    assert "is not a rule file name" in bad_name


def test_publishing_refuses_a_file_changed_since_it_was_drafted(runner, database_url, folder):
    out = _cli(
        runner, database_url, folder, "rules", "draft", "purchasing.yaml", "--by", "a", input=_new_deduction(folder)
    )
    (draft,) = re.findall(r"draft #(\d+)", out)
    _cli(runner, database_url, folder, "rules", "submit", draft, "--by", "a")
    _cli(runner, database_url, folder, "rules", "approve", draft, "--by", "b")
    path = folder / "purchasing.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited by hand\n", encoding="utf-8")
    out = _cli(runner, database_url, folder, "rules", "publish", draft, "--by", "a", ok=False)
    assert "changed in the rules folder since draft" in out
