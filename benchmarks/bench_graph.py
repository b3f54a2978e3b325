"""Relationship graph at scale: batch build + clustering, live insert/lookup, rings on a world.

Measures, in one process:

1. a synthetic graph of 1M nodes / 5M edges (planted dense groups of 3-30 nodes plus random
   edges): igraph construction, connected components and Leiden communities with the calls
   ``zhudai.graph.batch`` makes (goal, issue 4: built and clustered in under 60 s), and the
   live structure (``UnionFind``) over the same edges, checked to find the same components;
2. a generated world (a seed not used in development; 100k customers, ~1M nodes): every
   application (and customer registration) replayed in time order through the live ``GraphIndex`` with insert and
   feature-lookup latency p50/p99 (target: sub-millisecond), a community refresh, the batch
   build, and ring-member recall / precision against the world's truth (read here only, as
   evaluation), on arrival and with retrospective ring alerts.

Run: ``.venv/bin/python benchmarks/bench_graph.py [--quick] [--world DIR]``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from zhudai.graph import GraphConfig, GraphIndex, RelationGraph
from zhudai.graph.batch import as_igraph, leiden
from zhudai.graph.unionfind import UnionFind
from zhudai.graph.world import iter_records, load_records


def synthetic_edges(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` edges on ``n`` nodes: 80% inside planted groups of 3-30 nodes, 20% random."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 31, size=n // 3)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n)]
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    group = np.repeat(np.arange(sizes.size), sizes)
    n_inside = int(m * 0.8)
    src = rng.integers(0, group.size, size=n_inside)
    g = group[src]
    dst = starts[g] + rng.integers(0, 1 << 30, size=n_inside) % sizes[g]
    lo = np.r_[src, rng.integers(0, n, size=m - n_inside)]
    hi = np.r_[dst, rng.integers(0, n, size=m - n_inside)]
    return lo.astype(np.int64), hi.astype(np.int64)


def bench_batch(n: int, m: int) -> list[tuple[str, str]]:
    """Time igraph construction, components and Leiden (wall and process CPU seconds)."""
    lo, hi = synthetic_edges(n, m, seed=1)
    timings: dict[str, tuple[float, float]] = {}

    def timed(name: str, step):
        wall, cpu = time.perf_counter(), time.process_time()
        out = step()
        timings[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return out

    graph = timed("build", lambda: as_igraph(n, lo, hi))
    components = timed("components", graph.connected_components)
    communities = timed("leiden", lambda: leiden(n, lo, hi, None, GraphConfig()))
    uf_roots = timed("unionfind", lambda: _union_find_roots(n, lo, hi))

    def fmt(name: str) -> str:
        wall, cpu = timings[name]
        return f"{wall:.1f} s wall, {cpu:.1f} s CPU"

    total_wall = sum(timings[k][0] for k in ("build", "components", "leiden"))
    total_cpu = sum(timings[k][1] for k in ("build", "components", "leiden"))
    same = "same" if uf_roots == len(components) else "DIFFERENT"
    return [
        (f"igraph build ({n:,} nodes, {m:,} edges)", fmt("build")),
        ("connected components", f"{fmt('components')} ({len(components):,} components)"),
        ("Leiden communities", f"{fmt('leiden')} ({np.unique(communities).size:,} communities)"),
        ("build + clustered (goal < 60 s)", f"{total_wall:.1f} s wall, {total_cpu:.1f} s CPU"),
        ("live UnionFind over all edges", f"{fmt('unionfind')} ({same} components)"),
    ]


def _union_find_roots(n: int, lo: np.ndarray, hi: np.ndarray) -> int:
    uf = UnionFind()
    for _ in range(n):
        uf.add()
    for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
        uf.union(a, b)
    return len({uf.find(i) for i in range(n)})


def _pct(wall: list[int], cpu: list[int]) -> str:
    """Wall-clock and on-CPU (thread time: what preemption on a shared machine does not
    inflate) percentiles of nanosecond timings."""
    w, c = np.asarray(wall) / 1000, np.asarray(cpu) / 1000
    return (
        f"p50 {np.percentile(w, 50):.0f} us, p99 {np.percentile(w, 99):.0f} us wall; "
        f"p50 {np.percentile(c, 50):.0f} us, p99 {np.percentile(c, 99):.0f} us CPU"
    )


class _Timer:
    """Collects wall and CPU nanoseconds of repeated steps."""

    def __init__(self) -> None:
        self.wall: list[int] = []
        self.cpu: list[int] = []

    def __enter__(self) -> _Timer:
        self._w, self._c = time.perf_counter_ns(), time.thread_time_ns()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu.append(time.thread_time_ns() - self._c)
        self.wall.append(time.perf_counter_ns() - self._w)

    def plus(self, other: _Timer) -> str:
        return _pct(
            [a + b for a, b in zip(self.wall, other.wall, strict=True)],
            [a + b for a, b in zip(self.cpu, other.cpu, strict=True)],
        )

    def __str__(self) -> str:
        return _pct(self.wall, self.cpu)


def _member_metrics(data: pl.DataFrame, column: str) -> tuple[float, float]:
    customers = data.group_by("customer_id").agg(
        pl.col(column).any().alias("flag"), pl.col("ring_id").is_not_null().any().alias("member")
    )
    tp = int((customers["flag"] & customers["member"]).sum())
    return tp / max(int(customers["member"].sum()), 1), tp / max(int(customers["flag"].sum()), 1)


def bench_world(world: Path, threshold: float, probes: int) -> list[tuple[str, str]]:
    """Replay the world through the live index timing every insert and lookup, then the
    batch build, then ring-member recall / precision against the truth."""
    records = load_records(world)
    index = GraphIndex()
    insert, lookup, again = _Timer(), _Timer(), _Timer()
    scores = []
    t = time.perf_counter()
    for r in iter_records(records):
        if not r["is_application"]:  # a customer's registration: joins the graph, no decision
            index.add_application(r)
            continue
        with insert:
            index.add_application(r)
        with lookup:
            feats = index.applicant_features(r["application_id"])
        index.record_outcome(r["application_id"], rejected=r["status"] == "rejected")
        scores.append((r["application_id"], r["customer_id"], feats["ring_score"]))
    t_replay = time.perf_counter() - t
    applications = [a for a in index.application_ids() if a >= 0]
    for a in random.Random(3).sample(applications, min(probes, len(applications))):
        with again:
            index.applicant_features(a)
    t = time.perf_counter()
    index.refresh_communities()
    t_refresh = time.perf_counter() - t
    t = time.perf_counter()
    graph = RelationGraph.build(records)
    t_batch = time.perf_counter() - t
    final = index.ring_scores()
    truth = pl.read_parquet(world / "truth" / "applications.parquet").select(
        "application_id", "ring_id"
    )
    data = (
        pl.DataFrame(scores, schema=["application_id", "customer_id", "ring_score"], orient="row")
        .with_columns(pl.col("application_id").replace_strict(final).alias("final"))
        .join(truth, on="application_id")
        .with_columns(
            (pl.col("ring_score") >= threshold).alias("on_arrival"),
            ((pl.col("ring_score") >= threshold) | (pl.col("final") >= threshold)).alias("retro"),
        )
    )
    r1, p1 = _member_metrics(data, "on_arrival")
    r2, p2 = _member_metrics(data, "retro")
    return [
        (
            f"world {world.name}: {len(scores):,} applications, "
            f"{graph.tables.n_apps - len(scores):,} registrations",
            f"{graph.n_nodes:,} nodes, {graph.n_edges:,} edges, {int(graph.ties.sum()):,} strong ties",
        ),
        ("live replay, whole world (insert + features)", f"{t_replay:.1f} s"),
        ("insert one application", str(insert)),
        ("features right after insert", str(lookup)),
        ("insert + features", insert.plus(lookup)),
        ("features of a random existing application", str(again)),
        ("community refresh (Leiden on the live snapshot)", f"{t_refresh:.1f} s"),
        ("batch build (pairs, ties, components, Leiden, exposure)", f"{t_batch:.1f} s"),
        (
            f"ring members, on arrival (score >= {threshold})",
            f"recall {r1:.3f}, precision {p1:.3f}",
        ),
        ("ring members, with retrospective alerts", f"recall {r2:.3f}, precision {p2:.3f}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    parser.add_argument("--world", type=Path, help="an existing world folder to use")
    parser.add_argument("--seed", type=int, default=303, help="seed of the generated world")
    parser.add_argument("--customers", type=int, help="customers of the generated world")
    args = parser.parse_args()
    n, m = (100_000, 500_000) if args.quick else (1_000_000, 5_000_000)
    rows = bench_batch(n, m)
    probes = 2_000 if args.quick else 10_000
    if args.world is not None:
        rows += bench_world(args.world, 0.5, probes)
    else:
        from zhudai.world import generate_world

        customers = args.customers or (3_000 if args.quick else 100_000)
        with tempfile.TemporaryDirectory() as tmp:
            world = generate_world(customers, args.seed, out_dir=Path(tmp) / f"world-{args.seed}")
            rows += bench_world(world, 0.5, probes)
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  result")
    print("-" * (width + 40))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
