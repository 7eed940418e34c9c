"""The slow-mover list (库存超过90天未销售的商品) and the check of a submitted list against it.

A slow mover is a SKU with stock on hand on the as-of day whose last sale — or, never sold, its first
movement — is more than ``slow_mover_days`` days before. It is *seasonal* (季节性) when the SKU has a
``season``, or when its sales over the last ``seasonal_months`` months are concentrated: the three busiest
calendar months hold at least ``seasonal_peak_share`` of at least ``seasonal_min_units`` units sold;
otherwise it is *structural* (结构性).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from perfrules.engine.kpi.parameters import DEFAULT, KpiParameters
from perfrules.engine.kpi.run import classing
from perfrules.storage.db import Connection
from perfrules.storage.kpi.common import Selection
from perfrules.storage.kpi.stock import SlowMoverRow, slow_movers

SlowClass = Literal["seasonal", "structural"]
LIST_DELIVERABLE = "slow_mover_list"  # the deliverable a purchaser hands in: the list this module checks


@dataclass(frozen=True)
class SlowMover:
    """One line of the system's slow-mover list."""

    sku: str
    name: str
    category: str
    qty: int
    value: Decimal
    last_sale_day: date | None  # None: never sold
    days_since_sale: int  # since the last sale, or since the first movement when never sold
    cls: SlowClass
    reason: str  # why seasonal or structural
    buyer: str | None = None  # who placed its latest purchase order (None: nobody, or not looked up)


@dataclass(frozen=True)
class SlowMoverList:
    """The system's slow-mover list as of a day."""

    as_of: date
    items: tuple[SlowMover, ...]

    @property
    def value(self) -> Decimal:
        return sum((i.value for i in self.items), Decimal(0))

    def by_sku(self) -> dict[str, SlowMover]:
        return {i.sku: i for i in self.items}

    def owed_by(self, person: str, listed_by_others: Collection[str] = ()) -> SlowMoverList:
        """The part ``person``'s list must name: the SKUs whose latest purchase order they placed, and those
        nobody bought (stock without purchase orders) unless a colleague's list of the same month names them
        (``listed_by_others``): the department owes those once. Needs ``with_buyer``."""
        others = set(listed_by_others)
        return SlowMoverList(
            self.as_of,
            tuple(i for i in self.items if i.buyer == person or (i.buyer is None and i.sku not in others)),
        )


def listed_skus(payload: Any) -> set[str]:
    """The SKUs a ``slow_mover_list`` payload names (malformed items left out: :func:`check_list` names them)."""
    items = payload.get("items") if isinstance(payload, Mapping) else None
    return {i["sku"] for i in items or () if isinstance(i, Mapping) and isinstance(i.get("sku"), str)}


def _classify(row: SlowMoverRow, params: KpiParameters) -> tuple[SlowClass, str]:
    if row.season:
        return "seasonal", f"season {row.season}"
    if (
        row.peak_share is not None
        and row.sold_qty >= params.seasonal_min_units
        and row.peak_share >= params.seasonal_peak_share
    ):
        return "seasonal", f"{row.peak_share:.0%} of {row.sold_qty} units sold in its 3 busiest months"
    if row.sold_qty == 0:
        return "structural", f"no sales in {params.seasonal_months} months"
    return "structural", "no seasonal pattern"


def slow_mover_list(
    conn: Connection,
    as_of: date,
    params: KpiParameters = DEFAULT,
    *,
    category: str | None = None,
    classify: bool = True,
    with_buyer: bool = False,
) -> SlowMoverList:
    """The slow movers on ``as_of`` (all SKUs, or one category), largest value first.

    ``classify=False`` skips the sales-history look-up (every item without a ``season`` is then structural):
    for callers that need only quantities and values. ``with_buyer`` looks up who bought each SKU last (for
    :meth:`SlowMoverList.owed_by`)."""
    selection = Selection("category", category) if category else Selection()
    rows = slow_movers(
        conn,
        as_of,
        min_days=params.slow_mover_days,
        seasonal_months=params.seasonal_months,
        selection=selection,
        classing=classing(params),
        with_history=classify,
        with_buyer=with_buyer,
    )
    items = []
    for row in rows:
        cls, reason = _classify(row, params)
        since = row.last_sale_day or row.first_day or as_of
        items.append(
            SlowMover(
                row.sku,
                row.name,
                row.category,
                row.qty,
                row.value,
                row.last_sale_day,
                (as_of - since).days,
                cls,
                reason,
                row.buyer,
            )
        )
    return SlowMoverList(as_of, tuple(items))


@dataclass(frozen=True)
class Misclassified:
    sku: str
    expected: SlowClass
    given: str


@dataclass(frozen=True)
class ListCheck:
    """A submitted slow-mover list compared with the system's: completeness and classification."""

    expected: int  # SKUs on the system's list
    named: int  # distinct SKUs the submission names
    missing: tuple[str, ...]  # on the system's list, not in the submission
    extra: tuple[str, ...]  # in the submission, not on the system's list
    misclassified: tuple[Misclassified, ...]
    invalid: tuple[str, ...]  # payload problems (item without sku, unknown class)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def correctly_classified(self) -> bool:
        return not self.misclassified

    @property
    def coverage(self) -> Decimal:
        """Share of the system's list the submission names (1 for an empty system list)."""
        if not self.expected:
            return Decimal(1)
        return (Decimal(self.expected - len(self.missing)) / self.expected).quantize(Decimal("0.0001"))


def check_list(system: SlowMoverList, payload: Mapping[str, Any]) -> ListCheck:
    """Compare a ``slow_mover_list`` payload ``{"items": [{"sku", "class"}]}`` with the system's list."""
    given: dict[str, str] = {}
    invalid: list[str] = []
    items = payload.get("items") if isinstance(payload, Mapping) else None
    if not isinstance(items, list):
        invalid.append("payload has no 'items' list")
        items = []
    for index, item in enumerate(items):
        sku = item.get("sku") if isinstance(item, Mapping) else None
        if not isinstance(sku, str) or not sku:
            invalid.append(f"items[{index}]: no sku")
            continue
        cls = str(item.get("class", "")).strip().lower()
        if cls not in ("seasonal", "structural"):
            invalid.append(f"items[{index}] ({sku}): class {item.get('class')!r} is not seasonal or structural")
        given[sku] = cls
    expected = system.by_sku()
    missing = tuple(sorted(set(expected) - set(given)))
    extra = tuple(sorted(set(given) - set(expected)))
    wrong = tuple(
        Misclassified(sku, expected[sku].cls, given[sku])
        for sku in sorted(set(given) & set(expected))
        if given[sku] != expected[sku].cls
    )
    return ListCheck(len(expected), len(given), missing, extra, wrong, tuple(invalid))
