"""Time at zhudai's edges: every time that enters carries a UTC offset; inside, the models and
the stores of event history keep the naive Asia/Shanghai wall clock the feature definitions
were written in (night = 00:00-06:00 local, a weekend is a local weekend).

The conversions live here once, so an edge never guesses an offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from zhudai.exceptions import InvalidInputError

#: The wall clock of the feature definitions and of every stored event time.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


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
