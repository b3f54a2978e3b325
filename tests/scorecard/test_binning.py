"""Binning: trends hold, missing/special/unseen values get their own bins, overrides persist,
and the merge is the true max-IV partition."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from zhudai.exceptions import InvalidInputError
from zhudai.scorecard import Binner, VariableBins
from zhudai.scorecard._optimize import chi_merge, optimal_groups
from zhudai.scorecard.binning import _fine_edges, bin_index
from zhudai.scorecard.woe import woe_iv


def _regular_rates(b: VariableBins) -> np.ndarray:
    t = b.table().iloc[: b.n_regular]
    return t["bad_rate"].to_numpy()


@pytest.mark.parametrize("prebinning", ["quantile", "tree"])
@pytest.mark.parametrize("trend", ["ascending", "descending"])
def test_monotonic_trend_holds(synthetic, trend, prebinning):
    X, y = synthetic
    b = Binner(monotonic_trend=trend, prebinning=prebinning).fit(X[["rise", "u"]], y)
    for col in ("rise", "u"):
        rates = _regular_rates(b.bins_[col])
        diffs = np.diff(rates)
        assert (diffs > 0).all() if trend == "ascending" else (diffs < 0).all()


def test_auto_finds_direction_and_valley_finds_u_shape(synthetic):
    X, y = synthetic
    b = Binner(special_codes=[-999]).fit(X[["rise"]], y)
    assert b.bins_["rise"].trend == "ascending"
    # undeclared, the 60%-bad -999 block sits below every value: a real valley
    assert Binner().fit(X[["rise"]], y).bins_["rise"].trend == "valley"
    valley = Binner(monotonic_trend="valley").fit(X[["u"]], y).bins_["u"]
    rates = _regular_rates(valley)
    turn = int(np.argmin(rates))
    assert 0 < turn < len(rates) - 1
    assert (np.diff(rates[: turn + 1]) < 0).all() and (np.diff(rates[turn:]) > 0).all()
    mono = Binner(monotonic_trend="ascending").fit(X[["u"]], y).bins_["u"]
    assert valley.iv > 2 * mono.iv


def test_min_bin_share_holds(synthetic):
    X, y = synthetic
    for share in (0.05, 0.2):
        b = Binner(min_bin_share=share, monotonic_trend="none").fit(X[["rise", "u"]], y)
        for col in ("rise", "u"):
            vb = b.bins_[col]
            regular = vb.count[: vb.n_regular]
            assert regular.min() >= share * regular.sum()


def test_missing_and_special_values_get_own_bins(synthetic):
    X, y = synthetic
    b = Binner(special_codes=[-999]).fit(X[["rise"]], y).bins_["rise"]
    special = X["rise"] == -999
    missing = X["rise"].isna()
    assert b.count[b.special_index] == special.sum()
    assert b.bad[b.special_index] == y[special.to_numpy()].sum()
    assert b.count[b.missing_index] == missing.sum()
    idx = b.indices(X["rise"])
    assert (idx[special.to_numpy()] == b.special_index).all()
    assert (idx[missing.to_numpy()] == b.missing_index).all()
    assert b.index_one(-999) == b.special_index
    assert b.index_one(None) == b.missing_index and b.index_one(float("nan")) == b.missing_index
    # special rows are 60% bad: their WOE is far below the regular bins' average
    assert b.woe[b.special_index] < -1.0


def test_unseen_missing_bin_without_rows_is_neutral(synthetic):
    X, y = synthetic
    b = Binner().fit(X[["u"]], y).bins_["u"]
    assert b.count[b.missing_index] == 0 and b.woe[b.missing_index] == 0.0


def test_single_row_and_vector_indices_agree(synthetic):
    X, y = synthetic
    binner = Binner(special_codes=[-999]).fit(X, y)
    for col in X.columns:
        b = binner.bins_[col]
        one = [b.index_one(v) for v in X[col].tolist()]
        assert one == b.indices(X[col]).tolist()


def test_categorical_groups_and_unseen_policies(synthetic):
    X, y = synthetic
    b = Binner().fit(X[["cat"]], y).bins_["cat"]
    assert sorted(c for g in b.groups for c in g) == ["a", "b", "c", "d"]
    assert np.all(np.diff(_regular_rates(b)) > 0)
    assert b.index_one("zzz") == b.special_index and b.woe[b.special_index] == 0.0
    assert b.indices(pd.Series(["zzz", None]))[0] == b.special_index
    to_missing = Binner(unseen="missing").fit(X[["cat"]], y).bins_["cat"]
    assert to_missing.index_one("zzz") == to_missing.missing_index
    strict = Binner(unseen="error").fit(X[["cat"]], y).bins_["cat"]
    with pytest.raises(InvalidInputError, match="cat"):
        strict.indices(pd.Series(["a", "zzz"]))
    with pytest.raises(InvalidInputError, match="cat"):
        strict.index_one("zzz")


def test_rare_categories_are_pooled():
    rng = np.random.default_rng(5)
    cats = np.array(["big1"] * 600 + ["big2"] * 380 + [f"rare{i}" for i in range(20)])
    y = (rng.random(1000) < np.where(cats == "big1", 0.1, 0.4)).astype(int)
    b = Binner(cat_min_share=0.01, min_bin_share=0.01).fit(pd.DataFrame({"c": cats}), y).bins_["c"]
    rare_bins = {b.index_one(f"rare{i}") for i in range(20)}
    assert len(rare_bins) == 1


def test_manual_splits_override_and_round_trip(synthetic):
    X, y = synthetic
    binner = Binner(user_splits={"u": [-1.0, 0.0, 1.0], "cat": [["a", "b"], ["c"]]}).fit(X, y)
    u, cat = binner.bins_["u"], binner.bins_["cat"]
    assert u.splits == [-1.0, 0.0, 1.0] and u.manual and u.trend == "manual"
    assert cat.groups == [["a", "b"], ["c"]]
    assert (
        cat.index_one("d") == cat.special_index
        and cat.count[cat.special_index] == (X["cat"] == "d").sum()
    )
    again = VariableBins.from_dict(u.to_dict())
    assert again.to_dict() == u.to_dict()
    np.testing.assert_array_equal(again.indices(X["u"]), u.indices(X["u"]))


def test_counts_match_a_direct_recount(synthetic):
    X, y = synthetic
    b = Binner(prebinning="quantile").fit(X[["u"]], y).bins_["u"]
    idx = b.indices(X["u"])
    np.testing.assert_array_equal(np.bincount(idx, minlength=len(b.count)), b.count)
    np.testing.assert_array_equal(
        np.bincount(idx, weights=y, minlength=len(b.count)).astype(int), b.bad
    )
    np.testing.assert_allclose(b.woe, woe_iv(b.count - b.bad, b.bad)[0])


def _brute_force(total, bad, trend, min_count, max_groups=None):
    """Best IV over every partition of the bins into contiguous groups (small n only)."""
    n = len(total)
    best = (-math.inf, None)
    for k in range(n if max_groups is None else max_groups):
        for cuts in itertools.combinations(range(1, n), k):
            bounds = [0, *cuts, n]
            t = np.add.reduceat(total, bounds[:-1])
            b = np.add.reduceat(bad, bounds[:-1])
            if (t < min_count).any():
                continue
            r = b / t
            d = np.diff(r)
            ok = {
                "ascending": (d > 0).all(),
                "descending": (d < 0).all(),
                "none": True,
                "peak": any((d[:i] > 0).all() and (d[i:] < 0).all() for i in range(len(d) + 1)),
            }[trend]
            if ok:
                iv = woe_iv(t - b, b)[1].sum()
                if iv > best[0] + 1e-12:
                    best = (iv, list(cuts))
    return best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("trend", ["ascending", "descending", "peak", "none"])
@pytest.mark.parametrize("max_groups", [None, 3])
def test_optimal_merge_equals_brute_force(seed, trend, max_groups):
    rng = np.random.default_rng(seed)
    total = rng.integers(20, 80, size=7).astype(float)
    bad = np.floor(total * rng.uniform(0.05, 0.6, size=7))
    min_count = 0.1 * total.sum()
    totals = (float((total - bad).sum()), float(bad.sum()))
    cuts, iv = optimal_groups(total, bad, *totals, trend, min_count, max_groups)[trend]
    if trend != "none":  # "auto" computes the four trends from two programmes: same answers
        auto = optimal_groups(total, bad, *totals, "auto", min_count, max_groups)
        assert auto[trend][1] == pytest.approx(iv, rel=1e-12)
    assert max_groups is None or len(cuts) + 1 <= max_groups
    expected_iv, _ = _brute_force(total, bad, trend, min_count, max_groups)
    assert iv == pytest.approx(expected_iv, rel=1e-9)
    bounds = [0, *cuts, len(total)]
    t = np.add.reduceat(total, bounds[:-1])
    b = np.add.reduceat(bad, bounds[:-1])
    assert woe_iv(t - b, b)[1].sum() == pytest.approx(iv, rel=1e-9)


def test_max_n_bins_is_respected(synthetic):
    X, y = synthetic
    b = Binner(max_n_bins=3, monotonic_trend="none").fit(X[["u", "rise"]], y)
    assert all(v.n_regular <= 3 for v in b.bins_.values())


def test_chimerge_merges_similar_neighbours():
    total = np.array([100.0, 100, 100, 100])
    bad = np.array([10.0, 11, 40, 41])
    assert chi_merge(total, bad, threshold=3.841, max_groups=10) == [2]
    b = Binner(method="chimerge").fit(
        pd.DataFrame({"x": np.repeat([1, 2, 3, 4], 100)}),
        np.r_[
            np.repeat([1, 0], [10, 90]),
            np.repeat([1, 0], [11, 89]),
            np.repeat([1, 0], [40, 60]),
            np.repeat([1, 0], [41, 59]),
        ],
    )
    assert b.bins_["x"].splits == [3.0]


def test_constant_and_all_missing_columns_get_one_bin_and_zero_iv():
    y = np.array([0, 1] * 50)
    X = pd.DataFrame({"const": 1.0, "empty": np.nan, "x": np.arange(100.0)})
    b = Binner().fit(X, y)
    assert b.bins_["const"].iv == 0.0 and b.bins_["empty"].iv == 0.0
    assert (b.transform(X)[["const", "empty"]] == 0.0).all().all()


def test_transform_index_and_errors(synthetic):
    X, y = synthetic
    b = Binner().fit(X, y)
    idx = b.transform(X, metric="index")
    assert idx.dtypes.map(lambda d: d.kind == "i").all()
    with pytest.raises(InvalidInputError, match="metric"):
        b.transform(X, metric="points")
    with pytest.raises(InvalidInputError, match="lacks"):
        b.transform(X.drop(columns="u"))


def test_threads_give_the_same_bins(synthetic):
    X, y = synthetic
    one = Binner().fit(X, y)
    two = Binner(n_jobs=2).fit(X, y)
    assert {k: v.to_dict() for k, v in one.bins_.items()} == {
        k: v.to_dict() for k, v in two.bins_.items()
    }


@pytest.mark.parametrize(
    "make",
    [
        lambda r: r.normal(size=70_000),
        lambda r: r.standard_cauchy(70_000),
        lambda r: r.integers(0, 5, 70_000).astype(float),
        lambda r: np.round(r.exponential(size=70_000), 1),
        lambda r: r.normal(size=70_000) * 1e-9 + 1e6,
    ],
)
def test_bin_index_equals_searchsorted(make):
    x = make(np.random.default_rng(11))
    edges = _fine_edges(x, 100)
    np.testing.assert_array_equal(bin_index(edges, x), np.searchsorted(edges, x, side="right"))
    at_edges = np.tile(edges, 70_000 // len(edges) + 1)  # values exactly on the edges
    np.testing.assert_array_equal(
        bin_index(edges, at_edges), np.searchsorted(edges, at_edges, side="right")
    )


def test_infinite_values_fall_in_the_end_bins(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=100_000)
    x[:500] = np.inf
    x[500:1000] = -np.inf
    y = (rng.random(100_000) < 1 / (1 + np.exp(-x.clip(-3, 3)))).astype(int)
    b = Binner().fit(pd.DataFrame({"x": x}), y).bins_["x"]
    assert all(np.isfinite(b.splits))
    assert b.index_one(np.inf) == b.n_regular - 1 and b.index_one(-np.inf) == 0
    assert b.count[: b.n_regular].sum() == 100_000
