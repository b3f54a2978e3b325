"""Binning of numeric and categorical variables, and the WOE transform built on it.

:class:`VariableBins` is one variable's fitted bins (JSON-serialisable, used on the scoring
path); :class:`Binner` is the scikit-learn-shaped estimator that fits them for every column
of a frame.

Bin layout of every variable: the regular bins ``0 .. k-1``, then one **Special** bin
(numeric: the ``special_codes`` such as ``-999``; categorical: the *Other* bin, see below),
then one **Missing** bin. A Special or Missing bin that saw no training rows has WOE 0.

Numeric fit, per column: pre-bin into ``max_n_prebins`` (40) equal-frequency cells
(``prebinning="quantile"``, the default) or split a 100-cell quantile grid best-first by Gini
(``"tree"``), optionally pre-merge by ChiMerge
(``method="chimerge"``), then merge adjacent pre-bins to the largest IV under the
``monotonic_trend`` and ``min_bin_share`` constraints (exact dynamic programme, see
``_optimize.py``). Categorical: categories rarer than ``cat_min_share`` are pooled, the rest are
ordered by bad rate and merged the same way. Categories unseen at fit time follow ``unseen``:
``"other"`` (the Other bin, WOE 0 unless manual groups left fitted categories there),
``"missing"`` (the Missing bin) or ``"error"``.

Integer codes (education 1..5, marital-status codes): a numeric column whose values are all
integers, with 3 to ``max_code_levels`` distinct values and no special code, is binned both as
an ordered number and as categories (codes grouped by bad rate); the categories win when their
IV gain is more than noise gives (``n_eff * gain > AUTO_TURN_STAT``, as for a peak or valley).
Such bins are ``categorical`` with ``codes: true``: values are compared as numbers.

Manual overrides (``user_splits``) replace the search for a variable and are stored with the
model (``manual: true``).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from zhudai.exceptions import InvalidInputError, NotFittedError
from zhudai.scorecard._optimize import TRENDS, chi_merge, optimal_groups, tree_cuts
from zhudai.scorecard._params import Param, check_params, is_float, is_int, one_of
from zhudai.scorecard.metrics import check_target
from zhudai.scorecard.weights import check_sample_weight
from zhudai.scorecard.woe import woe_iv

FINE_GRID = 100  # quantile cells of the tree pre-binning histogram
QUANTILE_SAMPLE = 20_000  # rows used to place quantile edges (counts always use every row)
UNSEEN = ("other", "missing", "error")
# "auto" picks a peak or valley over the best monotone binning only when the IV gain is more
# than noise gives: n_eff * gain > AUTO_TURN_STAT, with n_eff = goods * bads / rows. Without
# optimisation n_eff * IV would be roughly chi-square; because the merge maximises IV, pure
# noise columns reach about 12 (measured), while real U-shapes in 20,000 rows score above 80.
# The same test decides whether integer codes are categories rather than an ordered number:
# with k codes the categorical grouping's extra freedom is at most chi-square with k - 1
# degrees of freedom on noise (99.9th percentile 27.9 for k = 10).
AUTO_TURN_STAT = 30.0
# min_bin_share="auto": the smallest share at which a bin at the average bad rate still expects
# AUTO_BIN_BADS bads, kept within [AUTO_BIN_SHARE_MIN, AUTO_BIN_SHARE_MAX]: 5% on small data,
# down to 2% when bads are plentiful.
AUTO_BIN_BADS = 30
AUTO_BIN_SHARE_MIN, AUTO_BIN_SHARE_MAX = 0.02, 0.05
# A variable at least this strong (IV; "very strong" by convention) gets the AUTO_BIN_SHARE_MIN
# bins even on small data: coarse bins cost a strong variable more discrimination than its
# noisier WOE does (measured on seeded one-driver tables of 5,000 rows, see docs/scorecard.md).
STRONG_IV = 0.5


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def code_number(name: str, value: Any) -> float:
    """A code column's value as a number; text is refused naming the column."""
    if isinstance(value, str):
        raise InvalidInputError(name, f"must be a number; got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(name, f"must be a number; got {value!r}") from None


@dataclass
class VariableBins:
    """One variable's bins and their statistics.

    Attributes
    ----------
    splits : numeric cut points; regular bin ``i`` holds ``splits[i-1] <= x < splits[i]``.
    groups : categorical groups; regular bin ``i`` holds the categories in ``groups[i]``.
    codes : categorical bins of a numeric column of integer codes; values are compared as
        numbers (``2``, ``2.0`` and the group entry ``"2"`` are one code).
    count, bad : rows and bads per bin in the layout regular..., Special/Other, Missing.
    woe : WOE per bin (``ln(good share / bad share)``; higher is safer).
    """

    name: str
    dtype: str
    splits: list[float] = field(default_factory=list)
    groups: list[list[str]] = field(default_factory=list)
    special_codes: list[float] = field(default_factory=list)
    count: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bad: np.ndarray = field(default_factory=lambda: np.zeros(0))
    woe: np.ndarray = field(default_factory=lambda: np.zeros(0))
    trend: str = "none"
    manual: bool = False
    unseen: str = "other"
    codes: bool = False

    def __post_init__(self) -> None:
        self._category_bin = {c: i for i, g in enumerate(self.groups) for c in g}
        self._code_bin = {float(c): i for c, i in self._category_bin.items()} if self.codes else {}
        self._special = set(self.special_codes)

    @property
    def n_regular(self) -> int:
        """Number of regular bins (without Special/Other and Missing)."""
        return len(self.splits) + 1 if self.dtype == "numeric" else len(self.groups)

    @property
    def special_index(self) -> int:
        return self.n_regular

    @property
    def missing_index(self) -> int:
        return self.n_regular + 1

    @property
    def iv(self) -> float:
        """Information value of the variable."""
        return float(woe_iv(self.count - self.bad, self.bad)[1].sum())

    def labels(self) -> list[str]:
        """Readable bin labels in bin order (used in reports, Excel and SQL comments)."""
        if self.dtype == "numeric":
            edges = ["-inf", *(f"{s:g}" for s in self.splits), "inf"]
            regular = [f"[{lo}, {hi})" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
            special = "Special " + ",".join(f"{c:g}" for c in self.special_codes)
        else:
            regular = [", ".join(g) for g in self.groups]
            special = "Other"
        return [*regular, special, "Missing"]

    def indices(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Bin index of every value (vectorised)."""
        s = values if isinstance(values, pd.Series) else pd.Series(values)
        if self.dtype == "numeric":
            x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            out = np.searchsorted(np.asarray(self.splits, dtype=float), x, side="right")
            if self._special:
                out[np.isin(x, list(self._special))] = self.special_index
            out[np.isnan(x)] = self.missing_index
            return out
        if self.codes:
            return self._code_indices(s)
        miss = s.isna().to_numpy()
        known = list(self._category_bin)
        codes = pd.Categorical(s.astype(str), categories=known).codes
        lut = np.array([*self._category_bin.values(), self.special_index], dtype=np.int64)
        out = lut[codes]
        unseen = (codes < 0) & ~miss
        if unseen.any():
            if self.unseen == "error":
                shown = sorted(set(s[unseen].astype(str)))[:5]
                raise InvalidInputError(self.name, f"unseen categories {shown}")
            if self.unseen == "missing":
                out[unseen] = self.missing_index
        out[miss] = self.missing_index
        return out

    def _code_indices(self, s: pd.Series) -> np.ndarray:
        x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        keys = np.array(sorted(self._code_bin), dtype=float)
        lut = np.array([*(self._code_bin[k] for k in keys), self.special_index], dtype=np.int64)
        pos = np.searchsorted(keys, x)
        pos[(pos >= len(keys)) | (keys[np.minimum(pos, len(keys) - 1)] != x)] = len(keys)
        out = lut[pos]
        miss = np.isnan(x)
        unseen = (pos == len(keys)) & ~miss
        if unseen.any():
            if self.unseen == "error":
                shown = sorted({f"{v:g}" for v in x[unseen]})[:5]
                raise InvalidInputError(self.name, f"unseen codes {shown}")
            if self.unseen == "missing":
                out[unseen] = self.missing_index
        out[miss] = self.missing_index
        return out

    def index_one(self, value: Any) -> int:
        """Bin index of one value (no pandas; used on the single-row scoring path)."""
        if _is_missing(value):
            return self.missing_index
        if self.dtype == "numeric":
            if value in self._special:
                return self.special_index
            return bisect_right(self.splits, value)
        if self.codes:
            idx = self._code_bin.get(code_number(self.name, value))
        else:
            idx = self._category_bin.get(str(value))
        if idx is not None:
            return idx
        if self.unseen == "error":
            raise InvalidInputError(self.name, f"unseen category {value!r}")
        return self.missing_index if self.unseen == "missing" else self.special_index

    def table(self) -> pd.DataFrame:
        """The binning table: label, count, share, goods, bads, bad rate, WOE and IV per bin."""
        count = self.count.astype(float)
        bad = self.bad.astype(float)
        woe, iv = woe_iv(count - bad, bad)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(count > 0, bad / count, np.nan)
        return pd.DataFrame(
            {
                "variable": self.name,
                "bin": self.labels(),
                "count": self.count,
                "share": count / count.sum(),
                "good": self.count - self.bad,
                "bad": self.bad,
                "bad_rate": rate,
                "woe": woe,
                "iv": iv,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (the registry's artefact format)."""
        return {
            "name": self.name,
            "dtype": self.dtype,
            "splits": [float(s) for s in self.splits],
            "groups": [list(g) for g in self.groups],
            "special_codes": [float(c) for c in self.special_codes],
            "labels": self.labels(),
            "count": _counts(self.count),
            "bad": _counts(self.bad),
            "woe": [float(w) for w in self.woe],
            "iv": self.iv,
            "trend": self.trend,
            "manual": self.manual,
            "unseen": self.unseen,
            "codes": self.codes,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VariableBins:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            name=d["name"],
            dtype=d["dtype"],
            splits=list(d["splits"]),
            groups=[list(g) for g in d["groups"]],
            special_codes=list(d["special_codes"]),
            count=np.asarray(d["count"]),
            bad=np.asarray(d["bad"]),
            woe=np.asarray(d["woe"], dtype=float),
            trend=d["trend"],
            manual=d["manual"],
            unseen=d["unseen"],
            codes=d.get("codes", False),  # artefacts written before integer codes lack it
        )


def _counts(values: np.ndarray) -> list[int] | list[float]:
    """Counts for JSON: integers, or floats when a weighted fit left them fractional."""
    if np.issubdtype(values.dtype, np.integer):
        return [int(v) for v in values]
    return [float(v) for v in values]


LUT_CELLS = 1 << 14  # uniform cells of the bin-index lookup table


def bin_index(edges: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``np.searchsorted(edges, x, side="right")`` for non-missing ``x``, several times faster.

    ``x`` is mapped to one of 16,384 uniform cells spanning the edges (one more cell each for
    below and above). A table holds each cell's bin at its left end and the one edge that
    crosses it, if any (cells are widened by 1% against rounding), so a row's bin is
    ``low[cell] + (x >= edge[cell])``; only rows in cells crossed by several edges fall back to
    a binary search.

    Examples
    --------
    >>> e = np.array([1.0, 2.0, 3.0])
    >>> bin_index(e, np.array([0.5, 1.0, 2.5, 9.0])).tolist()
    [0, 1, 2, 3]
    """
    if len(edges) < 2 or len(x) < 4 * LUT_CELLS or not edges[-1] > edges[0]:
        return np.searchsorted(edges, x, side="right")
    lo, hi = float(edges[0]), float(edges[-1])
    scale = LUT_CELLS / (hi - lo)
    # cell 0: x < lo; cell c in 1..LUT_CELLS: [lo + (c-1)/scale, lo + c/scale); last: x >= hi
    cell = np.clip((x - lo) * scale + 1.0, 0.0, LUT_CELLS + 1.0).astype(np.int64)
    left = lo + (np.arange(LUT_CELLS + 2) - 1.0) / scale
    width = 1.0 / scale
    low = np.searchsorted(edges, left - 0.01 * width, side="right")
    crossing = np.searchsorted(edges, left + 1.01 * width, side="right") - low
    low[0], crossing[0] = 0, 0
    low[-1], crossing[-1] = len(edges), 0
    edge = np.full(LUT_CELLS + 2, np.inf)
    single = crossing == 1
    edge[single] = edges[low[single]]
    out = low[cell] + (x >= edge[cell])
    several = (crossing > 1)[cell]
    if several.any():
        out[several] = np.searchsorted(edges, x[several], side="right")
    return out


def _fine_edges(x: np.ndarray, cells: int) -> np.ndarray:
    """Quantile edges of ``x`` on ``cells`` cells (from a strided sample when ``x`` is large)."""
    sample = x[:: max(1, len(x) // QUANTILE_SAMPLE)] if len(x) > QUANTILE_SAMPLE else x
    xs = np.sort(sample)
    pos = (np.arange(1, cells) * len(xs)) // cells
    edges = np.unique(xs[pos])
    return edges[(edges > xs[0]) & np.isfinite(edges)]  # +-inf rows fall in the end bins


class Binner:
    """Fit WOE bins for every column of a frame; transform to WOE values or bin indices.

    Parameters
    ----------
    prebinning : ``"quantile"`` (``max_n_prebins`` equal-frequency cells) or ``"tree"`` (Gini
        splits of a 100-cell quantile histogram into at most ``max_n_prebins`` leaves).
        Quantile cells feed the exact merge the most detail; on the benchmark tables they gave
        the best test AUC/KS (German Credit and 200,000 synthetic rows).
    method : ``"optimal"`` (max-IV merge) or ``"chimerge"`` (ChiMerge first, then the same
        constrained merge).
    max_n_prebins : pre-bins per numeric variable before merging.
    min_prebin_share : smallest pre-bin, as a share of the variable's regular (non-missing,
        non-special) rows.
    min_bin_share : smallest final bin, as a share of the regular rows; ``"auto"`` (default):
        ``30 / bads`` clipped to [2%, 5%], so every bin at the average bad rate expects 30 bads;
        2% for a variable whose IV reaches ``STRONG_IV`` (0.5) at that share.
    max_n_bins : largest number of regular bins (``None``: no limit).
    min_bin_bads : fewest bads, and fewest goods, in a regular bin: keeps WOE estimates
        stable when bads are scarce.
    monotonic_trend : ``auto`` (best IV of ascending and descending), ``ascending``,
        ``descending``, ``peak``, ``valley`` or ``none``; a mapping ``{column: trend}`` sets
        it per column (others use ``auto``).
    special_codes : numeric values that mean "special" (e.g. ``-999`` no bureau file); they get
        their own bin.
    user_splits : ``{column: splits}`` (numeric cut points) or ``{column: [[cat, ...], ...]}``
        (categorical groups) that override the search for those columns.
    categorical : columns to bin as categorical even if their dtype is numeric.
    max_code_levels : a numeric column of integers with 3 to this many distinct values (and no
        special code) is also binned as categories, kept when the IV gain beats noise (see the
        module docstring); 0 bins every numeric column as an ordered number. A column with a
        trend set in ``monotonic_trend`` stays ordered.
    cat_min_share : categories rarer than this are pooled before merging.
    unseen : what scoring does with a category not seen at fit: ``other``, ``missing``, ``error``.
    chi2_threshold : ChiMerge stopping statistic (3.841 = 95% with one degree of freedom).
    n_jobs : worker threads (numpy releases the GIL while counting).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-2 * x))).astype(int)
    >>> b = Binner(monotonic_trend="ascending").fit(pd.DataFrame({"x": x}), y)
    >>> rates = b.bins_["x"].table()["bad_rate"].iloc[: b.bins_["x"].n_regular]
    >>> bool(rates.is_monotonic_increasing)
    True
    """

    _PARAMS = (
        Param("prebinning", one_of(("tree", "quantile")), "'tree' or 'quantile'"),
        Param("method", one_of(("optimal", "chimerge")), "'optimal' or 'chimerge'"),
        Param("max_n_prebins", is_int(2, 1000), "an integer in [2, 1000]"),
        Param("min_prebin_share", is_float(0, 0.5, low_open=True), "a float in (0, 0.5]"),
        Param(
            "min_bin_share",
            lambda v: v == "auto" or is_float(0, 0.5, low_open=True)(v),
            "'auto' or a float in (0, 0.5]",
        ),
        Param("max_n_bins", is_int(2, 1000, optional=True), "None or an integer in [2, 1000]"),
        Param("min_bin_bads", is_int(0), "a non-negative integer"),
        Param(
            "monotonic_trend",
            lambda v: (
                v in TRENDS or (isinstance(v, Mapping) and all(t in TRENDS for t in v.values()))
            ),
            f"one of {TRENDS} or a mapping of column to one of them",
        ),
        Param(
            "special_codes",
            lambda v: isinstance(v, Sequence) and all(isinstance(c, int | float) for c in v),
            "a sequence of numbers",
        ),
        Param("user_splits", lambda v: v is None or isinstance(v, Mapping), "None or a mapping"),
        Param(
            "categorical",
            lambda v: isinstance(v, Sequence) and not isinstance(v, str),
            "a sequence of column names",
        ),
        Param("max_code_levels", is_int(0, 100), "an integer in [0, 100]"),
        Param("cat_min_share", is_float(0, 0.5), "a float in [0, 0.5]"),
        Param("unseen", one_of(UNSEEN), f"one of {UNSEEN}"),
        Param("chi2_threshold", is_float(0, low_open=True), "a positive float"),
        Param("n_jobs", is_int(1, 64), "an integer in [1, 64]"),
    )

    def __init__(
        self,
        prebinning: str = "quantile",
        method: str = "optimal",
        max_n_prebins: int = 40,
        min_prebin_share: float = 0.02,
        min_bin_share: float | str = "auto",
        max_n_bins: int | None = None,
        min_bin_bads: int = 0,
        monotonic_trend: str | Mapping[str, str] = "auto",
        special_codes: Sequence[float] = (),
        user_splits: Mapping[str, Sequence[Any]] | None = None,
        categorical: Sequence[str] = (),
        max_code_levels: int = 10,
        cat_min_share: float = 0.01,
        unseen: str = "other",
        chi2_threshold: float = 3.841,
        n_jobs: int = 1,
    ) -> None:
        self.prebinning = prebinning
        self.method = method
        self.max_n_prebins = max_n_prebins
        self.min_prebin_share = min_prebin_share
        self.min_bin_share = min_bin_share
        self.max_n_bins = max_n_bins
        self.min_bin_bads = min_bin_bads
        self.monotonic_trend = monotonic_trend
        self.special_codes = special_codes
        self.user_splits = user_splits
        self.categorical = categorical
        self.max_code_levels = max_code_levels
        self.cat_min_share = cat_min_share
        self.unseen = unseen
        self.chi2_threshold = chi2_threshold
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ fitting
    def fit(self, X: pd.DataFrame, y, sample_weight=None) -> Binner:
        """Fit the bins of every column of ``X`` against ``y`` (1 = bad).

        With ``sample_weight`` every count (bins, shares, goods and bads) is a sum of weights,
        and the fitted bins keep those fractional counts.
        """
        check_params(self, self._PARAMS)
        if not isinstance(X, pd.DataFrame):
            raise InvalidInputError("X", f"must be a pandas DataFrame; got {type(X).__name__}")
        if X.shape[1] == 0:
            raise InvalidInputError("X", "has no columns to bin")
        yy = check_target(y).astype(float)
        if len(yy) != len(X):
            raise InvalidInputError("y", f"has {len(yy)} rows; X has {len(X)}")
        weights = check_sample_weight(sample_weight, len(yy))
        self._weighted = weights is not None
        w = weights if weights is not None else np.ones(len(yy))
        unknown = set(self.user_splits or {}) - set(X.columns)
        if unknown:
            raise InvalidInputError("user_splits", f"names columns not in X: {sorted(unknown)}")
        self._total_bad = float((w * yy).sum())
        self._total_good = float(w.sum()) - self._total_bad
        columns = list(X.columns)
        if self.n_jobs > 1:
            with ThreadPoolExecutor(self.n_jobs) as pool:
                fitted = list(pool.map(lambda c: self._fit_column(X[c], yy, w), columns))
        else:
            fitted = [self._fit_column(X[c], yy, w) for c in columns]
        self.bins_ = dict(zip(columns, fitted, strict=True))
        self.features_in_ = columns
        return self

    def _is_categorical(self, s: pd.Series) -> bool:
        if s.name in self.categorical:
            return True
        return not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))

    def _trend_for(self, name: str) -> str:
        if isinstance(self.monotonic_trend, Mapping):
            return self.monotonic_trend.get(name, "auto")
        return self.monotonic_trend

    def _integer_codes(self, x: np.ndarray, special: np.ndarray | None, name: str) -> bool:
        """Whether the numeric column may be integer codes (see ``max_code_levels``)."""
        if self._trend_for(name) != "auto" or (special is not None and special.any()):
            return False
        values = x[~np.isnan(x)]
        if not len(values) or not np.all(np.isfinite(values)) or np.any(values % 1 != 0):
            return False
        return 3 <= len(np.unique(values)) <= self.max_code_levels

    def _codes_beat_order(self, codes: VariableBins, ordered: VariableBins) -> bool:
        n_bad = self._total_bad
        n_eff = n_bad * self._total_good / (n_bad + self._total_good)
        return n_eff * (codes.iv - ordered.iv) > AUTO_TURN_STAT

    def _merge(
        self, total: np.ndarray, bad: np.ndarray, trend: str, n_rows: float
    ) -> tuple[list[int], str]:
        """Cut positions into the pre-bins after ChiMerge and/or the constrained optimal merge."""
        if self.method == "chimerge" and len(total) > 1:
            limit = self.max_n_bins or len(total)
            cuts = chi_merge(total, bad, self.chi2_threshold, limit)
            bounds = [0, *cuts, len(total)]
            total = np.add.reduceat(total, bounds[:-1])
            bad = np.add.reduceat(bad, bounds[:-1])
        else:
            bounds = list(range(len(total) + 1))
        if self.min_bin_share == "auto":
            wanted = AUTO_BIN_BADS / max(float(bad.sum()), 1.0)
            share = min(max(wanted, AUTO_BIN_SHARE_MIN), AUTO_BIN_SHARE_MAX)
        else:
            share = float(self.min_bin_share)

        def solve(min_share: float) -> dict[str, tuple[list[int], float]]:
            return optimal_groups(
                total,
                bad,
                self._total_good,
                self._total_bad,
                trend,
                min_share * n_rows,
                self.max_n_bins,
                self.min_bin_bads,
            )

        results = solve(share)
        strong = max(iv for _, iv in results.values()) >= STRONG_IV
        if self.min_bin_share == "auto" and share > AUTO_BIN_SHARE_MIN and strong:
            results = solve(AUTO_BIN_SHARE_MIN)
        chosen = max(results, key=lambda t: results[t][1])
        if trend == "auto" and chosen in ("peak", "valley"):
            monotone = max(("ascending", "descending"), key=lambda t: results[t][1])
            n_bad = float(bad.sum())
            n_eff = n_bad * (float(total.sum()) - n_bad) / max(float(total.sum()), 1.0)
            if n_eff * (results[chosen][1] - results[monotone][1]) <= AUTO_TURN_STAT:
                chosen = monotone
        return [bounds[c] for c in results[chosen][0]], chosen

    def _fit_column(self, s: pd.Series, y: np.ndarray, w: np.ndarray) -> VariableBins:
        name = str(s.name)
        manual = self.user_splits is not None and name in self.user_splits
        if self._is_categorical(s):
            return self._fit_categorical(s, y, w, name, manual)
        x = s.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(x)
        special = np.isin(x, list(self.special_codes)) if len(self.special_codes) else None
        irregular = missing if special is None else missing | special
        if irregular.any():
            xr, yr, wr = x[~irregular], y[~irregular], w[~irregular]
        else:
            xr, yr, wr = x, y, w
        trend = self._trend_for(name)
        if manual:
            splits = sorted(float(v) for v in (self.user_splits or {})[name])
            trend = "manual"
            edges = np.asarray(splits, dtype=float)
            cuts = list(range(1, len(splits) + 1))
        else:
            cells = FINE_GRID if self.prebinning == "tree" else self.max_n_prebins
            edges = _fine_edges(xr, cells) if len(xr) else np.zeros(0)
        idx = bin_index(edges, xr)
        fine_total = np.bincount(idx, weights=wr, minlength=len(edges) + 1)
        fine_bad = np.bincount(idx, weights=yr * wr, minlength=len(edges) + 1)
        n_regular = float(wr.sum())
        if not manual:
            bounds = list(range(len(edges) + 2))
            if self.prebinning == "tree" and len(edges):
                tree = tree_cuts(
                    fine_total, fine_bad, self.max_n_prebins, self.min_prebin_share * n_regular
                )
                bounds = [0, *tree, len(fine_total)]
            total = np.add.reduceat(fine_total, bounds[:-1])
            bad = np.add.reduceat(fine_bad, bounds[:-1])
            merged, trend = self._merge(total, bad, trend, n_regular)
            cuts = [bounds[c] for c in merged]
            splits = [float(edges[c - 1]) for c in cuts]
        bins = VariableBins(
            name,
            "numeric",
            splits=splits,
            special_codes=[float(c) for c in self.special_codes],
            trend=trend,
            manual=manual,
            unseen=self.unseen,
        )
        starts = [0, *cuts]
        count = np.zeros(len(splits) + 3)
        bad_count = np.zeros(len(splits) + 3)
        count[: len(starts)] = np.add.reduceat(fine_total, starts)
        bad_count[: len(starts)] = np.add.reduceat(fine_bad, starts)
        if special is not None:
            count[-2], bad_count[-2] = w[special].sum(), (w * y)[special].sum()
        count[-1], bad_count[-1] = w[missing].sum(), (w * y)[missing].sum()
        self._set_stats(bins, count, bad_count)
        # quantile edges of a column with at most max_code_levels values are fewer than that:
        # a cheap first test that spares continuous columns the full one
        few_values = len(edges) < self.max_code_levels
        if not manual and few_values and self._integer_codes(x, special, name):
            text = np.where(missing, 0, x).astype(np.int64).astype(str)  # 2.0 -> "2"
            as_text = pd.Series(text, name=name).where(~missing)
            grouped = self._fit_categorical(as_text, y, w, name, manual=False, integer_codes=True)
            if self._codes_beat_order(grouped, bins):
                return grouped
        return bins

    def _fit_categorical(
        self,
        s: pd.Series,
        y: np.ndarray,
        w: np.ndarray,
        name: str,
        manual: bool,
        integer_codes: bool = False,
    ) -> VariableBins:
        raw_codes, raw_cats = pd.factorize(s, use_na_sentinel=True)  # one pass; NA -> -1
        missing = raw_codes < 0
        # categories are compared as text (1 and "1" are one category), as at scoring time
        text_codes, cats = pd.factorize(pd.Index(raw_cats).astype(str))
        codes = text_codes[raw_codes[~missing]]
        yr, wr = y[~missing], w[~missing]
        n_values = float(wr.sum())
        total = np.bincount(codes, weights=wr, minlength=len(cats))
        bad = np.bincount(codes, weights=yr * wr, minlength=len(cats))
        if manual:
            groups = [[str(c) for c in g] for g in (self.user_splits or {})[name]]
            trend = "manual"
        elif len(cats) == 0:
            groups, trend = [], "none"
        else:
            rare = total < self.cat_min_share * n_values
            order = [i for i in np.argsort(bad / total, kind="mergesort") if not rare[i]]
            prebins = [[int(i)] for i in order]
            if rare.any():
                pooled = [int(i) for i in np.flatnonzero(rare)]
                pooled_rate = bad[pooled].sum() / total[pooled].sum()
                pos = int(np.searchsorted([bad[p[0]] / total[p[0]] for p in prebins], pooled_rate))
                prebins.insert(pos, pooled)
            p_total = np.array([total[p].sum() for p in prebins])
            p_bad = np.array([bad[p].sum() for p in prebins])
            cuts, _ = self._merge(p_total, p_bad, "ascending", n_values)
            bounds = [0, *cuts, len(prebins)]
            groups = [
                [str(cats[i]) for p in prebins[lo:hi] for i in p]
                for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
            ]
            trend = "ascending"
        bins = VariableBins(
            name,
            "categorical",
            groups=groups,
            trend=trend,
            manual=manual,
            unseen=self.unseen,
            codes=integer_codes,
        )
        lut = np.full(len(cats) + 1, bins.special_index, dtype=np.int64)
        for i, c in enumerate(cats):
            lut[i] = bins._category_bin.get(str(c), bins.special_index)
        idx = lut[codes]
        n_bins = bins.n_regular + 2
        count = np.bincount(idx, weights=wr, minlength=n_bins)
        bad_count = np.bincount(idx, weights=yr * wr, minlength=n_bins)
        count[-1], bad_count[-1] = w[missing].sum(), (w * y)[missing].sum()
        self._set_stats(bins, count, bad_count)
        return bins

    def _set_stats(self, bins: VariableBins, count: np.ndarray, bad: np.ndarray) -> None:
        if self._weighted:  # sums of weights stay fractional
            bins.count, bins.bad = count.astype(float), bad.astype(float)
        else:
            bins.count = np.rint(count).astype(np.int64)
            bins.bad = np.rint(bad).astype(np.int64)
        bins.woe = woe_iv(bins.count - bins.bad, bins.bad)[0]

    # ---------------------------------------------------------------- transform
    def _check_fitted(self) -> None:
        if not hasattr(self, "bins_"):
            raise NotFittedError("Binner is not fitted yet; call fit(X, y) first")

    def transform(
        self, X: pd.DataFrame, metric: str = "woe", columns: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """WOE values (``metric="woe"``) or bin indices (``"index"``) of ``columns`` of ``X``."""
        self._check_fitted()
        if metric not in ("woe", "index"):
            raise InvalidInputError("metric", f"must be 'woe' or 'index'; got {metric!r}")
        cols = list(columns) if columns is not None else self.features_in_
        absent = [c for c in cols if c not in X.columns]
        if absent:
            raise InvalidInputError("X", f"lacks fitted columns {absent[:5]}")
        out = {}
        for c in cols:
            idx = self.bins_[c].indices(X[c])
            out[c] = self.bins_[c].woe[idx] if metric == "woe" else idx
        return pd.DataFrame(out, index=X.index)

    def fit_transform(self, X: pd.DataFrame, y, metric: str = "woe") -> pd.DataFrame:
        """``fit`` then ``transform``."""
        return self.fit(X, y).transform(X, metric=metric)

    @property
    def iv_(self) -> pd.Series:
        """Information value of every fitted column, highest first."""
        self._check_fitted()
        return pd.Series({c: b.iv for c, b in self.bins_.items()}, name="iv").sort_values(
            ascending=False
        )

    def table(self, column: str | None = None) -> pd.DataFrame:
        """Binning table of one column, or of all columns stacked."""
        self._check_fitted()
        names = [column] if column is not None else self.features_in_
        return pd.concat([self.bins_[c].table() for c in names], ignore_index=True)
