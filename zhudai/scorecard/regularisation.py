"""Choosing the logistic regression's L2 strength by cross-validation on the training rows.

A scorecard's logistic regression is fitted on a few hundred to a few million rows; a fixed
``C`` under-regularises small tables and does not matter on large ones. ``choose_c`` picks
``C`` from a short log-spaced grid by the mean held-out log-loss of stratified k-fold
cross-validation on the rows it is given (the training rows only: the test sample never
enters). Log-loss, a proper scoring rule, is less noisy on small folds than AUC or KS.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
CV_SEED = 0  # fixed fold assignment: the same training rows always give the same C


def choose_c(
    x: np.ndarray,
    y: np.ndarray,
    grid: Sequence[float] = C_GRID,
    folds: int = 5,
    seed: int = CV_SEED,
) -> tuple[float, dict[float, float]]:
    """The ``C`` of ``grid`` with the lowest mean held-out log-loss, and every ``C``'s loss.

    Each fold's model is fitted on the other folds only. Ties go to the smaller ``C``
    (stronger regularisation). With fewer rows of a class than ``folds``, the folds shrink to
    that count; below 2 there is nothing to cross-validate and the largest ``C`` is returned.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(400, 3))
    >>> y = (rng.random(400) < 1 / (1 + np.exp(-x[:, 0]))).astype(int)
    >>> c, losses = choose_c(x, y)
    >>> c in C_GRID and len(losses) == len(C_GRID)
    True
    """
    k = min(folds, int(np.bincount(y, minlength=2).min()))
    if k < 2:
        return float(max(grid)), {}
    splitter = StratifiedKFold(k, shuffle=True, random_state=seed)
    loss = dict.fromkeys((float(c) for c in grid), 0.0)
    for fit_rows, held_out in splitter.split(x, y):
        for c in loss:
            model = LogisticRegression(C=c, max_iter=2000).fit(x[fit_rows], y[fit_rows])
            p = np.clip(model.predict_proba(x[held_out])[:, 1], 1e-12, 1 - 1e-12)
            yo = y[held_out]
            loss[c] -= float(np.mean(yo * np.log(p) + (1 - yo) * np.log(1 - p))) / k
    best = min(loss, key=lambda c: (loss[c], c))
    return best, loss
