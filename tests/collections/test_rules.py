"""The rules' configuration: hours windows, one case per invalid option, rules files."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from zhudai.collections import GuardRules, HoursWindow, load_rules
from zhudai.exceptions import InvalidInputError, MissingFileError


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("09:00-21:00", [time(9), time(20, 59, 59)], [time(8, 59), time(21), time(0)]),
        ("22:00-08:00", [time(22), time(23, 59), time(0), time(7, 59)], [time(8), time(21, 59)]),
        ("08:00-00:00", [time(8), time(23, 59, 59)], [time(0), time(7, 59)]),
        ("00:00-00:01", [time(0), time(0, 0, 59)], [time(0, 1), time(23, 59)]),
    ],
)
def test_hours_window_is_start_inclusive_end_exclusive_and_may_cross_midnight(
    text: str, inside: list[time], outside: list[time]
) -> None:
    window = HoursWindow.parse(text, "consent_hours")
    assert str(window) == text
    assert all(window.contains(t) for t in inside)
    assert not any(window.contains(t) for t in outside)


@pytest.mark.parametrize(
    "text", ["24:00-08:00", "8:00-09:00", "09:00 - 10:00", "09:00-09:00", "09:60-10:00", "", "9-5"]
)
def test_bad_hours_window_names_the_field(text: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        HoursWindow.parse(text, "consent_hours")
    assert err.value.field == "consent_hours"


def test_every_rule_is_on_by_default() -> None:
    rules = GuardRules()
    assert str(rules.quiet_hours) == "22:00-08:00"
    assert rules.honour_consent_hours and rules.third_party_only_when_unreachable
    assert (rules.max_effective_calls, rules.max_unanswered_attempts) == (3, 6)
    assert (rules.min_visit_collectors, rules.retention_years) == (2, 2)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("max_effective_calls", 0),
        ("max_unanswered_attempts", -1),
        ("min_visit_collectors", 0),
        ("retention_years", 0),
        ("quiet_hours", "22-8"),
        ("quiet_hours", {"start": "22:00", "end": "22:00"}),
        ("max_calls", 3),  # an unknown (misspelt) option
    ],
)
def test_params(option: str, value: object) -> None:
    with pytest.raises(ValidationError) as err:
        GuardRules.model_validate({option: value})
    assert err.value.errors()[0]["loc"][0] == option


def test_rules_file_changes_only_its_keys_and_null_switches_a_rule_off(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("max_effective_calls: 2\nquiet_hours: '21:00-09:00'\nretention_years: null\n")
    rules = load_rules(path)
    assert rules.max_effective_calls == 2 and rules.max_unanswered_attempts == 6
    assert str(rules.quiet_hours) == "21:00-09:00" and rules.retention_years is None
    assert load_rules(None) == GuardRules()


def test_bad_rules_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError):
        load_rules(tmp_path / "absent.yaml")
    path = tmp_path / "rules.yaml"
    path.write_text("- 3\n")
    with pytest.raises(InvalidInputError, match="^rules: "):
        load_rules(path)
    path.write_text("max_unanswered_attempts: many\n")
    with pytest.raises(InvalidInputError, match="^max_unanswered_attempts: "):
        load_rules(path)
