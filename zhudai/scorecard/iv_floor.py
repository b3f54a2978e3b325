"""Choosing the IV floor of feature selection by cross-validated gain on the training rows.

``min_iv="auto"`` drops a feature whose ``n_eff * IV`` (about a chi-square statistic) is below
a noise level. A fixed level of 30 is a significance test: it keeps noise out, and on tables of
tens of thousands of rows it also drops weak real drivers (``n_eff * IV`` of 4 to 30, the range
noise columns of optimised bins reach too) that a logistic regression on that many rows would
have used. Which costs more, a few noise columns or the weak drivers, depends on the table, so
``choose_noise_stat`` measures it: for each level of :data:`NOISE_STAT_GRID`, the held-out
log-loss of the selection and a ridge logistic regression in stratified k-fold
cross-validation, with the bins **refitted in every fold** (WOE fitted on the held-out rows
would make noise look useful). Ties go to the higher level (fewer features). When no candidate's IV
lies between the floors of the levels (small tables, where 0.02 binds for every level; or a
clear gap between signal and noise) there is nothing to choose and no fold is fitted.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

from zhudai.exceptions import InvalidInputError
from zhudai.scorecard.binning import Binner
from zhudai.scorecard.regularisation import CV_SEED, fit_ridge_logit
from zhudai.scorecard.selection import IV_NOISE_STAT, FeatureSelector, auto_min_iv

NOISE_STAT_GRID = (IV_NOISE_STAT, 15.0, 8.0, 4.0)  # first: the fixed level it replaces
NOISE_STAT_FOLDS = 3
NOISE_STAT_MAX_ROWS = 50_000  # larger tables are cross-validated on a stratified sample
NOISE_STAT_C = 1.0  # the fold models' L2 strength (C barely moves fits of thousands of rows)


def _kept(selector: FeatureSelector, stat: float, woe, y, iv, missing) -> list[str]:
    chosen = copy.deepcopy(selector)
    chosen.iv_noise_stat = stat
    return list(chosen.fit(woe, y, iv, missing).selected_)


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return -float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def choose_noise_stat(
    X: pd.DataFrame,
    y: np.ndarray,
    binner: Binner,
    selector: FeatureSelector,
    grid: tuple[float, ...] = NOISE_STAT_GRID,
) -> tuple[float, dict[float, float]]:
    """The level of ``grid`` with the lowest mean held-out log-loss, and each level's loss.

    ``binner`` and ``selector`` are the card's (fitted or not; copies are refitted per fold);
    Returns ``(grid[0], {})`` when no candidate's IV lies between the levels' floors.
    """
    levels = sorted({float(s) for s in grid}, reverse=True)
    low, high = auto_min_iv(y, levels[-1]), auto_min_iv(y, levels[0])
    if not ((binner.iv_ >= low) & (binner.iv_ < high)).any():  # every level keeps the same
        return levels[0], {}
    if len(y) > NOISE_STAT_MAX_ROWS:
        split = StratifiedShuffleSplit(1, train_size=NOISE_STAT_MAX_ROWS, random_state=CV_SEED)
        rows = np.sort(next(split.split(X, y))[0])
        X, y = X.iloc[rows], y[rows]
    loss = dict.fromkeys(levels, 0.0)
    folds = StratifiedKFold(NOISE_STAT_FOLDS, shuffle=True, random_state=CV_SEED)
    for fit_rows, held_out in folds.split(X, y):
        fold_binner = copy.deepcopy(binner).fit(X.iloc[fit_rows], y[fit_rows])
        w_fit = fold_binner.transform(X.iloc[fit_rows])
        w_out = fold_binner.transform(X.iloc[held_out])
        fold_missing = X.iloc[fit_rows].isna().mean()
        for s in levels:
            try:
                cols = _kept(selector, s, w_fit, y[fit_rows], fold_binner.iv_, fold_missing)
            except InvalidInputError:  # nothing passed in this fold at this level
                loss[s] = np.inf
                continue
            beta = fit_ridge_logit(w_fit[cols].to_numpy(), y[fit_rows], NOISE_STAT_C)
            p = 1 / (1 + np.exp(-np.clip(beta[0] + w_out[cols].to_numpy() @ beta[1:], -30, 30)))
            loss[s] += _log_loss(y[held_out], p) / NOISE_STAT_FOLDS
    best = min(levels, key=lambda s: (loss[s], -s))
    return best, loss
