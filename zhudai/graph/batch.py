"""Batch relationship graph: the whole history at once, vectorised (polars, NumPy, igraph).

The batch build applies exactly the rules of the live :class:`zhudai.graph.index.GraphIndex`
(arrival order, link types, per-value link cap), so a nightly rebuild and the live index
agree; tests hold them equal. It adds what the live path only refreshes periodically:
Leiden communities on the projected application graph, and group tables for reports.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import igraph as ig
import numpy as np
import polars as pl
import scipy.sparse as sp

from zhudai.exceptions import InvalidInputError
from zhudai.graph.attributes import (
    ATTRIBUTE_TYPES,
    CONTACTS_FIELD,
    RECORD_FIELD,
    VALUE_SPACE,
    AttributeType,
)
from zhudai.graph.config import GraphConfig
from zhudai.graph.rings import GROUP_COUNTS, RingScorer, group_signals
from zhudai.graph.tables import APPLICANT_FEATURES, SPACE_BIT, GraphTables


def _attachment_frame(records: pl.DataFrame) -> pl.DataFrame:
    """Long table ``app_pos, attr_type, key`` of every distinct attachment."""
    parts = []
    for attr in ATTRIBUTE_TYPES:
        column = CONTACTS_FIELD if attr is AttributeType.CONTACT else RECORD_FIELD[attr]
        if column not in records.columns:
            continue
        values = records.select("app_pos", pl.col(column).alias("value"))
        if attr is AttributeType.CONTACT:
            if not isinstance(records.schema[column], pl.List):
                raise InvalidInputError(column, "must be a list column of phone tokens")
            values = values.explode("value")
        values = values.with_columns(pl.col("value").cast(pl.Utf8)).filter(
            pl.col("value").is_not_null() & (pl.col("value") != "")
        )
        parts.append(
            values.select(
                "app_pos",
                pl.lit(attr.value).alias("attr_type"),
                (pl.lit(VALUE_SPACE[attr] + ":") + pl.col("value")).alias("key"),
            )
        )
    if not parts:
        return pl.DataFrame(
            {"app_pos": [], "attr_type": [], "key": []},
            schema={"app_pos": pl.Int64, "attr_type": pl.Utf8, "key": pl.Utf8},
        )
    return pl.concat(parts).unique(maintain_order=True)


def _ordered_records(records: pl.DataFrame) -> pl.DataFrame:
    """Records sorted into arrival order (``applied_at``, then ``application_id``)."""
    for column in ("application_id", "applied_at"):
        if column not in records.columns:
            raise InvalidInputError(column, "is a required column of the application records")
    if records["application_id"].is_duplicated().any():
        dup = records.filter(pl.col("application_id").is_duplicated())["application_id"][0]
        raise InvalidInputError("application_id", f"duplicated value {dup!r}")
    return records.sort(["applied_at", "application_id"]).with_row_index("app_pos")


def _day_column(records: pl.DataFrame) -> np.ndarray:
    col = records["applied_at"]
    if col.dtype in (pl.Datetime, pl.Date) or isinstance(col.dtype, pl.Datetime):
        return col.cast(pl.Datetime("us")).dt.epoch("us").to_numpy() / 86_400e6
    if col.dtype.is_numeric():
        return col.cast(pl.Float64).to_numpy()
    raise InvalidInputError("applied_at", f"must be a datetime column; got {col.dtype}")


def build_tables(
    records: pl.DataFrame, config: GraphConfig, *, with_outcomes: bool
) -> tuple[GraphTables, pl.DataFrame]:
    """Turn application records into graph tables plus the full attachment table.

    Returns
    -------
    (GraphTables, attachments)
        ``attachments`` has ``app_pos, attr_type, value, degree`` (degree = distinct
        applications on that value).
    """
    ordered = _ordered_records(records).with_columns(pl.col("app_pos").cast(pl.Int64))
    attach = _attachment_frame(ordered)
    keys = attach.select("key").unique(maintain_order=True).with_row_index("value")
    attach = attach.join(keys, on="key").with_columns(pl.col("value").cast(pl.Int64))
    degree = attach.group_by("value").agg(pl.col("app_pos").n_unique().alias("degree"))
    attach = attach.join(degree, on="value").sort(["app_pos", "value"])
    link_names = [t.value for t in config.link_types]
    links = (
        attach.filter(pl.col("attr_type").is_in(link_names))
        .select("app_pos", "value")
        .unique()
        .sort(["value", "app_pos"])
        .with_columns(pl.int_range(pl.len()).over("value").alias("rank"))
        .filter(pl.col("rank") < config.link_cap)
    )
    space_of_key = keys["key"].str.split_exact(":", 1).struct.field("field_0").to_list()
    n = ordered.height
    if with_outcomes and "status" in ordered.columns:
        status = ordered["status"]
        known = status.is_not_null().to_numpy()
        rejected = (status == "rejected").fill_null(False).to_numpy()
    else:
        known = np.zeros(n, dtype=bool)
        rejected = np.zeros(n, dtype=bool)
    bad = (
        ordered["bad"].fill_null(False).cast(pl.Boolean).to_numpy()
        if with_outcomes and "bad" in ordered.columns
        else np.zeros(n, dtype=bool)
    )
    tables = GraphTables(
        application_id=ordered["application_id"].to_list(),
        day=_day_column(ordered),
        known=known,
        rejected=rejected,
        bad=bad,
        value_space=space_of_key,
        link_app=links["app_pos"].to_numpy().astype(np.int64),
        link_value=links["value"].to_numpy().astype(np.int64),
    )
    return tables, attach.drop("key")


def connected_components(tables: GraphTables) -> np.ndarray:
    """Component label of each application on the bipartite application-value graph."""
    n = tables.n_apps
    edges = np.column_stack([tables.link_app, tables.link_value + n])
    graph = ig.Graph(n=n + tables.n_values, edges=edges)
    membership = np.asarray(graph.connected_components().membership, dtype=np.int64)[:n]
    return np.unique(membership, return_inverse=True)[1].astype(np.int64)


def group_counts(tables: GraphTables, membership: np.ndarray) -> dict[str, np.ndarray]:
    """The :data:`GROUP_COUNTS` of every group of a partition of the applications.

    A value counts in a group through the group's members linked to it (for components that
    is all of them; a community may share a value with another community).
    """
    labels, inverse = np.unique(membership, return_inverse=True)
    g_count = labels.size
    out: dict[str, np.ndarray] = {"group": labels}
    out["n_apps"] = np.bincount(inverse, minlength=g_count)
    g_of_link = inverse[tables.link_app]
    pair = g_of_link * max(tables.n_values, 1) + tables.link_value
    pairs, c = np.unique(pair, return_counts=True)
    pg, pv = pairs // max(tables.n_values, 1), pairs % max(tables.n_values, 1)
    space = np.asarray(tables.value_space, dtype=object)[pv] if pv.size else np.array([], object)
    out["n_ids"] = np.bincount(pg[space == "id"], minlength=g_count)
    out["n_devices"] = np.bincount(pg[space == "device"], minlength=g_count)
    shared = c >= 2
    out["n_shared_values"] = np.bincount(pg[shared], minlength=g_count)
    out["shared_attachments"] = np.bincount(pg[shared], weights=c[shared], minlength=g_count)
    mask = np.zeros(g_count, dtype=np.int64)
    bits = np.array([SPACE_BIT[s] for s in space[shared]], dtype=np.int64)
    np.bitwise_or.at(mask, pg[shared], bits)
    out["shared_spaces"] = mask
    out["n_known"] = np.bincount(inverse, weights=tables.known, minlength=g_count)
    out["n_rejected"] = np.bincount(
        inverse, weights=tables.known & tables.rejected, minlength=g_count
    )
    out["n_bad"] = np.bincount(inverse, weights=tables.bad, minlength=g_count)
    first = np.full(g_count, np.inf)
    last = np.full(g_count, -np.inf)
    np.minimum.at(first, inverse, tables.day)
    np.maximum.at(last, inverse, tables.day)
    out["first_day"], out["last_day"] = first, last
    for k in GROUP_COUNTS:
        if k not in ("first_day", "last_day"):
            out[k] = out[k].astype(np.int64)
    return out


def projected_edges(tables: GraphTables) -> tuple[np.ndarray, np.ndarray]:
    """Application-application edges of applications sharing a linked value, with weights.

    A value linking ``k`` applications adds ``1 / (k - 1)`` to each of its pairs, so every
    member draws weight 1 from each value it shares however popular the value is (the
    resource-allocation weighting); pairs sharing several values add up. The sum runs in a
    canonical order, so equal graphs give bit-equal weights whatever their value numbering.

    Returns
    -------
    (edges, weights)
        ``edges`` is an ``(m, 2)`` array with ``edges[:, 0] < edges[:, 1]``, sorted.
    """
    order = np.lexsort((tables.link_app, tables.link_value))
    apps, values = tables.link_app[order], tables.link_value[order]
    _, starts, sizes = np.unique(values, return_index=True, return_counts=True)
    codes, weights = [], []
    n = max(tables.n_apps, 1)
    for k in np.unique(sizes[sizes >= 2]):
        block = apps[starts[sizes == k][:, None] + np.arange(k)]
        iu, ju = np.triu_indices(int(k), 1)
        a, b = block[:, iu].ravel(), block[:, ju].ravel()
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        codes.append(lo * n + hi)
        weights.append(np.full(lo.size, 1.0 / (k - 1)))
    if not codes:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    code, weight = np.concatenate(codes), np.concatenate(weights)
    canon = np.lexsort((weight, code))
    code, weight = code[canon], weight[canon]
    unique_code, inverse = np.unique(code, return_inverse=True)
    total = np.bincount(inverse, weights=weight)
    return np.column_stack([unique_code // n, unique_code % n]), total


def detect_communities(tables: GraphTables, config: GraphConfig) -> np.ndarray:
    """Leiden (modularity) community of each application on the weighted projected graph.

    Applications with no shared value stay alone in their own community.
    """
    edges, weights = projected_edges(tables)
    graph = ig.Graph(n=tables.n_apps, edges=edges)
    rng = random.Random(config.seed)
    ig.set_random_number_generator(rng)
    try:
        parts = graph.community_leiden(
            objective_function="modularity",
            weights=weights if weights.size else None,
            resolution=config.resolution,
            n_iterations=2,
        )
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(parts.membership, dtype=np.int64)


def exposure(tables: GraphTables, flags: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per application: neighbours and flagged neighbours within 1 and within 2 hops.

    Returns
    -------
    (n1, flagged1, n2, flagged2)
        Hops are application-to-application steps through a shared linked value; self is
        never counted.
    """
    edges, _ = projected_edges(tables)
    n = tables.n_apps
    data = np.ones(2 * len(edges), dtype=np.int64)
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    adj = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
    reach2 = ((adj + adj @ adj) > 0).astype(np.int64).tolil()
    reach2.setdiag(0)
    reach2 = reach2.tocsr()
    reach2.eliminate_zeros()
    f = flags.astype(np.int64)
    return (
        np.diff(adj.indptr),
        adj @ f,
        np.diff(reach2.indptr),
        reach2 @ f,
    )


