"""``perfrules check`` also checks the notice templates, HR's overrides first."""

from perfrules.engine.cli import cli
from perfrules.engine.settings import PROJECT_ROOT

RULES = str(PROJECT_ROOT / "rules")


def test_bundled_templates_pass(runner):
    result = runner.invoke(cli, ["check", RULES])
    assert result.exit_code == 0, result.output
    assert "Checking templates\n  SUCCESS" in result.output


def test_an_override_with_an_unknown_variable_fails_check_with_file_and_line(runner, tmp_path, monkeypatch):
    overrides = tmp_path / "overrides" / "emails"
    overrides.mkdir(parents=True)
    (overrides / "reminder.en.txt.j2").write_text("Dear {{ recipient.name_en }},\n{{ recipient.nmae }}\n")
    monkeypatch.setenv("PERFRULES_TEMPLATE_OVERRIDES_DIR", str(tmp_path / "overrides"))
    result = runner.invoke(cli, ["check", RULES])
    assert result.exit_code == 1
    assert f"{overrides / 'reminder.en.txt.j2'}:2: Recipient has no field 'nmae'" in result.output
