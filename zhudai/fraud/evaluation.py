"""Evaluation against ground truth, and training of the fraud model on a labelled world.

This is the one fraud module allowed to read ``DIR/truth/``: fraud labels are what a
supervised fraud model learns from (in production: confirmed fraud cases), and evaluation
compares the live-path verdicts with the truth. The live path (:mod:`zhudai.fraud.engine`,
:mod:`zhudai.fraud.replay`) never imports this module.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from zhudai.exceptions import InvalidInputError
from zhudai.fraud.engine import FraudEngine, thresholds_for
from zhudai.fraud.model import FraudModel
from zhudai.fraud.replay import load_applications, replay
from zhudai.fraud.rings import RingScoreModelFactory
from zhudai.fraud.signals import MODEL_FEATURES
from zhudai.fraud.velocity import InMemoryVelocityStore

# Added to the evaluated seed to get the training world's seed (a different world).
TRAIN_SEED_OFFSET = 1_000_003
# The fraud model's review band reaches down to where, on held-out scores, at least this share
# of the applications at or above the cut-off are fraud.
REVIEW_PRECISION = 0.5
# Labels of each class the fraud model needs: every one of the 3 cut-off folds must learn
# from both classes (stratified folds put at least 2 of each class in each fold's training).
MIN_LABELS_PER_CLASS = 6
# A fraud type the layer stops less than this share of is named weak in the evaluation.
WEAK_RECALL = 0.5


def read_truth(world_dir: str | Path) -> pl.DataFrame:
    """``truth/applications``: application_id, is_fraud, fraud_type, ring_id, probing_device."""
    path = Path(world_dir) / "truth" / "applications.parquet"
    if not path.exists():
        raise InvalidInputError("world", f"{world_dir} has no truth/applications.parquet")
    return pl.read_parquet(
        path, columns=["application_id", "is_fraud", "fraud_type", "ring_id", "probing_device"]
    )


def _cuts(p: np.ndarray) -> np.ndarray:
    """Candidate cut-offs: the scores floored to 3 decimals, so each cut is at or below the
    scores it was chosen for (rounded, a score of 0.9996 made the cut 1.000, which flagged
    nobody, and the search fell back to 0: everyone)."""
    return np.unique(np.floor(p * 1000) / 1000)


def _best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """Cut-off with the best F1 on held-out scores (ties: the higher cut-off)."""
    best, best_f1 = 0.5, -1.0
    for cut in _cuts(p):
        pred = p >= cut
        tp = float(np.sum(pred & (y == 1)))
        f1 = 2 * tp / max(float(pred.sum()) + float(y.sum()), 1.0)
        if f1 >= best_f1:
            best, best_f1 = float(cut), f1
    return best


def _review_threshold(
    y: np.ndarray, p: np.ndarray, block: float, precision: float = REVIEW_PRECISION
) -> float:
    """Lowest cut-off at or below ``block`` whose held-out precision (share of fraud among
    scores at or above it) is still ``precision``; ``block`` itself if none is lower."""
    best = block
    for cut in _cuts(p):
        if cut >= best:
            break
        pred = p >= cut
        if pred.any() and float(np.mean(y[pred])) >= precision:
            best = float(cut)
            break
    return best


def train_fraud_model(
    world_dir: str | Path,
    ring_scorer_factory: RingScoreModelFactory | None = None,
    *,
    until: datetime | None = None,
    **params: Any,
) -> FraudModel:
    """Replay a labelled world without a model, then fit the model on its fraud labels.

    Only applications before ``until`` (all if ``None``) are learned from. The cut-offs
    (``threshold_``, ``ring_threshold_``) maximise F1 on out-of-fold scores (3 folds); the
    returned model is fitted on all of them.
    """
    engine = FraudEngine(
        store=InMemoryVelocityStore(),
        ring_scorer=ring_scorer_factory(Path(world_dir)) if ring_scorer_factory else None,
    )
    results = replay(engine, load_applications(world_dir))
    return fit_on_results(results, world_dir, until=until, **params)


def fit_on_results(
    results: pl.DataFrame,
    world_dir: str | Path | None,
    *,
    until: datetime | None = None,
    labels: pl.DataFrame | None = None,
    **params: Any,
) -> FraudModel:
    """Fit the fraud model on replay ``results`` of a labelled world (see :func:`train_fraud_model`).

    ``labels`` (the columns of :func:`read_truth`, e.g. the fraud cases' verdicts from
    :func:`zhudai.fraud.cases.fraud_labels`) replace the world's ``truth/`` labels."""
    if until is not None:
        results = results.filter(pl.col("applied_at") < until)
    if labels is None:
        if world_dir is None:
            raise InvalidInputError("labels", "give the labels or a labelled world folder")
        labels = read_truth(world_dir)
    key = results.schema["application_id"]
    labels = labels.with_columns(pl.col("application_id").cast(key))
    data = results.join(labels, on="application_id", how="left")
    X = data.select(MODEL_FEATURES).to_pandas()
    y = data["is_fraud"].fill_null(False).cast(pl.Int64).to_numpy()
    ring = data["ring_id"].is_not_null().cast(pl.Int64).to_numpy()
    ring_labels = ring if 0 < ring.sum() < len(ring) else None
    frauds = int(y.sum())
    if min(frauds, len(y) - frauds) < MIN_LABELS_PER_CLASS:
        raise InvalidInputError(
            "labels",
            f"the fraud model needs at least {MIN_LABELS_PER_CLASS} fraudulent and "
            f"{MIN_LABELS_PER_CLASS} legitimate applications to learn from and choose its "
            f"cut-offs on held-out folds; got {frauds} and {len(y) - frauds} (a larger world or "
            "more labelled cases)",
        )
    fraud_oof, ring_oof = _out_of_fold(X, y, ring_labels, params)
    model = FraudModel(**params).fit(X, y, ring_labels)
    model.threshold_ = _best_threshold(y, fraud_oof)
    model.review_threshold_ = _review_threshold(y, fraud_oof, model.threshold_)
    if ring_labels is not None:
        model.ring_threshold_ = _best_threshold(ring, ring_oof)
    return model


