"""Benchmark of the fraud layer: velocity update+query per event and full fraud-check latency.

Run ``python benchmarks/bench_fraud.py`` (``--quick`` for a small run). Prints one table.
Goals (issue 7): >= 200k velocity events/s embedded on one core; fraud check p99 < 1 ms
embedded. Redis is started by this script on loopback (installed with apt-get if missing).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from zhudai.fraud.velocity import DAY, HOUR, Agg, InMemoryVelocityStore


def make_events(n: int, n_keys: int, seed: int = 0) -> list[tuple[str, str, float, str]]:
    """(stream, event id, ts, member): one event per second on average, 5% up to 10 min late."""
    rng = random.Random(seed)
    keys = [f"dev.id:d{i}" for i in range(n_keys)]
    members = [f"id{i}" for i in range(n_keys * 2)]
    out = []
    for i in range(n):
        ts = i * 1.0 - (rng.random() * 600 if rng.random() < 0.05 else 0.0)
        out.append((rng.choice(keys), f"e{i}", ts, rng.choice(members)))
    return out


def bench_embedded(events) -> dict[str, float]:
    """add + count(1h) + distinct(24h) per event with the per-call API."""
    store = InMemoryVelocityStore()
    add, count, distinct = store.add, store.count, store.distinct
    started = time.perf_counter()
    for stream, eid, ts, member in events:
        add(stream, eid, ts, member=member)
        count(stream, ts, HOUR)
        distinct(stream, ts, DAY)
    elapsed = time.perf_counter() - started
    return {"events": len(events), "seconds": elapsed, "events_per_s": len(events) / elapsed}


def bench_observe(store, events, label: str) -> dict[str, float]:
    """One observe() per event: one update, count(1h) + distinct(24h); latency per event."""
    lat = []
    started = time.perf_counter()
    for stream, eid, ts, member in events:
        t0 = time.perf_counter()
        store.observe(
            eid,
            ts,
            [(stream, member, 0.0)],
            [(stream, HOUR, Agg.COUNT), (stream, DAY, Agg.DISTINCT)],
        )
        lat.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    return {
        "events": len(events),
        "seconds": elapsed,
        "events_per_s": len(events) / elapsed,
        "p50_us": statistics.median(lat) * 1e6,
        "p99_us": float(np.percentile(lat, 99)) * 1e6,
    }


def bench_redis(events) -> dict[str, float] | str:
    from zhudai.fraud.redis_server import RedisServer, RedisUnavailableError
    from zhudai.fraud.velocity_redis import RedisVelocityStore

    with tempfile.TemporaryDirectory() as tmp:
        try:
            server = RedisServer.start(Path(tmp))
        except RedisUnavailableError as exc:
            return f"skipped: {exc}"
        try:
            return bench_observe(RedisVelocityStore.isolated(server.url), events, "redis")
        finally:
            server.stop()


def bench_check(customers: int) -> dict[str, float]:
    """Full FraudEngine.check latency (velocity, geo, lists, probing, model) over a world."""
    from zhudai.fraud.evaluation import train_fraud_model
    from zhudai.fraud.pipeline import build_engine
    from zhudai.fraud.replay import iter_rows, load_applications
    from zhudai.world import generate_world

    with tempfile.TemporaryDirectory() as tmp:
        train = generate_world(customers, 101, months=2, out_dir=Path(tmp) / "train")
        model = train_fraud_model(train)
        world = generate_world(customers, 202, months=2, out_dir=Path(tmp) / "eval")
        apps = list(iter_rows(load_applications(world)))
    engine = build_engine(model)
    for app in apps[:200]:  # warm-up
        engine.check(app)
        engine.record_outcome(app, app["status"] == "rejected")
    lat = []
    for app in apps[200:]:
        t0 = time.perf_counter()
        engine.check(app)
        lat.append(time.perf_counter() - t0)
        engine.record_outcome(app, app["status"] == "rejected")
    return {
        "checks": len(lat),
        "p50_us": statistics.median(lat) * 1e6,
        "p99_us": float(np.percentile(lat, 99)) * 1e6,
        "ring_scorer": float(engine.ring_scorer is not None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds, not minutes)")
    args = parser.parse_args()
    n_events = 100_000 if args.quick else 1_000_000
    n_redis = 3_000 if args.quick else 30_000
    customers = 1_000 if args.quick else 10_000
    events = make_events(n_events, n_keys=max(1000, n_events // 50))
    rows = []
    r = bench_embedded(events)
    rows.append(
        (
            "velocity embedded add+count+distinct",
            f"{r['events']:,}",
            f"{r['events_per_s']:,.0f}/s",
            "",
            "",
        )
    )
    r = bench_observe(InMemoryVelocityStore(), events[: n_events // 4], "embedded")
    rows.append(
        (
            "velocity embedded observe()",
            f"{r['events']:,}",
            f"{r['events_per_s']:,.0f}/s",
            f"{r['p50_us']:.1f}",
            f"{r['p99_us']:.1f}",
        )
    )
    r = bench_redis(events[:n_redis])
    if isinstance(r, str):
        rows.append(("velocity Redis observe() (Lua)", r, "", "", ""))
    else:
        rows.append(
            (
                "velocity Redis observe() (Lua)",
                f"{r['events']:,}",
                f"{r['events_per_s']:,.0f}/s",
                f"{r['p50_us']:.1f}",
                f"{r['p99_us']:.1f}",
            )
        )
    r = bench_check(customers)
    rows.append(
        (
            f"FraudEngine.check (ring scorer: {'yes' if r['ring_scorer'] else 'no'})",
            f"{r['checks']:,}",
            "",
            f"{r['p50_us']:.1f}",
            f"{r['p99_us']:.1f}",
        )
    )
    head = ("benchmark", "events", "throughput", "p50 us", "p99 us")
    widths = [max(len(str(x[i])) for x in [head, *rows]) for i in range(5)]
    for row in [head, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    print("goals: >= 200,000 velocity events/s embedded on one core; fraud check p99 < 1,000 us")


if __name__ == "__main__":
    main()
