"""Money: ``Decimal`` amounts rounded to the cent, half up (四舍五入), the one rounding rule of
the platform. Nothing that is money is ever a float once it enters the store or the book."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: float | int | str | Decimal) -> Decimal:
    """``value`` as money: a Decimal rounded half up to the cent (floats through their
    shortest repr, so 0.1 is 0.10, not 0.1000000000000000055...).

    Examples
    --------
    >>> money(2.675), money("0.005"), money(10)
    (Decimal('2.68'), Decimal('0.01'), Decimal('10.00'))
    """
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)
