"""Drift of a rate against its pooled baseline, with floors."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from zhudai.exceptions import InvalidInputError
from zhudai.monitoring.rates import MIN_RATE_ROWS, RATE_FLOOR, rate_alerts


def _frame(events: list[int], rows: list[int]) -> pl.DataFrame:
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(len(events))]
    return pl.DataFrame({"day": days, "events": events, "rows": rows})


def test_a_drop_in_approval_rate_alerts_with_its_pooled_baseline():
    events = [60] * 30
    events[29] = 20
    alerts = rate_alerts(_frame(events, [100] * 30), "approval", "approval_rate", window=28)
    assert alerts["direction"].to_list() == ["down"]
    assert alerts["expected"][0] == pytest.approx(0.6) and alerts["value"][0] == pytest.approx(0.2)
    assert alerts["spread"][0] == pytest.approx((0.6 * 0.4 / 100) ** 0.5)


def test_a_change_below_the_floor_never_alerts_however_big_the_sample():
    n = 1_000_000
    small = int(n * (0.6 - RATE_FLOOR / 2))
    frame = _frame([int(0.6 * n)] * 29 + [small], [n] * 30)
    assert rate_alerts(frame, "approval", "approval_rate", window=28).height == 0


def test_thin_periods_neither_alert_nor_count_in_the_baseline():
    rows = [100] * 30
    rows[29] = MIN_RATE_ROWS - 1
    events = [60] * 29 + [0]
    assert rate_alerts(_frame(events, rows), "approval", "r", window=28).height == 0


def test_rate_input_is_checked_by_name():
    with pytest.raises(InvalidInputError, match="rows"):
        rate_alerts(pl.DataFrame({"day": [], "events": []}), "a", "b", window=3)
    with pytest.raises(InvalidInputError, match="window"):
        rate_alerts(_frame([1], [1]), "a", "b", window=0)
