"""Loaded models that satisfy :class:`zhudai.decision.model_contract.ScoringModel`.

Each is built from the JSON metadata of a registry artefact (and, for boosters, the booster's
own text/JSON file). The single-row methods avoid pandas: a scorecard row is scored from
precomputed Python lists with ``bisect`` (a few microseconds), a LightGBM booster by walking
its trees compiled to flat arrays (:mod:`zhudai.trees`: some 30 us where ``Booster.predict``
costs 200 us of call overhead), an MLP by a numpy forward pass.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from zhudai.exceptions import InvalidInputError
from zhudai.scorecard.binning import VariableBins, code_number
from zhudai.scorecard.calibration import Calibrator
from zhudai.scorecard.points import RiskGrades, Scaling
from zhudai.trees import TreeEnsemble, from_lightgbm

NA = pd.NA


class _Runtime:
    """What every loaded model shares: identity, features, calibration and grades."""

    model_type = ""

    def __init__(self, meta: Mapping[str, Any]) -> None:
        self.meta = dict(meta)
        self.name: str = meta["name"]
        self.version: str = meta["version"]
        self.kind: str = meta["kind"]
        self.features: Sequence[str] = tuple(meta["features"])
        cal = meta.get("calibration")
        self.calibrator = Calibrator.from_dict(cal) if cal else None
        grades = meta.get("grades")
        self.grades = (
            RiskGrades(tuple(grades["cutoffs"]), tuple(grades["labels"])) if grades else None
        )

    def _calibrate_one(self, p: float) -> float:
        return self.calibrator.one(p) if self.calibrator is not None else p

    def _calibrate(self, p: np.ndarray) -> np.ndarray:
        return self.calibrator.transform(p) if self.calibrator is not None else p

    def _check_frame(self, frame: pd.DataFrame) -> None:
        absent = [f for f in self.features if f not in frame.columns]
        if absent:
            raise InvalidInputError("data", f"lacks model features {absent[:5]}")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} v{self.version} kind={self.kind} features={len(self.features)}>"


class ScorecardModel(_Runtime):
    """A WOE logistic-regression scorecard in points (higher = safer)."""

    model_type = "scorecard"

    def __init__(self, meta: Mapping[str, Any]) -> None:
        super().__init__(meta)
        self.scaling = Scaling(
            **{k: meta["scaling"][k] for k in ("base_score", "base_odds", "pdo")}
        )
        self.base_points = float(meta["base_points"])
        self.bins = {f: VariableBins.from_dict(meta["bins"][f]) for f in self.features}
        self.points = {f: np.asarray(meta["bins"][f]["points"], dtype=float) for f in self.features}
        self._factor, self._offset = self.scaling.factor, self.scaling.offset
        self._rows = [self._row_spec(f) for f in self.features]
        self._best = {f: float(p.max()) for f, p in self.points.items()}

    def _row_spec(self, f: str) -> tuple:
        b, pts = self.bins[f], self.points[f].tolist()
        special = {c: pts[b.special_index] for c in b.special_codes}
        # code columns look values up as numbers (1, 1.0 and numpy's 1 hash alike)
        cats = {(float(c) if b.codes else c): pts[i] for i, g in enumerate(b.groups) for c in g}
        if b.unseen == "missing":
            unseen: float | None = pts[b.missing_index]
        elif b.unseen == "other":
            unseen = pts[b.special_index]
        else:
            unseen = None
        kind = "codes" if b.codes else b.dtype
        return (f, kind, b.splits, pts, special, pts[b.missing_index], cats, unseen)

    def points_one(self, row: Mapping[str, Any]) -> list[float]:
        """Points of each feature for one row, in ``features`` order."""
        out = []
        get = row.get
        for name, kind, splits, pts, special, missing, cats, unseen in self._rows:
            v = get(name)
            if v is None or v is NA or v != v:  # None, pandas NA and NaN are missing
                out.append(missing)
            elif kind == "numeric":
                if special and v in special:
                    out.append(special[v])
                else:
                    try:
                        out.append(pts[bisect_right(splits, v)])
                    except TypeError:
                        raise InvalidInputError(name, f"must be a number; got {v!r}") from None
            else:
                if kind == "codes":
                    p = cats.get(code_number(name, v))
                else:
                    p = cats.get(v if type(v) is str else str(v))
                if p is None:
                    if unseen is None:
                        raise InvalidInputError(name, f"unseen category {v!r}")
                    p = unseen
                out.append(p)
        return out

    def score_one(self, row: Mapping[str, Any]) -> float:
        return self.base_points + sum(self.points_one(row))

    def predict_pd_one(self, row: Mapping[str, Any]) -> float:
        s = self.base_points + sum(self.points_one(row))
        return self._calibrate_one(1.0 / (1.0 + math.exp((s - self._offset) / self._factor)))

    def reasons_one(self, row: Mapping[str, Any], k: int = 3) -> list[tuple[str, float]]:
        """Features that lost the most points against their best bin, worst first."""
        lost = [
            (f, self._best[f] - p) for f, p in zip(self.features, self.points_one(row), strict=True)
        ]
        lost = [r for r in lost if r[1] > 1e-9]
        lost.sort(key=lambda r: -r[1])
        return lost[:k]

    def grade_one(self, row: Mapping[str, Any]) -> str | None:
        return self.grades.grade(self.score_one(row)) if self.grades else None

    def points_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Points of each feature for every row (vectorised)."""
        self._check_frame(frame)
        return pd.DataFrame(
            {f: self.points[f][self.bins[f].indices(frame[f])] for f in self.features},
            index=frame.index,
        )

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Points of every row."""
        return self.base_points + self.points_frame(frame).to_numpy().sum(axis=1)

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        return self._calibrate(self.scaling.pd_from_score(self.score(frame)))

    def table(self) -> pd.DataFrame:
        """The scorecard table: one row per feature bin with its statistics and points."""
        parts = []
        for f in self.features:
            t = self.bins[f].table()
            t["points"] = self.points[f]
            parts.append(t)
        return pd.concat(parts, ignore_index=True)


class _Encoded(_Runtime):
    """Models fed a numeric matrix: raw numeric features, WOE for categorical ones."""

    def __init__(self, meta: Mapping[str, Any]) -> None:
        super().__init__(meta)
        self.encoding: dict[str, str] = dict(meta["encoding"])  # feature -> "raw" | "woe"
        self.bins = {f: VariableBins.from_dict(meta["bins"][f]) for f in self.features}
        self._woe = {f: self.bins[f].woe.tolist() for f in self.features}
        self._woe_features = frozenset(f for f in self.features if self.encoding[f] == "woe")

    def _value_one(self, f: str, v: Any) -> float:
        if f in self._woe_features:
            return self._woe[f][self.bins[f].index_one(v)]
        if v is None or v is NA or v != v:
            return math.nan
        try:
            return float(v)
        except (TypeError, ValueError):
            raise InvalidInputError(f, f"must be a number; got {v!r}") from None

    def matrix_one(self, row: Mapping[str, Any]) -> np.ndarray:
        value, get = self._value_one, row.get
        return np.array([[value(f, get(f)) for f in self.features]], dtype=np.float64)

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        self._check_frame(frame)
        cols = []
        for f in self.features:
            if self.encoding[f] == "woe":
                cols.append(self.bins[f].woe[self.bins[f].indices(frame[f])])
            else:
                numbers = pd.to_numeric(frame[f], errors="coerce")
                cols.append(numbers.to_numpy(dtype=float, na_value=np.nan))
        return np.column_stack(cols) if cols else np.zeros((len(frame), 0))

    def score_one(self, row: Mapping[str, Any]) -> float | None:
        return None


class BoosterModel(_Encoded):
    """An XGBoost or LightGBM booster loaded from its own JSON/text model file."""

    model_type = "booster"

    def __init__(self, meta: Mapping[str, Any], booster: Any) -> None:
        super().__init__(meta)
        self.engine: str = meta["engine"]
        self.booster = booster
        self._trees: TreeEnsemble | None = None
        self._sigmoid = 1.0
        if booster is not None and self.engine == "xgb":
            booster.set_param({"nthread": 1})  # one row never pays for a thread pool
        elif booster is not None:
            self._trees, self._sigmoid = _compiled_binary(booster)

    def _raw(self, x: np.ndarray) -> np.ndarray:
        if self.engine == "xgb":
            return np.asarray(self.booster.inplace_predict(x), dtype=float)
        return np.asarray(self.booster.predict(x, num_threads=1 if len(x) == 1 else 0), dtype=float)

    def predict_pd_one(self, row: Mapping[str, Any]) -> float:
        x = self.matrix_one(row)
        if self._trees is None:
            return self._calibrate_one(float(self._raw(x)[0]))
        margin = self._trees.decision_one(x[0])
        return self._calibrate_one(1.0 / (1.0 + math.exp(-self._sigmoid * margin)))

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        return self._calibrate(self._raw(self.matrix(frame)))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Per-feature log-odds contributions (TreeSHAP), bias column dropped."""
        if self.engine == "xgb":
            import xgboost as xgb

            out = self.booster.predict(xgb.DMatrix(x, missing=np.nan), pred_contribs=True)
        else:
            out = self.booster.predict(x, pred_contrib=True)
        return np.asarray(out)[:, :-1]

    def reasons_one(self, row: Mapping[str, Any], k: int = 3) -> list[tuple[str, float]]:
        """Features pushing the log-odds of bad up the most, worst first."""
        contrib = self.contributions(self.matrix_one(row))[0]
        ranked = sorted(
            ((f, float(c)) for f, c in zip(self.features, contrib, strict=True) if c > 0),
            key=lambda r: -r[1],
        )
        return ranked[:k]


