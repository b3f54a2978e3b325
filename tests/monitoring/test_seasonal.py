"""Weekday-aware alerts on daily counts: baseline, band, floors, incidents."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhudai.exceptions import InvalidInputError
from zhudai.monitoring.seasonal import (
    ANSCOMBE_SHIFT,
    COUNT_FLOOR,
    SeasonalRule,
    seasonal_alerts,
    weekday_expectation,
)

MONDAY = date(2024, 1, 1)


def _daily(values: list[float], metric: str = "m") -> pl.DataFrame:
    days = [MONDAY + timedelta(days=i) for i in range(len(values))]
    return pl.DataFrame({"day": days, "metric": [metric] * len(values), "value": values})


def _weeks(monday: float, other: float, n_weeks: int) -> list[float]:
    return [monday if i % 7 == 0 else other for i in range(7 * n_weeks)]


def test_expectation_is_the_median_of_the_same_weekday_by_hand():
    # day 28 (a Monday) sees Mondays 21, 14, 7, 0 = 16, 9, 25, 4: roots 4.05, 3.06, 5.04, 2.09
    values = np.zeros(29)
    values[[0, 7, 14, 21]] = [4, 25, 9, 16]
    values[28] = 30
    root, spread = weekday_expectation(values)
    r = np.sqrt(np.array([4.0, 25, 9, 16]) + 3 / 8)
    med = np.median(r)
    mad = np.median(np.abs(r - med))
    assert root[28] == pytest.approx(med, rel=1e-12)
    assert spread[28] == pytest.approx(max(1.4826 * mad, 0.5) * np.sqrt(1 + np.pi / 8), rel=1e-12)
    assert np.isnan(root[:21]).all()  # fewer than three earlier Mondays: no expectation


def test_a_monday_dip_is_no_alert_but_a_burst_above_the_floor_is():
    values = _weeks(10, 40, 8)
    assert seasonal_alerts(_daily(values), SeasonalRule("volume", ("up", "down"))).height == 0
    values[7 * 6 + 2] = 90  # a Wednesday burst
    alerts = seasonal_alerts(_daily(values), SeasonalRule("volume", ("up", "down")))
    assert alerts["day"].to_list() == [MONDAY + timedelta(days=44)]
    assert alerts["direction"].to_list() == ["up"] and alerts["expected"][0] == pytest.approx(40)
    # without the weekday baseline the Mondays would be a dip every week: 10 against ~40
    flat = seasonal_alerts(_daily([40.0] * 42 + [10.0]), SeasonalRule("volume", ("up", "down")))
    assert flat["direction"].to_list() == ["down"]


def test_days_in_a_row_are_one_alert():
    values = _weeks(30, 30, 6)
    values[30:33] = [90, 95, 90]
    alerts = seasonal_alerts(_daily(values), SeasonalRule("rule"))
    assert (
        alerts.height == 1 and alerts["days"][0] == 3 and alerts["day"][0] == MONDAY + timedelta(30)
    )


def test_a_tiny_absolute_change_never_alerts_even_in_a_narrow_band():
    values = [0.0] * 35
    narrow = SeasonalRule("rule", k=0.1)
    for bump in range(1, COUNT_FLOOR):
        values[-1] = bump
        assert seasonal_alerts(_daily(values), narrow).height == 0, bump
    values[-1] = COUNT_FLOOR
    assert seasonal_alerts(_daily(values), narrow).height == 1


def test_up_only_rules_ignore_drops_and_missing_days_count_as_zero():
    frame = _daily(_weeks(20, 20, 6)).filter(pl.col("day") != MONDAY + timedelta(days=38))
    assert seasonal_alerts(frame, SeasonalRule("rule")).height == 0
    down = seasonal_alerts(frame, SeasonalRule("volume", ("down",)))
    assert down["day"].to_list() == [MONDAY + timedelta(days=38)] and down["value"][0] == 0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31), st.floats(2.0, 200.0))
def test_poisson_noise_rarely_alerts(seed, rate):
    """Ten weeks of steady Poisson counts: at most one alert, whatever the rate."""
    rng = np.random.default_rng(seed)
    values = rng.poisson(rate, 70).astype(float).tolist()
    assert seasonal_alerts(_daily(values), SeasonalRule("volume", ("up", "down"))).height <= 1


def test_root_scale_expectation_round_trips():
    root, _ = weekday_expectation(np.array([12.0] * 29))
    assert root[-1] ** 2 - ANSCOMBE_SHIFT == pytest.approx(12.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"directions": ("sideways",)}, "directions"), ({"k": 0}, "k"), ({"floor": -1}, "floor")],
)
def test_rule_params_are_checked_by_name(kwargs, field):
    with pytest.raises(InvalidInputError, match=field):
        SeasonalRule("x", **kwargs)


def test_daily_frame_needs_its_columns():
    with pytest.raises(InvalidInputError, match="metric"):
        seasonal_alerts(pl.DataFrame({"day": [MONDAY], "value": [1]}), SeasonalRule("x"))
