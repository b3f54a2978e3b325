"""The modelling pipeline behind ``zhudai card train`` and the demo stage.

Read a table, split it into train / test (stratified) and an optional out-of-time sample,
fit the chosen model, measure it on every sample and write the artefact directory with its
report, Excel table and (for scorecards) SQL. ``test_size=0`` fits on every development row
and keeps no test sample (the metrics say ``"test": null``); ``test_data`` is a separate table
to test on, and then every development row is fitted as well.

Candidate features are every column except the target, the time column, id columns (named
``id`` or ending in ``_id``), datetime columns and ``exclude``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from zhudai.exceptions import InvalidInputError
from zhudai.scorecard import metrics
from zhudai.scorecard.calibration import METHODS, Calibrator
from zhudai.scorecard.models import GradientBoostedModel, NeuralModel
from zhudai.scorecard.points import Scaling
from zhudai.scorecard.registry import data_hash, load_model, save_model
from zhudai.scorecard.runtime import ScorecardModel
from zhudai.scorecard.scorecard import Scorecard

MODELS = ("lr", "xgb", "lgbm", "mlp")
CARD_KINDS = ("A", "B", "C")
DEFAULT_TEST_SIZE = 0.3  # share of development rows held out when no test table is given


def id_columns(frame: pd.DataFrame) -> list[str]:
    """Columns that identify rows rather than describe them (``id`` or ``*_id``)."""
    return [c for c in frame.columns if str(c).lower() == "id" or str(c).lower().endswith("_id")]


def candidate_features(
    frame: pd.DataFrame, target: str, time_col: str | None, exclude: Sequence[str]
) -> list[str]:
    """The columns a model may use (see the module docstring)."""
    skip = {target, *(exclude or ()), *id_columns(frame)}
    if time_col:
        skip.add(time_col)
    return [
        c
        for c in frame.columns
        if c not in skip and not pd.api.types.is_datetime64_any_dtype(frame[c])
    ]


@dataclass
class Sample:
    """One evaluation sample: its rows, target and the model's PD (and score for cards)."""

    X: pd.DataFrame
    y: np.ndarray
    pd: np.ndarray = field(default_factory=lambda: np.zeros(0))
    score: np.ndarray | None = None


@dataclass
class TrainResult:
    """A fitted model, its artefact metadata and files, and its evaluation samples."""

    estimator: Any
    model: Any
    meta: dict[str, Any]
    files: dict[str, Any]
    samples: dict[str, Sample]
    metrics: dict[str, Any]


def _split(
    frame: pd.DataFrame,
    y: np.ndarray,
    time_col: str | None,
    oot_from: str | None,
    test_size: float,
    seed: int,
) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    parts: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
    dev = np.ones(len(frame), dtype=bool)
    if (time_col is None) != (oot_from is None):
        raise InvalidInputError("oot_from", "needs --time-col and --oot-from together")
    if time_col is not None:
        if time_col not in frame.columns:
            raise InvalidInputError("time_col", f"column {time_col!r} is not in the data")
        when = pd.to_datetime(frame[time_col], errors="coerce")
        try:
            cut = pd.Timestamp(str(oot_from))
        except ValueError:
            raise InvalidInputError("oot_from", f"must be a date; got {oot_from!r}") from None
        dev = (when < cut).to_numpy()
        oot = ~dev & when.notna().to_numpy()
        if oot.sum() == 0 or dev.sum() == 0:
            raise InvalidInputError(
                "oot_from",
                f"{oot_from} leaves {int(dev.sum())} development and {int(oot.sum())} out-of-time rows",
            )
        metrics.check_target(y[oot], "target (out-of-time sample)")
        parts["oot"] = (frame[oot], y[oot])
    idx = np.flatnonzero(dev)
    metrics.check_target(y[idx], "target (development sample)")
    if test_size == 0:
        return {"train": (frame.iloc[idx], y[idx]), **parts}
    if min(np.bincount(y[idx], minlength=2)) < 2:
        raise InvalidInputError(
            "target", "needs at least 2 goods and 2 bads to split train and test"
        )
    tr, te = train_test_split(idx, test_size=test_size, stratify=y[idx], random_state=seed)
    parts = {"train": (frame.iloc[tr], y[tr]), "test": (frame.iloc[te], y[te]), **parts}
    return parts


def _held_out_share(test_size: float | None, test_data: pd.DataFrame | None) -> float:
    """The share of development rows to hold out: 0 when a test table is given."""
    if test_size is None:
        return 0.0 if test_data is not None else DEFAULT_TEST_SIZE
    if isinstance(test_size, bool) or not 0 <= test_size < 1:
        raise InvalidInputError("test_size", f"must be in [0, 1); got {test_size}")
    if test_data is not None and test_size != 0:
        raise InvalidInputError(
            "test_size",
            f"must be 0 or left out with a test table (every development row is fitted); "
            f"got {test_size}",
        )
    return float(test_size)


