"""ABC classes (by share of consumption value) and XYZ classes (by variability of monthly demand).

ABC: SKUs sorted by outbound cost over the ``class_months`` calendar months ending with the as-of month; a SKU
is A while the value of the SKUs before it is under the first cut-off (80%), B under the second (95%), else C
(and every SKU without consumption is C). XYZ: coefficient of variation (population standard deviation ÷
mean) of the monthly outbound quantity over the same months, months without movement counting as 0:
X ≤ 0.5 < Y ≤ 1.0 < Z; no demand is Z.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from perfrules.engine.kpi.parameters import DEFAULT, KpiParameters
from perfrules.engine.kpi.run import classing
from perfrules.storage.kpi import reading
from perfrules.storage.kpi.stock import SkuClass, sku_classes

__all__ = ["SkuClass", "classify"]


def classify(
    db: Any, as_of: date, params: KpiParameters = DEFAULT, skus: list[str] | None = None
) -> dict[str, SkuClass]:
    """The ABC and XYZ class of every SKU (or of ``skus``) on ``as_of``."""
    with reading(db) as conn:
        return sku_classes(conn, as_of, classing(params), skus)
