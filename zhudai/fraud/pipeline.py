"""The fraud layer as a batch job over a world: results Parquet plus the trends report.

Used by ``zhudai fraud run`` and the demo stage; reads observable tables only.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from zhudai.fraud.engine import FraudEngine, thresholds_for
from zhudai.fraud.model import FraudModel
from zhudai.fraud.replay import load_applications, replay
from zhudai.fraud.rings import default_ring_scorer_factory
from zhudai.fraud.trends import build_trends, write_html
from zhudai.fraud.velocity import InMemoryVelocityStore


def build_engine(
    model: FraudModel | None = None, world_dir: str | Path | None = None
) -> FraudEngine:
    """An engine for batch replays: its own embedded velocity store (a replay must never
    write into a shared live Redis), the model's cut-offs and the graph's ring scorer (fed
    the registrations of the world in ``world_dir`` as the replay reaches them)."""
    thresholds = thresholds_for(model)
    factory = default_ring_scorer_factory()
    return FraudEngine(
        store=InMemoryVelocityStore(),
        model=model,
        thresholds=thresholds,
        ring_scorer=factory(Path(world_dir) if world_dir else None),
    )


def replay_world(world_dir: str | Path, engine: FraudEngine | None = None) -> pl.DataFrame:
    """Per-application results of running the fraud layer over a world in time order."""
    return replay(engine or build_engine(world_dir=world_dir), load_applications(world_dir))


def run_fraud_layer(
    world_dir: str | Path,
    out_dir: str | Path,
    *,
    model_dir: str | Path | None = None,
    engine: FraudEngine | None = None,
) -> dict[str, Path]:
    """Replay a world, write ``results.parquet``, ``trends.html`` and ``alerts.csv``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if engine is None:
        engine = build_engine(FraudModel.load(model_dir) if model_dir else None, world_dir)
    results = replay_world(world_dir, engine)
    results_path = out / "results.parquet"
    results.write_parquet(results_path)
    report = build_trends(results)
    report.alerts.write_csv(out / "alerts.csv")
    trends_path = write_html(report, out / "trends.html")
    return {"results": results_path, "trends": trends_path, "alerts": out / "alerts.csv"}
