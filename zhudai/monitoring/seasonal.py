"""Alerts on daily counts that know the weekday pattern and have floors.

A day's count is compared with what that weekday usually brings: the median of the same weekday
over the previous ``BASELINE_WEEKS`` weeks. Counts are compared on Anscombe's square-root scale,
``sqrt(x + 3/8)``, where a Poisson count's spread is about 1/2 whatever its mean (so a channel
with one application a day and one with fifty are judged alike); the spread is the larger of
that and the robust spread of the baseline days (1.4826 x MAD of their roots), so a weekday
that wobbles widens its own band, and grows by ``sqrt(1 + pi / 2m)`` for the error of a median
of ``m`` days. A day alerts only when it is beyond ``K_SPREADS`` spreads *and* at least
``COUNT_FLOOR`` events away from the expectation: a tiny absolute change never alerts. Days in a
row on which a metric stays out of its band are one alert (an incident), raised on its first day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from zhudai.exceptions import InvalidInputError

BASELINE_WEEKS = 4  # same-weekday days the expectation is taken from
MIN_BASELINE_DAYS = 3  # fewer than this: no expectation, no alert
K_SPREADS = 3.5  # how far out of the band a day must be (in spreads, on the root scale)
POISSON_ROOT_SPREAD = 0.5  # spread of the Anscombe root of a Poisson count
ANSCOMBE_SHIFT = 3 / 8  # sqrt(x + 3/8) has a near-constant spread down to small counts
COUNT_FLOOR = 5  # events a day must be away from its expectation
MAD_TO_SIGMA = 1.4826  # MAD of a normal sample times this estimates its standard deviation

ALERT_SCHEMA = {
    "day": pl.Date,
    "kind": pl.Utf8,
    "metric": pl.Utf8,
    "value": pl.Float64,
    "expected": pl.Float64,
    "spread": pl.Float64,
    "direction": pl.Utf8,
    "end": pl.Date,
    "days": pl.Int64,
}


@dataclass(frozen=True)
class SeasonalRule:
    """How one family of daily counts alerts: direction(s), band width and absolute floor.

    Examples
    --------
    >>> SeasonalRule("rule").directions
    ('up',)
    """

    kind: str
    directions: tuple[str, ...] = ("up",)
    k: float = K_SPREADS
    floor: float = COUNT_FLOOR

    def __post_init__(self) -> None:
        if not set(self.directions) <= {"up", "down"} or not self.directions:
            raise InvalidInputError(
                "directions", f"must be 'up' and/or 'down'; got {self.directions}"
            )
        if self.k <= 0:
            raise InvalidInputError("k", f"must be positive; got {self.k}")
        if self.floor < 0:
            raise InvalidInputError("floor", f"must be zero or more; got {self.floor}")


def root(counts: np.ndarray) -> np.ndarray:
    """Anscombe's variance-stabilising root of counts."""
    return np.sqrt(np.maximum(counts, 0.0) + ANSCOMBE_SHIFT)


def weekday_expectation(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected root and spread of each day of a gap-free daily series of counts, from the roots
    of ``values[i - 7], ..., values[i - 7 * BASELINE_WEEKS]``; NaN where fewer than
    ``MIN_BASELINE_DAYS`` of those exist.

    Examples
    --------
    >>> e, s = weekday_expectation(np.array([9.0] * 21 + [30.0]))
    >>> round(float(e[-1]) ** 2 - ANSCOMBE_SHIFT, 6), round(float(s[-1]), 4)  # 0.5 * sqrt(1 + pi / 6)
    (9.0, 0.6172)
    """
    v = root(np.asarray(values, dtype=float))
    n = len(v)
    lags = np.full((n, BASELINE_WEEKS), np.nan)
    for w in range(1, BASELINE_WEEKS + 1):
        lags[7 * w :, w - 1] = v[: n - 7 * w] if n > 7 * w else []
    m = np.sum(~np.isnan(lags), axis=1)
    enough = m >= MIN_BASELINE_DAYS
    expected = np.full(n, np.nan)
    spread = np.full(n, np.nan)
    if enough.any():
        rows = lags[enough]
        med = np.nanmedian(rows, axis=1)
        mad = np.nanmedian(np.abs(rows - med[:, None]), axis=1)
        expected[enough] = med
        median_error = np.sqrt(1 + np.pi / (2 * m[enough]))
        spread[enough] = np.maximum(MAD_TO_SIGMA * mad, POISSON_ROOT_SPREAD) * median_error
    return expected, spread


def seasonal_alerts(
    daily: pl.DataFrame, rule: SeasonalRule, span: tuple[date, date] | None = None
) -> pl.DataFrame:
    """Alerts of every ``metric`` in a long frame ``day, metric, value`` of daily counts.

    Missing days of a metric count as zero (no application is a count too) over ``span``
    (first and last day observed; default: those of ``daily``), so a rule that never fired
    before has a baseline of zeros. An alert's ``expected`` is the baseline count, its
    ``spread`` the band's unit on the root scale.
    """
    missing = [c for c in ("day", "metric", "value") if c not in daily.columns]
    if missing:
        raise InvalidInputError("daily", f"needs columns day, metric, value; missing {missing}")
    rows: list[dict[str, object]] = []
    if daily.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    first, last = span or day_span(daily)
    days = pl.date_range(first, last, "1d", eager=True)
    for (metric,), frame in daily.group_by("metric", maintain_order=True):
        full = pl.DataFrame({"day": days}).join(frame.select("day", "value"), on="day", how="left")
        values = full["value"].fill_null(0).cast(pl.Float64).to_numpy()
        base, spread = weekday_expectation(values)
        expected = np.maximum(base**2 - ANSCOMBE_SHIFT, 0.0)
        z = (root(values) - base) / spread
        gap = values - expected
        with np.errstate(invalid="ignore"):
            up = (z > rule.k) & (gap >= rule.floor)
            down = (-z > rule.k) & (-gap >= rule.floor)
        for direction, out in (("up", up), ("down", down)):
            if direction in rule.directions:
                rows += incidents(
                    days, values, expected, spread, out, rule.kind, str(metric), direction
                )
    if not rows:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    return pl.DataFrame(rows, schema=ALERT_SCHEMA).sort("day", "kind", "metric")


def day_span(frame: pl.DataFrame) -> tuple[date, date]:
    """First and last ``day`` of a frame."""
    first, last = frame.select(pl.col("day").min().alias("first"), pl.col("day").max()).row(0)
    return first, last


def incidents(
    days: pl.Series,
    values: np.ndarray,
    expected: np.ndarray,
    spread: np.ndarray,
    out: np.ndarray,
    kind: str,
    metric: str,
    direction: str,
) -> list[dict[str, object]]:
    """One alert per run of consecutive out-of-band days (or periods, dated by ``days``), dated
    on the run's first day, ending on its last; ``days`` counts the calendar days between."""
    found = []
    starts = np.flatnonzero(out & ~np.r_[False, out[:-1]])
    for s in starts:
        length = int(np.argmin(np.r_[out[s:], False]))
        first, last = days[int(s)], days[int(s) + length - 1]
        found.append(
            {
                "day": first,
                "kind": kind,
                "metric": metric,
                "value": float(values[s]),
                "expected": float(expected[s]),
                "spread": float(spread[s]),
                "direction": direction,
                "end": last,
                "days": (last - first).days + 1,
            }
        )
    return found
