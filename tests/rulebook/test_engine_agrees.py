"""Property tests: the compiled durable ruleset and a direct Python reading of the thresholds agree.

``decide`` is the single decision path (the production core ``perfrules.engine.evaluation.core`` that
``perfrules evaluate`` and ``perfrules test`` both run)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from perfrules.engine.evaluation.decide import decide
from perfrules.engine.evaluation.facts import Facts, KpiValue
from perfrules.engine.kpi.catalog import BY_ID
from perfrules.engine.rulebook.checker import load_rulebook
from perfrules.engine.settings import PROJECT_ROOT

RULEBOOK = load_rulebook(PROJECT_ROOT / "rules")
NOW = datetime(2026, 10, 25, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
THRESHOLD_RULES = [s.rule for s in RULEBOOK.rules if s.rule.threshold is not None]


def python_reading(kv: KpiValue) -> set[tuple[str, str]]:
    """The same thresholds read directly: which (rule, kind) a KPI value triggers."""
    out = set()
    for rule in THRESHOLD_RULES:
        t = rule.threshold
        scope_id = t.scope_id or (rule.department if t.scope == "department" else "")
        kind = "quarter" if "Q" in kv.period else "month"
        if t.kpi != kv.kpi or t.scope != kv.scope or scope_id != kv.scope_id or t.period != kind:
            continue
        if kv.value is None:
            continue
        target = t.target if t.target is not None else BY_ID[t.kpi].target
        higher = (t.direction or BY_ID[t.kpi].direction.value) == "higher"
        worse = kv.value < target if higher else kv.value > target
        if worse:
            out.add((rule.id, "kpi_breach"))
        elif t.warning is not None and (kv.value < t.warning if higher else kv.value > t.warning):
            out.add((rule.id, "kpi_warning"))
        elif rule.consequence is not None and rule.consequence.proportional is not None:
            out.add((rule.id, "kpi_met"))
    return out


def _targets() -> list[Decimal]:
    return sorted(
        {r.threshold.target for r in THRESHOLD_RULES if r.threshold.target is not None}
        | {r.threshold.warning for r in THRESHOLD_RULES if r.threshold.warning is not None}
    )


SCOPED = sorted(
    {
        (
            r.threshold.kpi,
            r.threshold.scope,
            r.threshold.scope_id or (r.department if r.threshold.scope == "department" else ""),
            r.threshold.period,
        )
        for r in THRESHOLD_RULES
    }
)
values = st.one_of(
    st.none(),
    st.sampled_from(_targets()),  # exactly on a threshold
    st.decimals(min_value=Decimal("-1"), max_value=Decimal("200"), places=6, allow_nan=False, allow_infinity=False),
    st.sampled_from(_targets()).map(lambda t: t + Decimal("0.000001")),
    st.sampled_from(_targets()).map(lambda t: t - Decimal("0.000001")),
    st.just(Decimal(0)),
)


@st.composite
def kpi_values(draw: st.DrawFn) -> list[KpiValue]:
    out = []
    for kpi, scope, scope_id, period in draw(st.lists(st.sampled_from(SCOPED), min_size=1, max_size=8, unique=True)):
        label = "2026Q3" if period == "quarter" else "2026-09"
        out.append(KpiValue(kpi, label, draw(values), scope, scope_id))
    return out


@settings(max_examples=60, deadline=None)
@given(kpi_values())
def test_engine_and_python_agree(kvs: list[KpiValue]) -> None:
    decision = decide(RULEBOOK, Facts("2026Q3", kpis=tuple(kvs)), NOW)
    got = {(f.ref.id, f.kind) for f in decision.findings if f.kind.startswith("kpi_")}
    expected = set().union(*(python_reading(kv) for kv in kvs))
    assert got == expected
    missing = {kv.kpi for kv in kvs if kv.value is None}
    assert not {f.kpi for f in decision.findings} & missing  # no value: not applicable, never a breach


def test_exactly_on_target_is_not_a_breach() -> None:
    kv = KpiValue("slow_mover_list_timeliness", "2026-09", Decimal("0.9"), "department", "purchasing")
    decision = decide(RULEBOOK, Facts("2026-09", kpis=(kv,)), NOW)
    assert [f.kind for f in decision.findings if f.kpi] == ["kpi_warning"]


def test_zero_is_a_breach_of_a_higher_is_better_kpi(tmp_path: Path) -> None:
    kv = KpiValue("slow_mover_list_timeliness", "2026-09", Decimal(0), "department", "purchasing")
    decision = decide(RULEBOOK, Facts("2026-09", kpis=(kv,)), NOW)
    assert [f.kind for f in decision.findings if f.kpi] == ["kpi_breach"]
