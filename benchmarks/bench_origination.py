"""The live origination pipeline end to end, in one process pinned to one core.

Providers answer instantly (the simulated ones, in process); each decision is written to the
embedded SQLite store in its own transaction. Prints latency percentiles, decisions per second
and the share of time per stage, for SQLite's ``synchronous=NORMAL`` (the default: WAL, no
fsync per commit) and ``synchronous=FULL`` (an fsync per commit).

Durability: with WAL and ``NORMAL``, a committed decision survives a crash of the process,
but a power cut can lose the transactions committed since the WAL was last synced (at a
checkpoint). The database stays consistent: no half-written decision. ``FULL`` syncs the WAL
at every commit and loses nothing that was answered.

Goal (issue 10): p99 <= 3 ms and >= 500 decisions/s on one core.

    python benchmarks/bench_origination.py [--customers 2000] [--decisions 3000]
"""

from __future__ import annotations

import argparse
import base64
import copy
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import event, select

from zhudai.demo import run_demo
from zhudai.origination.factory import build_service, fraud_engine_from_home
from zhudai.settings import get_settings
from zhudai.store.db import get_engine, session_scope
from zhudai.store.models import DecisionRecord


def _setup(root: Path, customers: int) -> tuple[Any, list[dict[str, Any]]]:
    os.environ.update(
        ZHUDAI_HOME=str(root / "home"),
        ZHUDAI_ENV="test",
        ZHUDAI_ENCRYPTION_KEY=base64.b64encode(b"b" * 32).decode(),
        ZHUDAI_TOKEN_KEY=base64.b64encode(b"k" * 32).decode(),
    )
    os.environ.pop("ZHUDAI_DB_URL", None)
    get_settings.cache_clear()
    print(f"setting up: the demo on {customers:,} customers (world, store, cards, fraud) ...")
    ctx = run_demo(root / "out", customers=customers, seed=11)
    requests = list(ctx.artifacts["world_client"].requests())
    return ctx, requests


def _fresh(requests: list[dict[str, Any]], n: int, tag: str) -> list[dict[str, Any]]:
    out = []
    for k in range(n):
        r = copy.deepcopy(requests[k % len(requests)])
        r["application_id"] = f"{tag}{k}"
        out.append(r)
    return out


def _run(requests: list[dict[str, Any]], synchronous: str, tag: str) -> dict[str, Any]:
    settings = get_settings()
    engine = get_engine(settings.database_url)

    @event.listens_for(engine, "connect")
    def _sync(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA synchronous={synchronous}")

    engine.dispose()  # reconnect with the pragma
    service = build_service(settings, fraud=fraud_engine_from_home(settings.home))
    batch = _fresh(requests, len(requests), tag)
    for r in _fresh(requests, 50, f"warm-{tag}"):
        service.decide(r)
    latencies = []
    started = time.perf_counter()
    for r in batch:
        t = time.perf_counter()
        service.decide(r)
        latencies.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - started
    event.remove(engine, "connect", _sync)
    with session_scope(settings.database_url) as s:
        records = [
            r["origination"]["stages_ms"]
            for r in s.scalars(select(DecisionRecord.record))
            if r.get("origination", {}).get("application_id", "").startswith(tag)
        ]
    stages: dict[str, list[float]] = {}
    for rec in records:
        for k, v in rec.items():
            stages.setdefault(k, []).append(v)
    lat = np.array(latencies)
    return {
        "sync": synchronous,
        "n": len(batch),
        "mean": float(lat.mean()),
        "p50": float(np.percentile(lat, 50)),
        "p90": float(np.percentile(lat, 90)),
        "p99": float(np.percentile(lat, 99)),
        "per_s": len(batch) / wall,
        "stages": {k: statistics.mean(v) for k, v in stages.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--decisions", type=int, default=3000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory() as tmp:
        _, requests = _setup(Path(tmp), args.customers)
        requests = (requests * (args.decisions // len(requests) + 1))[: args.decisions]
        results = [_run(requests, sync, f"B{sync}-") for sync in ("NORMAL", "FULL")]
    print(f"\nlive origination, one core, {results[0]['n']:,} decisions, instant providers")
    print(f"{'sqlite synchronous':<20}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'decisions/s':>13}")
    for r in results:
        print(
            f"{r['sync']:<20}{r['p50']:>9.2f}{r['p90']:>9.2f}{r['p99']:>9.2f}{r['per_s']:>13,.0f}"
        )
    print("goal: p99 <= 3 ms, >= 500 decisions/s")
    for r in results:
        stages = dict(r["stages"])
        stages["record"] = max(r["mean"] - sum(stages.values()), 0.0)  # the write and commit
        print(f"\nshare of time per stage (synchronous={r['sync']}; mean ms, share):")
        for k, v in stages.items():
            print(f"  {k:<10}{v:>8.3f} {v / r['mean']:>7.1%}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
