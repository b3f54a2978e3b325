"""Probability calibration (Platt scaling or isotonic), stored as plain numbers.

Fit on rows the model did not train on; the mapping is saved in the model's JSON and applied
after the model's own PD, so a scorecard's points are unchanged by calibration.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from zhudai.exceptions import InvalidInputError, NotFittedError
from zhudai.scorecard.metrics import check_target

METHODS = ("platt", "isotonic")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


class Calibrator:
    """Map raw PDs to calibrated PDs.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> raw = rng.random(4000)
    >>> y = (rng.random(4000) < raw**2).astype(int)  # raw PDs are too high
    >>> cal = Calibrator("isotonic").fit(raw, y)
    >>> bool(abs(cal.transform(raw).mean() - y.mean()) < 0.01)
    True
    """

    def __init__(self, method: str = "platt") -> None:
        self.method = method

    params_: dict[str, Any]

    def fit(self, pd_raw, y) -> Calibrator:
        if self.method not in METHODS:
            raise InvalidInputError("calibration", f"must be one of {METHODS}; got {self.method!r}")
        yy = check_target(y)
        p = np.asarray(pd_raw, dtype=float)
        if self.method == "platt":
            lr = LogisticRegression(C=1e6).fit(_logit(p)[:, None], yy)
            self.params_ = {"a": float(lr.coef_[0, 0]), "b": float(lr.intercept_[0])}
        else:
            iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-6, y_max=1 - 1e-6).fit(p, yy)
            self.params_ = {"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}
        return self

    def _check(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError("Calibrator is not fitted yet")

    def transform(self, pd_raw) -> np.ndarray:
        self._check()
        p = np.asarray(pd_raw, dtype=float)
        if self.method == "platt":
            return 1 / (1 + np.exp(-(self.params_["a"] * _logit(p) + self.params_["b"])))
        return np.interp(p, self.params_["x"], self.params_["y"])

    def one(self, p: float) -> float:
        """Calibrate one PD without numpy arrays (single-row scoring path)."""
        if self.method == "platt":
            q = min(max(p, 1e-9), 1 - 1e-9)
            z = self.params_["a"] * math.log(q / (1 - q)) + self.params_["b"]
            return 1 / (1 + math.exp(-z))
        xs, ys = self.params_["x"], self.params_["y"]
        i = bisect_right(xs, p)
        if i == 0:
            return ys[0]
        if i == len(xs):
            return ys[-1]
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 + (y1 - y0) * (p - x0) / (x1 - x0) if x1 > x0 else y1

    def to_dict(self) -> dict[str, Any]:
        self._check()
        return {"method": self.method, **self.params_}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibrator:
        cal = cls(d["method"])
        cal.params_ = {k: v for k, v in d.items() if k != "method"}
        return cal
