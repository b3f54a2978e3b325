"""A proposed collection action, as the guard's contract receives it (one JSON object)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zhudai.collections.rules import HoursWindow
from zhudai.exceptions import InvalidInputError
from zhudai.times import require_aware


class ActionKind(StrEnum):
    SMS = "sms"
    AUTO_CALL = "auto_call"
    HUMAN_CALL = "human_call"
    VISIT = "visit"
    AGENCY_CALL = "agency_call"


#: The kinds that are voice calls: they count towards the daily call limits.
VOICE_KINDS = frozenset({ActionKind.AUTO_CALL, ActionKind.HUMAN_CALL, ActionKind.AGENCY_CALL})


class Party(StrEnum):
    """Who is contacted: the debtor, one of the debtor's declared contacts, anyone else."""

    DEBTOR = "debtor"
    CONTACT = "contact"
    THIRD_PARTY = "third_party"


_PHONE_CHARS_RE = re.compile(r"[\s\-().]")
_PHONE_RE = re.compile(r"^\+?\d{5,15}$")
_CN_MOBILE_RE = re.compile(r"^(?:\+86|0086|86)(1[3-9]\d{9})$")


def phone_key(value: str) -> str:
    """The number a phone is counted under: separators dropped, a Chinese mobile without its
    country code (so ``+86 139-1234-5678`` and ``13912345678`` share one daily count).

    Examples
    --------
    >>> phone_key("+86 139-1234-5678"), phone_key("(212) 555-0100")
    ('13912345678', '2125550100')
    >>> phone_key("call me")
    Traceback (most recent call last):
    ...
    zhudai.exceptions.InvalidInputError: phone: must be 5-15 digits with an optional leading +; got 6 characters
    """
    compact = _PHONE_CHARS_RE.sub("", value)
    if not _PHONE_RE.match(compact):  # the number itself is never echoed (personal data)
        raise InvalidInputError(
            "phone",
            f"must be 5-15 digits with an optional leading +; got {len(compact)} characters",
        )
    mobile = _CN_MOBILE_RE.match(compact)
    return mobile.group(1) if mobile else compact.lstrip("+")


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    """The IANA zone names (tzdata's), without the machine's own (``localtime``) or tzdata's
    placeholders; never a file path."""
    return frozenset(available_timezones()) - {"localtime", "posixrules", "Factory"}


def iana_zone(value: str, field: str) -> str:
    """``value`` if it names an IANA zone of tzdata; else a clear error naming ``field``."""
    if value not in _zone_names():
        raise InvalidInputError(
            field, f"must be an IANA time zone (e.g. Asia/Shanghai); got {value[:64]!r}"
        )
    return value


class ProposedAction(BaseModel):
    """One action a collector, an agency or a dialler proposes; a call carries its outcome
    (``answered``, ``effective``) so that, once allowed, it counts towards the day's limits.

    Examples
    --------
    >>> action = ProposedAction.model_validate({
    ...     "action_id": "A1", "debtor_id": "D1", "phone": "13912345678", "kind": "human_call",
    ...     "at": "2026-06-01T10:00:00+08:00", "debtor_tz": "America/New_York",
    ...     "party": "debtor", "answered": True, "effective": True})
    >>> action.local_time(), action.local_day()
    (datetime.time(22, 0), datetime.date(2026, 5, 31))
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    action_id: str = Field(min_length=1, max_length=64)
    debtor_id: str = Field(min_length=1, max_length=64)
    phone: str | None = None
    kind: ActionKind
    at: datetime
    debtor_tz: str
    party: Party
    # strict: a "false" string or a 0 is refused, never read as an outcome or a count
    answered: bool | None = Field(None, strict=True)
    effective: bool | None = Field(None, strict=True)
    collectors: int | None = Field(None, ge=1, strict=True)
    debtor_unreachable: bool = Field(False, strict=True)
    consent_hours: HoursWindow | None = None

    @field_validator("at", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                raise InvalidInputError(
                    "at", f"must be an ISO 8601 time with a UTC offset; got {value!r}"
                ) from None
        if not isinstance(value, datetime):
            raise InvalidInputError("at", f"must be an ISO 8601 string; got {type(value).__name__}")
        return value

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return require_aware(value, "at")

    @field_validator("debtor_tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        return iana_zone(value, "debtor_tz")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else phone_key(value)

    @field_validator("consent_hours", mode="before")
    @classmethod
    def _consent(cls, value: Any) -> Any:
        if value is None or isinstance(value, HoursWindow):
            return value
        return HoursWindow.parse(value, "consent_hours")

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> ProposedAction:
        if self.kind is not ActionKind.VISIT and self.phone is None:
            raise InvalidInputError("phone", f"is required for a {self.kind.value}")
        if self.is_call:
            for name in ("answered", "effective"):
                if getattr(self, name) is None:
                    raise InvalidInputError(
                        name, f"is required for a {self.kind.value} (true/false)"
                    )
            if self.effective and not self.answered:
                raise InvalidInputError("effective", "an unanswered call cannot be effective")
        if self.kind is ActionKind.VISIT and self.collectors is None:
            raise InvalidInputError(
                "collectors", "is required for a visit (how many collectors go)"
            )
        return self

    @property
    def is_call(self) -> bool:
        return self.kind in VOICE_KINDS

    def _local(self) -> datetime:
        return self.at.astimezone(ZoneInfo(self.debtor_tz))

    def local_time(self) -> time:
        """The debtor's wall-clock time of the action."""
        return self._local().time()

    def local_day(self) -> date:
        """The debtor's calendar day of the action: the day its counts belong to."""
        return self._local().date()
