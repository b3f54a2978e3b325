"""The live index and the batch build follow one set of rules, so they must agree exactly."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.graph.conftest import random_records
from zhudai.graph import APPLICANT_FEATURES, GraphConfig, GraphIndex, RelationGraph


def _replayed(records: list[dict], config: GraphConfig) -> GraphIndex:
    index = GraphIndex(config)
    for r in sorted(records, key=lambda r: (r["applied_at"], r["application_id"])):
        index.add_application(r)
        index.record_outcome(r["application_id"], rejected=r["status"] == "rejected", bad=r["bad"])
    return index


def _assert_same(batch: pl.DataFrame, index: GraphIndex, columns) -> None:
    live = pl.DataFrame(
        [{"application_id": a, **index.applicant_features(a)} for a in batch["application_id"]]
    )
    for column in columns:
        np.testing.assert_allclose(
            live[column].to_numpy(), batch[column].to_numpy(), rtol=1e-9, err_msg=column
        )


@pytest.mark.parametrize(
    "config",
    [GraphConfig(), GraphConfig(link_cap=3, min_shared_values=1, tie_window_days=10.0)],
    ids=["default", "tight"],
)
def test_incremental_equals_batch_rebuild(config: GraphConfig) -> None:
    records = random_records(400, seed=3)
    index = _replayed(records, config)
    index.refresh_communities()
    graph = RelationGraph.build(pl.DataFrame(records), config)
    _assert_same(graph.application_features(), index, APPLICANT_FEATURES)
    # the same components and clusters, whatever the labels
    order = graph.tables.application_id
    for labels, name_of in (
        (graph.components, index.component_of),
        (graph.clusters, index.cluster_of),
    ):
        live = [name_of(a) for a in order]
        pairs = {(int(b), lv) for b, lv in zip(labels, live, strict=True)}
        assert len(pairs) == len(set(labels.tolist())) == len(set(live))


def test_arrival_features_equal_a_batch_of_the_past() -> None:
    """Point in time: an application's features on arrival are the batch features of the
    history up to it, with every earlier decision known and its own not yet."""
    records = sorted(
        random_records(150, seed=5), key=lambda r: (r["applied_at"], r["application_id"])
    )
    index = GraphIndex()
    arrival = {}
    for r in records:
        arrival[r["application_id"]] = index.score_application(r)
        index.record_outcome(r["application_id"], rejected=r["status"] == "rejected")
    live_only = [c for c in APPLICANT_FEATURES if not c.startswith("community")]
    for k in (10, 75, 149):
        past = [dict(r, bad=False) for r in records[: k + 1]]
        past[-1]["status"] = None
        batch = RelationGraph.build(pl.DataFrame(past), communities=False).application_features()
        row = batch.filter(pl.col("application_id") == records[k]["application_id"])
        for column in live_only:
            assert row[column][0] == pytest.approx(arrival[records[k]["application_id"]][column]), (
                column
            )


def test_snapshot_round_trips_to_the_batch_tables() -> None:
    records = random_records(120, seed=9)
    index = _replayed(records, GraphConfig())
    graph = RelationGraph.build(pl.DataFrame(records))
    snap = RelationGraph.from_tables(index.snapshot(), graph.attachments, GraphConfig())
    np.testing.assert_array_equal(snap.pairs.lo, graph.pairs.lo)
    np.testing.assert_array_equal(snap.pairs.hi, graph.pairs.hi)
    np.testing.assert_array_equal(snap.pairs.weight, graph.pairs.weight)
    np.testing.assert_array_equal(snap.communities, graph.communities)
