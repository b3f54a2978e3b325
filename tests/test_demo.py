"""``zhudai demo`` end to end on a small world: every stage runs and leaves its outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from zhudai.demo import STAGES, DemoContext, run_demo
from zhudai.store.db import session_scope
from zhudai.store.models import Customer, DecisionRecord, LoanAction


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
        "reconciliation_path",
        "monitoring_report_path",
        "acquisition_report",
        "ccard_model_dir",
        "callqa_model",
    }
    assert expected <= set(art), expected - set(art)
    names = [name for name, _ in STAGES]
    assert names == [
        "world",
        "store",
        "book",
        "features",
        "graph",
        "cards",
        "fraud",
        "decisions",
        "loans",
        "bcard",
        "collections",
        "callqa",
        "monitoring",
        "acquisition",
    ]
    finished = [printed.index(f"{name} done in") for name in names]  # each ran, in this order
    assert finished == sorted(finished)
    for key in expected - {"decision_policy"}:
        assert Path(art[key]).exists(), key
    url = ctx.settings.database_url
    with session_scope(url) as s:
        assert s.scalar(select(func.count(Customer.id))) == 601  # the world + the API example
        applications = select(func.count(DecisionRecord.id)).where(
            DecisionRecord.policy_name.in_(("prescreen", "acard_default"))  # not in-loan ones
        )
        assert s.scalar(applications) == art["decisions_count"] > 0
        drawdowns = select(func.count(LoanAction.id)).where(LoanAction.action == "drawdown")
        assert s.scalar(drawdowns) == s.scalar(
            select(func.count(DecisionRecord.id)).where(DecisionRecord.policy_name == "drawdown")
        )


def test_the_book_labels_agree_with_the_world(demo_run: DemoContext) -> None:
    """The cards train on labels from the platform's own loan book; evaluated against the
    world's labels (its bank's view of the same loans), they agree loan by loan."""
    book = demo_run.artifacts["book_labels"].set_index("application_id")["bad"]
    world = demo_run.artifacts["credit_labels"]
    world = world.assign(application_id=world["application_id"].str.lstrip("W").astype(int))
    both = world.set_index("application_id")["bad"].to_frame("world").join(book, how="inner")
    assert len(both) >= 0.95 * len(world)
    assert (both["world"] == both["bad"]).mean() >= 0.99
