"""Time at zhudai's edges: every time that enters carries a UTC offset; inside, the models and
the stores of event history keep the naive Asia/Shanghai wall clock the feature definitions
were written in (night = 00:00-06:00 local, a weekend is a local weekend).

The conversions live here once, so an edge never guesses an offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

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
