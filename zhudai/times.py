"""Time at zhudai's edges: every time that enters carries a UTC offset; inside, the models and
the stores of event history keep the naive Asia/Shanghai wall clock the feature definitions
were written in (night = 00:00-06:00 local, a weekend is a local weekend).

The conversions live here once, so an edge never guesses an offset, and so are the units and
the epoch of the numeric time axes (epoch seconds in the fraud layer, epoch days in the graph,
epoch microseconds in the features and the world): all count from 1970-01-01 00:00 of the
local wall clock.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from zhudai.exceptions import InvalidInputError

#: The wall clock of the feature definitions and of every stored event time.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

SECONDS_PER_DAY = 86_400
US_PER_MINUTE = 60_000_000
US_PER_HOUR = 3_600_000_000
US_PER_DAY = 86_400_000_000
ONE_MICROSECOND = timedelta(microseconds=1)

#: Zero of every numeric time axis: midnight 1970-01-01 of the local wall clock (naive).
EPOCH = datetime(1970, 1, 1)


def require_aware(value: datetime, field: str) -> datetime:
    """``value`` if it carries a UTC offset; a naive time is refused, naming ``field``.

    Examples
    --------
    >>> require_aware(datetime(2026, 1, 1, 9, tzinfo=UTC), "applied_at").hour
    9
    >>> require_aware(datetime(2026, 1, 1, 9), "applied_at")
    Traceback (most recent call last):
    ...
    zhudai.exceptions.InvalidInputError: applied_at: must carry a UTC offset (e.g. 2026-01-01T09:00:00+08:00); got a naive time 2026-01-01T09:00:00
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(
            field,
            "must carry a UTC offset (e.g. 2026-01-01T09:00:00+08:00); "
            f"got a naive time {value.isoformat()}",
        )
    return value


def to_local(value: datetime) -> datetime:
    """The naive Asia/Shanghai wall-clock time of an aware ``value``.

    Examples
    --------
    >>> to_local(datetime(2026, 1, 1, 1, 30, tzinfo=UTC))
    datetime.datetime(2026, 1, 1, 9, 30)
    """
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None)


def from_local(value: datetime) -> datetime:
    """The aware time of a naive Asia/Shanghai wall-clock ``value`` (inverse of :func:`to_local`).

    Examples
    --------
    >>> from_local(datetime(2026, 1, 1, 9, 30)).isoformat()
    '2026-01-01T09:30:00+08:00'
    """
    return value.replace(tzinfo=LOCAL_TZ)


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


_LOCAL_SUFFIX = "+08:00"  # Asia/Shanghai's offset at every instant since 1991-09-15 (no DST)


def local_micros(iso_times: list[str]) -> np.ndarray:
    """Microseconds since 1970 of the local wall clock of ISO 8601 times with offsets.

    Providers answer thousands of event times per application; times already written in the
    local offset (from 1992 on, when Asia/Shanghai has no DST) are parsed in one vectorised
    call, any other through :func:`to_local`.

    Examples
    --------
    >>> local_micros(["2024-05-01T09:30:00+08:00", "2024-05-01T01:30:00+00:00"]).tolist()
    [1714555800000000, 1714555800000000]
    """
    if all(t.endswith(_LOCAL_SUFFIX) and t[:4] >= "1992" for t in iso_times):
        stamps = np.array([t[: -len(_LOCAL_SUFFIX)] for t in iso_times], dtype="datetime64[us]")
        return stamps.astype(np.int64)
    local = [to_local(require_aware(datetime.fromisoformat(t), "ts")) for t in iso_times]
    return np.array(local, dtype="datetime64[us]").astype(np.int64)


def wall_clock(value: datetime) -> datetime:
    """The naive local wall-clock time of ``value``: a naive time is already one, an aware
    time goes through :func:`to_local`.

    Examples
    --------
    >>> wall_clock(datetime(2026, 1, 1, 9, 30))
    datetime.datetime(2026, 1, 1, 9, 30)
    >>> wall_clock(datetime(2026, 1, 1, 1, 30, tzinfo=UTC))
    datetime.datetime(2026, 1, 1, 9, 30)
    """
    return value if value.tzinfo is None else to_local(value)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def epoch_seconds(value: Any, field: str = "applied_at") -> float:
    """Seconds since :data:`EPOCH` of a datetime (naive: the local wall clock; aware: converted
    to it), a date (its midnight), a numpy ``datetime64`` or a number of seconds.

    Examples
    --------
    >>> epoch_seconds(datetime(1970, 1, 2, 8))
    115200.0
    >>> epoch_seconds(datetime(1970, 1, 2, tzinfo=UTC))  # 08:00 in Asia/Shanghai
    115200.0
    >>> epoch_seconds("yesterday")
    Traceback (most recent call last):
    ...
    zhudai.exceptions.InvalidInputError: applied_at: must be a datetime or epoch seconds; got 'yesterday'
    """
    if isinstance(value, datetime):
        return (wall_clock(value) - EPOCH).total_seconds()
    if isinstance(value, date):
        return (datetime(value.year, value.month, value.day) - EPOCH).total_seconds()
    if isinstance(value, np.datetime64):
        return float(value.astype("datetime64[us]").astype(np.int64)) / 1e6
    if _is_number(value):
        return float(value)
    raise InvalidInputError(field, f"must be a datetime or epoch seconds; got {value!r}")


def epoch_days(value: Any, field: str = "applied_at") -> float:
    """Days since :data:`EPOCH` of what :func:`epoch_seconds` takes; a number is a number of
    days.

    Examples
    --------
    >>> epoch_days(datetime(1970, 1, 2, 12))
    1.5
    >>> epoch_days(np.datetime64("1970-01-03T06:00"))
    2.25
    """
    if isinstance(value, np.datetime64):
        return float(value.astype("datetime64[us]").astype(np.int64)) / US_PER_DAY
    if _is_number(value):
        return float(value)
    return epoch_seconds(value, field) / SECONDS_PER_DAY


def epoch_micros(value: datetime) -> int:
    """Microseconds since :data:`EPOCH` of the local wall clock of ``value``.

    Examples
    --------
    >>> epoch_micros(datetime(1970, 1, 1, 0, 0, 1))
    1000000
    >>> epoch_micros(from_local(datetime(1970, 1, 1, 0, 0, 1)))
    1000000
    """
    return (wall_clock(value) - EPOCH) // ONE_MICROSECOND


def day_micros(day: date) -> int:
    """Microseconds since :data:`EPOCH` of the midnight that starts ``day``.

    Examples
    --------
    >>> day_micros(date(1970, 1, 2)) == US_PER_DAY
    True
    """
    return int(np.datetime64(day, "D").astype("datetime64[us]").astype(np.int64))


def month_start(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month.

    Examples
    --------
    >>> month_start(date(2024, 11, 20), 2)
    datetime.date(2025, 1, 1)
    """
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
