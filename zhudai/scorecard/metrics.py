"""Discrimination and stability measures: AUC, KS, Gini, lift by decile, PSI and CSI.

Every function takes ``y`` with 1 = bad and a risk value where **higher means riskier** (a PD);
pass ``-score`` for points where higher is safer. Definitions follow ``/work/shared/domain.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zhudai.exceptions import InvalidInputError

PSI_FLOOR = 1e-6  # share used for an empty bin so PSI stays finite


def check_target(y, field: str = "target") -> np.ndarray:
    """Return ``y`` as an int8 array after checking it is 0/1 with both classes present."""
    arr = pd.Series(y).to_numpy()
    if pd.isna(arr).any():
        raise InvalidInputError(field, "has missing values; the target must be 0 (good) or 1 (bad)")
    values = set(np.unique(arr).tolist())
    if not values <= {0, 1}:
        shown = sorted(map(str, values))[:5]
        raise InvalidInputError(field, f"must be 0 (good) or 1 (bad); got values {shown}")
    out = arr.astype(np.int8)
    if out.min() == out.max():
        raise InvalidInputError(
            field, f"has one class only (all {int(out[0])}); need goods and bads"
        )
    return out


def _tied_cumulative(y: np.ndarray, risk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative bad and good shares, riskiest first, one point per distinct risk value."""
    order = np.argsort(-risk, kind="mergesort")
    r, yy = risk[order], y[order]
    last = np.r_[r[1:] != r[:-1], True]  # last row of each tie group
    bads = np.cumsum(yy)[last]
    goods = np.cumsum(1 - yy)[last]
    return np.r_[0.0, bads / bads[-1]], np.r_[0.0, goods / goods[-1]]


