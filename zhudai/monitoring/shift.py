"""Daily shift of a per-row value (a score, an input, approved or not, a channel) within a day
or two of its start, on books too small for a daily PSI.

Each row's value is turned into its mid-rank ``u`` within the reference (the rows of the
previous ``REFERENCE_DAYS`` days): ``u = (below + equal / 2) / N``, so ``u`` has mean 1/2 over the
reference itself whatever the value's distribution, ties and all. A window of the last one or
two days (``WINDOW_DAYS``) shifts when the mean ``u`` of its rows is ``K_SPREADS`` standard
errors from 1/2 (the reference's own variance of ``u``, for the window's rows and the
reference's size) *and* at least ``RANK_FLOOR`` from it, and only when the window holds
``MIN_SHIFT_ROWS`` rows: a day of 15 applications is judged with the day before. One degree of
freedom makes this far more sensitive to a moved level than a ten-bin PSI of the same rows.
For a yes/no value a rank shift of ``RANK_FLOOR`` is a change of ``2 x RANK_FLOOR`` in its rate.
Days in a row that shift are one alert (an incident), as in :mod:`zhudai.monitoring.seasonal`.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from zhudai.exceptions import InvalidInputError
from zhudai.monitoring.seasonal import ALERT_SCHEMA, K_SPREADS, incidents

REFERENCE_DAYS = 28  # days before a window whose rows are its reference
MIN_REFERENCE_DAYS = 14  # fewer reference days with rows: no judgement
WINDOW_DAYS = (1, 2)  # windows ending on the judged day: that day alone, and with the day before
MIN_SHIFT_ROWS = 25  # rows a window needs
RANK_FLOOR = 0.05  # smallest shift of the mean mid-rank that may alert (10 points of a rate)


def midranks(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``(below + equal / 2) / N`` of each value within the sorted ``reference``.

    Examples
    --------
    >>> midranks(np.array([1.0, 2.0, 2.0, 3.0]), np.array([2.0, 0.0, 5.0])).tolist()
    [0.5, 0.0, 1.0]
    """
    lo = np.searchsorted(reference, values, side="left")
    hi = np.searchsorted(reference, values, side="right")
    return (lo + hi) / (2 * len(reference))


def daily_rank_sums(day_index: np.ndarray, values: np.ndarray, days: int) -> np.ndarray:
    """Per day: rows ``n``, the sum of ``u - 1/2`` of its rows and the variance of that sum
    (``n v (1 + n / N)``: the rows' own spread and the error of the reference's centre), each
    against the reference of the ``REFERENCE_DAYS`` days before; NaN where there is none."""
    order = np.argsort(day_index, kind="stable")
    day_index, values = day_index[order], values[order]
    bounds = np.searchsorted(day_index, np.arange(days + 1))
    out = np.full((days, 3), np.nan)
    out[:, 0] = np.diff(bounds)
    for d in range(days):
        lo = max(d - REFERENCE_DAYS, 0)
        ref_days = np.count_nonzero(out[lo:d, 0])
        mine = values[bounds[d] : bounds[d + 1]]
        if ref_days < MIN_REFERENCE_DAYS or len(mine) == 0:
            continue
        reference = np.sort(values[bounds[lo] : bounds[d]])
        spread = midranks(reference, reference).var()
        if spread == 0:  # a constant reference: no scale to judge by
            continue
        n, big_n = len(mine), len(reference)
        out[d, 1] = float(np.sum(midranks(reference, mine) - 0.5))
        out[d, 2] = n * spread * (1 + n / big_n)
    return out


def shift_alerts(
    rows: pl.DataFrame, kind: str, metric: str, span: tuple[date, date]
) -> pl.DataFrame:
    """Alerts of a value given per row as ``day, value`` (numbers or booleans; nulls dropped)
    over the days of ``span``: an alert's ``value`` is the window's mean mid-rank (1/2 is no
    shift), ``expected`` 1/2 and ``spread`` the standard error it was judged by.

    Examples
    --------
    >>> from datetime import timedelta
    >>> first = date(2024, 1, 1)
    >>> days = [first + timedelta(days=d) for d in range(40) for _ in range(30)]
    >>> values = [float(i % 10 + 5 * (d >= 35)) for d in range(40) for i in range(30)]
    >>> alerts = shift_alerts(pl.DataFrame({"day": days, "value": values}), "s", "x",
    ...                       (first, days[-1]))
    >>> alerts.select("day", "direction", "days").row(0)
    (datetime.date(2024, 2, 5), 'up', 5)
    """
    missing = [c for c in ("day", "value") if c not in rows.columns]
    if missing:
        raise InvalidInputError("rows", f"needs columns day, value; missing {missing}")
    first, last = span
    n_days = (last - first).days + 1
    kept = rows.drop_nulls("value").filter(pl.col("day").is_between(first, last))
    if kept.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    index = (kept["day"] - first).dt.total_days().to_numpy()
    sums = daily_rank_sums(index, kept["value"].cast(pl.Float64).to_numpy(), n_days)
    best_z = np.zeros(n_days)
    best_u = np.full(n_days, 0.5)
    best_se = np.full(n_days, np.nan)
    for width in WINDOW_DAYS:
        n, s, v = (_rolling(sums[:, k], width) for k in range(3))
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(n >= MIN_SHIFT_ROWS, s / np.sqrt(v), np.nan)
            u = 0.5 + s / n
            se = np.sqrt(v) / n
        ok = (np.abs(u - 0.5) >= RANK_FLOOR) & (np.abs(z) > np.abs(best_z))
        ok &= ~np.isnan(z)
        best_z, best_u, best_se = (
            np.where(ok, a, b) for a, b in ((z, best_z), (u, best_u), (se, best_se))
        )
    days = pl.date_range(first, last, "1d", eager=True)
    expected = np.full(n_days, 0.5)
    found = []
    for direction, out in (("up", best_z > K_SPREADS), ("down", -best_z > K_SPREADS)):
        found += incidents(days, best_u, expected, best_se, out, kind, metric, direction)
    return pl.DataFrame(found, schema=ALERT_SCHEMA).sort("day")


def _rolling(x: np.ndarray, width: int) -> np.ndarray:
    """Sum of ``x`` over the ``width`` days ending on each day (NaN when any is NaN or before
    the first day)."""
    out = np.full(len(x), np.nan)
    for end in range(width - 1, len(x)):
        out[end] = x[end - width + 1 : end + 1].sum()
    return out
