"""Weekly PSI of a score and CSI of each input against a baseline distribution.

PSI is the scorecard's formula (:func:`zhudai.scorecard.metrics.psi_from_counts`) over bins at
the baseline's deciles (text inputs: one bin per value), with half an observation added to
every bin: a week of a hundred rows that happens to miss a 5% bin is not an infinite shift.
The baseline is the model's development sample when one is given, else the first
``DEVELOPMENT_WEEKS`` weeks of the data. A week alerts when its index is ``PSI_SHIFTED`` or more
(0.1-0.25 is "watch" and only shown) *and* above what sampling alone gives at that size: with
``b`` bins, ``n`` rows and a baseline of ``N``, PSI is about ``chi2(b - 1) * (1/n + 1/N)``, so
the noise floor is its ``1 - NOISE_ALPHA`` quantile. Weeks under ``MIN_WEEK_ROWS`` get no index.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
from scipy.stats import chi2

from zhudai.monitoring.seasonal import ALERT_SCHEMA, incidents
from zhudai.scorecard.metrics import psi_from_counts

PSI_WATCH = 0.10  # below: stable
PSI_SHIFTED = 0.25  # from here: shifted, an alert
MIN_WEEK_ROWS = 50  # rows a week needs for its PSI
DEVELOPMENT_WEEKS = 4  # weeks of data used as the baseline when no development sample is given
N_BINS = 10  # decile bins of a numeric value
SMOOTHING = 0.5  # observations added to every bin
NOISE_ALPHA = 1e-4  # a week alerts only above this upper quantile of the sampling noise


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


def weekly_stability(
    frame: pl.DataFrame, columns: list[str], baseline: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per week (Monday) and column: rows, PSI against the baseline, its noise floor.

    ``frame`` needs ``decided_at`` and ``columns``; ``baseline`` (same columns) defaults to the
    first ``DEVELOPMENT_WEEKS`` weeks of ``frame``, whose own PSI is still shown. A column the
    baseline never filled is left out.
    """
    weeks = frame.with_columns(pl.col("decided_at").dt.truncate("1w").dt.date().alias("week"))
    if baseline is None:
        cut = pl.col("week").min() + pl.duration(weeks=DEVELOPMENT_WEEKS)
        baseline = weeks.filter(pl.col("week") < cut)
    week_of = weeks["week"]
    out = []
    for col in columns:
        if baseline[col].drop_nulls().len() == 0:  # nothing to compare with
            continue
        (rows, base), size = bin_index(baseline[col], weeks[col], baseline[col])
        base_counts = np.bincount(base[base >= 0], minlength=size)
        for week in week_of.unique(maintain_order=True):
            mine = rows[(week_of == week).to_numpy()]
            mine = mine[mine >= 0]
            value = floor = None
            if len(mine) >= MIN_WEEK_ROWS and base_counts.sum():
                counts = np.bincount(mine, minlength=size)
                value = psi_from_counts(base_counts + SMOOTHING, counts + SMOOTHING)
                floor = noise_floor(size, len(mine), int(base_counts.sum()))
            out.append(
                {"week": week, "column": col, "rows": len(mine), "psi": value, "noise": floor}
            )
    schema = {
        "week": pl.Date,
        "column": pl.Utf8,
        "rows": pl.Int64,
        "psi": pl.Float64,
        "noise": pl.Float64,
    }
    return pl.DataFrame(out, schema=schema).sort("week", "column")


def stability_alerts(weekly: pl.DataFrame, kind: str = "stability") -> pl.DataFrame:
    """An alert per run of weeks in which a column's PSI is at least ``PSI_SHIFTED`` and its noise
    floor (``expected`` in the alert), dated on the Sunday that closes the run's first week
    (when the week's index can first be computed)."""
    found = []
    for (col,), part in weekly.sort("week").group_by("column", maintain_order=True):
        values = part["psi"].fill_null(0.0).to_numpy()
        bar = np.maximum(part["noise"].fill_null(np.inf).to_numpy(), PSI_SHIFTED)
        ends = part["week"] + timedelta(days=6)
        found += incidents(
            ends,
            values,
            bar,
            np.full(len(values), np.nan),
            values >= bar,
            kind,
            f"psi:{col}",
            "up",
        )
    return pl.DataFrame(found, schema=ALERT_SCHEMA).sort("day", "metric")
