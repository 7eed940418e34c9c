"""Templates: golden files for every kind and language, StrictUndefined, sandbox, overrides, filters."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from perfrules.engine.notices import (
    KINDS,
    TemplateRenderError,
    check_templates,
    make_environment,
    render_notice,
    template_variables,
)
from perfrules.engine.notices.contexts import ConsequenceContext, KpiWarningContext, Recipient, Threshold
from perfrules.engine.notices.samples import SAMPLE_RECIPIENTS, sample_context
from perfrules.engine.vocabulary import LOCALES

GOLDEN = Path(__file__).parent / "golden"


def band_warning(recipient: Recipient, *, deducts: bool = True) -> KpiWarningContext:
    """The sample KPI warning as a warning-band value: 92% meets the 90% target but not the 95% warning level."""
    sample = dict(sample_context("kpi_warning", recipient))
    level = Threshold(comparison=">=", value=Decimal("0.95"), unit="ratio")
    return KpiWarningContext(
        **{
            **sample,
            "kind": "warning",
            "actual": Decimal("0.92"),
            "warning_level": level,
            "deducts": deducts,
            "consecutive_periods": 1,
        }
    )


VARIANTS = {"kpi_warning.band": band_warning}  # golden name → context of a second shape of one kind


def rendered_text(kind: str, locale: str) -> str:
    recipient = SAMPLE_RECIPIENTS[locale]
    context = VARIANTS[kind](recipient) if kind in VARIANTS else sample_context(kind, recipient)
    r = render_notice(make_environment(), context)
    return f"Subject: {r.subject}\n\n===== text/plain =====\n{r.text}\n===== text/html =====\n{r.html}"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", [*KINDS, *VARIANTS])
def test_every_template_matches_its_golden_file(kind: str, locale: str, golden) -> None:
    golden(rendered_text(kind, locale), GOLDEN / f"{kind}.{locale}.txt")


def test_chinese_notices_use_the_seed_terms() -> None:
    assert "季度奖金" in rendered_text("consequence", "zh-CN")
    assert "滞销品清单" in rendered_text("deadline_missed", "zh-CN")
    assert "书面改进计划" in rendered_text("escalation_hr", "zh-CN")


@pytest.mark.parametrize("locale", LOCALES)
def test_a_kpi_warning_says_whether_the_target_is_missed_or_only_the_warning_level_crossed(locale: str) -> None:
    env, recipient = make_environment(), SAMPLE_RECIPIENTS[locale]
    breach = render_notice(env, sample_context("kpi_warning", recipient))
    band = render_notice(env, band_warning(recipient, deducts=False))
    if locale == "en":
        assert breach.subject.startswith("KPI target missed:") and "misses its" in breach.text
        assert band.subject.startswith("KPI early warning:") and "still meets" in band.text
        assert "past the warning level 95.0%" in band.subject and "target (≥ 90.0%)" in band.text
        assert "miss" not in band.subject and "and misses its" not in band.text and "missed its" not in band.text
    else:
        assert breach.subject.startswith("【指标未达标】") and "未达到目标" in breach.text
        assert band.subject.startswith("【指标预警】") and "仍达到目标（≥ 90.0%）" in band.text
        assert "预警线（95.0%）" in band.text and "未达到目标" not in band.text and "未达标" not in band.subject
    # the bonus is mentioned only for a rule that deducts (a breach told by a KPI warning never does)
    assert ("奖金" if locale == "zh-CN" else "bonus") not in breach.text + band.text.replace("不因此扣减奖金", "")
    deducting = render_notice(env, band_warning(recipient)).text
    assert ("一旦未达标，将按绩效规则扣减季度奖金" if locale == "zh-CN" else "a miss costs a deduction") in deducting


def test_a_band_warning_without_its_warning_level_is_refused() -> None:
    sample = dict(sample_context("kpi_warning", SAMPLE_RECIPIENTS["en"]))
    with pytest.raises(ValueError, match="warning_level"):
        KpiWarningContext(**{**sample, "kind": "warning"})


def test_bundled_templates_are_complete_and_use_only_known_variables() -> None:
    assert check_templates(make_environment(), require_complete=True) == []


def override(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "overrides" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return tmp_path / "overrides"


def test_override_folder_wins_over_the_bundled_template(tmp_path: Path) -> None:
    folder = override(tmp_path, "emails/reminder.en.subject.j2", "HR says: {{ deliverable|name }} due soon\n")
    r = render_notice(make_environment(folder), sample_context("reminder", SAMPLE_RECIPIENTS["en"]))
    assert r.subject == "HR says: slow-mover list due soon"
    assert "Dear Li Ming," in r.text  # the parts not overridden still come from the bundled set


def test_strict_undefined_refuses_a_missing_variable(tmp_path: Path) -> None:
    folder = override(tmp_path, "emails/reminder.en.subject.j2", "Due {{ deadline }}\n")
    with pytest.raises(TemplateRenderError, match=r"reminder\.en\.subject\.j2:1: 'deadline' is undefined"):
        render_notice(make_environment(folder), sample_context("reminder", SAMPLE_RECIPIENTS["en"]))


def test_strict_undefined_refuses_a_missing_attribute(tmp_path: Path) -> None:
    folder = override(tmp_path, "emails/reminder.en.txt.j2", "line one\n{{ recipient.nickname }}\n")
    with pytest.raises(TemplateRenderError, match="nickname"):
        render_notice(make_environment(folder), sample_context("reminder", SAMPLE_RECIPIENTS["en"]))


@pytest.mark.parametrize(
    "unsafe",
    [
        "{{ recipient.__class__.__mro__ }}",
        "{{ recipient.model_config.__class__.__subclasses__() }}",
        "{{ ''.__class__.__base__.__subclasses__() }}",
        "{{ recipient.model_copy(update={'email': 'x'}) }}",
    ],
)
def test_sandbox_blocks_unsafe_access_in_an_override(tmp_path: Path, unsafe: str) -> None:
    folder = override(tmp_path, "emails/reminder.en.subject.j2", unsafe + "\n")
    with pytest.raises(TemplateRenderError, match=r"reminder\.en\.subject\.j2"):
        render_notice(make_environment(folder), sample_context("reminder", SAMPLE_RECIPIENTS["en"]))


def test_html_is_autoescaped_and_text_is_not() -> None:
    recipient = Recipient(id="E9", name_zh="<b>王</b>", name_en="<b>Wang</b> & Co", email="w@example.com", locale="en")
    r = render_notice(make_environment(), sample_context("reminder", recipient))
    assert "Dear &lt;b&gt;Wang&lt;/b&gt; &amp; Co," in r.html
    assert "Dear <b>Wang</b> & Co," in r.text


def test_check_templates_reports_unknown_variables_with_file_and_line(tmp_path: Path) -> None:
    folder = override(
        tmp_path,
        "emails/consequence.en.txt.j2",
        '{% extends "emails/_layout.en.txt.j2" %}\n{% block body %}\n'
        "{{ amount|money }}\n{{ amout }}\n"
        "{% for fact in facts %}{{ fact.valeu }}{% endfor %}\n{% endblock %}\n",
    )
    override(tmp_path, "emails/remindr.en.subject.j2", "x\n")
    problems = [str(p) for p in check_templates(folder)]
    file = folder / "emails" / "consequence.en.txt.j2"
    assert f"{file}:4: unknown variable 'amout' (did you mean 'amount'?)" in problems[0]
    assert f"{file}:5: FactSeen has no field 'valeu' (did you mean 'value'?)" in problems[1]
    assert "remindr.en.subject.j2:1: unknown notice kind 'remindr' (did you mean 'reminder'?)" in problems[2]
    assert len(problems) == 3


def test_check_templates_reports_syntax_errors_and_unknown_filters(tmp_path: Path) -> None:
    folder = override(tmp_path, "emails/reminder.en.subject.j2", "{{ period|shout }}\n")
    override(tmp_path, "emails/reminder.en.txt.j2", "a\n{% if period %}\n")
    problems = sorted(str(p) for p in check_templates(folder))
    assert problems[0].endswith("reminder.en.subject.j2:1: No filter named 'shout'.")
    assert "reminder.en.txt.j2:2: Unexpected end of template" in problems[1]


def test_template_variables_are_published_per_kind() -> None:
    variables = template_variables("consequence")
    assert {
        "rule.id",
        "rule.version",
        "facts[].name.name_zh",
        "facts[].value",
        "threshold.value",
        "amount",
        "bonus_base",
        "rate",
        "recipient.locale",
    } <= set(variables)
    assert "items[].subject" in template_variables("digest")


def test_filters_round_money_half_up_and_show_times_in_the_recipient_zone(tmp_path: Path) -> None:
    folder = override(
        tmp_path,
        "emails/consequence.en.subject.j2",
        "{{ amount|money }} / {{ rate|percent }} / {{ threshold.value|measure(threshold.unit) }}\n",
    )
    context = sample_context("consequence", SAMPLE_RECIPIENTS["en"])
    context = ConsequenceContext(**{**dict(context), "amount": Decimal("1234.565"), "rate": Decimal("0.125")})
    assert render_notice(make_environment(folder), context).subject == "CNY 1,234.57 / 12.5% / 90.0%"

    folder = override(tmp_path, "emails/reminder.zh-CN.subject.j2", "{{ due_at|datetime }}\n")
    context = sample_context("reminder", SAMPLE_RECIPIENTS["zh-CN"])
    context = type(context)(**{**dict(context), "due_at": datetime(2024, 2, 29, 16, 30, tzinfo=UTC)})
    assert render_notice(make_environment(folder), context).subject == "2024年3月1日 00:30（UTC+08:00）"