def _check_test_table(test_data: pd.DataFrame, target: str) -> np.ndarray:
    """The target of the given test table, checked before any fitting."""
    if target not in test_data.columns:
        raise InvalidInputError("test_data", f"lacks the target column {target!r}")
    return metrics.check_target(test_data[target], "test_data")


def _check_test_features(test_data: pd.DataFrame, features: Sequence[str]) -> None:
    absent = [f for f in features if f not in test_data.columns]
    if absent:
        raise InvalidInputError(
            "test_data", f"lacks {len(absent)} of the model's features: {absent[:5]}"
        )


def _estimator(model: str, seed: int, scaling: Scaling):
    if model == "lr":
        return Scorecard(
            base_score=scaling.base_score, base_odds=scaling.base_odds, pdo=scaling.pdo
        )
    if model in ("xgb", "lgbm"):
        return GradientBoostedModel(engine=model, random_state=seed)
    return NeuralModel(random_state=seed)


def train(
    frame: pd.DataFrame,
    target: str,
    *,
    model: str = "lr",
    kind: str = "A",
    time_col: str | None = None,
    oot_from: str | None = None,
    exclude: Sequence[str] = (),
    test_size: float | None = None,
    seed: int = 0,
    calibration: str | None = None,
    name: str | None = None,
    estimator: Any = None,
    scaling: Scaling | None = None,
    test_data: pd.DataFrame | None = None,
) -> TrainResult:
    """Fit and evaluate one model; ``estimator`` overrides the default for ``model``.

    ``test_size`` is the stratified share of development rows held out (``None``: 0.3, or 0
    with ``test_data``); 0 fits every development row and keeps no test sample. ``test_data``
    (a table with the target and the model's features) is then the test sample.
    ``scaling`` sets a scorecard's base score, base odds and PDO (default 600, 50:1, 20).
    """
    if model not in MODELS:
        raise InvalidInputError("model", f"must be one of {MODELS}; got {model!r}")
    if kind not in CARD_KINDS:
        raise InvalidInputError("kind", f"must be one of {CARD_KINDS}; got {kind!r}")
    if calibration is not None and calibration not in METHODS:
        raise InvalidInputError("calibration", f"must be one of {METHODS}; got {calibration!r}")
    held_out = _held_out_share(test_size, test_data)
    if target not in frame.columns:
        raise InvalidInputError("target", f"column {target!r} is not in the data")
    y = metrics.check_target(frame[target])
    y_test = _check_test_table(test_data, target) if test_data is not None else None
    features = candidate_features(frame, target, time_col, exclude)
    if not features:
        raise InvalidInputError("data", "has no feature columns besides the target, ids and times")
    parts = _split(frame, y, time_col, oot_from, held_out, seed)
    X_train, y_train = parts["train"]
    fit_X, fit_y, cal_part = X_train[features], y_train, None
    if calibration is not None:
        rows = np.arange(len(y_train))
        fit_rows, cal_rows = train_test_split(
            rows, test_size=0.25, stratify=y_train, random_state=seed
        )
        fit_X, fit_y = X_train[features].iloc[fit_rows], y_train[fit_rows]
        cal_part = (X_train[features].iloc[cal_rows], y_train[cal_rows])
    est = estimator if estimator is not None else _estimator(model, seed, scaling or Scaling())
    est.fit(fit_X, fit_y)
    identity = {"name": name or f"{kind.lower()}card_{model}", "version": "1", "kind": kind}
    meta = est.metadata(**identity)
    if cal_part is not None:
        cal = Calibrator(str(calibration)).fit(est.model_.predict_pd(cal_part[0]), cal_part[1])
        meta["calibration"] = cal.to_dict()
    files: dict[str, Any] = {}
    if isinstance(est, GradientBoostedModel):
        files["booster"] = est.booster_
    elif isinstance(est, NeuralModel):
        files["mlp_weights"] = est.weights_
    runtime = _runtime(meta, est)
    if test_data is not None and y_test is not None:
        _check_test_features(test_data, runtime.features)
        parts = {"train": parts["train"], "test": (test_data, y_test), **parts}
    samples = {}
    for part, (Xp, yp) in parts.items():
        score = runtime.score(Xp) if isinstance(runtime, ScorecardModel) else None
        samples[part] = Sample(Xp, yp, runtime.predict_pd(Xp), score)
    result_metrics = _metrics(model, kind, runtime, samples)
    meta["metrics"] = result_metrics
    meta["roc"] = {part: metrics.roc_points(s.y, s.pd) for part, s in samples.items()}
    meta["target"] = target
    meta["data_hash"] = data_hash(frame)
    meta["training_window"] = _window(frame, time_col, oot_from)
    meta["split"] = {"test_size": held_out, "seed": seed, "stratified": held_out > 0}
    if test_data is not None:
        meta["split"]["test_data"] = {"rows": len(test_data), "data_hash": data_hash(test_data)}
    return TrainResult(est, runtime, meta, files, samples, result_metrics)


