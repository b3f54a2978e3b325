"""The fraud model: an isolation forest for strangeness plus gradient boosting on fraud labels.

The isolation forest needs no labels, so it also sees fraud patterns nobody has labelled yet;
two LightGBM heads learn from confirmed fraud and from known ring members. Both
are compiled to flat arrays (:mod:`zhudai.trees`) so that one application scores in well
under a millisecond, and saved as JSON + ``.npz`` (no pickle).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from zhudai.exceptions import InvalidInputError, NotFittedError
from zhudai.fraud.signals import MODEL_FEATURES, FraudThresholds
from zhudai.trees import (
    TreeEnsemble,
    from_isolation_forest,
    from_lightgbm,
    load_ensembles,
    save_ensembles,
    shifted,
    stack,
)

_FORMAT = "zhudai.fraud.model/1"

_PARAMS: dict[str, tuple[type[int] | type[float], float, float]] = {
    # name: (type, lowest, highest) — the one declaration of every parameter's constraint
    "n_estimators": (int, 1, 5000),
    "num_leaves": (int, 2, 1024),
    "max_depth": (int, 1, 16),
    "learning_rate": (float, 1e-4, 1.0),
    "anomaly_trees": (int, 1, 1000),
    "random_state": (int, 0, 2**32 - 1),
}


class FraudModel:
    """Supervised fraud probability plus an unsupervised anomaly score, from fraud signals.

    Parameters
    ----------
    n_estimators, num_leaves, max_depth, learning_rate : LightGBM settings (depth is capped
        so the compiled walk stays short).
    anomaly_trees : int
        Trees of the isolation forest.
    random_state : int
    features : tuple of str, optional
        Signal names used as inputs; defaults to :data:`zhudai.fraud.signals.MODEL_FEATURES`.
    """

    def __init__(
        self,
        n_estimators: int = 120,
        num_leaves: int = 15,
        max_depth: int = 5,
        learning_rate: float = 0.08,
        anomaly_trees: int = 64,
        random_state: int = 0,
        features: tuple[str, ...] = MODEL_FEATURES,
    ) -> None:
        self.n_estimators = n_estimators
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.anomaly_trees = anomaly_trees
        self.random_state = random_state
        self.features = features

    def _validate_params(self) -> None:
        for name, (kind, lo, hi) in _PARAMS.items():
            value = getattr(self, name)
            ok = isinstance(value, kind) and not isinstance(value, bool)
            if not ok or not lo <= float(value) <= hi:
                raise InvalidInputError(
                    name, f"must be a {kind.__name__} in [{lo:g}, {hi:g}]; got {value!r}"
                )

    def fit(self, X: Any, y: Any, ring: Any = None) -> FraudModel:
        """Fit on signals ``X`` (columns ``features``), 0/1 fraud labels ``y`` and, optionally,
        0/1 ring-member labels ``ring`` (a second head; without it ``ring_member_score`` is 0).
        """
        from sklearn.ensemble import IsolationForest

        self._validate_params()
        matrix = self._matrix(X)
        labels = np.asarray(y, dtype=np.int64)
        if labels.shape != (len(matrix),):
            raise InvalidInputError(
                "y", f"needs one label per row ({len(matrix)}); got {labels.shape}"
            )
        if set(np.unique(labels)) != {0, 1}:
            raise InvalidInputError("y", "must hold both classes 0 and 1")
        forest = IsolationForest(
            n_estimators=self.anomaly_trees,
            max_samples=min(128, len(matrix)),  # trees of depth 7: a short live walk
            random_state=self.random_state,
        )
        forest.fit(matrix)
        self.anomaly_, self.anomaly_norm_ = from_isolation_forest(forest)
        inputs = matrix
        self.supervised_ = self._boost(inputs, labels)
        self.ring_: TreeEnsemble | None = None
        if ring is not None:
            ring_labels = np.asarray(ring, dtype=np.int64)
            if ring_labels.shape != labels.shape or set(np.unique(ring_labels)) != {0, 1}:
                raise InvalidInputError("ring", "needs one 0/1 label per row, both classes present")
            self.ring_ = self._boost(inputs, ring_labels)
        self._stack_heads()
        self.fraud_rate_ = float(labels.mean())
        # Cut-offs that go with the model: the untuned defaults until the trainer sets them
        # on held-out data (zhudai.fraud.evaluation); saved and loaded with the model.
        defaults = FraudThresholds()
        self.threshold_ = defaults.fraud_score
        self.review_threshold_ = defaults.fraud_score_review
        self.ring_threshold_ = defaults.ring_member_score
        return self

    def cutoffs(self) -> dict[str, float]:
        """The model's cut-offs by :class:`~zhudai.fraud.signals.FraudThresholds` field:
        ``fraud_score`` (block), ``fraud_score_review`` (review band), ``ring_member_score``.
        ``zhudai.fraud.thresholds_for(model)`` puts them into the engine's thresholds."""
        self._check_fitted()
        return {
            "fraud_score": float(self.threshold_),
            "fraud_score_review": float(min(self.review_threshold_, self.threshold_)),
            "ring_member_score": float(self.ring_threshold_),
        }

    def _stack_heads(self) -> None:
        # Every tree of the three heads in one ensemble, so the live path walks once; the
        # forest reads a float32-rounded copy of the inputs placed after the float64 ones.
        forest = shifted(self.anomaly_, len(self.features))
        heads = [self.supervised_] + ([self.ring_] if self.ring_ is not None else []) + [forest]
        self.heads_ = stack(*heads)

    def _boost(self, inputs: np.ndarray, labels: np.ndarray) -> TreeEnsemble:
        import lightgbm as lgb

        booster = lgb.LGBMClassifier(
            n_estimators=self.n_estimators,
            num_leaves=self.num_leaves,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            random_state=self.random_state,
            n_jobs=1,  # OpenMP threads spin-wait on a shared box: one thread is faster here
            verbose=-1,
        ).fit(inputs, labels)
        return from_lightgbm(booster.booster_)

    def _matrix(self, X: Any) -> np.ndarray:
        if hasattr(X, "columns"):
            missing = [f for f in self.features if f not in X.columns]
            if missing:
                raise InvalidInputError("X", f"missing signal columns {missing[:5]}")
            X = X[list(self.features)].to_numpy()
        matrix = np.asarray(X, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[1] != len(self.features):
            raise InvalidInputError(
                "X", f"must have {len(self.features)} columns; got {matrix.shape}"
            )
        return np.nan_to_num(matrix, nan=-1.0, posinf=1e9, neginf=-1e9)

    def _anomaly(self, path_sum: np.ndarray | float) -> Any:
        # IsolationForest's score: 2^(-mean path / c(n)), in (0, 1], higher is stranger.
        return 2.0 ** (-np.asarray(path_sum) / self.anomaly_norm_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "supervised_"):
            raise NotFittedError("FraudModel is not fitted; call fit() or FraudModel.load()")

    def score(self, X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(fraud probability, anomaly score, ring-member probability)`` per row."""
        self._check_fitted()
        matrix = self._matrix(X)
        anomaly = self._anomaly(self.anomaly_.decision_sum(matrix))
        fraud = 1.0 / (1.0 + np.exp(-self.supervised_.decision_sum(matrix)))
        ring = np.zeros(len(matrix))
        if self.ring_ is not None:
            ring = 1.0 / (1.0 + np.exp(-self.ring_.decision_sum(matrix)))
        return fraud, anomaly, ring

    def score_one(self, values: np.ndarray) -> tuple[float, float, float]:
        """``(fraud, anomaly, ring-member)`` scores of one row of ``features`` (live path)."""
        self._check_fitted()
        x = np.asarray(values, dtype=np.float64)
        if not np.isfinite(x).all():  # the same cleaning as in training, only when needed
            x = np.nan_to_num(x, nan=-1.0, posinf=1e9, neginf=-1e9)
        leaves = self.heads_.leaf_values_one(np.concatenate([x, x.astype(np.float32)]))
        n_fraud = len(self.supervised_.roots)
        n_boosted = n_fraud + (0 if self.ring_ is None else len(self.ring_.roots))
        fraud = 1.0 / (1.0 + math.exp(-float(leaves[:n_fraud].sum())))
        ring = 0.0
        if self.ring_ is not None:
            ring = 1.0 / (1.0 + math.exp(-float(leaves[n_fraud:n_boosted].sum())))
        anomaly = float(self._anomaly(float(leaves[n_boosted:].sum())))
        return fraud, anomaly, ring

    def save(self, folder: str | Path) -> Path:
        """Write ``model.json`` (parameters, features, cut-offs) and ``trees.npz`` to ``folder``."""
        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": _FORMAT,
            "params": {k: getattr(self, k) for k in _PARAMS},
            "features": list(self.features),
            "anomaly_norm": self.anomaly_norm_,
            "fraud_rate": self.fraud_rate_,
            "threshold": self.threshold_,
            "review_threshold": self.review_threshold_,
            "ring_threshold": self.ring_threshold_,
            "ring_head": self.ring_ is not None,
        }
        (folder / "model.json").write_text(json.dumps(meta, indent=1))
        heads = {"supervised": self.supervised_, "anomaly": self.anomaly_}
        if self.ring_ is not None:
            heads["ring"] = self.ring_
        save_ensembles(folder / "trees.npz", **heads)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> FraudModel:
        """Read a model written by :meth:`save`."""
        folder = Path(folder)
        meta = json.loads((folder / "model.json").read_text())
        if meta.get("format") != _FORMAT:
            raise InvalidInputError("model", f"{folder} is not a {_FORMAT} model")
        model = cls(**meta["params"], features=tuple(meta["features"]))
        heads = load_ensembles(folder / "trees.npz", "supervised", "anomaly")
        model.supervised_, model.anomaly_ = heads
        model.ring_ = load_ensembles(folder / "trees.npz", "ring")[0] if meta["ring_head"] else None
        model._stack_heads()
        model.anomaly_norm_ = float(meta["anomaly_norm"])
        model.fraud_rate_ = float(meta["fraud_rate"])
        model.threshold_ = float(meta["threshold"])
        # saved before the review band existed: no band (review cut-off = block cut-off)
        model.review_threshold_ = float(meta.get("review_threshold", meta["threshold"]))
        model.ring_threshold_ = float(meta["ring_threshold"])
        return model
