"""Collector scorecards on the demo's book: replaying the call history through the guard
blocks exactly the calls the world made off hours (its truth), collector by collector, and
nothing else; the counts add up to the stored history."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import func, select

from zhudai.collections.scorecards import collector_scorecards, scorecard_lines
from zhudai.demo import DemoContext
from zhudai.settings import Settings
from zhudai.store.db import get_engine
from zhudai.store.models import CallRecord


def test_replayed_guard_blocks_the_off_hours_calls(home: Settings, demo_run: DemoContext) -> None:
    cards = collector_scorecards(home.database_url)
    truth = pl.read_parquet(Path(demo_run.artifacts["world_dir"]) / "truth" / "transcripts.parquet")
    calls = pl.read_parquet(Path(demo_run.artifacts["world_dir"]) / "call_transcripts.parquet")
    off_hours = (
        calls.join(truth, on="call_id")
        .filter(pl.col("violation") == "off_hours")
        .group_by(collector=pl.col("collector_id").cast(pl.String))
        .agg(expected=pl.len())
    )
    got = cards.join(off_hours, on="collector", how="left").with_columns(
        pl.col("expected").fill_null(0)
    )
    assert got["blocked"].to_list() == got["expected"].to_list()
    assert got["blocked"].sum() > 0 and set(cards.columns) >= {"blocked_quiet_hours"}
    assert cards["blocked"].to_list() == cards["blocked_quiet_hours"].to_list()
    with get_engine(home.database_url).connect() as conn:
        assert cards["calls"].sum() == conn.scalar(select(func.count(CallRecord.id)))
    assert set(cards["team"]) == {"in-house", "agency"}
    assert len(scorecard_lines(cards)) == cards.height + 1
