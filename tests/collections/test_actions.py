"""The proposed action's contract: every bad field is refused by name; local day and time."""

from __future__ import annotations

import re
from datetime import date, time

import pytest

from tests.collections.conftest import PHONE, action
from zhudai.collections import ProposedAction
from zhudai.collections.actions import phone_key
from zhudai.exceptions import InvalidInputError
from zhudai.parsing import parse_input


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"at": "2026-06-01T10:00:00"}, "at"),  # naive
        ({"at": "tomorrow"}, "at"),
        ({"at": 1780000000}, "at"),  # epoch seconds are not the contract
        ({"debtor_tz": "Mars/Olympus"}, "debtor_tz"),
        ({"debtor_tz": "../etc/passwd"}, "debtor_tz"),
        ({"debtor_tz": "a" * 300}, "debtor_tz"),  # the file system's error, once
        ({"debtor_tz": "localtime"}, "debtor_tz"),  # the machine's zone, not the debtor's
        ({"debtor_tz": "Asia/Shanghai\x00"}, "debtor_tz"),
        ({"debtor_tz": 8}, "debtor_tz"),
        ({"kind": "letter"}, "kind"),
        ({"party": "boss"}, "party"),
        ({"answered": None}, "answered"),
        ({"effective": None}, "effective"),
        ({"answered": False, "effective": True}, "effective"),
        ({"kind": "sms", "phone": None}, "phone"),
        ({"kind": "visit", "phone": None}, "collectors"),
        ({"kind": "visit", "collectors": 0}, "collectors"),
        ({"consent_hours": "9am-9pm"}, "consent_hours"),
        ({"consent_hours": {"start": "09:00", "end": "09:00"}}, "consent_hours"),  # all day
        ({"consent_hours": 5}, "consent_hours"),
        ({"answered": "false"}, "answered"),  # strict: never read a string as an outcome
        ({"effective": 1}, "effective"),
        ({"kind": "visit", "collectors": True}, "collectors"),
        ({"debtor_unreachable": "yes"}, "debtor_unreachable"),
        ({"action_id": "A" * 65}, "action_id"),
        ({"action_id": ""}, "action_id"),
        ({"debtor_id": None}, "debtor_id"),
        ({"consent_hour": "09:00-21:00"}, "consent_hour"),  # unknown (misspelt) field
    ],
)
def test_bad_action_is_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_input(ProposedAction, action(**changes))
    assert err.value.field == field


def test_a_bad_phone_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_input(ProposedAction, action(phone="1391234567x"))
    assert err.value.field == "phone" and not re.search(r"\d{4}", str(err.value))


@pytest.mark.parametrize(
    "written", [PHONE, "+86 139 1234 5678", "+86-139-1234-5678", "008613912345678", "8613912345678"]
)
def test_one_mobile_number_however_written_is_one_phone(written: str) -> None:
    assert phone_key(written) == PHONE


def test_foreign_numbers_keep_their_country_code() -> None:
    assert phone_key("+1 (212) 555-0100") == "12125550100"
    assert phone_key("+44 20 7946 0958") == "442079460958"


@pytest.mark.parametrize(
    ("at", "tz", "local_day", "local_time"),
    [
        ("2026-06-01T10:00:00+08:00", "Asia/Shanghai", date(2026, 6, 1), time(10)),
        ("2026-06-01T10:00:00+08:00", "America/New_York", date(2026, 5, 31), time(22)),  # EDT
        ("2026-01-01T10:00:00+08:00", "America/New_York", date(2025, 12, 31), time(21)),  # EST
        ("2026-06-01T23:30:00+00:00", "Asia/Kolkata", date(2026, 6, 2), time(5)),
        ("2026-06-01T10:00:00-10:00", "Pacific/Kiritimati", date(2026, 6, 2), time(10)),
    ],
)
def test_local_day_and_time_are_the_debtors(
    at: str, tz: str, local_day: date, local_time: time
) -> None:
    parsed = parse_input(ProposedAction, action(at=at, debtor_tz=tz))
    assert (parsed.local_day(), parsed.local_time()) == (local_day, local_time)
