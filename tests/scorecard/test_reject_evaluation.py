"""Reject inference judged against the truth on a small world, and the AUC against a true PD."""

from __future__ import annotations

import json
from itertools import permutations
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.scorecard.cli import app
from zhudai.scorecard.metrics import auc
from zhudai.scorecard.reject_evaluation import auc_against_pd, through_the_door
from zhudai.scorecard.reject_inference import DEFAULT_METHOD, METHODS

runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, keyed_env) -> Path:
    """2,500 customers, 6 months of spending history: small enough to fit every card quickly."""
    from zhudai.world import generate_world

    with keyed_env(tmp_path_factory.mktemp("home")):
        return generate_world(2500, 5, months=6, out_dir=tmp_path_factory.mktemp("world"))


def _brute_force(risk: list[float], p: list[float]) -> float:
    wins = pairs = 0.0
    for i, j in permutations(range(len(p)), 2):
        w = p[i] * (1 - p[j])
        pairs += w
        wins += w * (1.0 if risk[i] > risk[j] else 0.5 if risk[i] == risk[j] else 0.0)
    return wins / pairs


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.floats(0.01, 0.99)), min_size=2, max_size=12
    )  # small integer risks: many ties
)
def test_auc_against_pd_is_the_pairwise_probability(rows: list[tuple[int, float]]) -> None:
    risk = [float(r) for r, _ in rows]
    p = [q for _, q in rows]
    assert auc_against_pd(risk, p) == pytest.approx(_brute_force(risk, p), rel=1e-9)


def test_auc_against_zero_one_pd_is_the_ordinary_auc() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    risk = np.round(rng.normal(size=300) + y, 1)
    assert auc_against_pd(risk, y.astype(float)) == pytest.approx(auc(y, risk), rel=1e-12)


def test_auc_against_pd_refuses_non_probabilities() -> None:
    with pytest.raises(InvalidInputError, match="true_pd"):
        auc_against_pd([0.1, 0.2], [0.5, 1.5])


def test_rejects_have_no_outcome_not_a_good_one(world: Path) -> None:
    frame = through_the_door(world)
    apps = pl.read_parquet(world / "applications.parquet")
    labels = pl.read_parquet(world / "credit_labels.parquet")
    assert len(frame) == apps.height
    rejected = frame["status"] == "rejected"
    assert rejected.sum() > 300
    assert frame.loc[rejected, "bad"].isna().all()
    assert frame["bad"].notna().sum() == labels.height
    assert set(frame.loc[frame["bad"].notna(), "status"]) == {"approved"}
    # the judged outcomes are the world's labels, goods (0) included
    got = frame.dropna(subset=["bad"]).set_index("application_id")["bad"].astype(int)
    want = labels.to_pandas().set_index("application_id")["bad"].astype(int)
    assert got.sort_index().equals(want.sort_index())
    assert (want == 0).sum() > 0


def test_a_features_file_gives_the_same_table(world: Path, tmp_path: Path) -> None:
    computed = through_the_door(world)
    path = tmp_path / "features.parquet"
    pl.from_pandas(computed.drop(columns=["customer_id", "status", "bad"])).write_parquet(path)
    from_file = through_the_door(world, path)
    assert from_file[computed.columns].equals(computed)
    with pytest.raises(NotFoundError, match="features"):
        through_the_door(world, tmp_path / "absent.parquet")
    pl.DataFrame({"x": [1]}).write_parquet(tmp_path / "no_id.parquet")
    with pytest.raises(InvalidInputError, match="features: needs an application_id"):
        through_the_door(world, tmp_path / "no_id.parquet")


def test_cli_reports_every_method_against_the_truth(world: Path) -> None:
    result = runner.invoke(app, ["reject-inference", "--world", str(world)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    payload = json.loads(lines[-1])
    assert set(payload) == {"known_good_bad_auc", "methods", "default", "gain"}
    assert set(payload["methods"]) == set(METHODS) and payload["default"] == DEFAULT_METHOD
    for value in (payload["known_good_bad_auc"], *payload["methods"].values()):
        assert 0.6 < value < 0.95
    gain = payload["methods"][DEFAULT_METHOD] - payload["known_good_bad_auc"]
    assert payload["gain"] == pytest.approx(gain, abs=2e-6)
    table = "\n".join(lines[:-1])
    assert all(name in table for name in ("known_good_bad", *METHODS))


def test_cli_refuses_unknown_methods_and_worlds(world: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["reject-inference", "--world", str(world), "--method", "magic"])
    assert isinstance(result.exception, InvalidInputError) and "method" in str(result.exception)
    result = runner.invoke(app, ["reject-inference", "--world", str(tmp_path / "none")])
    assert isinstance(result.exception, NotFoundError) and "world" in str(result.exception)
