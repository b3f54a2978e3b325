"""The three executions of the same compiled definitions agree: batch, online and Spark."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from zhudai.exceptions import InvalidInputError
from zhudai.features import (
    BatchFeatureEngine,
    FeatureSet,
    OnlineFeatureEngine,
    SparkFeatureEngine,
    load_feature_set,
)

EVENT_TABLES = ("orders", "card_txns", "device_events")


def _online_inputs(
    world: dict[str, pl.DataFrame], app: dict[str, Any], as_rows: bool
) -> tuple[dict, dict]:
    """One application's events (rows or frames) and static rows, as the decision engine holds them."""
    cid = app["customer_id"]
    events: dict[str, Any] = {
        t: world[t].filter(pl.col("customer_id") == cid) for t in EVENT_TABLES
    }
    if as_rows:
        events = {t: frame.to_dicts() for t, frame in events.items()}
    static = {
        "applications": app,
        "customers": world["customers"].filter(pl.col("customer_id") == cid).row(0, named=True),
    }
    bureau = world["bureau"].filter(pl.col("application_id") == app["application_id"])
    if bureau.height:
        static["bureau"] = bureau.row(0, named=True)
    return events, static


def _assert_same(expected: pl.DataFrame, actual: pl.DataFrame, names: list[str]) -> None:
    assert actual.select("application_id").equals(expected.select("application_id"))
    for name in names:
        x = expected[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        y = actual[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=name)


def _online_frame(
    fs: FeatureSet, world: dict[str, pl.DataFrame], apps: pl.DataFrame
) -> pl.DataFrame:
    engine = OnlineFeatureEngine(fs)
    rows = []
    for i, app in enumerate(apps.iter_rows(named=True)):
        events, static = _online_inputs(world, app, as_rows=i % 2 == 0)
        rows.append(
            {
                "application_id": app["application_id"],
                **engine.compute(events, app["applied_at"], static),
            }
        )
    return pl.DataFrame(rows)


def test_batch_equals_online_on_every_application(world: dict[str, pl.DataFrame]) -> None:
    fs = load_feature_set()
    batch = BatchFeatureEngine(fs).compute(world["applications"], world)
    assert batch.columns[:3] == ["application_id", "customer_id", "applied_at"]
    assert batch.columns[3:] == fs.names
    _assert_same(batch, _online_frame(fs, world, world["applications"]), fs.names)


def test_inputs_missing_a_column_name_it(world: dict[str, pl.DataFrame]) -> None:
    fs = load_feature_set()
    with pytest.raises(InvalidInputError, match=r"orders\.amount"):
        BatchFeatureEngine(fs).compute(
            world["applications"], world | {"orders": world["orders"].drop("amount")}
        )
    with pytest.raises(InvalidInputError, match="card_txns: table missing"):
        BatchFeatureEngine(fs).compute(
            world["applications"], {k: v for k, v in world.items() if k != "card_txns"}
        )
    app = world["applications"].row(0, named=True)
    events, static = _online_inputs(world, app, as_rows=True)
    events["orders"] = [{k: v for k, v in e.items() if k != "category"} for e in events["orders"]]
    with pytest.raises(InvalidInputError, match=r"orders\.category"):
        OnlineFeatureEngine(fs).compute(events, app["applied_at"], static)
    with pytest.raises(InvalidInputError, match="as_of"):
        OnlineFeatureEngine(fs).compute(events, "2024-01-01", static)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("column", "as_rows"), [("amount", True), ("amount", False), ("category", True)]
)
def test_null_event_values_are_refused_by_every_engine(
    world: dict[str, pl.DataFrame], column: str, as_rows: bool
) -> None:
    """Engines would treat a null differently (a polars sum spreads it, Spark skips it), so
    each one refuses it, naming the column, instead of returning features that disagree."""
    fs = load_feature_set()
    app = world["applications"].row(0, named=True)
    orders = world["orders"].with_columns(
        pl.when(pl.col("customer_id") == app["customer_id"])
        .then(None)
        .otherwise(pl.col(column))
        .alias(column)
    )
    holed = world | {"orders": orders}
    with pytest.raises(InvalidInputError, match=rf"orders\.{column}: \d+ null value"):
        BatchFeatureEngine(fs).compute(world["applications"], holed)
    events, static = _online_inputs(holed, app, as_rows=as_rows)
    with pytest.raises(InvalidInputError, match=rf"orders\.{column}: \d+ null value"):
        OnlineFeatureEngine(fs).compute(events, app["applied_at"], static)


