"""On a generated world: ring members score far above everyone else (truth read here only,
as evaluation), and the CLI and demo stage write what they promise."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from typer.testing import CliRunner

from zhudai.graph import GraphIndex, ring_scorer
from zhudai.graph.cli import app
from zhudai.graph.demo_stage import run_stage
from zhudai.graph.pipeline import build_world_graph
from zhudai.graph.world import iter_records, load_records


@pytest.fixture(scope="module")
def built(small_world: Path, tmp_path_factory: pytest.TempPathFactory):
    return build_world_graph(small_world, tmp_path_factory.mktemp("graph-out"))


def _evaluation_truth(world: Path) -> pl.DataFrame:
    return pl.read_parquet(world / "truth" / "applications.parquet").select(
        "application_id", "ring_id", "fraud_type"
    )


def test_ring_members_score_much_higher(built, small_world: Path) -> None:
    arrival = pl.read_parquet(built.paths["application_features"])
    final = pl.read_parquet(built.paths["memberships"])
    owners = pl.read_parquet(
        small_world / "applications.parquet", columns=["application_id", "customer_id"]
    )
    data = (
        arrival.join(final, on="application_id")
        .join(_evaluation_truth(small_world), on="application_id")
        .join(owners, on="application_id")
    )
    ring = data.filter(pl.col("ring_id").is_not_null())
    other = data.filter(pl.col("ring_id").is_null())
    assert ring.height >= 30
    assert ring["ring_score"].mean() > 0.6 > 0.05 > other["ring_score"].mean()
    assert ring["ring_score_final"].mean() > 10 * other["ring_score_final"].mean()
    customers = data.group_by("customer_id").agg(
        (pl.col("ring_score") >= 0.5).any().alias("flag"),
        pl.col("ring_id").is_not_null().any().alias("member"),
    )
    tp = (customers["flag"] & customers["member"]).sum()
    assert tp / customers["member"].sum() >= 0.9  # recall, on arrival
    assert tp / customers["flag"].sum() >= 0.85  # precision


def test_build_writes_tables_and_keeps_a_live_index(built) -> None:
    assert isinstance(built.index, GraphIndex)
    features = pl.read_parquet(built.paths["application_features"])
    applications = pl.read_parquet(built.paths["memberships"])
    assert features.height == applications.height
    assert len(built.index) == built.graph.tables.n_apps > features.height  # + registrations
    clusters = pl.read_parquet(built.paths["cluster"])
    assert clusters["n_apps"].min() >= 2
    assert clusters["ring_score"].to_list() == sorted(clusters["ring_score"], reverse=True)
    text = "\n".join(built.summary())
    assert "nodes:" in text and "clusters with >= 2 identities" in text


def test_cli_build(small_world: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["build", "--world", str(small_world), "--out", str(tmp_path), "--top", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "strong ties" in result.output
    assert (tmp_path / "communities.parquet").exists()


def test_cli_refuses_a_missing_world(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["build", "--world", str(tmp_path / "nope"), "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "--world" in str(result.exception)


def test_demo_stage_sets_its_artifacts(small_world: Path, tmp_path: Path) -> None:
    ctx = SimpleNamespace(artifacts={"world_dir": small_world}, out_dir=tmp_path)
    lines = run_stage(ctx)
    assert ctx.artifacts == {"world_dir": small_world}
    assert (tmp_path / "graph" / "application_features.parquet").is_file()
    assert any("communities" in line for line in lines)


def test_records_hold_registrations_before_applications(small_world: Path) -> None:
    records = load_records(small_world)
    apps = records.filter(pl.col("is_application"))
    regs = records.filter(~pl.col("is_application"))
    assert regs.height == pl.read_parquet(small_world / "customers.parquet").height
    assert (regs["application_id"] == -regs["customer_id"]).all()
    assert regs["status"].is_null().all() and apps["status"].is_not_null().all()
    first_app = apps.group_by("customer_id").agg(pl.col("applied_at").min())
    joined = regs.join(first_app, on="customer_id", suffix="_app")
    assert (joined["applied_at"] <= joined["applied_at_app"]).all()


def test_fraud_adapter_scores_like_the_build(built, small_world: Path) -> None:
    """``ring_scorer(world)`` fed applications only (as the fraud replay does) interleaves
    the registrations itself and gives the build's point-in-time ring scores."""
    scorer = ring_scorer(small_world)
    apps = load_records(small_world, registrations=False)
    scores = {}
    for row in iter_records(apps):
        scores[row["application_id"]] = scorer.observe(row).score
        scorer.record_outcome(row["application_id"], row["status"] == "rejected")
    expected = pl.read_parquet(built.paths["application_features"])
    got = [scores[a] for a in expected["application_id"]]
    assert got == pytest.approx(expected["ring_score"].to_list())
