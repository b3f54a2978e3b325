"""The world's arrays of time: int64 microseconds of the Asia/Shanghai wall clock (the units and
the epoch are :mod:`zhudai.times`'), their calendar parts, and back to Polars columns."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from zhudai.times import US_PER_DAY, US_PER_HOUR


def add_months_us(d: date, months: int) -> int:
    """Midnight of the first day ``months`` after ``d``'s month, in microseconds."""
    m = np.datetime64(d, "M") + np.timedelta64(months, "M")
    return int(m.astype("datetime64[us]").astype(np.int64))


def hour_of(ts: np.ndarray) -> np.ndarray:
    """Hour of day (0-23) of microsecond timestamps."""
    return (ts % US_PER_DAY) // US_PER_HOUR


def weekday_of(ts: np.ndarray) -> np.ndarray:
    """Weekday (0 = Monday) of microsecond timestamps (1970-01-01 was a Thursday)."""
    return (ts // US_PER_DAY + 3) % 7


def month_index(ts: np.ndarray) -> np.ndarray:
    """Calendar month (1-12) of microsecond timestamps."""
    return ts.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64) % 12 + 1


def as_datetime(ts: np.ndarray) -> pl.Series:
    """A ``datetime[us]`` column."""
    return pl.Series(ts.astype(np.int64)).cast(pl.Datetime("us"))


def as_date(ts: np.ndarray) -> pl.Series:
    """A ``date`` column (the day of each timestamp)."""
    return pl.Series((ts // US_PER_DAY).astype(np.int32)).cast(pl.Date)
