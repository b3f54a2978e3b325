"""``zhudai demo`` end to end on a small world: every stage runs and leaves its outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from zhudai.demo import STAGES, run_demo
from zhudai.store.db import session_scope
from zhudai.store.models import Customer, DecisionRecord


@pytest.mark.slow
def test_demo_runs_every_stage(tmp_path: Path) -> None:
    ctx = run_demo(tmp_path / "demo", customers=600, seed=5)
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
    assert len(STAGES) == 7
    for key in expected - {"decision_policy"}:
        assert Path(art[key]).exists(), key
    url = ctx.settings.database_url
    with session_scope(url) as s:
        assert s.scalar(select(func.count(Customer.id))) == 601  # the world + the API example
        assert s.scalar(select(func.count(DecisionRecord.id))) == art["decisions_count"] > 0
