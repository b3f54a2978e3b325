"""C chosen by cross-validation on the training rows only."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedShuffleSplit

from zhudai.exceptions import InvalidInputError
from zhudai.scorecard import Scorecard
from zhudai.scorecard import regularisation as reg


def _table(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = (rng.random(n) < 1 / (1 + np.exp(-(x[:, 0] - 0.5 * x[:, 1])))).astype(int)
    return x, y


def test_choice_is_deterministic_and_the_argmin_of_the_losses():
    x, y = _table(300, 0)
    first, losses = reg.choose_c(x, y)
    again, losses_again = reg.choose_c(x, y)
    assert first == again and losses == losses_again
    assert set(losses) == set(reg.C_GRID)
    assert losses[first] == min(losses.values())


def test_newton_fit_equals_scikit_learn():
    x, y = _table(500, 6)
    for c in (0.01, 1.0, 10.0):
        lr = LogisticRegression(C=c, tol=1e-10, max_iter=10_000).fit(x, y)
        expected = np.r_[lr.intercept_, lr.coef_[0]]
        np.testing.assert_allclose(reg.fit_ridge_logit(x, y, c), expected, atol=1e-5)


def test_each_fold_is_fitted_without_its_held_out_rows(monkeypatch):
    x, y = _table(200, 1)
    fitted_on: list[frozenset[int]] = []
    row_of = {tuple(r): i for i, r in enumerate(x)}
    fit = reg.fit_ridge_logit

    def spy(a, b, c, start=None, **kw):
        fitted_on.append(frozenset(row_of[tuple(r)] for r in a))
        return fit(a, b, c, start=start, **kw)

    monkeypatch.setattr(reg, "fit_ridge_logit", spy)
    reg.choose_c(x, y, grid=(0.1, 1.0), folds=4)
    assert len(fitted_on) == 8
    held_out = [frozenset(range(len(x))) - rows for rows in fitted_on]
    # both C values see the same 4 folds, and the held-out folds partition the rows
    assert len(set(held_out)) == 4
    assert sorted(i for s in set(held_out) for i in s) == list(range(len(x)))
    # stratified: every held-out fold has a quarter of the bads (to within one)
    assert all(abs(sum(y[list(s)]) - y.sum() / 4) <= 1 for s in set(held_out))


def test_small_samples_need_more_regularisation_than_large_ones():
    x_small, y_small = _table(60, 2)
    rng = np.random.default_rng(3)
    # 30 pure-noise columns: on 60 rows a weak penalty overfits them
    noisy = np.column_stack([x_small, rng.normal(size=(60, 30))])
    x_large, y_large = _table(20_000, 4)
    assert reg.choose_c(noisy, y_small)[0] < reg.choose_c(x_large, y_large)[0]


def test_large_tables_are_cross_validated_on_a_stratified_sample():
    x, y = _table(3000, 7)
    keep = next(StratifiedShuffleSplit(1, train_size=1000, random_state=reg.CV_SEED).split(x, y))[0]
    keep = np.sort(keep)
    assert abs(y[keep].mean() - y.mean()) < 1e-3
    assert reg.choose_c(x, y, max_rows=1000) == reg.choose_c(x[keep], y[keep])


def test_too_few_bads_to_cross_validate_returns_the_largest_c():
    x, _ = _table(50, 5)
    y = np.zeros(50, dtype=int)
    y[0] = 1
    assert reg.choose_c(x, y) == (max(reg.C_GRID), {})


def test_scorecard_records_its_choice_and_a_fixed_c_skips_it(german):
    X, y = german
    X, y = X.iloc[:400], y.iloc[:400]
    card = Scorecard().fit(X, y)
    assert card.C_ in reg.C_GRID
    assert card.metadata()["regularisation"]["C"] == card.C_
    assert len(card.metadata()["regularisation"]["cv_log_loss"]) == len(reg.C_GRID)
    fixed = Scorecard(C=0.5).fit(X, y)
    assert fixed.C_ == 0.5 and fixed.cv_losses_ == {}
    with pytest.raises(InvalidInputError, match="C"):
        Scorecard(C="auto").fit(X, y)


def test_scorecard_cross_validates_on_its_selected_training_woe(german):
    X, y = german
    X, y = X.iloc[:400], y.iloc[:400]
    card = Scorecard().fit(X, y)
    woe = card.binner_.transform(X)[card.selector_.selected_].to_numpy()
    assert (card.C_, card.cv_losses_) == reg.choose_c(woe, y.to_numpy())
