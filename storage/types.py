"""Column types shared by every table: aware UTC timestamps and exact money."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric
from sqlalchemy.types import TypeDecorator

# Money and unit costs: 18 digits, 4 decimals. PostgreSQL stores NUMERIC exactly; SQLite stores REAL,
# which is exact to 4 decimals below 10^11, and values come back as Decimal rounded to the scale.
MONEY = Numeric(18, 4, asdecimal=True)
RATIO = Numeric(12, 6, asdecimal=True)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; naive values are refused (they hide a bug)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: perfrules stores only zone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | str | None, dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def money(value: Decimal | int | str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
