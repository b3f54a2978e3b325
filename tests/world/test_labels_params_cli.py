"""Credit labels, parameter validation, the ``zhudai world`` CLI and the demo stage."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.world import WorldParams, credit_labels, generate_world, observation_date
from zhudai.world.cli import app
from zhudai.world.demo_stage import run_stage


def test_labels_follow_the_definition(world: Path) -> None:
    labels = credit_labels(world)
    inst = pl.read_parquet(world / "installments.parquet")
    loans = pl.read_parquet(world / "loans.parquet")
    by_loan: dict[int, int] = {}
    for loan_id, no, dpd in inst.select("loan_id", "installment_no", "dpd").iter_rows():
        if no <= 6:
            by_loan[loan_id] = max(by_loan.get(loan_id, 0), int(dpd >= 30))
    expected = {
        app_id: by_loan[loan_id]
        for loan_id, app_id in loans.select("loan_id", "application_id").iter_rows()
    }
    got = dict(labels.iter_rows())
    assert got == expected  # every loan of this world is old enough
    assert labels.schema["bad"] == pl.Int8


def test_young_loans_are_left_out(world: Path) -> None:
    obs = observation_date(world)
    assert obs == date(2025, 9, 30)
    early = credit_labels(world, observation=date(2024, 9, 1))
    full = credit_labels(world)
    assert 0 < early.height < full.height
    kept = early.join(pl.read_parquet(world / "loans.parquet"), on="application_id")
    good = kept.filter(pl.col("bad") == 0)
    inst = pl.read_parquet(world / "installments.parquet").filter(pl.col("installment_no") <= 6)
    last_due = inst.group_by("loan_id").agg(pl.col("due_date").max())
    assert good.join(last_due, on="loan_id")["due_date"].max() <= date(2024, 9, 1) - timedelta(
        days=30
    )


def test_labels_need_a_world(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="world_dir"):
        credit_labels(tmp_path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("violation_share", 1.5),
        ("ring_share", -0.1),
        ("approval_rate", 0.0),
        ("orders_per_year", 0),
        ("ring_size_mean", 2),
        ("unknown_knob", 1),
    ],
)
def test_params_refuse_bad_values(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        WorldParams(**{field: value})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_customers": 0}, "n_customers"),
        ({"seed": -1}, "seed"),
        ({"months": 0}, "months"),
        ({"n_customers": 2.5}, "n_customers"),
    ],
)
def test_generate_world_refuses_bad_arguments(tmp_path: Path, kwargs: dict, field: str) -> None:
    args = {"n_customers": 10, "seed": 1, "months": 12, "out_dir": tmp_path} | kwargs
    with pytest.raises(InvalidInputError, match=field):
        generate_world(**args)


def test_params_change_the_world(tmp_path: Path, world_factory) -> None:
    d = world_factory(
        tmp_path, 1500, 3, params=WorldParams(violation_share=0.5, ring_share=0.0), months=3
    )
    v = pl.read_parquet(d / "truth" / "transcripts.parquet")["violation"]
    assert (v != "none").mean() == pytest.approx(0.5, abs=0.06)
    assert pl.read_parquet(d / "truth" / "persons.parquet")["ring_id"].null_count() == 1500
    orders = pl.read_parquet(d / "orders.parquet").join(
        pl.read_parquet(d / "applications.parquet")
        .group_by("customer_id")
        .agg(pl.col("applied_at").min()),
        on="customer_id",
    )
    assert ((orders["applied_at"] - orders["ts"]).dt.total_days() <= 3 * 30.44 + 7).all()


def test_cli_generates_to_a_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["generate", "--customers", "200", "--seed", "4", "--out", str(tmp_path / "w")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w" / "loans.parquet").exists()
    assert "200 customers" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customers", "0", "--seed", "1"], "--customers"),
        (["--customers", "10", "--seed", "-3"], "--seed"),
        (["--customers", "10", "--seed", "1", "--months", "0"], "--months"),
        (["--customers", "10", "--seed", "1", "--out", "x", "--db", "sqlite://"], "--out/--db"),
    ],
)
def test_cli_refuses_bad_options(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["generate", *args])
    assert isinstance(result.exception, InvalidInputError)
    assert message in str(result.exception)


def test_cli_prints_one_clear_line() -> None:
    exe = Path(sys.executable).with_name("zhudai")
    proc = subprocess.run(
        [str(exe), "world", "generate", "--customers", "0", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --customers: must be a positive integer; got 0"


def test_cli_loads_into_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    result = CliRunner().invoke(app, ["generate", "--customers", "150", "--seed", "2", "--db", url])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "store.db").stat().st_size > 0
    assert "loaded into the store" in result.output


def test_demo_stage(tmp_path: Path) -> None:
    ctx = SimpleNamespace(out_dir=tmp_path, customers=500, seed=3, artifacts={})
    lines = run_stage(ctx)
    assert ctx.artifacts["world_dir"] == tmp_path / "world"
    assert any("applications" in line for line in lines)
    assert "bad rate" in lines[-1] and "fraud share" in lines[-1]


def test_observation_date_is_inferred_without_manifest(world: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "w"
    copy.mkdir()
    for name in ("loans.parquet", "installments.parquet"):
        shutil.copy(world / name, copy / name)
    assert credit_labels(copy).equals(credit_labels(world))
    assert credit_labels(copy, observation=date(2024, 9, 1)).equals(
        credit_labels(world, observation=date(2024, 9, 1))
    )