def _out_of_fold(
    X: Any, y: np.ndarray, ring: np.ndarray | None, params: dict[str, Any], folds: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of every row from a model that did not learn from it (cut-off selection)."""
    from sklearn.model_selection import StratifiedKFold

    fraud_oof, ring_oof = np.zeros(len(y)), np.zeros(len(y))
    strata = y * 2 + (ring if ring is not None else 0)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train, test in splitter.split(X, np.minimum(strata, 2)):
        fold_ring = ring[train] if ring is not None and 0 < ring[train].sum() < len(train) else None
        fold = FraudModel(**params).fit(X.iloc[train], y[train], fold_ring)
        fraud_oof[test], _, ring_oof[test] = fold.score(X.iloc[test])
    return fraud_oof, ring_oof


def _recall_precision(truth: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    tp = float(np.sum(truth & pred))
    recall = tp / truth.sum() if truth.sum() else float("nan")
    precision = tp / pred.sum() if pred.sum() else float("nan")
    return recall, precision


def attempts_to_catch(data: pl.DataFrame, rule_only: bool = False) -> list[float]:
    """Per probing device: the attempt (1-based, time order) first flagged; ``inf`` if never.

    Flagged means a fraud verdict or the probing rule; with ``rule_only``, the probing rule.
    """
    out = []
    probing = data.filter(pl.col("probing_device").fill_null(False))
    for _, group in probing.sort(["applied_at", "application_id"]).group_by(
        "device_id", maintain_order=True
    ):
        hit = group["probing_pred"] if rule_only else group["probing_pred"] | group["is_fraud_pred"]
        flagged = np.flatnonzero(hit.to_numpy())
        out.append(float(flagged[0] + 1) if len(flagged) else math.inf)
    return out


def metrics(
    results: pl.DataFrame,
    world_dir: str | Path,
    ring_threshold: float,
    since: datetime | None = None,
    ring_column: str = "ring_member_score",
) -> dict[str, Any]:
    """Recall and precision of the live verdicts against truth, and probing catch speed.

    A ring member is predicted when ``ring_column`` (the model's ring-member score, or the
    graph's ``ring_score``) reaches ``ring_threshold`` at any of the customer's applications,
    scored at decision time. With ``since``, only applications from then on count.
    """
    if since is not None:
        results = results.filter(pl.col("applied_at") >= since)
    data = results.join(read_truth(world_dir), on="application_id", how="left")
    is_fraud = data["is_fraud"].fill_null(False).to_numpy()
    stopped = data["is_fraud_pred"].to_numpy()
    types = by_type(data["fraud_type"].fill_null("none").to_numpy(), is_fraud, stopped)
    fraud_recall, fraud_precision = _recall_precision(is_fraud, data["is_fraud_pred"].to_numpy())
    ring_pred = (data[ring_column] >= ring_threshold).to_numpy()
    in_ring = data["ring_id"].is_not_null().to_numpy()
    ring_app_recall, ring_app_precision = _recall_precision(in_ring, ring_pred)
    members = (
        data.with_columns(pl.Series("ring_pred", ring_pred), pl.Series("in_ring", in_ring))
        .group_by("customer_id")
        .agg(pl.col("ring_pred").any(), pl.col("in_ring").any())
    )
    ring_recall, ring_precision = _recall_precision(
        members["in_ring"].to_numpy(), members["ring_pred"].to_numpy()
    )
    attempts = attempts_to_catch(data)
    median = float(np.median(attempts)) if attempts else float("nan")
    by_rule = attempts_to_catch(data, rule_only=True)
    rule_median = float(np.median(by_rule)) if by_rule else float("nan")
    return {
        "ring_recall": _round(ring_recall),
        "ring_precision": _round(ring_precision),
        "fraud_recall": _round(fraud_recall),
        "fraud_precision": _round(fraud_precision),
        "good_stopped_share": _round(_good_stopped_share(data, is_fraud, stopped)),
        "by_type": types,
        "weak_types": weak_types(types),
        "probing_attempts_to_catch": None if not math.isfinite(median) else median,
        "probing_devices": len(attempts),
        "probing_rule_attempts_to_catch": None if not math.isfinite(rule_median) else rule_median,
        "probing_caught_within_5": _round(
            float(np.mean([a <= 5 for a in attempts])) if attempts else float("nan")
        ),
        "ring_app_recall": _round(ring_app_recall),
        "ring_app_precision": _round(ring_app_precision),
        "applications": data.height,
        "fraud_applications": int(is_fraud.sum()),
        "ring_members": int(members["in_ring"].sum()),
    }


def _good_stopped_share(data: pl.DataFrame, is_fraud: np.ndarray, stopped: np.ndarray) -> float:
    """Share of good applicants (no fraudulent application) with an application stopped."""
    people = (
        data.select("customer_id")
        .with_columns(pl.Series("fraud", is_fraud), pl.Series("stopped", stopped))
        .group_by("customer_id")
        .agg(pl.col("fraud").any(), pl.col("stopped").any())
        .filter(~pl.col("fraud"))
    )
    return float(people["stopped"].to_numpy().mean()) if people.height else float("nan")


def by_type(types: np.ndarray, is_fraud: np.ndarray, stopped: np.ndarray) -> dict[str, Any]:
    """Per truth type: applications, the share stopped and, for fraud types, ``recall``
    (= that share) and ``precision``: the type's stopped applications over those plus the
    false positives in proportion to the type's share of fraud applications (the precision
    the layer would show on this type alone at its share of fraud).

    Examples
    --------
    >>> t = np.array(["ring", "ring", "none", "none"])
    >>> by_type(t, t != "none", np.array([True, False, True, False]))["ring"]
    {'applications': 2, 'stopped_share': 0.5, 'recall': 0.5, 'precision': 0.5}
    """
    false_pos = float(np.sum(stopped & ~is_fraud))
    n_fraud = float(is_fraud.sum())
    out: dict[str, Any] = {}
    for name in sorted(set(types.tolist())):
        rows = types == name
        share = float(stopped[rows].mean())
        entry: dict[str, Any] = {"applications": int(rows.sum()), "stopped_share": _round(share)}
        if is_fraud[rows].all():
            tp = float(np.sum(stopped[rows]))
            apportioned = false_pos * float(rows.sum()) / n_fraud
            entry["recall"] = _round(share)
            entry["precision"] = _round(tp / (tp + apportioned) if tp + apportioned else math.nan)
        out[name] = entry
    return out


def weak_types(types: dict[str, Any]) -> list[str]:
    """Fraud types of :func:`by_type` stopped less than :data:`WEAK_RECALL`, weakest first."""
    weak = [
        (e["recall"], n) for n, e in types.items() if "recall" in e and e["recall"] < WEAK_RECALL
    ]
    return [name for _, name in sorted(weak)]


def _round(x: float) -> float | None:
    return None if not math.isfinite(x) else round(x, 4)


def evaluate_seed(
    seed: int,
    customers: int,
    *,
    months: int = 12,
    train_seed: int | None = None,
    workdir: str | Path | None = None,
    ring_scorer_factory: RingScoreModelFactory | None = None,
    difficulty: str = "easy",
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Generate a training world and the evaluated world, train, replay live, and score.

    The model is trained on a world of another seed (``train_seed``, default
    ``seed + TRAIN_SEED_OFFSET``), never on the evaluated applications; both worlds hide
    their fraud at ``difficulty`` (``easy``, ``realistic``, ``hard``).
    """
    from zhudai.world import WorldParams, generate_world
    from zhudai.world.difficulty import parse_difficulty

    params = WorldParams.at_difficulty(parse_difficulty(difficulty))

    train_seed = seed + TRAIN_SEED_OFFSET if train_seed is None else train_seed
    if train_seed == seed:
        raise InvalidInputError("train_seed", "must differ from the evaluated seed")
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        log(f"generating training world (seed {train_seed}, {customers} customers)")
        train_dir = generate_world(
            customers, train_seed, months=months, out_dir=Path(tmp) / "train", params=params
        )
        log("training the fraud model on the training world")
        model = train_fraud_model(train_dir, ring_scorer_factory)
        log(f"generating evaluated world (seed {seed})")
        world = generate_world(
            customers, seed, months=months, out_dir=Path(tmp) / "eval", params=params
        )
        thresholds = thresholds_for(model)
        engine = FraudEngine(
            store=InMemoryVelocityStore(),
            model=model,
            thresholds=thresholds,
            ring_scorer=ring_scorer_factory(world) if ring_scorer_factory else None,
        )
        log("replaying the evaluated world in time order")
        results = replay(engine, load_applications(world))
        out = metrics(results, world, thresholds.ring_member_score)
    out.update({"seed": seed, "train_seed": train_seed, "customers": customers})
    out["difficulty"] = str(parse_difficulty(difficulty))
    out["fraud_threshold"] = round(model.threshold_, 4)
    out["fraud_review_threshold"] = round(model.review_threshold_, 4)
    out["ring_threshold"] = round(model.ring_threshold_, 4)
    out["ring_scorer"] = engine.ring_scorer is not None
    return out
