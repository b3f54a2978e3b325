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
from zhudai.graph.rings import GROUP_COUNTS, SPACE_BIT, RingScorer, cluster_features, group_signals
from zhudai.graph.tables import APPLICANT_FEATURES, GraphTables
from zhudai.times import US_PER_DAY


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
    if isinstance(col.dtype, pl.Datetime | pl.Date):
        return col.cast(pl.Datetime("us")).dt.epoch("us").to_numpy() / US_PER_DAY
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
        id_value=_value_of(attach, AttributeType.ID, n),
        device_value=_value_of(attach, AttributeType.DEVICE, n),
        value_space=space_of_key,
        link_app=links["app_pos"].to_numpy().astype(np.int64),
        link_value=links["value"].to_numpy().astype(np.int64),
    )
    return tables, attach.drop("key")


def as_igraph(n: int, lo: np.ndarray, hi: np.ndarray) -> ig.Graph:
    """Undirected igraph graph of ``n`` nodes and edges ``lo[i] - hi[i]``.

    igraph reads an edge list as Python pairs; building them from two ``tolist()`` columns
    is a few times faster than letting it iterate a NumPy array (matters at millions of edges).
    """
    return ig.Graph(n=n, edges=list(zip(lo.tolist(), hi.tolist(), strict=True)))


def _value_of(attach: pl.DataFrame, attr: AttributeType, n: int) -> np.ndarray:
    """Each application's (single) value of ``attr``, -1 when it has none."""
    rows = attach.filter(pl.col("attr_type") == attr.value)
    out = np.full(n, -1, dtype=np.int64)
    out[rows["app_pos"].to_numpy()] = rows["value"].to_numpy()
    return out


def connected_components(tables: GraphTables) -> np.ndarray:
    """Component label of each application on the bipartite application-value graph."""
    n = tables.n_apps
    graph = as_igraph(n + tables.n_values, tables.link_app, tables.link_value + n)
    membership = np.asarray(graph.connected_components().membership, dtype=np.int64)[:n]
    return np.unique(membership, return_inverse=True)[1].astype(np.int64)


@dataclass
class SharedPairs:
    """Pairs of applications sharing at least one linked value (``lo < hi``, sorted).

    ``n_shared`` counts the distinct shared values, ``spaces`` is the bit mask of their
    value spaces, ``weight`` the resource-allocation weight (a value linking ``k``
    applications adds ``1 / (k - 1)``: every member draws weight 1 from each value it shares,
    however popular the value), summed in a canonical order so equal graphs give bit-equal
    weights whatever their value numbering.
    """

    lo: np.ndarray
    hi: np.ndarray
    n_shared: np.ndarray
    spaces: np.ndarray
    weight: np.ndarray


def shared_pairs(tables: GraphTables) -> SharedPairs:
    """Every pair of applications joined by a linked value, with what they share."""
    order = np.lexsort((tables.link_app, tables.link_value))
    apps, values = tables.link_app[order], tables.link_value[order]
    _, starts, sizes = np.unique(values, return_index=True, return_counts=True)
    bit_of_value = np.array([SPACE_BIT[s] for s in tables.value_space], dtype=np.int64)
    codes, weights, bits = [], [], []
    n = max(tables.n_apps, 1)
    for k in np.unique(sizes[sizes >= 2]):
        first = starts[sizes == k]
        block = apps[first[:, None] + np.arange(k)]
        iu, ju = np.triu_indices(int(k), 1)
        a, b = block[:, iu].ravel(), block[:, ju].ravel()
        codes.append(np.minimum(a, b) * n + np.maximum(a, b))
        weights.append(np.full(a.size, 1.0 / (k - 1)))
        bits.append(np.repeat(bit_of_value[values[first]], iu.size))
    if not codes:
        empty = np.zeros(0, dtype=np.int64)
        return SharedPairs(empty, empty, empty, empty, np.zeros(0))
    code, weight, bit = np.concatenate(codes), np.concatenate(weights), np.concatenate(bits)
    canon = np.lexsort((weight, code))
    code, weight, bit = code[canon], weight[canon], bit[canon]
    unique_code, inverse, n_shared = np.unique(code, return_inverse=True, return_counts=True)
    spaces = np.zeros(unique_code.size, dtype=np.int64)
    np.bitwise_or.at(spaces, inverse, bit)
    return SharedPairs(
        lo=unique_code // n,
        hi=unique_code % n,
        n_shared=n_shared.astype(np.int64),
        spaces=spaces,
        weight=np.bincount(inverse, weights=weight),
    )


