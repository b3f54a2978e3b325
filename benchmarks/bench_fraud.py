"""Benchmark of the fraud layer: velocity update+query per event and full fraud-check latency.

Run ``python benchmarks/bench_fraud.py`` (``--quick`` for a small run). Prints one table.
Goals (issue 7): >= 200k velocity events/s embedded on one core; fraud check p99 < 1 ms
embedded. Redis is started by this script on loopback (installed with apt-get if missing).

Rates and latencies are given twice: wall clock, and CPU time of this process/thread. On a
shared, loaded machine the wall clock includes time spent waiting for a core; the CPU columns
are what one core spends on the work.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
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


def _percentiles(lat: list[float], cpu_lat: list[float]) -> dict[str, float]:
    """Wall-clock and CPU-time (this thread) p50/p99 in microseconds."""
    return {
        "p50_us": statistics.median(lat) * 1e6,
        "p99_us": float(np.percentile(lat, 99)) * 1e6,
        "cpu_p50_us": statistics.median(cpu_lat) * 1e6,
        "cpu_p99_us": float(np.percentile(cpu_lat, 99)) * 1e6,
    }


def bench_embedded(events, with_distinct: bool) -> dict[str, float]:
    """add + count(1h) [+ distinct(24h)] per event with the per-call API."""
    store = InMemoryVelocityStore()
    add, count, distinct = store.add, store.count, store.distinct
    started, cpu = time.perf_counter(), time.process_time()
    if with_distinct:
        for stream, eid, ts, member in events:
            add(stream, eid, ts, member=member)
            count(stream, ts, HOUR)
            distinct(stream, ts, DAY)
    else:
        for stream, eid, ts, member in events:
            add(stream, eid, ts, member=member)
            count(stream, ts, HOUR)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "events": len(events),
        "events_per_s": len(events) / elapsed,
        "events_per_cpu_s": len(events) / cpu,
    }


def bench_observe(store, events) -> dict[str, float]:
    """One observe() per event: one update, count(1h) + distinct(24h); latency per event."""
    lat, cpu_lat = [], []
    queries = [(HOUR, Agg.COUNT), (DAY, Agg.DISTINCT)]
    started, cpu = time.perf_counter(), time.process_time()
    for stream, eid, ts, member in events:
        t0, c0 = time.perf_counter(), time.thread_time()
        store.observe(eid, ts, [(stream, member, 0.0)], [(stream, w, a) for w, a in queries])
        cpu_lat.append(time.thread_time() - c0)
        lat.append(time.perf_counter() - t0)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "events": len(events),
        "events_per_s": len(events) / elapsed,
        "events_per_cpu_s": len(events) / cpu,
        **_percentiles(lat, cpu_lat),
    }


def bench_redis(events) -> dict[str, float] | str:
    """observe() on a real redis-server started on loopback for this run."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' server tooling
    from tests.support.redis_server import RedisServer, RedisUnavailableError
    from zhudai.fraud.velocity_redis import RedisVelocityStore

    with tempfile.TemporaryDirectory() as tmp:
        try:
            server = RedisServer.start(Path(tmp))
        except RedisUnavailableError as exc:
            return f"skipped: {exc}"
        try:
            return bench_observe(RedisVelocityStore.isolated(server.url), events)
        finally:
            server.stop()


def bench_check(customers: int) -> list[dict[str, float]]:
    """FraudEngine.check latency over a world: the full layer, then without the graph.

    The second run keeps the same model and only drops the relationship-graph call, to show
    what the graph adds (its features are then 0: a latency measurement, not a scoring one).
    """
    from zhudai.fraud.evaluation import train_fraud_model
    from zhudai.fraud.pipeline import build_engine
    from zhudai.fraud.replay import iter_rows, load_applications
    from zhudai.fraud.rings import default_ring_scorer_factory
    from zhudai.world import generate_world

    with tempfile.TemporaryDirectory() as tmp:
        train = generate_world(customers, 101, months=2, out_dir=Path(tmp) / "train")
        model = train_fraud_model(train, default_ring_scorer_factory())
        world = generate_world(customers, 202, months=2, out_dir=Path(tmp) / "eval")
        apps = list(iter_rows(load_applications(world)))
        out = []
        for with_graph in (True, False):
            engine = build_engine(model, world)
            if not with_graph:
                engine.ring_scorer = None
            for app in apps[:200]:  # warm-up
                engine.maintain(app["applied_at"])
                engine.check(app)
                engine.record_outcome(app, app["status"] == "rejected")
            lat, cpu_lat = [], []
            for app in apps[200:]:
                engine.maintain(app["applied_at"])  # scheduler work, outside the timed check
                t0, c0 = time.perf_counter(), time.thread_time()
                engine.check(app)
                cpu_lat.append(time.thread_time() - c0)
                lat.append(time.perf_counter() - t0)
                engine.record_outcome(app, app["status"] == "rejected")
            ring = float(engine.ring_scorer is not None)
            out.append({"checks": len(lat), "ring_scorer": ring, **_percentiles(lat, cpu_lat)})
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds, not minutes)")
    args = parser.parse_args()
    n_events = 100_000 if args.quick else 1_000_000
    n_redis = 3_000 if args.quick else 30_000
    customers = 1_000 if args.quick else 10_000
    events = make_events(n_events, n_keys=20_000)
    gc.collect()
    gc.freeze()  # the input list is benchmark data, not store state: keep it out of GC scans
    rows: list[tuple[str, ...]] = []

    def row(name: str, r: dict[str, float], count_key: str = "events") -> None:
        rate = f"{r['events_per_s']:,.0f}/s" if "events_per_s" in r else ""
        cpu_rate = f"{r['events_per_cpu_s']:,.0f}/s" if "events_per_cpu_s" in r else ""
        keys = ("p50_us", "p99_us", "cpu_p50_us", "cpu_p99_us")
        lat = [f"{r[k]:.1f}" if k in r else "" for k in keys]
        rows.append((name, f"{r[count_key]:,.0f}", rate, cpu_rate, *lat))

    row("velocity embedded add+count", bench_embedded(events, with_distinct=False))
    row("velocity embedded add+count+distinct", bench_embedded(events, with_distinct=True))
    row(
        "velocity embedded observe()",
        bench_observe(InMemoryVelocityStore(), events[: n_events // 4]),
    )
    redis = bench_redis(events[:n_redis])
    if isinstance(redis, str):
        rows.append(("velocity Redis observe() (Lua)", redis, "", "", "", "", "", ""))
    else:
        row("velocity Redis observe() (Lua)", redis)
    for check in bench_check(customers):
        graph = "with graph ring scorer" if check["ring_scorer"] else "without the graph call"
        row(f"FraudEngine.check ({graph})", check, "checks")
    head = (
        "benchmark",
        "events",
        "wall rate",
        "CPU rate",
        "p50 us",
        "p99 us",
        "CPU p50",
        "CPU p99",
    )
    widths = [max(len(str(x[i])) for x in [head, *rows]) for i in range(len(head))]
    for line in [head, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)))
    print("goals: >= 200,000 velocity events/s embedded on one core; fraud check p99 < 1,000 us")


if __name__ == "__main__":
    main()
