"""Money: ``Decimal`` in CNY, rounded half-up to the fen (0.01) in exactly one place."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CURRENCY = "CNY"
FEN = Decimal("0.01")


def to_decimal(value: object) -> Decimal:
    """Exact conversion; floats go through ``repr`` so 0.1 stays 0.1. Raises ``ValueError``."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        try:
            result = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def round_cny(amount: Decimal) -> Decimal:
    """The one rounding rule for money: CNY, half-up, to 0.01."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def format_cny(amount: Decimal) -> str:
    return f"{round_cny(amount):,.2f} {CURRENCY}"