# ---------------------------------------------------------------------------- Spark


@pytest.fixture(scope="module")
def spark(jvm: str) -> Iterator[Any]:
    """One small local Spark session (the ``jvm`` fixture installs a JRE if java is missing)."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("zhudai-features-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.mark.spark
@pytest.mark.slow
def test_spark_equals_batch_and_online(spark: Any, world: dict[str, pl.DataFrame]) -> None:
    """Every default feature (every group, every table, every ratio) on every application.

    All applications: the last customers have no events at all and the last application has no
    bureau row, so empty windows and missing fields are compared too.
    """
    fs = load_feature_set()
    apps = world["applications"]
    batch = BatchFeatureEngine(fs).compute(apps, world)
    # not a vacuous comparison: almost every feature varies across these applications
    assert sum(batch[n].drop_nulls().n_unique() > 1 for n in fs.names) > 0.95 * len(fs.names)
    _assert_same(batch, SparkFeatureEngine(fs, spark).compute(apps, world), fs.names)
    _assert_same(batch, _online_frame(fs, world, apps), fs.names)


# ---------------------------------------------------------------------------- the real world


@pytest.fixture(scope="module")
def generated_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from zhudai.world import generate_world

    return generate_world(400, seed=11, out_dir=tmp_path_factory.mktemp("world"))


def test_generated_world_batch_equals_online(generated_world: Path) -> None:
    fs = load_feature_set()
    batch = BatchFeatureEngine(fs).compute_world(generated_world)
    tables = {
        t: pl.read_parquet(generated_world / f"{t}.parquet")
        for t in ("applications", "customers", "bureau", *EVENT_TABLES)
    }
    assert batch.height == tables["applications"].height
    sample = tables["applications"].sample(25, seed=1).sort("application_id")
    expected = batch.filter(
        pl.col("application_id").is_in(sample["application_id"].implode())
    ).sort("application_id")
    _assert_same(expected, _online_frame(fs, tables, sample), fs.names)
    # weak-data features carry signal: most applicants have orders in the last year
    assert (batch["orders_count_365d"] > 0).mean() > 0.5


def test_demo_stage_writes_features_and_shares_the_definitions(
    generated_world: Path, tmp_path: Path
) -> None:
    from types import SimpleNamespace

    from zhudai.features.demo_stage import run_stage
    from zhudai.features.report import LABELS_FILE

    labels = pl.read_parquet(generated_world / LABELS_FILE).to_pandas()  # as the book gives them
    ctx = SimpleNamespace(
        artifacts={"world_dir": generated_world, "book_labels": labels}, out_dir=tmp_path
    )
    lines = run_stage(ctx)
    path = ctx.artifacts["features_path"]
    assert path == tmp_path / "features" / "application_features.parquet"
    frame = pl.read_parquet(path)
    fs = ctx.artifacts["feature_set"]
    assert frame.columns == ["application_id", "customer_id", "applied_at", *fs.names]
    assert any("margin" in line for line in lines)
    assert ctx.artifacts["feature_comparison"].margin == pytest.approx(
        ctx.artifacts["feature_comparison"].weak_auc
        - ctx.artifacts["feature_comparison"].demographics_auc
    )


def test_output_rows_are_applications_even_when_square() -> None:
    from datetime import datetime

    from zhudai.features import feature_set_from_dict

    fs = feature_set_from_dict(
        {"tables": {"orders": {"windows": [7, 30], "aggregates": [{"agg": "count"}]}}}
    )
    apps = pl.DataFrame(
        {"application_id": [1, 2], "customer_id": [1, 2], "applied_at": [datetime(2024, 2, 1)] * 2}
    )
    orders = pl.DataFrame(
        {
            "customer_id": [1, 2, 2],
            "ts": [datetime(2024, 1, 20), datetime(2024, 1, 30), datetime(2024, 1, 31)],
        }
    )
    out = BatchFeatureEngine(fs).compute(apps, {"orders": orders})
    assert out["orders_count_7d"].to_list() == [0.0, 2.0]
    assert out["orders_count_30d"].to_list() == [1.0, 2.0]