def _group_features(
    counts: dict[str, np.ndarray], scorer: RingScorer
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    return group_signals(counts), scorer.score(counts)


@dataclass
class RelationGraph:
    """A relationship graph built in one batch from application records.

    Build it with :meth:`build`; read :meth:`application_features`, :meth:`group_table`.

    Attributes
    ----------
    tables : GraphTables
        Applications in arrival order and their linking attachments.
    attachments : polars.DataFrame
        Every attachment: ``app_pos, attr_type, value, degree``.
    components, communities : numpy.ndarray
        Group label of each application (communities ``None`` if not detected).
    """

    tables: GraphTables
    attachments: pl.DataFrame
    components: np.ndarray
    communities: np.ndarray | None
    config: GraphConfig
    scorer: RingScorer

    @classmethod
    def build(
        cls,
        records: pl.DataFrame,
        config: GraphConfig | None = None,
        scorer: RingScorer | None = None,
        *,
        with_outcomes: bool = True,
        communities: bool = True,
    ) -> RelationGraph:
        """Build from records (``application_id``, ``applied_at``, attribute columns,
        ``contact_phone_tokens`` list, optional ``status`` and ``bad``)."""
        config = config or GraphConfig()
        tables, attachments = build_tables(records, config, with_outcomes=with_outcomes)
        components = connected_components(tables)
        comms = detect_communities(tables, config) if communities else None
        return cls(tables, attachments, components, comms, config, scorer or RingScorer())

    @property
    def n_nodes(self) -> int:
        """Application nodes plus attribute-value nodes."""
        return self.tables.n_apps + self.tables.n_values

    @property
    def n_edges(self) -> int:
        """Attachments (typed application-value edges)."""
        return self.attachments.height

    def group_table(self, kind: str = "community") -> pl.DataFrame:
        """One row per group (``kind`` ``"component"`` or ``"community"``): counts, signals,
        ``ring_score``, sorted by ring score, highest first."""
        membership = self._membership(kind)
        counts = group_counts(self.tables, membership)
        signals, score = _group_features(counts, self.scorer)
        frame = pl.DataFrame({**counts, **signals, "ring_score": score})
        return frame.sort("ring_score", descending=True)

    def _membership(self, kind: str) -> np.ndarray:
        if kind == "component":
            return self.components
        if kind == "community":
            if self.communities is None:
                raise InvalidInputError("kind", "communities were not detected in this build")
            return self.communities
        raise InvalidInputError("kind", f"must be 'component' or 'community'; got {kind!r}")

    def application_features(self) -> pl.DataFrame:
        """Final-state graph features of every application (columns ``application_id`` and
        :data:`APPLICANT_FEATURES`), equal to the live index's after the same history."""
        t = self.tables
        cols: dict[str, np.ndarray] = {}
        counts = group_counts(t, self.components)
        signals, score = _group_features(counts, self.scorer)
        pos = np.searchsorted(counts["group"], self.components)
        cols["component_size"] = counts["n_apps"][pos]
        cols["component_ids"] = counts["n_ids"][pos]
        cols["component_devices"] = counts["n_devices"][pos]
        cols["component_density"] = signals["density"][pos]
        cols["component_intensity"] = signals["intensity"][pos]
        cols["component_shared_spaces"] = signals["n_shared_spaces"][pos]
        cols["component_rejected_share"] = signals["rejected_share"][pos]
        cols["component_bad_count"] = counts["n_bad"][pos]
        cols["component_apps_per_30d"] = signals["apps_per_30d"][pos]
        comp_score = score[pos]
        cols["component_ring_score"] = comp_score
        shared = (
            self.attachments.group_by("app_pos", "attr_type")
            .agg((pl.col("degree") - 1).sum().alias("n"))
            .pivot(on="attr_type", index="app_pos", values="n")
        )
        full = pl.DataFrame({"app_pos": np.arange(t.n_apps, dtype=np.int64)}).join(
            shared.with_columns(pl.col("app_pos").cast(pl.Int64)), on="app_pos", how="left"
        )
        n_types = np.zeros(t.n_apps)
        for attr in ATTRIBUTE_TYPES:
            values = (
                full[attr.value].fill_null(0).to_numpy().astype(np.float64)
                if attr.value in full.columns
                else np.zeros(t.n_apps)
            )
            cols[f"shared_{attr.value}_count"] = values
            n_types += values > 0
        cols["shared_types"] = n_types
        n1, r1, n2, r2 = exposure(t, t.known & t.rejected)
        _, b1, _, b2 = exposure(t, t.bad)
        cols.update(neighbors_1hop=n1, neighbors_2hop=n2, rejected_1hop=r1, rejected_2hop=r2)
        cols.update(bad_1hop=b1, bad_2hop=b2)
        if self.communities is not None:
            cc = group_counts(t, self.communities)
            cpos = np.searchsorted(cc["group"], self.communities)
            cols["community_id"] = self.communities
            cols["community_size"] = cc["n_apps"][cpos]
            comm_score = self.scorer.score(cc)[cpos]
        else:
            cols["community_id"] = np.full(t.n_apps, -1)
            cols["community_size"] = np.zeros(t.n_apps)
            comm_score = np.zeros(t.n_apps)
        cols["community_ring_score"] = comm_score
        small = counts["n_ids"][pos] <= self.scorer.max_ring_ids
        cols["ring_score"] = np.where(small, comp_score, np.maximum(comp_score, comm_score))
        frame = {k: np.asarray(cols[k], dtype=np.float64) for k in APPLICANT_FEATURES}
        return pl.DataFrame({"application_id": t.application_id, **frame})
