"""Money: ``Decimal`` in CNY, rounded half-up to the fen (0.01) in exactly one place."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "CNY"
FEN = Decimal("0.01")


def round_cny(amount: Decimal) -> Decimal:
    """The one rounding rule for money: CNY, half-up, to 0.01."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def format_cny(amount: Decimal) -> str:
    return f"{round_cny(amount):,.2f} {CURRENCY}"