def _compiled_binary(booster: Any) -> tuple[TreeEnsemble | None, float]:
    """A LightGBM binary booster's trees and sigmoid scale, or ``(None, 1.0)`` if its objective
    or splits cannot be compiled (it is then scored by ``Booster.predict``)."""
    objective = str(booster.dump_model().get("objective", "")).split()
    if not objective or objective[0] != "binary":
        return None, 1.0
    params = dict(p.split(":", 1) for p in objective[1:] if ":" in p)
    try:
        return from_lightgbm(booster), float(params.get("sigmoid", 1.0))
    except InvalidInputError:
        return None, 1.0


class MLPModel(_Encoded):
    """A multi-layer perceptron (ReLU hidden layers, logistic output) from its weight arrays."""

    model_type = "mlp"

    def __init__(
        self, meta: Mapping[str, Any], weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]
    ) -> None:
        super().__init__(meta)
        self.weights = [np.asarray(w, dtype=float) for w in weights]
        self.biases = [np.asarray(b, dtype=float) for b in biases]
        self.mean = np.asarray(meta["input_mean"], dtype=float)
        self.scale = np.asarray(meta["input_scale"], dtype=float)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        h = (np.nan_to_num(x, nan=0.0) - self.mean) / self.scale
        for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            h = np.maximum(h @ w + b, 0.0)
        z = h @ self.weights[-1] + self.biases[-1]
        return 1.0 / (1.0 + np.exp(-z[:, 0]))

    def predict_pd_one(self, row: Mapping[str, Any]) -> float:
        return self._calibrate_one(float(self._forward(self.matrix_one(row))[0]))

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        return self._calibrate(self._forward(self.matrix(frame)))

    def reasons_one(self, row: Mapping[str, Any], k: int = 3) -> list[tuple[str, float]]:
        """Features whose replacement by their training mean lowers the PD the most, worst first."""
        x = self.matrix_one(row)
        base = float(self._forward(x)[0])
        probes = np.repeat(np.nan_to_num(x, nan=0.0), len(self.features), axis=0)
        probes[np.arange(len(self.features)), np.arange(len(self.features))] = self.mean
        drop = base - self._forward(probes)
        ranked = sorted(
            ((f, float(d)) for f, d in zip(self.features, drop, strict=True) if d > 0),
            key=lambda r: -r[1],
        )
        return ranked[:k]


def points_and_pd(model: Any, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A loaded model's score in points and its PD on ``data``; a model without points (a
    booster) is given the PD on the default points scale (600 at 50:1, PDO 20)."""
    pd_bad = np.asarray(model.predict_pd(data), dtype=float)
    if isinstance(model, ScorecardModel):
        return np.asarray(model.score(data), dtype=float), pd_bad
    return Scaling().score_from_pd(np.clip(pd_bad, 1e-12, 1 - 1e-12)), pd_bad
