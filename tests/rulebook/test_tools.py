"""HR tests through the CLI, rules diff, the published schema, the runtime adapter and hot reload."""

from __future__ import annotations

import json
import shutil
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from perfrules.engine.cli import cli
from perfrules.engine.rulebook.checker import RulebookInvalid, load_rulebook
from perfrules.engine.rulebook.diff import diff_rulebooks
from perfrules.engine.rulebook.schema import SCHEMA_PATH, rules_schema, schema_text
from perfrules.engine.rulebook.watch import RulebookHolder, watch
from perfrules.engine.runtime import Engine, EngineError, normalise
from perfrules.engine.settings import PROJECT_ROOT

RULES = PROJECT_ROOT / "rules"


def test_shipped_rule_tests_pass(runner) -> None:
    result = runner.invoke(cli, ["test", str(RULES)])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output


def test_a_wrong_expectation_fails_with_a_readable_diff(runner, tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    test_file = folder / "tests" / "finance.yaml"
    test_file.write_text(
        test_file.read_text(encoding="utf-8").replace("amount: -1500.00", "amount: -1400.00"), encoding="utf-8"
    )
    result = runner.invoke(cli, ["test", str(folder)])
    assert result.exit_code == 1
    assert "FAILED: capital occupation 35% costs 15%" in result.output
    assert "- expected, not got: {employee: F1, share: -15%, amount: -1400.0}" in result.output
    assert "        amount: expected -1400.0, got -1500.00" in result.output
    assert (
        "+ got, not expected: {rule: finance.capital_occupation, subject: company, period: 2026-09, " in result.output
    )


def test_diff_speaks_hr(tmp_path: Path, runner) -> None:
    new = tmp_path / "new"
    shutil.copytree(RULES, new, ignore=shutil.ignore_patterns("tests"))
    path = new / "purchasing.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("      target: 90%\n      warning: 95%", "      target: 85%\n      warning: 95%", 1)
    text = text.replace("deduction: 10%", "deduction: 8%").replace(
        "    version: 1\n    effective_from: 2026-01-01\n    title: {zh-CN: 滞销品统计分析",
        "    version: 2\n    effective_from: 2026-10-01\n    title: {zh-CN: 滞销品统计分析",
        1,
    )
    path.write_text(text, encoding="utf-8")
    lines = diff_rulebooks(load_rulebook(RULES), load_rulebook(new))
    assert lines == [
        "purchasing.slow_mover_list: deduction 10% → 8%; threshold 90% → 85%; version 1 → 2; effective from 2026-10-01"
    ]
    result = runner.invoke(cli, ["rules", "diff", str(RULES), str(new)])
    assert result.exit_code == 0 and "threshold 90% → 85%" in result.output


def test_published_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "the schema is stale: run 'perfrules rules schema -o schema/perfrules-rules.schema.json'"
    )


def test_schema_knows_keys_and_kpis() -> None:
    schema = rules_schema()
    rule = schema["$defs"]["Rule"]
    assert rule["additionalProperties"] is False
    assert "threshold" in rule["properties"]
    assert "slow_mover_list_timeliness" in json.dumps(schema["$defs"]["Threshold"])


def test_runtime_refuses_unsafe_values() -> None:
    with pytest.raises(EngineError, match="is a float"):
        normalise({"id": "1", "value": 0.5})
    with pytest.raises(EngineError, match="without a string id"):
        normalise({"value": 1})
    with pytest.raises(EngineError, match="properties"):
        normalise({"id": "1", **{f"p{i}": i for i in range(300)}})


class _BrokenEngine(Engine):
    def _record(self, rule_name):
        if rule_name != "r":
            return super()._record(rule_name)

        def action(c):
            raise ZeroDivisionError("boom")

        return action


def test_runtime_raises_action_errors() -> None:
    engine = _BrokenEngine("t_errors", {"r": {"all": [{"m": {"t": "x"}}], "run": "r"}})
    with pytest.raises(EngineError, match="action failed"):
        engine.evaluate([{"id": "a", "t": "x"}])
    assert engine.evaluate([{"id": "b", "t": "other"}]) == []  # the host still works afterwards


def test_runtime_sessions_do_not_leak(tmp_path: Path) -> None:
    engine = Engine("t_many", {"r": {"all": [{"m": {"$and": [{"t": "k"}, {"$lt": {"value": 5}}]}}], "run": "r"}})
    for i in range(1100):  # more than durable's 1024 live sessions: each is deleted
        matches = engine.evaluate([{"id": "a", "t": "k", "value": i % 10}])
        assert len(matches) == (1 if i % 10 < 5 else 0)


def test_holder_keeps_previous_rulebook_on_bad_change(tmp_path: Path, caplog) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("tests"))
    holder = RulebookHolder(folder)
    before = holder.current()
    (folder / "finance.yaml").write_text("rules:\n  - id: finance.x\n    treshold: 1\n", encoding="utf-8")
    result = holder.reload()
    assert not result.applied and holder.current() is before
    assert any("unknown key 'treshold'" in str(p) for p in result.problems)
    assert "still using rulebook" in caplog.text
    shutil.copy(RULES / "finance.yaml", folder / "finance.yaml")
    (folder / "operations.yaml").write_text(
        (RULES / "operations.yaml").read_text(encoding="utf-8").replace("target: 80%", "target: 75%"), encoding="utf-8"
    )
    assert holder.reload().applied
    assert holder.current().digest != before.digest


def test_holder_refuses_a_broken_first_load(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("rules: 3\n")
    with pytest.raises(RulebookInvalid, match="expected a list"):
        RulebookHolder(tmp_path)


def test_watch_reloads_on_change(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("tests"))
    holder = RulebookHolder(folder)
    stop, seen = threading.Event(), []
    done = threading.Event()

    def on_reload(result) -> None:
        seen.append(result)
        done.set()

    thread = threading.Thread(target=watch, args=(holder, stop, on_reload), daemon=True)
    thread.start()
    try:
        for _ in range(20):  # the watcher may start after the first write: write until it reports
            (folder / "finance.yaml").write_text("rules: [\n", encoding="utf-8")
            if done.wait(1):
                break
    finally:
        stop.set()
        thread.join(5)
    assert seen and not seen[0].applied
    assert holder.current().rules  # the previous rulebook is still there


def test_decimal_values_reach_the_engine_as_integers() -> None:
    from perfrules.engine.rulebook.compiler import scale

    assert scale(Decimal("0.9")) == 900000
    assert scale(Decimal("1E-7")) == 0
    assert scale(Decimal("-0.10")) == -100000
