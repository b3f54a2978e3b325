"""Demo stage ``fraud``: the fraud layer over the demo world, live order, with trends.

The model is trained on the world's first half (by application time) and the metrics line is
measured on the second half only, so the printed numbers are out of time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from zhudai.fraud.evaluation import metrics, train_fraud_model
from zhudai.fraud.pipeline import build_engine, run_fraud_layer
from zhudai.fraud.rings import default_ring_scorer_factory


def run_stage(ctx: Any) -> list[str]:
    """Train on the first half, run live over the whole world, report on the second half.

    Sets ``ctx.artifacts["fraud_engine"]`` (a ready :class:`FraudEngine` holding the state of
    the whole replay, for the decision stage), ``"fraud_results_path"`` (Parquet, one row per
    application), ``"fraud_trends_path"`` (HTML) and ``"fraud_model_dir"``.
    """
    world = Path(ctx.artifacts["world_dir"])
    out = Path(ctx.out_dir) / "fraud"
    applied = pl.read_parquet(world / "applications.parquet", columns=["applied_at"])["applied_at"]
    split = applied.sort()[len(applied) // 2]
    model = train_fraud_model(world, default_ring_scorer_factory(), until=split)
    model_dir = model.save(out / "model")
    engine = build_engine(model)
    paths = run_fraud_layer(world, out, engine=engine)
    results = pl.read_parquet(paths["results"])
    scores = metrics(results, world, engine.thresholds.ring_member_score, since=split)
    ctx.artifacts["fraud_engine"] = engine
    ctx.artifacts["fraud_results_path"] = paths["results"]
    ctx.artifacts["fraud_trends_path"] = paths["trends"]
    ctx.artifacts["fraud_model_dir"] = model_dir
    flagged = int(results["is_fraud_pred"].sum())
    return [
        f"fraud layer ran over {results.height:,} applications in time order; "
        f"{flagged:,} flagged as fraud, {int(results['probing_pred'].sum()):,} as probing",
        f"model trained on applications before {split:%Y-%m-%d} (cut-off {model.threshold_:.3f}); "
        f"ring scorer: {'zhudai.graph' if engine.ring_scorer else 'not available'}",
        f"results: {paths['results']}",
        f"trends report: {paths['trends']}",
        "metrics on the second half: " + json.dumps(scores, ensure_ascii=False),
    ]
