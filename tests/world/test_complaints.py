"""Complaints about collection calls: drawn per call at the declared rate of its violation,
after the call and before the observation time, naming the call's loan and collector."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from zhudai.world.complaints import CATEGORY, COMPLAINT_RATE, complaints_frame
from zhudai.world.transcripts import VIOLATIONS


def test_each_violation_draws_complaints_at_its_declared_rate() -> None:
    n = 200_000
    rng = np.random.default_rng(3)
    violation = np.arange(n) % len(VIOLATIONS)
    started = np.full(n, 1_700_000_000_000_000, dtype=np.int64)
    frame = complaints_frame(
        rng, violation, np.arange(1, n + 1), np.arange(1, n + 1) // 3 + 1, violation + 100,
        started, obs_us=int(started[0] + 10**15),
    )  # fmt: skip
    per_violation = n // len(VIOLATIONS)
    got = frame.group_by("collector_id").len()  # collector 100 + k made only violation k's calls
    for k, name in enumerate(VIOLATIONS):
        count = got.filter(pl.col("collector_id") == str(100 + k))["len"].sum()
        rate = COMPLAINT_RATE[name]
        sd = (rate * (1 - rate) / per_violation) ** 0.5
        assert abs(count / per_violation - rate) < 4 * sd + 1e-9, name
        kinds = set(frame.filter(pl.col("collector_id") == str(100 + k))["category"])
        assert kinds == {CATEGORY[name]}
    assert frame["received_at"].is_sorted()
    assert frame["complaint_id"].to_list() == list(range(1, frame.height + 1))


def test_nothing_arrives_after_the_observation_time() -> None:
    started = np.arange(1000, dtype=np.int64) * 3_600_000_000
    violation = np.full(1000, VIOLATIONS.index("threat"))
    obs = int(started[500])
    frame = complaints_frame(
        np.random.default_rng(1), violation, np.arange(1, 1001), np.arange(1, 1001),
        np.ones(1000, dtype=np.int64), started, obs_us=obs,
    )  # fmt: skip
    calls = frame["call_id"].to_numpy() - 1
    received = frame["received_at"].cast(pl.Datetime("us")).cast(pl.Int64).to_numpy()
    assert (received >= started[calls]).all() and (received < obs).all()
    assert frame.height > 0


def test_the_world_complaints_name_real_calls(world: Path) -> None:
    complaints = pl.read_parquet(world / "complaints.parquet")
    calls = pl.read_parquet(world / "call_transcripts.parquet")
    joined = complaints.join(calls, on="call_id", how="left", suffix="_call")
    assert joined["started_at"].null_count() == 0  # every complaint's call exists
    assert (joined["loan_id"] == joined["loan_id_call"]).all()
    assert (joined["collector_id"] == joined["collector_id_call"].cast(pl.String)).all()
    assert (joined["received_at"] >= joined["started_at"]).all()
    manifest = json.loads((world / "world.json").read_text())
    assert manifest["rows"]["complaints"] == complaints.height > 0
