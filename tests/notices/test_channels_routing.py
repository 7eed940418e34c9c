"""``channels.yaml`` routing and the channels file: every problem with file:line:column and a suggestion;
``perfrules check`` reports them; chat templates render for every kind and language."""

from __future__ import annotations

from pathlib import Path

import pytest
from perfrules.engine.cli import cli
from perfrules.engine.notices import check_templates
from perfrules.engine.notices.channels import ChannelConfigError, Routes, load_channels, render_chat
from perfrules.engine.notices.channels.routes import ROUTABLE_KINDS
from perfrules.engine.rulebook.channels import check_routes
from perfrules.engine.rulebook.loader import parse_text
from perfrules.engine.vocabulary import LOCALES

from tests.notices.chat_servers import SECRETS, channels_toml
from tests.notices.support import ENV, WANG, notice

CHANNELS = ("ops-wecom", "buy-ding", "plan-feishu", "erp-hook")
BAD = """\
routes:
  - kinds: [deadline_mised, kpi_warning]
    departments: [purchasng]
    channels: [ops-wecon]
    emial: false
  - kinds: [reminder]
    channels: [buy-ding]
    email: maybe
  - channels: [erp-hook]
"""


def test_every_routing_problem_is_named_with_its_position_and_a_suggestion() -> None:
    routes, problems = check_routes(parse_text(BAD, "rules/channels.yaml"), CHANNELS)
    assert routes is None
    assert [str(p) for p in sorted(problems)] == [
        "rules/channels.yaml:2:13: routes[0].kinds[0]: unknown notice kind 'deadline_mised' "
        "(did you mean 'deadline_missed'?)",
        "rules/channels.yaml:3:19: routes[0].departments[0]: unknown department 'purchasng' "
        "(did you mean 'purchasing'?)",
        "rules/channels.yaml:4:16: routes[0].channels[0]: unknown channel 'ops-wecon' (did you mean 'ops-wecom'?)",
        "rules/channels.yaml:5:5: routes[0].emial: unknown key 'emial' (did you mean 'email'?)",
        "rules/channels.yaml:8:12: routes[1].email: expected true or false, not 'maybe'",
        "rules/channels.yaml:9:5: routes[2]: missing 'kinds'",
    ]


def test_a_good_routing_table_and_how_it_matches() -> None:
    text = "routes:\n  - kinds: [kpi_warning]\n    departments: [finance]\n    channels: [ops-wecom]\n"
    text += "  - kinds: [kpi_warning]\n    people: [E7]\n    channels: [erp-hook]\n    email: false\n"
    routes, problems = check_routes(parse_text(text, "channels.yaml"), CHANNELS)
    assert problems == [] and isinstance(routes, Routes)
    assert routes.target("kpi_warning", "E1", "finance").channels == ("ops-wecom",)
    assert routes.target("kpi_warning", "E1", "finance").email is True
    both = routes.target("kpi_warning", "E7", "finance")
    assert both.channels == ("ops-wecom", "erp-hook") and both.email is False
    assert routes.target("reminder", "E7", "finance").channels == ()


def test_the_channels_file_names_every_problem_and_missing_secret(tmp_path: Path) -> None:
    path = tmp_path / "channels.toml"
    path.write_text(
        '[channels.a]\ntype = "wecon"\n[channels.b]\ntype = "dingtalk"\nper_minit = 5\n'
        '[channels.c]\ntype = "webhook"\n',
        encoding="utf-8",
    )
    with pytest.raises(ChannelConfigError) as caught:
        load_channels(path, {"PERFRULES_CHANNEL_B_KEY": "t"})
    assert caught.value.problems == [
        "channels.a.type: 'wecon' is not a channel type (wecom, dingtalk, feishu, webhook) (did you mean 'wecom'?)",
        "channels.b.per_minit: unknown key (did you mean 'per_minute'?)",
        "channels.b: dingtalk signs every message: set PERFRULES_CHANNEL_B_SECRET in the environment",
        'channels.c.url: a webhook needs url = "https://…"',
    ]
    assert "t" not in repr(load_channels(None, {}))


def test_check_reports_the_routing(runner, tmp_path: Path, monkeypatch, fake_chat) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "channels.yaml").write_text(BAD, encoding="utf-8")
    (tmp_path / "channels.toml").write_text(channels_toml(fake_chat), encoding="utf-8")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PERFRULES_CHANNELS_FILE", str(tmp_path / "channels.toml"))
    result = runner.invoke(cli, ["check", str(rules)])
    assert result.exit_code == 1
    assert f"Checking {rules / 'channels.yaml'}\n  FAILED:" in result.output
    assert "channels.yaml:4:16: routes[0].channels[0]: unknown channel 'ops-wecon'" in result.output
    assert "no rule files" in result.output  # channels.yaml is not taken for a rule file

    monkeypatch.delenv("PERFRULES_CHANNEL_PLAN_FEISHU_SECRET")
    missing = runner.invoke(cli, ["check", str(rules)])
    assert "channels.plan-feishu: feishu signs every message: set PERFRULES_CHANNEL_PLAN_FEISHU_SECRET" in (
        missing.output
    )
    assert SECRETS["PERFRULES_CHANNEL_BUY_DING_SECRET"] not in missing.output


@pytest.mark.parametrize("kind", ROUTABLE_KINDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_kind_has_a_chat_template_in_every_language(kind: str, locale: str) -> None:
    context = notice(kind, WANG.model_copy(update={"locale": locale}))
    text = render_chat(ENV, kind, context.model_dump(mode="json"))
    assert text.startswith("### ") and "{{" not in text and "<" not in text.split("\n")[0]


def test_a_chat_template_override_is_held_to_its_kinds_variables(tmp_path: Path) -> None:
    (tmp_path / "chat").mkdir()
    (tmp_path / "chat" / "reminder.en.md.j2").write_text("### {{ deliverabel|name }}\n", encoding="utf-8")
    (tmp_path / "chat" / "reminder.en.txt.j2").write_text("x\n", encoding="utf-8")
    problems = [str(p) for p in check_templates(tmp_path)]
    assert any("reminder.en.md.j2:1:" in p and "deliverabel" in p for p in problems), problems
    assert any("reminder.en.txt.j2:1: name must be" in p for p in problems), problems