def strong_ties(tables: GraphTables, pairs: SharedPairs, config: GraphConfig) -> np.ndarray:
    """Boolean mask of the pairs that are strong ties (enough shared values, close in time)."""
    gap = np.abs(tables.day[pairs.hi] - tables.day[pairs.lo])
    return (pairs.n_shared >= config.min_shared_values) & (gap <= config.tie_window_days)


def tie_clusters(tables: GraphTables, pairs: SharedPairs, ties: np.ndarray) -> np.ndarray:
    """Cluster label of each application: connected components of the strong-tie graph."""
    graph = as_igraph(tables.n_apps, pairs.lo[ties], pairs.hi[ties])
    return np.asarray(graph.connected_components().membership, dtype=np.int64)


def group_counts(
    tables: GraphTables, membership: np.ndarray, pairs: SharedPairs, ties: np.ndarray
) -> dict[str, np.ndarray]:
    """The :data:`GROUP_COUNTS` of every group of a partition of the applications.

    Ties count in a group when both ends are members; identities and devices are distinct
    values among the members.
    """
    labels, inverse = np.unique(membership, return_inverse=True)
    g = labels.size
    out: dict[str, np.ndarray] = {"group": labels, "n_apps": np.bincount(inverse, minlength=g)}
    for name, values in (("n_ids", tables.id_value), ("n_devices", tables.device_value)):
        has = values >= 0
        pair = np.unique(inverse[has] * (tables.n_values + 1) + values[has])
        out[name] = np.bincount(pair // (tables.n_values + 1), minlength=g)
    inside = ties & (inverse[pairs.lo] == inverse[pairs.hi])
    tie_group = inverse[pairs.lo[inside]]
    out["n_ties"] = np.bincount(tie_group, minlength=g)
    out["tie_values"] = np.bincount(tie_group, weights=pairs.n_shared[inside], minlength=g)
    mask = np.zeros(g, dtype=np.int64)
    np.bitwise_or.at(mask, tie_group, pairs.spaces[inside])
    out["tie_spaces"] = mask
    out["n_known"] = np.bincount(inverse, weights=tables.known, minlength=g)
    out["n_rejected"] = np.bincount(inverse, weights=tables.known & tables.rejected, minlength=g)
    out["n_bad"] = np.bincount(inverse, weights=tables.bad, minlength=g)
    first = np.full(g, np.inf)
    last = np.full(g, -np.inf)
    np.minimum.at(first, inverse, tables.day)
    np.maximum.at(last, inverse, tables.day)
    out["first_day"], out["last_day"] = first, last
    for k in GROUP_COUNTS:
        if k not in ("first_day", "last_day"):
            out[k] = out[k].astype(np.int64)
    return out


def leiden(
    n: int, lo: np.ndarray, hi: np.ndarray, weights: np.ndarray | None, config: GraphConfig
) -> np.ndarray:
    """Leiden (modularity) community of each of ``n`` nodes of the edges ``lo - hi``.

    Seeded from ``config.seed`` so a refresh on the same graph gives the same communities.
    """
    graph = as_igraph(n, lo, hi)
    rng = random.Random(config.seed)
    ig.set_random_number_generator(rng)
    try:
        parts = graph.community_leiden(
            objective_function="modularity",
            weights=weights if weights is not None and weights.size else None,
            resolution=config.resolution,
            n_iterations=2,
        )
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(parts.membership, dtype=np.int64)


def detect_communities(
    tables: GraphTables, config: GraphConfig, pairs: SharedPairs | None = None
) -> np.ndarray:
    """Leiden community of each application on the weighted projected graph.

    Applications with no shared value stay alone in their own community.
    """
    pairs = pairs if pairs is not None else shared_pairs(tables)
    return leiden(tables.n_apps, pairs.lo, pairs.hi, pairs.weight, config)


def exposure(
    tables: GraphTables, pairs: SharedPairs, flags: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Per application: neighbours within 1 and 2 hops and, for each flag, flagged ones.

    Hops are application-to-application steps through a shared linked value; self is never
    counted. Returns ``neighbors_1hop``, ``neighbors_2hop`` and ``<flag>_1hop``,
    ``<flag>_2hop`` for each entry of ``flags``.
    """
    n = tables.n_apps
    rows = np.concatenate([pairs.lo, pairs.hi])
    cols = np.concatenate([pairs.hi, pairs.lo])
    adj = sp.csr_matrix((np.ones(rows.size, dtype=np.int64), (rows, cols)), shape=(n, n))
    reach2 = ((adj + adj @ adj) > 0).astype(np.int64).tolil()
    reach2.setdiag(0)
    reach2 = reach2.tocsr()
    reach2.eliminate_zeros()
    out = {"neighbors_1hop": np.diff(adj.indptr), "neighbors_2hop": np.diff(reach2.indptr)}
    for name, flag in flags.items():
        f = flag.astype(np.int64)
        out[f"{name}_1hop"] = adj @ f
        out[f"{name}_2hop"] = reach2 @ f
    return out


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
    pairs : SharedPairs
        Application pairs sharing a linked value; ``ties`` marks the strong ones.
    components, clusters, communities : numpy.ndarray
        Group label of each application (communities ``None`` if not detected).
    """

    tables: GraphTables
    attachments: pl.DataFrame
    pairs: SharedPairs
    ties: np.ndarray
    components: np.ndarray
    clusters: np.ndarray
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
        return cls.from_tables(tables, attachments, config, scorer, communities=communities)

    @classmethod
    def from_tables(
        cls,
        tables: GraphTables,
        attachments: pl.DataFrame,
        config: GraphConfig,
        scorer: RingScorer | None = None,
        *,
        communities: bool = True,
    ) -> RelationGraph:
        """Derive pairs, ties, components, clusters and communities from graph tables."""
        pairs = shared_pairs(tables)
        ties = strong_ties(tables, pairs, config)
        return cls(
            tables=tables,
            attachments=attachments,
            pairs=pairs,
            ties=ties,
            components=connected_components(tables),
            clusters=tie_clusters(tables, pairs, ties),
            communities=detect_communities(tables, config, pairs) if communities else None,
            config=config,
            scorer=scorer or RingScorer(),
        )

    @property
    def n_nodes(self) -> int:
        """Application nodes plus attribute-value nodes."""
        return self.tables.n_apps + self.tables.n_values

    @property
    def n_edges(self) -> int:
        """Attachments (typed application-value edges)."""
        return self.attachments.height

    def group_table(self, kind: str = "cluster") -> pl.DataFrame:
        """One row per group of ``kind`` (``"cluster"``, ``"community"`` or ``"component"``):
        counts, signals and ``ring_score``, highest ring score first."""
        counts = group_counts(self.tables, self._membership(kind), self.pairs, self.ties)
        frame = pl.DataFrame(
            {**counts, **group_signals(counts), "ring_score": self.scorer.score(counts)}
        )
        return frame.sort("ring_score", descending=True)

    def _membership(self, kind: str) -> np.ndarray:
        memberships = {
            "cluster": self.clusters,
            "component": self.components,
            "community": self.communities,
        }
        if kind not in memberships:
            raise InvalidInputError(
                "kind", f"must be 'cluster', 'community' or 'component'; got {kind!r}"
            )
        membership = memberships[kind]
        if membership is None:
            raise InvalidInputError("kind", "communities were not detected in this build")
        return membership

    def application_features(self) -> pl.DataFrame:
        """Final-state graph features of every application (columns ``application_id`` and
        :data:`APPLICANT_FEATURES`), equal to the live index's after the same history."""
        t = self.tables
        cols: dict[str, np.ndarray] = {}
        comp = group_counts(t, self.components, self.pairs, self.ties)
        pos = np.searchsorted(comp["group"], self.components)
        cols["component_size"] = comp["n_apps"][pos]
        cols["component_ids"] = comp["n_ids"][pos]
        counts = group_counts(t, self.clusters, self.pairs, self.ties)
        pos = np.searchsorted(counts["group"], self.clusters)
        for name, values in cluster_features(counts, self.scorer).items():
            cols[name] = np.asarray(values)[pos]
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
        cols["strong_ties"] = np.bincount(
            np.concatenate([self.pairs.lo[self.ties], self.pairs.hi[self.ties]]),
            minlength=t.n_apps,
        )
        cols.update(exposure(t, self.pairs, {"rejected": t.known & t.rejected, "bad": t.bad}))
        if self.communities is not None:
            cc = group_counts(t, self.communities, self.pairs, self.ties)
            cpos = np.searchsorted(cc["group"], self.communities)
            cols["community_id"] = self.communities
            cols["community_size"] = cc["n_apps"][cpos]
            cols["community_ring_score"] = self.scorer.score(cc)[cpos]
        else:
            cols["community_id"] = np.full(t.n_apps, -1)
            cols["community_size"] = np.zeros(t.n_apps)
            cols["community_ring_score"] = np.zeros(t.n_apps)
        frame = {k: np.asarray(cols[k], dtype=np.float64) for k in APPLICANT_FEATURES}
        return pl.DataFrame({"application_id": t.application_id, **frame})
