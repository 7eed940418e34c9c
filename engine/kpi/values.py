"""A computed KPI value that keeps its inputs, so every figure can be explained and drilled into."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

from perfrules.engine.kpi import catalog
from perfrules.engine.kpi.parameters import DEFAULT, KpiParameters
from perfrules.engine.kpi.scope import Scope

PLACES = Decimal("0.0001")


def quantize(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class KpiValue:
    """One KPI for one scope and period as of a day.

    ``value`` is None when the KPI is not applicable (e.g. a fill rate without demand); ``reason`` says why.
    ``numerator`` / ``denominator`` are the figures the value was divided from (before annualisation,
    which ``inputs["annualise"]`` records), ``rows`` the facts counted, ``inputs`` every other figure used.
    """

    kpi: str
    scope: Scope
    period: str
    start: date  # first day of the window
    end: date  # last day of the window (the period's last day, or the as-of day if earlier)
    value: Decimal | None
    reason: str | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    rows: int = 0
    inputs: Mapping[str, Any] = field(default_factory=dict)
    parameters: KpiParameters = DEFAULT

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", MappingProxyType(dict(self.inputs)))

    @property
    def definition(self) -> catalog.KpiDef:
        return catalog.get(self.kpi)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "scope": self.scope.label,
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "value": _plain(self.value),
            "reason": self.reason,
            "numerator": _plain(self.numerator),
            "denominator": _plain(self.denominator),
            "rows": self.rows,
            "inputs": {k: _plain(v) for k, v in self.inputs.items()},
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- exact serialisation (the KPI value store keeps sets as JSON text) ----------------------------------------
# Decimals travel as decimal text, dates as ISO text, tuples as tuples: load(dump(v)) == v, digit for digit.


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data, decimals, dates and tuples tagged so :func:`decode` restores them."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return {"$t": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {"$m": [[k, encode(v)] for k, v in value.items()]}
    if isinstance(value, float):
        return {"$f": repr(value)}
    raise TypeError(f"cannot store a KPI input of type {type(value).__name__}")


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    (tag, body), *_ = value.items()
    if tag == "$d":
        return Decimal(body)
    if tag == "$date":
        return date.fromisoformat(body)
    if tag == "$dt":
        return datetime.fromisoformat(body)
    if tag == "$t":
        return tuple(decode(v) for v in body)
    if tag == "$m":
        return {k: decode(v) for k, v in body}
    if tag == "$f":
        return float(body)
    raise ValueError(f"unknown tag {tag!r} in a stored KPI value")


def dump_value(value: KpiValue) -> dict[str, Any]:
    """``value`` as JSON-ready data that :func:`load_value` turns back into an equal ``KpiValue``."""
    return {
        "kpi": value.kpi,
        "scope": [value.scope.kind.value, value.scope.key],
        "period": value.period,
        "start": value.start.isoformat(),
        "end": value.end.isoformat(),
        "value": encode(value.value),
        "reason": value.reason,
        "numerator": encode(value.numerator),
        "denominator": encode(value.denominator),
        "rows": value.rows,
        "inputs": encode(dict(value.inputs)),
        "parameters": None if value.parameters == DEFAULT else encode(value.parameters.as_dict()),
    }


def load_value(data: Mapping[str, Any]) -> KpiValue:
    kind, key = data["scope"]
    parameters = data["parameters"]
    return KpiValue(
        data["kpi"],
        Scope(catalog.ScopeKind(kind), key),
        data["period"],
        date.fromisoformat(data["start"]),
        date.fromisoformat(data["end"]),
        decode(data["value"]),
        data["reason"],
        decode(data["numerator"]),
        decode(data["denominator"]),
        data["rows"],
        decode(data["inputs"]),
        DEFAULT if parameters is None else KpiParameters(**decode(parameters)),
    )


def dumps(values: list[KpiValue]) -> str:
    """A list of KPI values as exact JSON text (the KPI value store's payload)."""
    return json.dumps([dump_value(v) for v in values], ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> list[KpiValue]:
    """The KPI values :func:`dumps` wrote, equal to the originals."""
    return [load_value(d) for d in json.loads(text)]