def _runtime(meta: dict[str, Any], est: Any):
    """The runtime model for ``meta`` (calibration included), without a disk round trip."""
    from zhudai.scorecard.runtime import BoosterModel, MLPModel

    if isinstance(est, Scorecard):
        return ScorecardModel(meta)
    if isinstance(est, GradientBoostedModel):
        return BoosterModel(meta, est.booster_)
    return MLPModel(meta, *est.weights_)


def _window(
    frame: pd.DataFrame, time_col: str | None, oot_from: str | None
) -> dict[str, Any] | None:
    if time_col is None:
        return None
    when = pd.to_datetime(frame[time_col], errors="coerce")
    cut = pd.Timestamp(str(oot_from))
    dev, oot = when[when < cut], when[when >= cut]
    return {
        "time_column": time_col,
        "development": [str(dev.min().date()), str(dev.max().date())],
        "out_of_time": [str(oot.min().date()), str(oot.max().date())],
    }


def _metrics(model: str, kind: str, runtime: Any, samples: dict[str, Sample]) -> dict[str, Any]:
    out: dict[str, Any] = {"model": model, "kind": kind, "n_features": len(runtime.features)}
    out.update(train=None, test=None)  # "test" stays null when no test sample was kept
    for part, s in samples.items():
        out[part] = metrics.summary(s.y, s.pd)
    train_pd = samples["train"].pd
    out["psi"] = {
        f"train_{part}": round(metrics.psi(train_pd, s.pd), 6)
        for part, s in samples.items()
        if part != "train"
    }
    return out


def write_artifacts(result: TrainResult, out_dir: str | Path) -> dict[str, Path]:
    """Write the model artefact plus ``report.html``, ``scorecard.xlsx`` and ``scorecard.sql``."""
    from zhudai.scorecard.report import write_excel, write_html_report
    from zhudai.scorecard.sql import scorecard_sql

    out = save_model(out_dir, result.meta, **result.files)
    paths = {"model": out, "report": write_html_report(result, out / "report.html")}
    paths["excel"] = write_excel(result, out / "scorecard.xlsx")
    if isinstance(result.model, ScorecardModel):
        paths["sql"] = out / "scorecard.sql"
        paths["sql"].write_text(
            scorecard_sql(result.model, "applicants", tuple(id_columns(result.samples["train"].X)))
            + "\n"
        )
    return paths


def score_table(model_dir: str | Path, data: pd.DataFrame) -> pd.DataFrame:
    """Id columns of ``data`` (or ``row`` numbers if none) with ``score`` and ``pd``.

    A scorecard's ``score`` is its points; for boosters and MLPs it is the PD expressed on the
    default points scale (600 at 50:1 good:bad odds, 20 points to double the odds).
    """
    model = load_model(model_dir)
    ids = id_columns(data)
    out = data[ids].copy() if ids else pd.DataFrame({"row": np.arange(len(data))}, index=data.index)
    pd_bad = model.predict_pd(data)
    if isinstance(model, ScorecardModel):
        out["score"] = model.score(data)
    else:
        out["score"] = Scaling().score_from_pd(np.clip(pd_bad, 1e-12, 1 - 1e-12))
    out["pd"] = pd_bad
    return out.reset_index(drop=True)


def metrics_line(result: TrainResult, out_dir: str | Path | None = None) -> str:
    """The one JSON line ``zhudai card train`` prints."""
    payload = dict(result.metrics)
    if out_dir is not None:
        payload["out"] = str(out_dir)
    return json.dumps(payload, separators=(",", ":"))


def train_latest_out_of_time(
    frame: pd.DataFrame, target: str, time_col: str, oot_share: float, **options: Any
) -> tuple[TrainResult, str]:
    """:func:`train` a WOE + LR card with the latest ``oot_share`` of the rows by
    ``time_col`` (days) kept out of time; also the day the out-of-time sample starts."""
    data = frame.copy()
    data[time_col] = pd.to_datetime(data[time_col])
    oot_from = str(pd.Timestamp(data[time_col].quantile(1 - oot_share)).normalize().date())
    result = train(data, target, model="lr", time_col=time_col, oot_from=oot_from, **options)
    return result, oot_from
