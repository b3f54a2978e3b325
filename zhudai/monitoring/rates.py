"""Drift of a rate (approval rate, bad rate) against its pooled rate over the periods before.

A period's rate alerts when it is ``K_SPREADS`` binomial standard errors away from the pooled
rate of the previous ``window`` periods *and* at least ``RATE_FLOOR`` away in absolute terms,
and only when the period has ``MIN_RATE_ROWS`` rows: a rate over a handful is not evidence.
Periods in a row out of band are one alert, as in :mod:`zhudai.monitoring.seasonal`.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhudai.exceptions import InvalidInputError
from zhudai.monitoring.seasonal import ALERT_SCHEMA, K_SPREADS, incidents

RATE_FLOOR = 0.10  # absolute change of an approval rate that may alert (10 points)
BAD_RATE_FLOOR = 0.05  # absolute change of a bad rate that may alert (5 points)
MIN_RATE_ROWS = 30  # rows a period needs for its rate to count


def rate_alerts(
    periods: pl.DataFrame, kind: str, metric: str, window: int, floor: float = RATE_FLOOR
) -> pl.DataFrame:
    """Alerts of a rate given per period as ``day, events, rows`` (``day`` dates the period).

    The baseline of period ``i`` pools ``events`` and ``rows`` of the ``window`` periods before
    it that have ``MIN_RATE_ROWS`` rows; it needs at least half of them.

    Examples
    --------
    >>> from datetime import date, timedelta
    >>> days = [date(2024, 1, 1) + timedelta(days=i) for i in range(30)]
    >>> events = [60] * 29 + [20]
    >>> frame = pl.DataFrame({"day": days, "events": events, "rows": [100] * 30})
    >>> rate_alerts(frame, "approval", "approval_rate", window=28)["value"].to_list()
    [0.2]
    """
    missing = [c for c in ("day", "events", "rows") if c not in periods.columns]
    if missing:
        raise InvalidInputError("periods", f"needs columns day, events, rows; missing {missing}")
    if window < 1:
        raise InvalidInputError("window", f"must be a positive integer; got {window}")
    p = periods.sort("day")
    events = p["events"].cast(pl.Float64).to_numpy()
    rows = p["rows"].cast(pl.Float64).to_numpy()
    usable = rows >= MIN_RATE_ROWS
    ev_ok, n_ok = np.where(usable, events, 0.0), np.where(usable, rows, 0.0)
    cum_e, cum_n, cum_k = (np.r_[0.0, np.cumsum(x)] for x in (ev_ok, n_ok, usable.astype(float)))
    idx = np.arange(len(p))
    lo = np.maximum(idx - window, 0)
    base_e, base_n = cum_e[idx] - cum_e[lo], cum_n[idx] - cum_n[lo]
    base_k = cum_k[idx] - cum_k[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = events / rows
        expected = np.where((base_k >= max(1, window // 2)) & (base_n > 0), base_e / base_n, np.nan)
        spread = np.sqrt(expected * (1 - expected) / rows)
        gap = rate - expected
        out_up = usable & (gap > K_SPREADS * spread) & (gap >= floor)
        out_down = usable & (-gap > K_SPREADS * spread) & (-gap >= floor)
    found = []
    for direction, out in (("up", out_up), ("down", out_down)):
        found += incidents(p["day"], rate, expected, spread, out, kind, metric, direction)
    return pl.DataFrame(found, schema=ALERT_SCHEMA).sort("day")
