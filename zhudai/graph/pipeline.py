"""Build a world's relationship graph end to end: replay live, then batch tables, then files.

Shared by ``zhudai graph build`` and the demo stage. The replay gives point-in-time features
(each application sees only earlier applications and their decisions); the batch build gives
the final group tables (clusters, communities, components) for reports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from zhudai.graph.batch import RelationGraph
from zhudai.graph.config import GraphConfig
from zhudai.graph.index import GraphIndex
from zhudai.graph.rings import RingScorer
from zhudai.graph.tables import APPLICANT_FEATURES
from zhudai.graph.world import iter_records, load_records

GROUP_FILES = {
    "cluster": "clusters.parquet",
    "community": "communities.parquet",
    "component": "components.parquet",
}


@dataclass
class GraphBuild:
    """What a build produced: the live index, the batch graph, file paths and timings."""

    index: GraphIndex
    graph: RelationGraph
    paths: dict[str, Path]
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self, top: int = 5) -> list[str]:
        """Lines describing the graph: sizes, groups and the most ring-like clusters."""
        g, t = self.graph, self.graph.tables
        comp_sizes = np.bincount(np.unique(g.components, return_inverse=True)[1])
        clusters = g.group_table("cluster").filter(pl.col("n_ids") >= 2)
        comms = (
            np.bincount(np.unique(g.communities, return_inverse=True)[1])
            if g.communities is not None
            else np.zeros(0, dtype=np.int64)
        )
        lines = [
            f"nodes: {g.n_nodes:,} ({t.n_apps:,} applications and registrations, {t.n_values:,} attribute values); "
            f"edges: {g.n_edges:,} typed attachments, {t.link_app.size:,} linking",
            f"application pairs sharing a value: {g.pairs.lo.size:,}; strong ties: "
            f"{int(g.ties.sum()):,}",
            f"components with >= 2 nodes: {int((comp_sizes >= 2).sum()):,} "
            f"(largest {int(comp_sizes.max(initial=0)):,})",
            f"communities (Leiden) with >= 2 nodes: {int((comms >= 2).sum()):,}",
            f"clusters with >= 2 identities: {clusters.height:,}; ring score >= 0.5: "
            f"{int((clusters['ring_score'] >= 0.5).sum()):,}",
            "top clusters (ids, apps, devices, span days, rejected share, ring score):",
        ]
        for row in clusters.head(top).iter_rows(named=True):
            lines.append(
                f"  {row['n_ids']:>4} {row['n_apps']:>4} {row['n_devices']:>3} "
                f"{row['last_day'] - row['first_day']:>7.1f} {row['rejected_share']:>5.2f} "
                f"{row['ring_score']:.3f}"
            )
        lines.append("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items()))
        return lines


def replay_features(index: GraphIndex, records: pl.DataFrame) -> pl.DataFrame:
    """Add every record in time order; for each application, read its features on arrival
    and then feed back its historical decision (``status``), as the live system would.

    Registrations (``is_application`` false) join the graph but get no feature row.
    """
    rows: list[tuple[float, ...]] = []
    ids = []
    for record in iter_records(records):
        index.add_application(record)
        if not record.get("is_application", True):
            continue
        feats = index.applicant_features(record["application_id"])
        ids.append(record["application_id"])
        rows.append(tuple(feats[k] for k in APPLICANT_FEATURES))
        if record.get("status") is not None:
            index.record_outcome(record["application_id"], rejected=record["status"] == "rejected")
    frame = pl.DataFrame(rows, schema=list(APPLICANT_FEATURES), orient="row")
    return frame.insert_column(0, pl.Series("application_id", ids))


def build_world_graph(
    world_dir: str | Path,
    out_dir: str | Path,
    config: GraphConfig | None = None,
    scorer: RingScorer | None = None,
) -> GraphBuild:
    """Replay a world through the live index and write the graph's Parquet tables.

    The graph holds applications and customers' registrations (see
    :mod:`zhudai.graph.world`). Files in ``out_dir``: ``application_features.parquet``
    (point-in-time features per application), ``memberships.parquet`` (component, cluster,
    community and final ring score per application), ``clusters.parquet``,
    ``communities.parquet``, ``components.parquet`` (groups of >= 2 nodes with counts,
    signals and ring score).
    """
    config = config or GraphConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    records = load_records(world_dir)
    index = GraphIndex(config, scorer)
    features = replay_features(index, records)
    seconds["replay"] = time.perf_counter() - started
    started = time.perf_counter()
    index.refresh_communities()
    graph = RelationGraph.build(records, config, index.scorer)
    seconds["batch"] = time.perf_counter() - started
    final = index.ring_scores()
    t = graph.tables
    memberships = pl.DataFrame(
        {
            "application_id": t.application_id,
            "component": graph.components,
            "cluster": graph.clusters,
            "community": graph.communities,
            "ring_score_final": [final[a] for a in t.application_id],
        }
    ).filter(pl.col("application_id").is_in(features["application_id"].implode()))
    paths = {
        "application_features": out / "application_features.parquet",
        "memberships": out / "memberships.parquet",
    }
    features.write_parquet(paths["application_features"])
    memberships.write_parquet(paths["memberships"])
    for kind, name in GROUP_FILES.items():
        paths[kind] = out / name
        graph.group_table(kind).filter(pl.col("n_apps") >= 2).write_parquet(paths[kind])
    return GraphBuild(index=index, graph=graph, paths=paths, seconds=seconds)
