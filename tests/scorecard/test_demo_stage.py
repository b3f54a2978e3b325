"""The ``cards`` demo stage: German Credit always; the world cards when features and the
book's labels exist."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from zhudai.decision.model_contract import ScoringModel
from zhudai.scorecard import demo_stage, load_model


def _ctx(tmp_path, **artifacts):
    settings = SimpleNamespace(database_url=f"sqlite:///{tmp_path / 'unused.db'}")
    return SimpleNamespace(
        out_dir=tmp_path / "demo", seed=7, artifacts=dict(artifacts), settings=settings
    )


def test_german_only_without_world(tmp_path):
    ctx = _ctx(tmp_path)
    lines = demo_stage.run_stage(ctx)
    assert "German Credit A-card" in lines[0] and "test AUC" in lines[0]
    assert any("German Credit card only" in line for line in lines)
    assert isinstance(load_model(ctx.artifacts["german_model_dir"]), ScoringModel)
    assert "acard_model_dir" not in ctx.artifacts


def test_world_cards_train_on_the_book_labels(tmp_path):
    rng = np.random.default_rng(1)
    n = 3000
    ids = np.arange(1, n + 1)
    risk = rng.normal(size=n)
    features = pd.DataFrame(
        {
            "application_id": ids,
            "customer_id": ids + 10_000,
            "multi_lending_90d": np.round(np.exp(risk + 1)),
            "orders_count_365d": rng.poisson(np.exp(1.5 - 0.5 * risk)).astype(float),
            "province": rng.choice(["gd", "zj", "sc"], size=n),
        }
    )
    applied = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    features_path = tmp_path / "features.parquet"
    features.assign(applied_at=applied).to_parquet(features_path)  # else read from the store
    booked = ids[: n - 500]  # the rest were rejected: no label
    bad = (rng.random(len(booked)) < 1 / (1 + np.exp(-(risk[: len(booked)] * 1.2 - 2)))).astype(
        np.int8
    )
    labels = pd.DataFrame({"application_id": booked, "bad": bad})  # as the book stage leaves
    ctx = _ctx(tmp_path, features_path=features_path, book_labels=labels)
    lines = demo_stage.run_stage(ctx)
    text = "\n".join(lines)
    assert "World A-card" in text and "World LightGBM" in text and "oot AUC" in text
    acard = load_model(ctx.artifacts["acard_model_dir"])
    gbm = load_model(ctx.artifacts["gbm_model_dir"])
    assert "multi_lending_90d" in acard.features and "customer_id" not in acard.features
    assert "applied_at" not in gbm.features
    row = features.iloc[0].to_dict()
    assert 0 < acard.predict_pd_one(row) < 1 and 0 < gbm.predict_pd_one(row) < 1
    assert (ctx.artifacts["acard_model_dir"] / "report.html").is_file()
