"""Demo stage ``cards``: an A-card on German Credit, then an A-card and a booster on the world.

Reads ``ctx.artifacts["features_path"]`` (Parquet of application features keyed by
``application_id``) and ``ctx.artifacts["book_labels"]`` (the loan book's labels, from the
``book`` stage: ``bad`` = ever 30+ DPD in the first six installments). The latest 20% of
application dates (the store's ``applied_at``) are kept out of time. Sets
``german_model_dir``, ``acard_model_dir`` and ``gbm_model_dir`` (Paths).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from zhudai.datasets import load_german_credit
from zhudai.scorecard.models import GradientBoostedModel
from zhudai.scorecard.training import TrainResult, train, write_artifacts
from zhudai.store.db import get_engine
from zhudai.store.models import Application

OOT_SHARE = 0.2


def _line(label: str, result: TrainResult, paths: dict[str, Path]) -> list[str]:
    m = result.metrics
    parts = [
        f"{p} AUC {m[p]['auc']:.3f} KS {m[p]['ks']:.3f}"
        for p in ("train", "test", "oot")
        if m.get(p)
    ]
    return [
        f"{label}: {m['n_features']} features; " + "; ".join(parts),
        f"  report: {paths['report']}",
    ]


def _book_frame(features_path: Path, labels: pd.DataFrame, url: str) -> pd.DataFrame:
    """Features of booked applications with their ``bad`` label from the loan book and the
    store's ``applied_at`` (for the out-of-time split)."""
    frame = pd.read_parquet(features_path).merge(
        labels[["application_id", "bad"]], on="application_id"
    )
    if "applied_at" in frame.columns:
        return frame
    with get_engine(url).connect() as conn:
        applied = pd.DataFrame(
            conn.execute(select(Application.id, Application.applied_at)).all(),
            columns=["application_id", "applied_at"],
        )
    return frame.merge(applied, on="application_id", how="left")


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
    labels = ctx.artifacts.get("book_labels")
    if not features_path or labels is None or not Path(features_path).is_file():
        lines.append("features or the book's labels missing: trained the German Credit card only")
        return lines
    frame = _book_frame(Path(features_path), labels, ctx.settings.database_url)
    time_col = "applied_at"
    if frame.empty or frame["bad"].nunique() < 2:
        lines.append(
            f"the book's labels give {len(frame)} booked loans with one class: German Credit"
            " card only"
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
        f"world: {len(frame):,} booked loans (labels from the book), bad rate {frame['bad'].mean():.3f}, out-of-time from {oot_from}"
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
