"""Measure the providers layer: per-lookup time of each simulated provider, and the hub's
overhead per ``fetch_all`` with instant (inline) and blocking providers.

Run from the repository root (generates a 600-customer world, seed 11, unless given one)::

    .venv/bin/python -m tests.providers.bench_providers [WORLD_DIR]

Not collected by pytest (its name does not start with ``test_``); the numbers go in
``docs/providers.md``.
"""

from __future__ import annotations

import base64
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np
import polars as pl

from zhudai.providers import (
    SIMULATED_PROVIDERS,
    ProviderCall,
    ProviderHub,
    ProviderQuery,
    ProviderStatus,
    WorldRecords,
    build_simulated_hub,
)
from zhudai.times import LOCAL_TZ

NO_CACHE = {name: {"cache_ttl_s": 0} for name in SIMULATED_PROVIDERS}


def world(argv: list[str]) -> Path:
    if argv:
        return Path(argv[0])
    os.environ.setdefault("ZHUDAI_ENV", "test")
    os.environ.setdefault("ZHUDAI_ENCRYPTION_KEY", base64.b64encode(b"e" * 32).decode())
    os.environ.setdefault("ZHUDAI_TOKEN_KEY", base64.b64encode(b"t" * 32).decode())
    base = Path(tempfile.mkdtemp())
    os.environ.setdefault("ZHUDAI_HOME", str(base / "home"))
    from zhudai.world import generate_world

    return generate_world(600, 11, out_dir=base / "world")


def stats_us(samples: list[float]) -> str:
    a = np.array(samples) * 1e6
    return f"p50 {np.percentile(a, 50):7.1f} us  p99 {np.percentile(a, 99):7.1f} us  mean {a.mean():7.1f} us"


class Sleeper:
    """A blocking provider that always takes ``ms`` milliseconds."""

    def __init__(self, name: str, ms: float) -> None:
        self.name, self.s = name, ms / 1000

    def fetch(self, query):
        time.sleep(self.s)
        return ProviderStatus.DATA, {"ok": True}


class Noop:
    inline = True

    def __init__(self, name: str) -> None:
        self.name = name

    def fetch(self, query):
        return ProviderStatus.DATA, {"ok": True}


def main(argv: list[str]) -> None:
    d = world(argv)
    t = time.perf_counter()
    records = WorldRecords.load(d)
    print(f"WorldRecords.load: {(time.perf_counter() - t) * 1000:.0f} ms")
    apps = pl.read_parquet(d / "applications.parquet").to_dicts()
    queries = [
        ProviderQuery(
            str(a["application_id"]),
            a["applied_at"].replace(tzinfo=LOCAL_TZ),
            a["id_token"],
            a["phone_token"],
            a["card_token"],
            a["ip"],
        )
        for a in apps
    ]
    rounds = 5

    print(f"\nper lookup ({len(queries)} applications x {rounds}), provider.fetch alone:")
    providers = {name: cls(records) for name, cls in SIMULATED_PROVIDERS.items()}
    for name, p in providers.items():
        samples = []
        for _ in range(rounds):
            for q in queries:
                t = time.perf_counter()
                p.fetch(q)
                samples.append(time.perf_counter() - t)
        print(f"  {name:14s} {stats_us(samples)}")

    def run(hub: ProviderHub, n: int) -> list[float]:
        for q in queries[:50]:
            hub.fetch_all(q)  # warm up
        samples = []
        for i in range(n):
            q = queries[i % len(queries)]
            t = time.perf_counter()
            hub.fetch_all(q)
            samples.append(time.perf_counter() - t)
        return samples

    n = rounds * len(queries)
    direct = []
    for i in range(n):
        q = queries[i % len(queries)]
        t = time.perf_counter()
        for p in providers.values():
            p.fetch(q)
        direct.append(time.perf_counter() - t)
    print("\n6 instant simulated providers:")
    print(f"  6 x provider.fetch, no hub      {stats_us(direct)}")
    with build_simulated_hub(records, NO_CACHE) as hub:
        print(f"  hub.fetch_all, no cache         {stats_us(run(hub, n))}")
    with build_simulated_hub(records) as hub:
        run(hub, n)  # fill the cache
        print(f"  hub.fetch_all, all cache hits   {stats_us(run(hub, n))}")
    noop = {f"p{i}": ProviderCall(Noop(f"p{i}"), cost_per_call=1, timeout_ms=100) for i in range(6)}
    with ProviderHub(noop) as hub:
        print(f"  hub.fetch_all, 6 no-op inline   {stats_us(run(hub, n))}  (= pure hub overhead)")

    for ms in (5.0, 50.0):
        bare = ThreadPoolExecutor(8)
        raw = [Sleeper(f"s{i}", ms) for i in range(6)]
        samples = []
        for i in range(200 if ms < 10 else 40):
            q = queries[i % len(queries)]
            t = time.perf_counter()
            wait([bare.submit(p.fetch, q) for p in raw])
            samples.append(time.perf_counter() - t - ms / 1000)
        bare.shutdown()
        print(f"\n6 blocking providers sleeping {ms:g} ms each: fetch_all minus {ms:g} ms")
        print(f"  bare ThreadPoolExecutor (no policy)  {stats_us(samples)}")
        sleepers = {
            f"s{i}": ProviderCall(Sleeper(f"s{i}", ms), cost_per_call=1, timeout_ms=1000)
            for i in range(6)
        }
        with ProviderHub(sleepers) as hub:
            samples = run(hub, 200 if ms < 10 else 40)
        over = [s - ms / 1000 for s in samples]
        print(f"  hub.fetch_all                        {stats_us(over)}")
    mixed = {
        **{
            f"s{i}": ProviderCall(Sleeper(f"s{i}", 5.0), cost_per_call=1, timeout_ms=1000)
            for i in range(2)
        },
        **{name: c for name, c in build_simulated_hub(records, NO_CACHE).calls.items()},
    }
    with ProviderHub(mixed) as hub:
        samples = run(hub, 200)
    print("\n2 blocking (5 ms) + 6 instant simulated: fetch_all minus 5 ms")
    print(f"  overhead                        {stats_us([s - 0.005 for s in samples])}")


if __name__ == "__main__":
    main(sys.argv[1:])
