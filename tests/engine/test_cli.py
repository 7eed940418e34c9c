import importlib

import pytest
from perfrules.engine.cli import COMMANDS, cli, command_name


@pytest.mark.parametrize("module,attr", COMMANDS)
def test_each_registered_command_has_the_name_it_is_listed_under(module, attr):
    command = getattr(importlib.import_module(module), attr)
    assert command.name == command_name(attr)


def test_every_command_has_a_one_sentence_help(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for _module, attr in COMMANDS:
        assert command_name(attr) in result.output
        sub = runner.invoke(cli, [command_name(attr), "--help"])
        assert sub.exit_code == 0, sub.output
        assert sub.output.strip()


def test_unknown_command_is_a_usage_error(runner):
    result = runner.invoke(cli, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_domain_errors_exit_1_without_traceback(runner, tmp_path):
    result = runner.invoke(cli, ["--timezone", "Mars/Base", "db", "status"])
    assert result.exit_code == 1
    assert "timezone='Mars/Base'" in result.output
    assert "Traceback" not in result.output
