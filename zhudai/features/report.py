"""Feature quality report: missing rate, IV against a label, PSI between two periods, and the
"weak data beats demographics" model comparison.

Binning here is deliberately simple — equal-frequency (quantile) bins plus one bin for missing
values — enough to rank features and check stability; the full optimal-binning toolkit lives in
``zhudai.scorecard``. WOE, IV and PSI are the scorecard's own (:func:`zhudai.scorecard.woe.woe_iv`,
:func:`zhudai.scorecard.metrics.psi_from_counts`): ``WOE = ln(good share / bad share)`` with
Haldane's 0.5 on a bin without goods or without bads only, an empty bin neutral; so a feature
report and a card agree on a feature's IV over the same bins.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from zhudai.exceptions import InvalidInputError, NotFittedError
from zhudai.features.definitions import FeatureSet
from zhudai.features.frames import ID_COLUMNS
from zhudai.scorecard.metrics import psi_from_counts
from zhudai.scorecard.woe import woe_iv

#: Feature groups that count as weak financial data in the comparison.
WEAK_GROUPS = ("orders", "card_txns", "weak_cross")
DEMOGRAPHIC_GROUPS = ("demographics",)

#: A data folder's credit labels (``application_id``, ``bad``), as a provider hands them over.
LABELS_FILE = "credit_labels.parquet"


def quantile_edges(x: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Interior cut points of equal-frequency bins of the non-missing values of ``x``.

    Examples
    --------
    >>> quantile_edges(np.arange(10.0), n_bins=2)
    array([4.5])
    """
    values = x[~np.isnan(x)]
    if values.size == 0:
        return np.empty(0)
    return np.unique(np.quantile(values, np.linspace(0, 1, n_bins + 1)[1:-1]))


