"""One declaration per estimator option, checked when ``fit`` starts (scikit-learn style).

Each estimator lists its options once as a tuple of :class:`Param`; ``check_params`` reads the
current attribute values and raises :class:`~zhudai.exceptions.InvalidInputError` naming the
option, so a typo in a policy file or a CLI flag fails before any data is touched.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from zhudai.exceptions import InvalidInputError


@dataclass(frozen=True)
class Param:
    """An option's name, its test and the words used when the test fails."""

    name: str
    ok: Callable[[Any], bool]
    expected: str


def is_int(low: int | None = None, high: int | None = None, *, optional: bool = False):
    """A test for an integer in ``[low, high]`` (``None`` allowed when ``optional``)."""

    def ok(v: Any) -> bool:
        if v is None:
            return optional
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            return False
        n = int(v)
        return (low is None or n >= low) and (high is None or n <= high)

    return ok


def is_float(
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    optional: bool = False,
):
    """A test for a real number in the given interval (``None`` allowed when ``optional``)."""

    def ok(v: Any) -> bool:
        if v is None:
            return optional
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or v != v:
            return False
        x = float(v)
        if low is not None and (x <= low if low_open else x < low):
            return False
        return not (high is not None and (x >= high if high_open else x > high))

    return ok


def one_of(options: Iterable[Any]):
    """A test for membership in a fixed set of choices."""
    allowed = tuple(options)

    def ok(v: Any) -> bool:
        return v in allowed

    return ok


def check_params(estimator: object, table: tuple[Param, ...]) -> None:
    """Raise ``InvalidInputError`` for the first option of ``estimator`` that fails its test."""
    for param in table:
        value = getattr(estimator, param.name)
        if not param.ok(value):
            raise InvalidInputError(param.name, f"must be {param.expected}; got {value!r}")
