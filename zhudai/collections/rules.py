"""The collection rules the guard enforces before an action, declared once, each on by default.

Defaults follow the GB/T internet consumer-credit collection guideline (2025) and the China
Banking Association's collection guideline (2026) as summarised in ``docs/collections.md``. A
rule is switched off by setting its limit to ``None`` (a rules file can do that; nothing in
code does).
"""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zhudai.exceptions import InvalidInputError, MissingFileError


class RuleId(StrEnum):
    """The id printed with every blocked action (and ``invalid_input`` for a bad line)."""

    QUIET_HOURS = "quiet_hours"
    THIRD_PARTY = "third_party_unreachable"
    VISIT_COLLECTORS = "visit_two_collectors"
    EFFECTIVE_CALLS = "effective_call_limit"
    UNANSWERED_ATTEMPTS = "unanswered_attempt_limit"
    RECORD_RETENTION = "record_retention"
    INVALID_INPUT = "invalid_input"


_HOURS_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class HoursWindow(BaseModel):
    """A daily window of local wall-clock time, ``[start, end)``; it crosses midnight when
    ``end`` is not after ``start`` (``22:00-08:00``; ``08:00-00:00`` runs to midnight).

    Examples
    --------
    >>> night = HoursWindow.parse("22:00-08:00", "quiet_hours")
    >>> night.contains(time(23, 30)), night.contains(time(7, 59)), night.contains(time(8))
    (True, True, False)
    >>> HoursWindow.parse("9:00-12:00", "consent_hours")
    Traceback (most recent call last):
    ...
    zhudai.exceptions.InvalidInputError: consent_hours: must be "HH:MM-HH:MM" (24-hour, e.g. "09:00-21:00"); got '9:00-12:00'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time
    end: time

    @classmethod
    def parse(cls, text: str, field: str) -> HoursWindow:
        """The window written ``"HH:MM-HH:MM"``; an empty window (start = end) is refused."""
        match = _HOURS_RE.match(text) if isinstance(text, str) else None
        if match is None:
            raise InvalidInputError(
                field, f'must be "HH:MM-HH:MM" (24-hour, e.g. "09:00-21:00"); got {text!r}'
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if (h1, m1) == (h2, m2):
            raise InvalidInputError(field, f"start and end are the same time; got {text!r}")
        return cls(start=time(h1, m1), end=time(h2, m2))

    @model_validator(mode="after")
    def _not_empty(self) -> HoursWindow:
        if self.start == self.end:
            raise ValueError("start and end are the same time")
        return self

    def contains(self, moment: time) -> bool:
        """Whether the wall-clock ``moment`` falls inside the window."""
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _window(value: Any, field: str) -> Any:
    return HoursWindow.parse(value, field) if isinstance(value, str) else value


class GuardRules(BaseModel):
    """Every limit of the compliance guard; ``None`` switches a rule off.

    Examples
    --------
    >>> rules = GuardRules()
    >>> str(rules.quiet_hours), rules.max_effective_calls, rules.max_unanswered_attempts
    ('22:00-08:00', 3, 6)
    >>> GuardRules(max_effective_calls=0)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for GuardRules
    max_effective_calls
      Input should be greater than or equal to 1 [type=greater_than_equal, input_value=0, input_type=int]
    ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: No contact inside this window of the debtor's local time.
    quiet_hours: HoursWindow | None = HoursWindow(start=time(22), end=time(8))
    #: A debtor's agreed hours replace the default allowed hours (widening or narrowing them).
    honour_consent_hours: bool = True
    #: Effective voice calls (automated ones included) per debtor per local day.
    max_effective_calls: int | None = Field(3, ge=1)
    #: Unanswered call attempts per phone number per local day.
    max_unanswered_attempts: int | None = Field(6, ge=1)
    #: Contacts and third parties only while the debtor is unreachable (失联).
    third_party_only_when_unreachable: bool = True
    #: Collectors a home visit needs.
    min_visit_collectors: int | None = Field(2, ge=1)
    #: Years the action records are kept before a purge may delete them.
    retention_years: int | None = Field(2, ge=1)

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _parse_quiet_hours(cls, value: Any) -> Any:
        return _window(value, "quiet_hours")


def load_rules(path: Path | None) -> GuardRules:
    """The rules of a YAML or JSON file (only the keys it changes); the defaults without one."""
    if path is None:
        return GuardRules()
    import yaml

    from zhudai.parsing import parse_input

    if not path.is_file():
        raise MissingFileError("rules", path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise InvalidInputError("rules", f"{path} must hold a mapping of rule settings")
    return parse_input(GuardRules, data)