def assign_bins(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index of each value (``i`` means ``edges[i-1] < x <= edges[i]``); missing -> last bin."""
    out = np.searchsorted(edges, x, side="left")
    out[np.isnan(x)] = len(edges) + 1
    return out


def woe_table(bins: np.ndarray, y: np.ndarray, n_bins: int) -> tuple[np.ndarray, float]:
    """(WOE of each of ``n_bins`` bins, IV) of binned values against a 0/1 label (1 = bad)."""
    bad = np.bincount(bins, weights=y, minlength=n_bins)
    good = np.bincount(bins, weights=1 - y, minlength=n_bins)
    woe, iv = woe_iv(good, bad)
    return woe, float(iv.sum())


def information_value(x: np.ndarray, y: np.ndarray, n_bins: int = 10) -> float:
    """IV of feature ``x`` against label ``y`` (1 = bad) over quantile bins plus a missing bin.

    Examples
    --------
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1] * 10, dtype=float)
    >>> information_value(y * 3.0, y) > 2  # a feature equal to the label is "suspicious"
    True
    """
    edges = quantile_edges(x, n_bins)
    return woe_table(assign_bins(x, edges), y, len(edges) + 2)[1]


def population_stability(expected: np.ndarray, actual: np.ndarray, n_bins: int = 10) -> float:
    """PSI of ``actual`` against ``expected`` over the expected period's quantile bins.

    ``PSI = sum over bins of (actual% - expected%) * ln(actual% / expected%)``; missing values
    are a bin of their own; an empty bin counts as a share of 1e-6 (``zhudai.scorecard.metrics.PSI_FLOOR``).
    """
    edges = quantile_edges(expected, n_bins)
    size = len(edges) + 2
    return psi_from_counts(
        np.bincount(assign_bins(expected, edges), minlength=size),
        np.bincount(assign_bins(actual, edges), minlength=size),
    )


def _labelled(features: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    for col in ("application_id", "bad"):
        if col not in labels.columns:
            raise InvalidInputError(f"labels.{col}", "column missing")
    joined = features.join(
        labels.select("application_id", pl.col("bad").cast(pl.Float64)), on="application_id"
    )
    if joined.height == 0:
        raise InvalidInputError("labels", "no application_id in common with the features")
    return joined


def feature_report(
    features: pl.DataFrame,
    labels: pl.DataFrame,
    feature_set: FeatureSet | None = None,
    n_bins: int = 10,
) -> pl.DataFrame:
    """One row per feature: group, missing rate, IV against ``bad``, PSI between two periods.

    The two periods are the applications before and after the median ``applied_at`` (all
    applications, labelled or not). IV uses the labelled applications only.
    """
    names = [c for c in features.columns if c not in ID_COLUMNS]
    labelled = _labelled(features, labels)
    y = labelled["bad"].to_numpy()
    times = features["applied_at"].to_numpy()
    early = times <= np.median(times.astype(np.int64)).astype(times.dtype)
    rows = []
    for name in names:
        x_all = features[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        x = labelled[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        group = (
            feature_set.get(name).group
            if feature_set is not None and name in feature_set.names
            else ""
        )
        rows.append(
            {
                "feature": name,
                "group": group,
                "missing_rate": float(np.isnan(x_all).mean()),
                "iv": information_value(x, y, n_bins),
                "psi": population_stability(x_all[early], x_all[~early], n_bins),
            }
        )
    return pl.DataFrame(rows).sort("iv", descending=True)


class WoeLogit:
    """Logistic regression on per-feature WOE of quantile bins: a plain scorecard-style model.

    Parameters
    ----------
    n_bins : int
        Quantile bins per feature (plus a bin for missing values).
    C : float
        Inverse L2 strength of the logistic regression.
    """

    def __init__(self, n_bins: int = 10, C: float = 0.1) -> None:
        self.n_bins = n_bins
        self.C = C

    def fit(self, X: np.ndarray, y: np.ndarray) -> WoeLogit:
        if self.n_bins < 2:
            raise InvalidInputError("n_bins", f"must be at least 2; got {self.n_bins}")
        self.edges_ = [quantile_edges(X[:, j], self.n_bins) for j in range(X.shape[1])]
        self.woe_ = [
            woe_table(assign_bins(X[:, j], e), y, len(e) + 2)[0] for j, e in enumerate(self.edges_)
        ]
        self.model_ = LogisticRegression(C=self.C, max_iter=500).fit(self._woe(X), y)
        return self

    def _woe(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [
                w[assign_bins(X[:, j], e)]
                for j, (e, w) in enumerate(zip(self.edges_, self.woe_, strict=True))
            ]
        )

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise NotFittedError("WoeLogit is not fitted; call fit first")
        return self.model_.predict_proba(self._woe(X))


@dataclass(frozen=True)
class Comparison:
    """AUC of the same model on two feature groups, trained on the earlier 70% of applications."""

    weak_auc: float
    demographics_auc: float
    n_weak: int
    n_demographics: int
    n_train: int
    n_test: int

    @property
    def margin(self) -> float:
        """Weak-data AUC minus demographics AUC."""
        return self.weak_auc - self.demographics_auc

    def line(self) -> str:
        return (
            f"weak-data features ({self.n_weak}) AUC {self.weak_auc:.3f} vs demographics "
            f"({self.n_demographics}) AUC {self.demographics_auc:.3f}: margin {self.margin:+.3f} "
            f"(WOE logistic regression, train {self.n_train:,} earlier / test {self.n_test:,} later loans)"
        )


def weak_vs_demographics(
    features: pl.DataFrame,
    labels: pl.DataFrame,
    feature_set: FeatureSet,
    weak_groups: Sequence[str] = WEAK_GROUPS,
    demographic_groups: Sequence[str] = DEMOGRAPHIC_GROUPS,
) -> Comparison:
    """Train :class:`WoeLogit` on weak-data features and on demographics alone; compare AUCs.

    The split is out-of-time: the earliest 70% of labelled applications train, the rest test.
    """
    groups = feature_set.groups()
    weak = [n for g in weak_groups for n in groups.get(g, [])]
    demo = [n for g in demographic_groups for n in groups.get(g, [])]
    if not weak or not demo:
        raise InvalidInputError(
            "feature_set", "needs features in both the weak-data and demographics groups"
        )
    data = _labelled(features, labels).sort("applied_at")
    y = data["bad"].to_numpy()
    cut = int(len(y) * 0.7)
    if len(np.unique(y[:cut])) < 2 or len(np.unique(y[cut:])) < 2:
        raise InvalidInputError("labels", "both periods need good and bad loans")

    def auc(cols: list[str]) -> float:
        X = data.select(pl.col(cols).cast(pl.Float64).fill_null(np.nan)).to_numpy()
        model = WoeLogit().fit(X[:cut], y[:cut])
        return float(roc_auc_score(y[cut:], model.predict_proba(X[cut:])[:, 1]))

    return Comparison(auc(weak), auc(demo), len(weak), len(demo), cut, len(y) - cut)


def write_report(
    report: pl.DataFrame, comparison: Comparison | None, out_dir: str | Path
) -> list[Path]:
    """Write ``feature_report.csv`` and ``feature_report.html`` to ``out_dir``; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = out / "feature_report.csv", out / "feature_report.html"
    report.write_csv(csv_path)
    header = "".join(f"<th>{html.escape(c)}</th>" for c in report.columns)
    body = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{v:.4f}</td>" if isinstance(v, float) else f"<td>{html.escape(str(v))}</td>"
            for v in row
        )
        + "</tr>"
        for row in report.iter_rows()
    )
    summary = f"<p>{html.escape(comparison.line())}</p>" if comparison else ""
    html_path.write_text(
        "<!doctype html><meta charset='utf-8'><title>zhudai feature report</title>"
        "<h1>Feature report</h1>"
        f"{summary}<p>{report.height} features. IV: WOE = ln(good share / bad share) over quantile "
        "bins; PSI: applications after vs before the median application time.</p>"
        f"<table border='1' cellspacing='0'><tr>{header}</tr>\n{body}</table>",
        encoding="utf-8",
    )
    return [csv_path, html_path]
