"""Choosing the logistic regression's L2 strength by cross-validation on the training rows.

A scorecard's logistic regression is fitted on a few hundred to a few million rows; a fixed
``C`` under-regularises small tables and does not matter on large ones. ``choose_c`` picks
``C`` from a short log-spaced grid by the mean held-out log-loss of stratified k-fold
cross-validation on the rows it is given (the training rows only: the test sample never
enters). Log-loss, a proper scoring rule, is less noisy on small folds than AUC or KS.
The fold models (grid size x folds of them) are fitted by a few Newton steps on the handful of
WOE columns, each warm-started from the previous (stronger-penalty) solution, which costs far
less than a general solver and solves the same problem.

``C`` is the prior variance of the coefficients (the penalty ``0.5 * |w|^2 / C`` does not grow
with the rows), so a ``C`` chosen on a stratified sample of ``CV_MAX_ROWS`` rows carries over
to a larger table; on such tables the penalty barely moves the fit anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
CV_SEED = 0  # fixed fold assignment: the same training rows always give the same C
CV_MAX_ROWS = 10_000  # larger tables are cross-validated on a stratified sample of this size


def fit_ridge_logit(
    x: np.ndarray,
    y: np.ndarray,
    C: float,
    start: np.ndarray | None = None,
    iterations: int = 100,
    sample_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Intercept and coefficients of an L2-penalised logistic regression, by Newton-Raphson.

    Minimises ``0.5 * |w|^2 + C * log-loss`` with the intercept unpenalised: scikit-learn's
    ``LogisticRegression(C=C)`` objective (``sample_weight`` multiplies each row's log-loss
    there and here), so both give the same model. The penalty keeps the
    Hessian positive definite, so plain Newton steps converge in a few iterations; ``start``
    (intercept and coefficients) warm-starts them.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 2))
    >>> y = (rng.random(500) < 1 / (1 + np.exp(-(0.5 + x[:, 0])))).astype(int)
    >>> b = fit_ridge_logit(x, y, C=1.0)  # intercept, then one coefficient per column
    >>> bool(abs(b[1] - 1.0) < 0.2 and abs(b[2]) < 0.2)
    True
    """
    a = np.column_stack([np.ones(len(x)), x])
    penalty = np.eye(a.shape[1]) / C
    penalty[0, 0] = 0.0
    beta = np.zeros(a.shape[1]) if start is None else np.array(start, dtype=float)
    w = np.ones(len(y)) if sample_weight is None else sample_weight
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(a @ beta, -30, 30)))
        gradient = a.T @ (w * (p - y)) + penalty @ beta
        hessian = a.T @ (a * (w * p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def choose_c(
    x: np.ndarray,
    y: np.ndarray,
    grid: Sequence[float] = C_GRID,
    folds: int = 5,
    seed: int = CV_SEED,
    max_rows: int = CV_MAX_ROWS,
    sample_weight: np.ndarray | None = None,
) -> tuple[float, dict[float, float]]:
    """The ``C`` of ``grid`` with the lowest mean held-out log-loss, and every ``C``'s loss.

    Each fold's model is fitted on the other folds only. Tables of more than ``max_rows`` rows
    are cross-validated on a stratified sample of ``max_rows`` of them. Ties go to the smaller ``C``
    (stronger regularisation). ``sample_weight`` weighs each row in the fits and in the held-out
    loss (a weighted mean). With fewer rows of a class than ``folds``, the folds shrink to
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
    if len(y) > max_rows:
        keep = next(StratifiedShuffleSplit(1, train_size=max_rows, random_state=seed).split(x, y))[
            0
        ]
        keep = np.sort(keep)
        x, y = x[keep], y[keep]
        sample_weight = None if sample_weight is None else sample_weight[keep]
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    k = min(folds, int(np.bincount(y, minlength=2).min()))
    if k < 2:
        return float(max(grid)), {}
    splitter = StratifiedKFold(k, shuffle=True, random_state=seed)
    loss = dict.fromkeys((float(c) for c in grid), 0.0)
    for fit_rows, held_out in splitter.split(x, y):
        beta = None
        for c in sorted(loss):
            beta = fit_ridge_logit(
                x[fit_rows], y[fit_rows], c, start=beta, sample_weight=w[fit_rows]
            )
            p = 1 / (1 + np.exp(-np.clip(beta[0] + x[held_out] @ beta[1:], -30, 30)))
            p = np.clip(p, 1e-12, 1 - 1e-12)
            yo, wo = y[held_out], w[held_out]
            fold_loss = np.average(yo * np.log(p) + (1 - yo) * np.log(1 - p), weights=wo)
            loss[c] -= float(fold_loss) / k
    best = min(loss, key=lambda c: (loss[c], c))
    return best, loss
