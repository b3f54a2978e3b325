"""PSI of a score and CSI of each input, by week and by day, against a baseline distribution.

PSI is the scorecard's formula (:func:`zhudai.scorecard.metrics.psi_from_counts`) over bins at
the baseline's deciles (text inputs: one bin per value), with half an observation added to
every bin: a week of a hundred rows that happens to miss a 5% bin is not an infinite shift.
The baseline is the model's development sample when one is given, else the first
``DEVELOPMENT_WEEKS`` weeks of the data. A week (or a day: a shock shows on its first day in a
busy book) alerts when its index is ``PSI_SHIFTED`` or more
(0.1-0.25 is "watch" and only shown) *and* above what sampling alone gives at that size: with
``b`` bins, ``n`` rows and a baseline of ``N``, PSI is about ``chi2(b - 1) * (1/n + 1/N)``, so
the noise floor is its ``1 - NOISE_ALPHA`` quantile. Periods under ``MIN_PERIOD_ROWS`` rows get
no index.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
from scipy.stats import chi2

from zhudai.exceptions import InvalidInputError
from zhudai.monitoring.seasonal import ALERT_SCHEMA, incidents
from zhudai.scorecard.metrics import psi_from_counts

PSI_WATCH = 0.10  # below: stable
PSI_SHIFTED = 0.25  # from here: shifted, an alert
MIN_PERIOD_ROWS = 50  # rows a week (or day) needs for its PSI
PERIOD_DAYS = {"1w": 7, "1d": 1}  # the periods PSI is computed over, and their days
DEVELOPMENT_WEEKS = 4  # weeks of data used as the baseline when no development sample is given
N_BINS = 10  # decile bins of a numeric value
SMOOTHING = 0.5  # observations added to every bin
NOISE_ALPHA = 1e-4  # a period alerts only above this upper quantile of the sampling noise


def bin_index(baseline: pl.Series, *samples: pl.Series) -> tuple[list[np.ndarray], int]:
    """The bin of every value of each sample (-1 when null) and the number of bins: the
    baseline's deciles for numbers, one bin per value seen anywhere for text."""
    base = baseline.drop_nulls()
    if base.dtype.is_numeric() and all(x.dtype.is_numeric() for x in samples):
        edges = np.unique(
            np.quantile(base.cast(pl.Float64).to_numpy(), np.linspace(0, 1, N_BINS + 1)[1:-1])
        )
        out = []
        for x in samples:
            v = x.cast(pl.Float64).to_numpy()
            out.append(np.where(np.isnan(v), -1, np.searchsorted(edges, v, side="right")))
        return out, len(edges) + 1
    texts = [x.cast(pl.Utf8) for x in samples]
    levels = sorted(set(base.cast(pl.Utf8)).union(*(set(t.drop_nulls()) for t in texts)))
    code = {v: i for i, v in enumerate(levels)}
    return [np.array([code.get(v, -1) if v is not None else -1 for v in t]) for t in texts], len(
        levels
    )


def binned_counts(expected: pl.Series, actual: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Counts of both samples in the bins of :func:`bin_index`."""
    (e, a), size = bin_index(expected, expected, actual)
    return np.bincount(e[e >= 0], minlength=size), np.bincount(a[a >= 0], minlength=size)


def stability_index(expected: pl.Series, actual: pl.Series) -> float:
    """Smoothed PSI of ``actual`` against ``expected``.

    Examples
    --------
    Counts 2, 2 against 1, 3, smoothed to 2.5, 2.5 and 1.5, 3.5:
    ``(0.3 - 0.5) ln(0.3 / 0.5) + (0.7 - 0.5) ln(0.7 / 0.5)``

    >>> e, a = pl.Series(["a", "a", "b", "b"]), pl.Series(["a", "b", "b", "b"])
    >>> round(stability_index(e, a), 5)
    0.16946
    """
    ec, ac = binned_counts(expected, actual)
    return psi_from_counts(ec + SMOOTHING, ac + SMOOTHING)


def noise_floor(bins: int, rows: int, baseline_rows: int) -> float:
    """The PSI that sampling alone exceeds with probability ``NOISE_ALPHA``.

    Examples
    --------
    >>> round(noise_floor(10, 100, 400), 4)
    0.4215
    """
    return float(chi2.ppf(1 - NOISE_ALPHA, max(bins - 1, 1)) * (1 / rows + 1 / baseline_rows))


def period_stability(
    frame: pl.DataFrame,
    columns: list[str],
    period: str = "1w",
    baseline: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per period (``"1w"``: weeks from Monday, ``"1d"``: days) and column: ``start``
    and ``end`` (last day), rows, PSI against the baseline and its noise floor.

    ``frame`` needs ``decided_at`` and ``columns``; ``baseline`` (same columns) defaults to the
    first ``DEVELOPMENT_WEEKS`` weeks of ``frame``, whose own PSI is still shown. A column the
    baseline never filled is left out.
    """
    if period not in PERIOD_DAYS:
        raise InvalidInputError("period", f"must be one of {sorted(PERIOD_DAYS)}; got {period!r}")
    starts = frame.with_columns(pl.col("decided_at").dt.truncate(period).dt.date().alias("start"))
    if baseline is None:
        first = frame.select(pl.col("decided_at").dt.truncate("1w").dt.date().min()).item()
        baseline = starts.filter(pl.col("start") < first + timedelta(weeks=DEVELOPMENT_WEEKS))
    start_of = starts["start"]
    out = []
    for col in columns:
        if baseline[col].drop_nulls().len() == 0:  # nothing to compare with
            continue
        (rows, base), size = bin_index(baseline[col], starts[col], baseline[col])
        base_counts = np.bincount(base[base >= 0], minlength=size)
        for start in start_of.unique(maintain_order=True):
            mine = rows[(start_of == start).to_numpy()]
            mine = mine[mine >= 0]
            value = floor = None
            if len(mine) >= MIN_PERIOD_ROWS:
                counts = np.bincount(mine, minlength=size)
                value = psi_from_counts(base_counts + SMOOTHING, counts + SMOOTHING)
                floor = noise_floor(size, len(mine), int(base_counts.sum()))
            end = start + timedelta(days=PERIOD_DAYS[period] - 1)
            out.append(
                {
                    "start": start,
                    "end": end,
                    "column": col,
                    "rows": len(mine),
                    "psi": value,
                    "noise": floor,
                }
            )
    schema = {
        "start": pl.Date,
        "end": pl.Date,
        "column": pl.Utf8,
        "rows": pl.Int64,
        "psi": pl.Float64,
        "noise": pl.Float64,
    }
    return pl.DataFrame(out, schema=schema).sort("start", "column")


def stability_alerts(stability: pl.DataFrame, prefix: str = "psi") -> pl.DataFrame:
    """An alert per run of periods in which a column's PSI is at least ``PSI_SHIFTED`` and its
    noise floor (``expected`` in the alert), dated on the last day of the run's first period
    (when its index can first be computed); ``metric`` is ``<prefix>:<column>``."""
    found = []
    for (col,), part in stability.sort("start").group_by("column", maintain_order=True):
        values = part["psi"].fill_null(0.0).to_numpy()
        bar = np.maximum(part["noise"].fill_null(np.inf).to_numpy(), PSI_SHIFTED)
        found += incidents(
            part["end"],
            values,
            bar,
            np.full(len(values), np.nan),
            values >= bar,
            "stability",
            f"{prefix}:{col}",
            "up",
        )
    return pl.DataFrame(found, schema=ALERT_SCHEMA).sort("day", "metric")
