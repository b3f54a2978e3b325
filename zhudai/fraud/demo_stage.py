"""Demo stage ``fraud``: the fraud layer over the demo world, in live order, with trends.

The world is replayed once through the live engine; the model is fitted on the first half of
the applications (by time) and applied to every stored signal row (the model feeds nothing
back into the engine's state, so this equals a replay with the model in the loop); the
metrics line is measured on the second half only, so the printed numbers are out of time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zhudai.exceptions import ConfigurationError
from zhudai.fraud.engine import thresholds_for
from zhudai.fraud.evaluation import fit_on_results, metrics
from zhudai.fraud.pipeline import build_engine
from zhudai.fraud.replay import load_applications, rejudge, replay
from zhudai.fraud.trends import build_trends, write_html


def run_stage(ctx: Any) -> list[str]:
    """Replay live, fit on the first half, report on the second half.

    Sets ``ctx.artifacts["fraud_results_path"]`` (Parquet, one row per application),
    ``"fraud_trends_path"`` (HTML) and ``"fraud_model_dir"`` (the decision stage installs it).
    """
    if "world_dir" not in ctx.artifacts:
        raise ConfigurationError(
            "fraud stage: ctx.artifacts['world_dir'] is missing (run the world stage first)"
        )
    world = Path(ctx.artifacts["world_dir"])
    out = Path(ctx.out_dir) / "fraud"
    out.mkdir(parents=True, exist_ok=True)
    engine = build_engine(world_dir=world)
    raw = replay(engine, load_applications(world))
    split = raw["applied_at"].sort()[raw.height // 2]
    model = fit_on_results(raw, world, until=split)
    thresholds = thresholds_for(model, engine.thresholds)
    engine.set_model(model, thresholds)
    results = rejudge(raw, model, thresholds)
    results_path = out / "results.parquet"
    results.write_parquet(results_path)
    report = build_trends(results)
    report.alerts.write_csv(out / "alerts.csv")
    trends_path = write_html(report, out / "trends.html")
    model_dir = model.save(out / "model")
    scores = metrics(results, world, thresholds.ring_member_score, since=split)
    ctx.artifacts["fraud_results_path"] = results_path
    ctx.artifacts["fraud_trends_path"] = trends_path
    ctx.artifacts["fraud_model_dir"] = model_dir
    flagged = int(results["is_fraud_pred"].sum())
    return [
        f"fraud layer ran over {results.height:,} applications in time order; "
        f"{flagged:,} flagged as fraud, {int(results['probing_pred'].sum()):,} as probing, "
        f"{report.alerts.height:,} trend alerts",
        f"model fitted on applications before {split:%Y-%m-%d} (cut-offs: fraud "
        f"{thresholds.fraud_score:.3f}, review from {thresholds.fraud_score_review:.3f}, ring "
        f"{thresholds.ring_member_score:.3f}); ring scorer: "
        f"{'zhudai.graph' if engine.ring_scorer else 'not available'}",
        f"results: {results_path}",
        f"trends report: {trends_path}",
        "metrics on the second half: " + json.dumps(scores, ensure_ascii=False),
    ]
