"""Demo stage ``cards``: an A-card on German Credit, then an A-card and a booster on the world.

Reads ``ctx.artifacts["features_path"]`` (Parquet of application features keyed by
``application_id``) and ``ctx.artifacts["world_dir"]`` (labels from
``zhudai.world.labels.credit_labels``: booked loans, ``bad`` = ever 30+ DPD by MOB6). When the
world's applications table has ``applied_at``, the latest 20% of application dates are kept
out of time. Sets ``german_model_dir``, ``acard_model_dir`` and ``gbm_model_dir`` (Paths).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from zhudai.datasets import load_german_credit
from zhudai.scorecard.models import GradientBoostedModel
from zhudai.scorecard.training import TrainResult, train, write_artifacts

OOT_SHARE = 0.2


def _line(label: str, result: TrainResult, paths: dict[str, Path]) -> list[str]:
    m = result.metrics
    parts = [
        f"{p} AUC {m[p]['auc']:.3f} KS {m[p]['ks']:.3f}" for p in ("train", "test", "oot") if p in m
    ]
    return [
        f"{label}: {m['n_features']} features; " + "; ".join(parts),
        f"  report: {paths['report']}",
    ]


def _world_frame(features_path: Path, world_dir: Path) -> tuple[pd.DataFrame, str | None]:
    """Features of booked applications with their ``bad`` label and (if known) ``applied_at``."""
    from zhudai.world.labels import credit_labels

    found: Any = credit_labels(world_dir)
    labels = found if isinstance(found, pd.DataFrame) else found.to_pandas()  # polars from world
    frame = pd.read_parquet(features_path).merge(
        labels[["application_id", "bad"]], on="application_id"
    )
    apps_path = Path(world_dir) / "applications.parquet"
    if "applied_at" in frame.columns or not apps_path.is_file():
        return frame, "applied_at" if "applied_at" in frame.columns else None
    apps = pd.read_parquet(apps_path, columns=["application_id", "applied_at"])
    return frame.merge(apps, on="application_id", how="left"), "applied_at"


def run_stage(ctx: Any) -> list[str]:
    """Train the demo's cards and register their directories in ``ctx.artifacts``."""
    out = Path(ctx.out_dir) / "cards"
    lines: list[str] = []

    german = train(
        load_german_credit(), "bad", model="lr", kind="A", seed=ctx.seed, name="german_acard"
    )
    paths = write_artifacts(german, out / "german_acard")
    ctx.artifacts["german_model_dir"] = paths["model"]
    lines += _line("German Credit A-card (WOE + LR, points 600 @ 50:1, PDO 20)", german, paths)

    features_path = ctx.artifacts.get("features_path")
    world_dir = ctx.artifacts.get("world_dir")
    if not features_path or not world_dir or not Path(features_path).is_file():
        lines.append("world features or world_dir missing: trained the German Credit card only")
        return lines
    try:
        frame, time_col = _world_frame(Path(features_path), Path(world_dir))
    except ModuleNotFoundError:
        lines.append("zhudai.world.labels unavailable: trained the German Credit card only")
        return lines
    if frame.empty or frame["bad"].nunique() < 2:
        lines.append(
            f"world labels give {len(frame)} booked loans with one class: German Credit card only"
        )
        return lines
    oot_from = None
    if time_col is not None:
        when = pd.to_datetime(frame[time_col])
        oot_from = str(pd.Timestamp(when.quantile(1 - OOT_SHARE)).date())
    common = {"kind": "A", "time_col": time_col, "oot_from": oot_from, "seed": ctx.seed}
    acard = train(frame, "bad", model="lr", name="world_acard", **common)
    paths = write_artifacts(acard, out / "world_acard")
    ctx.artifacts["acard_model_dir"] = paths["model"]
    lines.append(
        f"world: {len(frame):,} booked loans, bad rate {frame['bad'].mean():.3f}, out-of-time from {oot_from}"
    )
    lines += _line("World A-card (WOE + LR)", acard, paths)

    gbm = train(
        frame,
        "bad",
        model="lgbm",
        name="world_gbm",
        estimator=GradientBoostedModel(engine="lgbm", n_estimators=200, random_state=ctx.seed),
        **common,
    )
    paths = write_artifacts(gbm, out / "world_gbm")
    ctx.artifacts["gbm_model_dir"] = paths["model"]
    lines += _line("World LightGBM (200 trees, monotone constraints)", gbm, paths)
    return lines