def auc(y, risk) -> float:
    """Area under the ROC curve (ties count one half).

    Examples
    --------
    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y = check_target(y, "y")
    tpr, fpr = _tied_cumulative(y, np.asarray(risk, dtype=float))
    return float(np.trapezoid(tpr, fpr))


def ks(y, risk) -> float:
    """Kolmogorov-Smirnov: max over cut-offs of |cumulative bad share - cumulative good share|.

    Examples
    --------
    >>> ks([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    y = check_target(y, "y")
    tpr, fpr = _tied_cumulative(y, np.asarray(risk, dtype=float))
    return float(np.max(np.abs(tpr - fpr)))


def gini(y, risk) -> float:
    """Gini (accuracy ratio) = 2 AUC - 1."""
    return 2.0 * auc(y, risk) - 1.0


def roc_curve(y, risk) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate) points for the ROC and KS charts."""
    y = check_target(y, "y")
    tpr, fpr = _tied_cumulative(y, np.asarray(risk, dtype=float))
    return fpr, tpr


def roc_points(y, risk, max_points: int = 101) -> dict[str, list[float]]:
    """The ROC as at most ``max_points`` of its own vertices, evenly spaced along the curve and
    always with both ends: small enough to keep in ``model.json`` and draw without the sample.
    """
    if max_points < 2:
        raise InvalidInputError("max_points", f"must be at least 2; got {max_points}")
    fpr, tpr = roc_curve(y, risk)
    keep = np.unique(np.round(np.linspace(0, len(fpr) - 1, max_points)).astype(int))
    return {
        "fpr": [round(float(v), 6) for v in fpr[keep]],
        "tpr": [round(float(v), 6) for v in tpr[keep]],
    }


def summary(y, risk) -> dict[str, float]:
    """AUC, KS, Gini, row count and bad rate of one sample, as JSON-ready floats."""
    y = check_target(y, "y")
    a = auc(y, risk)
    return {
        "n": int(len(y)),
        "bad_rate": round(float(np.mean(y)), 6),
        "auc": round(a, 6),
        "ks": round(ks(y, risk), 6),
        "gini": round(2 * a - 1, 6),
    }


def lift_table(y, risk, n_groups: int = 10) -> pd.DataFrame:
    """Lift and gain by risk group (decile by default), riskiest group first.

    Columns: ``group, n, bads, bad_rate, cum_bad_share`` (gain), ``lift`` (group bad rate over
    the overall bad rate) and ``cum_lift``.
    """
    y = check_target(y, "y")
    risk = np.asarray(risk, dtype=float)
    order = np.argsort(-risk, kind="mergesort")
    groups = np.array_split(y[order], n_groups)
    n = np.array([len(g) for g in groups])
    bads = np.array([int(g.sum()) for g in groups])
    overall = y.mean()
    cum_n, cum_b = np.cumsum(n), np.cumsum(bads)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, bads / n, 0.0)
    return pd.DataFrame(
        {
            "group": np.arange(1, n_groups + 1),
            "n": n,
            "bads": bads,
            "bad_rate": rate,
            "cum_bad_share": cum_b / y.sum(),
            "lift": rate / overall,
            "cum_lift": (cum_b / np.maximum(cum_n, 1)) / overall,
        }
    )


def psi_from_counts(expected, actual) -> float:
    """PSI = sum((actual% - expected%) * ln(actual% / expected%)) over bins of given counts.

    Empty bins use a share of ``1e-6`` so the sum stays finite.

    Examples
    --------
    >>> round(psi_from_counts([50, 50], [40, 60]), 6)
    0.040547
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    if e.sum() <= 0 or a.sum() <= 0:
        raise InvalidInputError("psi", "needs at least one row in each sample")
    ep = np.maximum(e / e.sum(), PSI_FLOOR)
    ap = np.maximum(a / a.sum(), PSI_FLOOR)
    return float(np.sum((ap - ep) * np.log(ap / ep)))


def psi(expected, actual, n_bins: int = 10) -> float:
    """PSI of a continuous value (a score or PD) with bins at the expected sample's quantiles."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    edges = np.unique(np.quantile(e, np.linspace(0, 1, n_bins + 1)[1:-1]))
    return psi_from_counts(
        np.bincount(np.searchsorted(edges, e, side="right"), minlength=len(edges) + 1),
        np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1),
    )


def psi_by_period(values, periods, n_bins: int = 10) -> pd.Series:
    """PSI of each time slice's values against the first (earliest) slice's.

    ``periods`` labels every value (e.g. the application month); slices are taken in sorted
    order and the first one is the baseline (its own PSI is 0).

    Examples
    --------
    >>> v = np.r_[np.arange(100.0), np.arange(100.0), np.arange(50.0, 150.0)]
    >>> p = ["2024-01"] * 100 + ["2024-02"] * 100 + ["2024-03"] * 100
    >>> s = psi_by_period(v, p)
    >>> float(s["2024-02"]), bool(s["2024-03"] > 0.25)
    (0.0, True)
    """
    frame = pd.DataFrame({"v": np.asarray(values, dtype=float), "p": np.asarray(periods)})
    slices = sorted(frame["p"].dropna().unique())
    if not slices:
        raise InvalidInputError("periods", "has no labelled rows")
    base = frame.loc[frame["p"] == slices[0], "v"].to_numpy()
    out = {s: psi(base, frame.loc[frame["p"] == s, "v"].to_numpy(), n_bins) for s in slices}
    return pd.Series(out, name="psi")


def csi(expected_bins: pd.DataFrame, actual_bins: pd.DataFrame) -> pd.Series:
    """Characteristic stability index: PSI of each feature's bin distribution (bin indices in)."""
    out = {}
    for col in expected_bins.columns:
        e = expected_bins[col].to_numpy()
        a = actual_bins[col].to_numpy()
        size = int(max(e.max(), a.max())) + 1
        out[col] = psi_from_counts(np.bincount(e, minlength=size), np.bincount(a, minlength=size))
    return pd.Series(out, name="csi").sort_values(ascending=False)


def score_distribution(score, n_bins: int = 20) -> pd.DataFrame:
    """Histogram of a score: equal-width bins with counts and shares."""
    s = np.asarray(score, dtype=float)
    counts, edges = np.histogram(s, bins=n_bins)
    return pd.DataFrame(
        {"low": edges[:-1], "high": edges[1:], "n": counts, "share": counts / max(len(s), 1)}
    )
