"""Daily shift of a per-row value: mid-ranks, one- and two-day windows, floors, volume."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from zhudai.monitoring.shift import (
    MIN_SHIFT_ROWS,
    RANK_FLOOR,
    REFERENCE_DAYS,
    daily_rank_sums,
    midranks,
    shift_alerts,
)

FIRST = date(2024, 1, 1)
DAYS = 60
SHOCK = 45


def _rows(per_day: int, shift: float, seed: int = 3, spread: float = 1.0) -> pl.DataFrame:
    """Normal values, moved by ``shift`` from day ``SHOCK`` on."""
    rng = np.random.default_rng(seed)
    days = [FIRST + timedelta(days=d) for d in range(DAYS) for _ in range(per_day)]
    values = rng.normal(0, spread, DAYS * per_day) + shift * (
        np.repeat(np.arange(DAYS), per_day) >= SHOCK
    )
    return pl.DataFrame({"day": days, "value": values})


def _alerts(rows: pl.DataFrame) -> pl.DataFrame:
    return shift_alerts(rows, "stability", "shift:x", (FIRST, FIRST + timedelta(days=DAYS - 1)))


def test_rank_sums_by_hand():
    # day 0..13 reference of 0..13 (one value a day), day 14 holds 20 and 6.5
    index = np.r_[np.arange(14), 14, 14]
    values = np.r_[np.arange(14.0), 20.0, 6.5]
    sums = daily_rank_sums(index, values, 15)
    assert np.isnan(sums[:14, 1]).all()  # under MIN_REFERENCE_DAYS of reference before them
    var = midranks(np.arange(14.0), np.arange(14.0)).var()  # (14^2 - 1) / (12 * 14^2)
    assert var == pytest.approx((14**2 - 1) / (12 * 14**2), rel=1e-9)
    assert sums[14, 0] == 2
    assert sums[14, 1] == pytest.approx((1.0 - 0.5) + (7 / 14 - 0.5), rel=1e-9)
    assert sums[14, 2] == pytest.approx(2 * var * (1 + 2 / 14), rel=1e-9)


def test_a_moved_level_alerts_on_its_first_day_as_one_incident():
    alerts = _alerts(_rows(40, 0.8))
    assert alerts.height == 1, alerts
    row = alerts.row(0, named=True)
    assert row["day"] == FIRST + timedelta(days=SHOCK) and row["direction"] == "up"
    assert row["days"] >= 3 and row["value"] > 0.5 + RANK_FLOOR


def test_a_small_day_is_judged_with_the_day_before():
    per_day = MIN_SHIFT_ROWS // 2 + 1  # one day alone is under MIN_SHIFT_ROWS
    assert _alerts(_rows(per_day, 0.0)).height == 0
    first = _alerts(_rows(per_day, 1.5))["day"][0]
    assert FIRST + timedelta(days=SHOCK) <= first <= FIRST + timedelta(days=SHOCK + 1)


def test_a_stable_value_and_a_tiny_shift_do_not_alert():
    assert _alerts(_rows(40, 0.0)).height == 0
    # a shift a thousand rows a day see clearly, but under RANK_FLOOR
    assert _alerts(_rows(1000, 0.08)).height == 0


def test_yes_no_values_and_missing_columns():
    days = [FIRST + timedelta(days=d) for d in range(DAYS) for _ in range(50)]
    approved = [(i % 10) < (3 if d >= SHOCK else 6) for d in range(DAYS) for i in range(50)]
    alerts = _alerts(pl.DataFrame({"day": days, "value": approved}))
    assert alerts["direction"].to_list() == ["down"] and alerts["day"][0] == days[SHOCK * 50]
    assert REFERENCE_DAYS < SHOCK
    with pytest.raises(ValueError, match="value"):
        shift_alerts(pl.DataFrame({"day": days}), "a", "b", (FIRST, FIRST))


def test_alerts_of_one_cause_on_days_in_a_row_are_one_incident():
    from zhudai.monitoring.grouping import MERGE_GAP_DAYS, group_alerts

    day = FIRST + timedelta(days=SHOCK)
    shifted = _alerts(_rows(40, 0.8)).with_columns(pl.lit("p").alias("unit"))
    weekly = shifted.with_columns(
        pl.lit("psi:x").alias("metric"), pl.lit(day + timedelta(days=3)).alias("day")
    ).with_columns(pl.col("day").alias("end"))
    later = weekly.with_columns(
        (pl.col("day") + timedelta(days=30)).alias("day"), pl.col("end") + timedelta(days=30)
    )
    other = weekly.with_columns(pl.lit("psi:y").alias("metric"))
    incidents = group_alerts(pl.concat([shifted, weekly, later, other]))
    assert incidents.height == 3, incidents
    first = incidents.row(0, named=True)
    assert (first["day"], first["metric"], first["signals"]) == (day, "shift:x", 2)
    end = max(shifted["end"][0], day + timedelta(days=3))
    assert first["end"] == end and first["days"] == (end - day).days + 1
    assert MERGE_GAP_DAYS < 30
