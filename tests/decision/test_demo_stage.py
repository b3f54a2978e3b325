"""The decisions demo stage on a small world: every stored decision replays exactly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from sqlalchemy import func, select

from zhudai.decision import demo_stage
from zhudai.demo import DemoContext
from zhudai.settings import Settings
from zhudai.store.db import session_scope
from zhudai.store.models import DecisionRecord


def _train_small_models(ctx: DemoContext) -> None:
    """An A-card and a small booster on a few world features (the cards stage, made quick)."""
    from zhudai.scorecard.models import GradientBoostedModel
    from zhudai.scorecard.registry import save_model
    from zhudai.scorecard.training import train
    from zhudai.world.labels import credit_labels

    features = pd.read_parquet(ctx.artifacts["features_path"])
    columns = [
        c for c in features.columns if c.startswith(("bureau_", "card_txns_count", "orders_count"))
    ][:12]
    frame = features[["application_id", *columns]].merge(
        credit_labels(ctx.artifacts["world_dir"]).to_pandas(), on="application_id"
    )
    frame = frame.drop(columns="application_id")
    for key, model, estimator in (
        ("acard", "lr", None),
        ("gbm", "lgbm", GradientBoostedModel(engine="lgbm", n_estimators=30, random_state=0)),
    ):
        result = train(frame, "bad", model=model, name=f"test_{key}", seed=0, estimator=estimator)
        ctx.artifacts[f"{key}_model_dir"] = save_model(
            ctx.out_dir / key, result.meta, **result.files
        )


@pytest.mark.slow
def test_demo_stage_decides_stores_and_reproduces(
    tmp_path: Path, isolated_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhudai.features.demo_stage import run_stage as features_stage
    from zhudai.world.demo_stage import run_stage as world_stage

    settings = isolated_settings.model_copy(update={"db_url": f"sqlite:///{tmp_path / 'demo.db'}"})
    ctx = DemoContext(settings, tmp_path, 600, 3, Console(quiet=True))
    assert demo_stage.run_stage(ctx)[0].startswith("decisions skipped: world_dir, features_path")
    for stage in (world_stage, features_stage):
        stage(ctx)
    _train_small_models(ctx)
    monkeypatch.setattr(demo_stage, "SAMPLE", 150)
    lines = demo_stage.run_stage(ctx)
    text = "\n".join(lines)
    assert "replayed 150 decisions: 150 reproduced exactly, 0 differ -- the demo reproduces" in text
    assert "records stored" in text and "backtest: acard_default@1: approval rate" in text
    with session_scope(settings.database_url) as s:
        assert s.scalar(select(func.count()).select_from(DecisionRecord)) == 150
    assert ctx.artifacts["decision_policy"] == "acard_default@1"
