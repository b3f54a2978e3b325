"""The one time module: every numeric time axis counts from 1970-01-01 of the local wall clock,
and a time with a UTC offset is converted to that wall clock first."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from zhudai.exceptions import InvalidInputError
from zhudai.times import (
    US_PER_DAY,
    day_micros,
    epoch_days,
    epoch_micros,
    epoch_seconds,
    from_local,
    wall_clock,
)

NAIVE = datetime(2024, 3, 1, 10, 30)
SECONDS = 1709289000.0  # 2024-03-01 10:30 counted as if the wall clock were UTC


@pytest.mark.parametrize(
    "value",
    [
        NAIVE,
        from_local(NAIVE),
        NAIVE.replace(tzinfo=timezone(timedelta(hours=8))),
        datetime(2024, 3, 1, 2, 30, tzinfo=UTC),
        pd.Timestamp(NAIVE),
        np.datetime64("2024-03-01T10:30"),
        SECONDS,
        int(SECONDS),
    ],
)
def test_every_form_of_one_instant_gives_the_same_epoch(value: object) -> None:
    assert epoch_seconds(value) == SECONDS
    if not isinstance(value, int | float):
        assert epoch_days(value) == pytest.approx(SECONDS / 86_400, rel=1e-15)


def test_a_date_counts_from_its_midnight() -> None:
    assert epoch_seconds(date(1970, 1, 3)) == 2 * 86_400.0
    assert epoch_days(date(1970, 1, 3)) == 2.0
    assert day_micros(date(1970, 1, 3)) == 2 * US_PER_DAY


def test_a_number_is_taken_in_the_axis_unit() -> None:
    assert epoch_seconds(86_400) == 86_400.0
    assert epoch_days(1.5) == 1.5


def test_micros_of_the_wall_clock() -> None:
    assert epoch_micros(NAIVE) == int(SECONDS) * 1_000_000
    assert epoch_micros(datetime(2024, 3, 1, 2, 30, tzinfo=UTC)) == int(SECONDS) * 1_000_000
    assert wall_clock(datetime(2024, 3, 1, 2, 30, tzinfo=UTC)) == NAIVE


@pytest.mark.parametrize("bad", ["yesterday", None, True, float("nan"), float("inf")])
def test_anything_else_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="^at: must be a datetime or epoch seconds"):
        epoch_seconds(bad, "at")
    with pytest.raises(InvalidInputError, match="^applied_at:"):
        epoch_days(bad)
