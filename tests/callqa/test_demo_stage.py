"""The demo's ``callqa`` stage on a small world: model trained, calls queued, metrics printed."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from rich.console import Console

from zhudai.callqa.demo_stage import run_stage
from zhudai.callqa.review import ReviewQueue
from zhudai.settings import get_settings
from zhudai.store.migrate import upgrade


def test_stage_trains_queues_and_measures(tmp_path: Path, keyed_env) -> None:
    from tests.world.conftest import make_world

    world = make_world(keyed_env, tmp_path, 500, 8)
    upgrade()
    ctx = SimpleNamespace(
        settings=get_settings(),
        out_dir=tmp_path / "demo",
        customers=500,
        seed=8,
        console=Console(),
        artifacts={"world_dir": world},
    )
    lines = run_stage(ctx)
    assert Path(ctx.artifacts["callqa_model"]).is_file()
    assert any(
        line.startswith("workload: ") and "reviewers where full review needs 50" in line
        for line in lines
    )
    assert any("third_party_disclosure" in line and "recall" in line for line in lines)
    assert ReviewQueue().next(1)  # the flagged calls wait for a reviewer
    assert run_stage(SimpleNamespace(artifacts={})) == ["callqa skipped: no world"]
