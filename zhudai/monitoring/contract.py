"""What monitoring reads: one row per decision, from the store or from a bank's files.

Columns (``decided_at`` on the naive Asia/Shanghai wall clock the platform keeps inside, see
:mod:`zhudai.times`; days and weeks are local):

- ``decided_at`` (Datetime), ``unit`` (the policy or model decided with, Utf8), ``approved``
  (Boolean), ``channel`` (Utf8), ``hits`` (List[Utf8]: the rules that fired);
- optional ``score`` (Float64: the active model's output), ``bad`` (Boolean, null until the
  loan book can judge it) and inputs ``in_<name>`` (numbers or text) for CSI.
"""

from __future__ import annotations

import polars as pl

from zhudai.exceptions import InvalidInputError

REQUIRED = {
    "decided_at": pl.Datetime,
    "unit": pl.Utf8,
    "approved": pl.Boolean,
    "channel": pl.Utf8,
    "hits": pl.List,
}
INPUT_PREFIX = "in_"


def check_decisions(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` if it has the contract's columns with their types; else an error naming the field.

    Examples
    --------
    >>> check_decisions(pl.DataFrame({"decided_at": [1]}))
    Traceback (most recent call last):
    ...
    zhudai.exceptions.InvalidInputError: decided_at: must be a Datetime column; got Int64
    """
    for name, dtype in REQUIRED.items():
        if name not in frame.columns:
            raise InvalidInputError(name, "is missing from the monitored decisions")
        got = frame.schema[name]
        if not isinstance(got, dtype) and got != dtype:
            raise InvalidInputError(name, f"must be a {dtype.__name__} column; got {got}")
        if getattr(got, "time_zone", None):
            raise InvalidInputError(name, "must be on the local wall clock (naive); got an offset")
    if frame.height == 0:
        raise InvalidInputError("decisions", "has no rows to monitor")
    return frame


def input_columns(frame: pl.DataFrame) -> list[str]:
    """The ``in_*`` columns, in frame order."""
    return [c for c in frame.columns if c.startswith(INPUT_PREFIX)]
