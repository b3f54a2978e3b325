"""``zhudai demo`` end to end on a small world: every stage runs and leaves its outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from zhudai.demo import STAGES, run_demo
from zhudai.store.db import session_scope
from zhudai.store.models import Customer, DecisionRecord


@pytest.mark.slow
def test_demo_runs_every_stage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ctx = run_demo(tmp_path / "demo", customers=600, seed=5)
    printed = capsys.readouterr().out
    art = ctx.artifacts
    expected = {
        "world_dir",
        "store_db",
        "features_path",
        "acard_model_dir",
        "gbm_model_dir",
        "german_model_dir",
        "fraud_results_path",
        "decision_policy",
    }
    assert expected <= set(art), expected - set(art)
    names = [name for name, _ in STAGES]
    assert names == ["world", "store", "features", "graph", "cards", "fraud", "decisions"]
    finished = [printed.index(f"{name} done in") for name in names]  # each ran, in this order
    assert finished == sorted(finished)
    for key in expected - {"decision_policy"}:
        assert Path(art[key]).exists(), key
    url = ctx.settings.database_url
    with session_scope(url) as s:
        assert s.scalar(select(func.count(Customer.id))) == 601  # the world + the API example
        assert s.scalar(select(func.count(DecisionRecord.id))) == art["decisions_count"] > 0
