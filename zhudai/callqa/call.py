"""A collection call as inspection receives it: the contract's line, validated."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhudai.collections.actions import iana_zone
from zhudai.exceptions import InvalidInputError
from zhudai.times import require_aware

#: The years a call may start in (a time outside cannot be a recorded collection call).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class Call(BaseModel):
    """``{call_id, started_at, debtor_tz, text}``: the start with its UTC offset, the debtor's
    IANA zone (off-hours are the debtor's hours) and the transcript.

    Examples
    --------
    >>> call = Call.model_validate({"call_id": "c1", "started_at": "2026-06-01T10:30:00+08:00",
    ...                             "debtor_tz": "America/New_York", "text": "您好"})
    >>> call.local_time()
    datetime.time(22, 30)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    call_id: str = Field(min_length=1, max_length=64)
    started_at: datetime
    debtor_tz: str
    text: str = Field(max_length=200_000)

    @field_validator("started_at")
    @classmethod
    def _plausible(cls, value: datetime) -> datetime:
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise InvalidInputError(
                "started_at", f"must be between {FIRST_YEAR} and {LAST_YEAR}; got {value.year}"
            )
        return value

    @field_validator("text")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise InvalidInputError("text", "must not contain NUL characters")
        return value

    @field_validator("call_id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("started_at", mode="before")
    @classmethod
    def _iso(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            return require_aware(value, "started_at")
        if not isinstance(value, str):
            raise InvalidInputError("started_at", "must be an ISO 8601 string with a UTC offset")
        try:
            return require_aware(datetime.fromisoformat(value), "started_at")
        except ValueError as exc:
            if isinstance(exc, InvalidInputError):
                raise
            raise InvalidInputError(
                "started_at", f"must be an ISO 8601 time with a UTC offset; got {value[:40]!r}"
            ) from None

    @field_validator("debtor_tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        return iana_zone(value, "debtor_tz")

    def local_time(self) -> time:
        """The debtor's wall-clock time when the call started."""
        return self.started_at.astimezone(ZoneInfo(self.debtor_tz)).time()
