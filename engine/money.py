"""Money: ``Decimal`` in CNY, rounded half-up to the fen (0.01) in exactly one place."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "CNY"
FEN = Decimal("0.01")


def round_cny(amount: Decimal) -> Decimal:
    """The one rounding rule for money: CNY, half-up, to 0.01."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def format_cny(amount: Decimal, locale: str = "en") -> str:
    """Money as people read it, rounded by :func:`round_cny`: ``1,234.50 元`` (zh-CN) / ``CNY 1,234.50``."""
    figure = f"{round_cny(Decimal(amount)):,.2f}"
    return f"{figure} 元" if locale == "zh-CN" else f"{CURRENCY} {figure}"
