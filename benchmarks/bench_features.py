"""Benchmark the feature engine: batch features for every application of a world, online
features for one applicant at a time, and the weak-data vs demographics AUC margin.

Targets (issue 4): batch >= 100k applicants x 300 features in under 60 s on 2 cores; online
p99 under 1 ms.

    .venv/bin/python benchmarks/bench_features.py            # 100k customers
    .venv/bin/python benchmarks/bench_features.py --quick    # 10k customers
    .venv/bin/python benchmarks/bench_features.py --world DIR  # an existing world folder
    .venv/bin/python benchmarks/bench_features.py --quick --spark  # + PySpark (local) on 2,000
                                                                   #   applications, for the record
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from zhudai.features import (
    BatchFeatureEngine,
    FeatureSet,
    OnlineFeatureEngine,
    SparkFeatureEngine,
    load_feature_set,
    weak_vs_demographics,
)
from zhudai.world import generate_world
from zhudai.world.labels import credit_labels

EVENT_TABLES = ("orders", "card_txns", "device_events")
STATIC_TABLES = ("customers", "bureau")


def _online_requests(world: Path, n: int, seed: int) -> list[tuple[dict, object, dict]]:
    """``n`` random applications as the decision engine would hold them: event rows + static rows."""
    apps = pl.read_parquet(world / "applications.parquet").sample(n, seed=seed)
    ids = apps["customer_id"].implode()
    events = {
        t: pl.read_parquet(world / f"{t}.parquet").filter(pl.col("customer_id").is_in(ids))
        for t in EVENT_TABLES
    }
    customers = pl.read_parquet(world / "customers.parquet").filter(
        pl.col("customer_id").is_in(ids)
    )
    bureau = pl.read_parquet(world / "bureau.parquet").filter(
        pl.col("application_id").is_in(apps["application_id"].implode())
    )
    by_customer = {
        t: {k[0]: g.to_dicts() for k, g in frame.group_by("customer_id")}
        for t, frame in events.items()
    }
    customer_rows = {r["customer_id"]: r for r in customers.iter_rows(named=True)}
    bureau_rows = {r["application_id"]: r for r in bureau.iter_rows(named=True)}
    requests = []
    for app in apps.iter_rows(named=True):
        cid = app["customer_id"]
        static = {"applications": app, "customers": customer_rows[cid]}
        if app["application_id"] in bureau_rows:
            static["bureau"] = bureau_rows[app["application_id"]]
        requests.append(
            ({t: by_customer[t].get(cid, []) for t in EVENT_TABLES}, app["applied_at"], static)
        )
    return requests


def _spark_rows(fs: FeatureSet, world: Path, n: int, seed: int) -> list[tuple[str, str]]:
    """Spark (local mode, 2 cores) vs batch on ``n`` sampled applications and their events.

    For the record, not a target: Spark is there for volumes beyond one machine, and in local
    mode its fixed costs (JVM start, query compilation) dominate at this size.
    """
    if shutil.which("java") is None:
        return [("spark", "skipped: no java on PATH")]
    from pyspark.sql import SparkSession

    apps = pl.read_parquet(world / "applications.parquet").sample(n, seed=seed)
    ids = apps["customer_id"].implode()
    tables = {
        t: pl.read_parquet(world / f"{t}.parquet").filter(pl.col("customer_id").is_in(ids))
        for t in (*EVENT_TABLES, *STATIC_TABLES)
    }
    started = time.perf_counter()
    session = (
        SparkSession.builder.master("local[2]")
        .appName("zhudai-bench-features")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    start_s = time.perf_counter() - started
    try:
        engine = SparkFeatureEngine(fs, session)
        times = []
        for _ in range(2):  # the first run includes JVM warm-up and code generation
            started = time.perf_counter()
            spark_out = engine.compute(apps, tables)
            times.append(time.perf_counter() - started)
    finally:
        session.stop()
    started = time.perf_counter()
    batch_out = BatchFeatureEngine(fs).compute(apps, tables)
    batch_s = time.perf_counter() - started
    x = batch_out.select(fs.names).fill_null(np.nan).to_numpy()
    y = spark_out.select(fs.names).fill_null(np.nan).to_numpy()
    same = np.isnan(x) == np.isnan(y)
    worst = float(np.nanmax(np.abs(x - y) / np.maximum(np.abs(x), 1.0)))
    return [
        (f"spark (local[2]): {n:,} applications, session start", f"{start_s:.1f} s"),
        ("spark: compute, first / second run", f"{times[0]:.1f} s / {times[1]:.1f} s"),
        ("batch: compute on the same applications", f"{batch_s:.2f} s"),
        (
            "spark vs batch: same missing / worst relative difference",
            f"{bool(same.all())} / {worst:.1e}",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k customers instead of 100k")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--world", type=Path, default=None, help="use this world folder")
    parser.add_argument("--online", type=int, default=2000, help="online requests to time")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--spark", action="store_true", help="also time PySpark (local) on a small sample"
    )
    parser.add_argument("--spark-apps", type=int, default=2000, help="applications for --spark")
    args = parser.parse_args()
    customers = args.customers or (10_000 if args.quick else 100_000)

    fs = load_feature_set()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        world = args.world
        if world is None:
            started = time.perf_counter()
            world = generate_world(customers, args.seed, out_dir=Path(tmp) / "world")
            rows.append(
                (
                    "world generation (not part of the target)",
                    f"{time.perf_counter() - started:.1f} s",
                )
            )
        events = sum(
            pl.scan_parquet(world / f"{t}.parquet").select(pl.len()).collect().item()
            for t in EVENT_TABLES
        )

        engine = BatchFeatureEngine(fs)
        started = time.perf_counter()
        features = engine.compute_world(world)
        batch_s = time.perf_counter() - started
        rows += [
            ("applications x features", f"{features.height:,} x {len(fs.names)}"),
            ("event rows (orders, card_txns, device_events)", f"{events:,}"),
            ("batch: read + compute (target < 60 s at 100k x 300)", f"{batch_s:.1f} s"),
            (
                "batch: feature values per second",
                f"{features.height * len(fs.names) / batch_s:,.0f}",
            ),
        ]

        online = OnlineFeatureEngine(fs)
        requests = _online_requests(world, min(args.online, features.height), args.seed)
        for events_, as_of, static in requests[:50]:  # warm up
            online.compute(events_, as_of, static)
        gc.collect()
        # wall time, and CPU time of this thread (which excludes waiting for a busy core)
        timings, cpu = np.empty(len(requests)), np.empty(len(requests))
        for i, (events_, as_of, static) in enumerate(requests):
            c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
            online.compute(events_, as_of, static)
            timings[i], cpu[i] = time.perf_counter_ns() - t0, time.thread_time_ns() - c0
        per_request = np.array([sum(len(v) for v in r[0].values()) for r in requests])
        p50, p99 = np.percentile(timings, [50, 99]) / 1e3
        c50, c99 = np.percentile(cpu, [50, 99]) / 1e3
        rows += [
            (
                "online: requests timed / mean events each",
                f"{len(requests):,} / {per_request.mean():.0f}",
            ),
            ("online: wall p50 / p99 (us) (target p99 < 1000)", f"{p50:,.0f} / {p99:,.0f}"),
            ("online: CPU p50 / p99 (us)", f"{c50:,.0f} / {c99:,.0f}"),
        ]

        labels = credit_labels(world)
        started = time.perf_counter()
        comparison = weak_vs_demographics(features, labels, fs)
        rows += [
            ("AUC weak-data features (WOE-LR, out of time)", f"{comparison.weak_auc:.3f}"),
            ("AUC demographics alone", f"{comparison.demographics_auc:.3f}"),
            ("AUC margin", f"{comparison.margin:+.3f} ({time.perf_counter() - started:.0f} s)"),
        ]
        if args.spark:
            rows += _spark_rows(fs, world, min(args.spark_apps, features.height), args.seed)

    rows.append(
        ("load average (1 min) at the end", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    )
    width = max(len(k) for k, _ in rows)
    print(
        f"zhudai feature engine benchmark: {customers:,} customers"
        if args.world is None
        else f"world {args.world}"
    )
    print("-" * (width + 20))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
