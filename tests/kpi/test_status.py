"""Status against targets: achievement rate, met / warning / not met, grading bands."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from perfrules.engine.kpi.parameters import KpiParameters
from perfrules.engine.kpi.scope import COMPANY, parse_scope
from perfrules.engine.kpi.status import Status, evaluate
from perfrules.engine.kpi.values import KpiValue


def value(kpi: str, v: str | None, scope=COMPANY, params=KpiParameters()) -> KpiValue:
    return KpiValue(
        kpi,
        scope,
        "2026-09",
        date(2026, 9, 1),
        date(2026, 9, 30),
        None if v is None else Decimal(v),
        None if v else "no data",
        parameters=params,
    )


@pytest.mark.parametrize(
    ("kpi", "actual", "status", "achievement"),
    [
        ("fill_rate", "0.98", Status.MET, "1.0316"),
        ("fill_rate", "0.95", Status.MET, "1"),
        ("fill_rate", "0.91", Status.WARNING, "0.9579"),
        ("fill_rate", "0.90", Status.NOT_MET, "0.9474"),
        ("obsolete_ratio", "0.04", Status.MET, "1.25"),  # lower is better: target ÷ actual
        ("obsolete_ratio", "0.128", Status.NOT_MET, "0.3906"),
        ("obsolete_ratio", "0", Status.MET, None),
        ("dio", "62", Status.WARNING, "0.9677"),
        ("purchasing_dio_yoy", "-0.2", Status.MET, "1.125"),  # (1 − 0.10) ÷ (1 − 0.20)
        ("purchasing_dio_yoy", "0.05", Status.NOT_MET, "0.8571"),
        ("turnover_improvement", "0.10", Status.WARNING, "0.9821"),
    ],
)
def test_status_and_achievement(kpi, actual, status, achievement):
    result = evaluate(value(kpi, actual))
    assert result.status is status
    assert result.achievement == (None if achievement is None else Decimal(achievement))


def test_warning_band_is_configurable():
    assert evaluate(value("fill_rate", "0.91"), warning_band=Decimal("0.01")).status is Status.NOT_MET
    wide = KpiParameters(warning_band=Decimal("0.10"))
    assert evaluate(value("fill_rate", "0.90", params=wide)).status is Status.WARNING


def test_explicit_target_and_class_targets():
    assert evaluate(value("fill_rate", "0.96"), target=Decimal("0.97")).status is Status.WARNING
    assert evaluate(value("turnover", "9", parse_scope("abc:A"))).target == Decimal(10)
    assert evaluate(value("turnover", "9", parse_scope("xyz:Z"))).status is Status.MET


@pytest.mark.parametrize(
    ("actual", "band"),
    [("0.99", "world-leading"), ("0.96", "excellent"), ("0.92", "average"), ("0.5", "needs improvement")],
)
def test_fill_rate_bands(actual, band):
    assert evaluate(value("fill_rate", actual)).band.label_en == band


def test_not_applicable():
    result = evaluate(value("fill_rate", None))
    assert result.status is Status.NOT_APPLICABLE and result.achievement is None
