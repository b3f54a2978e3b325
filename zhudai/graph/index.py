"""The live relationship graph: add one application at a time, read its graph features at once.

Nodes are applications and attribute values (a device, an IP, a phone ...), joined by typed
attachments: a bipartite graph. Components are kept by a union-find whose roots carry the
group counts of :data:`zhudai.graph.rings.GROUP_COUNTS`, merged on every union, so an insert
costs a few dictionary look-ups per attribute and a lookup never walks the component.
Communities (Leiden) are refreshed on demand from a snapshot, as a batch job would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.graph.attributes import ATTRIBUTE_TYPES, VALUE_SPACE, AttributeType, record_attachments
from zhudai.graph.batch import detect_communities, group_counts
from zhudai.graph.config import GraphConfig
from zhudai.graph.rings import GROUP_COUNTS, RingScorer, group_signals
from zhudai.graph.tables import SPACE_BIT, GraphTables
from zhudai.graph.unionfind import UnionFind

_EPOCH = datetime(1970, 1, 1)


def to_day(value: Any) -> float:
    """Days since 1970-01-01 of a naive datetime, date, numpy datetime64 or a number of days.

    Examples
    --------
    >>> to_day(datetime(1970, 1, 2, 12))
    1.5
    """
    if isinstance(value, datetime):
        return (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400.0
    if isinstance(value, date):
        return float((value - _EPOCH.date()).days)
    if isinstance(value, np.datetime64):
        return float(value.astype("datetime64[us]").astype(np.int64)) / 86_400e6
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return float(value)
    raise InvalidInputError("applied_at", f"must be a datetime; got {type(value).__name__}")


class _Group:
    """Counts of one component, held at its union-find root."""

    __slots__ = GROUP_COUNTS

    def __init__(self, day: float) -> None:
        self.n_apps = 1
        self.n_ids = 0
        self.n_devices = 0
        self.n_shared_values = 0
        self.shared_attachments = 0
        self.shared_spaces = 0
        self.n_known = 0
        self.n_rejected = 0
        self.n_bad = 0
        self.first_day = day
        self.last_day = day

    def absorb(self, other: _Group) -> None:
        self.n_apps += other.n_apps
        self.n_ids += other.n_ids
        self.n_devices += other.n_devices
        self.n_shared_values += other.n_shared_values
        self.shared_attachments += other.shared_attachments
        self.shared_spaces |= other.shared_spaces
        self.n_known += other.n_known
        self.n_rejected += other.n_rejected
        self.n_bad += other.n_bad
        self.first_day = min(self.first_day, other.first_day)
        self.last_day = max(self.last_day, other.last_day)

    def counts(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in GROUP_COUNTS}


class _App:
    __slots__ = ("application_id", "day", "attachments", "links", "rejected", "known", "bad")

    def __init__(self, application_id: Any, day: float) -> None:
        self.application_id = application_id
        self.day = day
        self.attachments: list[tuple[AttributeType, int]] = []  # (type, value node)
        self.links: list[int] = []  # value nodes this application is joined to
        self.known = False
        self.rejected = False
        self.bad = False


class _Value:
    __slots__ = ("space", "apps", "linked")

    def __init__(self, space: str) -> None:
        self.space = space
        self.apps: list[int] = []  # distinct application nodes attached (the degree)
        self.linked: list[int] = []  # the first ``link_cap`` of them that joined its group


class GraphIndex:
    """Incremental relationship graph with decision-time graph features and ring scores.

    Parameters
    ----------
    config : GraphConfig, optional
        Link types and the per-value link cap (see :class:`GraphConfig`).
    scorer : RingScorer, optional
        Ring score of components and communities.

    Examples
    --------
    >>> index = GraphIndex()
    >>> _ = index.add_application({"application_id": 1, "applied_at": datetime(2025, 1, 1),
    ...                            "device_id": "d1", "id_token": "A"})
    >>> _ = index.add_application({"application_id": 2, "applied_at": datetime(2025, 1, 2),
    ...                            "device_id": "d1", "id_token": "B"})
    >>> f = index.applicant_features(2)
    >>> f["component_size"], f["component_ids"], f["shared_device_count"]
    (2.0, 2.0, 1.0)
    """

    def __init__(self, config: GraphConfig | None = None, scorer: RingScorer | None = None):
        self.config = config or GraphConfig()
        self.scorer = scorer or RingScorer()
        self._uf = UnionFind()
        self._app_node: dict[Any, int] = {}
        self._apps: dict[int, _App] = {}
        self._value_node: dict[str, int] = {}
        self._values: dict[int, _Value] = {}
        self._groups: dict[int, _Group] = {}
        self._community: dict[int, int] = {}
        self._community_info: dict[int, tuple[float, float]] = {}  # id -> (size, ring score)

    # ------------------------------------------------------------------ updates
    def __len__(self) -> int:
        """Number of applications in the index."""
        return len(self._apps)

    def add_application(self, record: Mapping[str, Any]) -> int:
        """Add one arriving application and its attachments; return its node id.

        ``record`` holds ``application_id``, ``applied_at`` and the attribute fields of
        :func:`zhudai.graph.attributes.record_attachments`. A ``status`` in the record is NOT
        used (the decision is not known on arrival): call :meth:`record_outcome` afterwards.
        """
        if "application_id" not in record:
            raise InvalidInputError("application_id", "is required")
        app_id = record["application_id"]
        if app_id in self._app_node:
            raise InvalidInputError("application_id", f"{app_id!r} was already added")
        day = to_day(record.get("applied_at"))
        node = self._uf.add()
        app = _App(app_id, day)
        self._app_node[app_id] = node
        self._apps[node] = app
        self._groups[node] = _Group(day)
        link_types, cap = self.config.link_types, self.config.link_cap
        for attr, key in record_attachments(record):
            v = self._value_node.get(key)
            if v is None:
                v = self._uf.add()
                self._value_node[key] = v
                self._values[v] = _Value(VALUE_SPACE[attr])
            value = self._values[v]
            app.attachments.append((attr, v))
            if not value.apps or value.apps[-1] != node:
                value.apps.append(node)
            if attr in link_types and len(value.linked) < cap and v not in app.links:
                self._link(node, app, v, value)
        return node

    def _link(self, node: int, app: _App, v: int, value: _Value) -> None:
        app.links.append(v)
        value.linked.append(node)
        k = len(value.linked)
        if k == 1:  # the value joins this application's group
            root = self._uf.find(node)
            group = self._groups[root]
            new_root, _ = self._uf.union(root, v)
            if new_root != root:
                self._groups[new_root] = self._groups.pop(root)
            group.n_ids += value.space == "id"
            group.n_devices += value.space == "device"
            return
        root, absorbed = self._uf.union(node, v)
        group = self._groups[root]
        if absorbed is not None:
            group.absorb(self._groups.pop(absorbed))
        group.shared_attachments += 2 if k == 2 else 1
        group.n_shared_values += k == 2
        group.shared_spaces |= SPACE_BIT[value.space]

    def record_outcome(
        self, application_id: Any, *, rejected: bool | None = None, bad: bool | None = None
    ) -> None:
        """Record (or correct) an application's decision and/or its known-bad flag.

        Rejected and bad applications raise the exposure and ring scores of their neighbours.
        """
        node = self._node(application_id)
        app = self._apps[node]
        group = self._groups[self._uf.find(node)]
        if rejected is not None:
            group.n_known += not app.known
            group.n_rejected += int(bool(rejected)) - int(app.rejected)
            app.known, app.rejected = True, bool(rejected)
        if bad is not None:
            group.n_bad += int(bool(bad)) - int(app.bad)
            app.bad = bool(bad)

    # ------------------------------------------------------------------ lookups
    def _node(self, application_id: Any) -> int:
        try:
            return self._app_node[application_id]
        except KeyError:
            raise NotFoundError("application_id", application_id) from None

    def component_of(self, application_id: Any) -> int:
        """Component label (its union-find root) of an application."""
        return self._uf.find(self._node(application_id))

    def component_counts(self, application_id: Any) -> dict[str, float]:
        """The group counts of the application's component."""
        return self._groups[self.component_of(application_id)].counts()

    def neighbours(self, application_id: Any, hops: int = 1) -> set[Any]:
        """Application ids within ``hops`` application-to-application steps (self excluded)."""
        node = self._node(application_id)
        return {self._apps[n].application_id for n in self._rings_around(node, hops)[-1]}

    def _rings_around(self, node: int, hops: int) -> list[set[int]]:
        """Cumulative neighbourhoods: element k holds nodes within k + 1 hops (self excluded)."""
        seen = {node}
        frontier = {node}
        out: list[set[int]] = []
        for _ in range(hops):
            nxt: set[int] = set()
            for a in frontier:
                for v in self._apps[a].links:
                    nxt.update(self._values[v].linked)
            nxt -= seen
            seen |= nxt
            frontier = nxt
            out.append(seen - {node})
        return out

    def applicant_features(self, application_id: Any) -> dict[str, float]:
        """Graph features of one application now (keys :data:`APPLICANT_FEATURES`).

        Component features are live. Community features come from the last
        :meth:`refresh_communities`; an application added since takes the community most
        common among its direct neighbours (``community_id`` -1 and size 0 when none).
        ``ring_score`` is the component's score while the component is small enough to be a
        team (``scorer.max_ring_ids`` identities), else the larger of the community's and the
        component's.
        """
        node = self._node(application_id)
        app = self._apps[node]
        counts = self._groups[self._uf.find(node)].counts()
        signals = group_signals(counts)
        comp_score = float(self.scorer.score(counts))
        feats: dict[str, float] = {
            "component_size": float(counts["n_apps"]),
            "component_ids": float(counts["n_ids"]),
            "component_devices": float(counts["n_devices"]),
            "component_density": float(signals["density"]),
            "component_intensity": float(signals["intensity"]),
            "component_shared_spaces": float(signals["n_shared_spaces"]),
            "component_rejected_share": float(signals["rejected_share"]),
            "component_bad_count": float(counts["n_bad"]),
            "component_apps_per_30d": float(signals["apps_per_30d"]),
            "component_ring_score": comp_score,
        }
        shared = dict.fromkeys(ATTRIBUTE_TYPES, 0)
        for attr, v in app.attachments:
            shared[attr] += len(self._values[v].apps) - 1
        for attr in ATTRIBUTE_TYPES:
            feats[f"shared_{attr.value}_count"] = float(shared[attr])
        feats["shared_types"] = float(sum(1 for n in shared.values() if n > 0))
        hop1, hop2 = self._rings_around(node, 2)
        apps = self._apps
        feats["neighbors_1hop"] = float(len(hop1))
        feats["neighbors_2hop"] = float(len(hop2))
        feats["rejected_1hop"] = float(sum(apps[n].rejected for n in hop1))
        feats["rejected_2hop"] = float(sum(apps[n].rejected for n in hop2))
        feats["bad_1hop"] = float(sum(apps[n].bad for n in hop1))
        feats["bad_2hop"] = float(sum(apps[n].bad for n in hop2))
        community = self._community.get(node)
        if community is None:
            votes = Counter(self._community[n] for n in hop1 if n in self._community)
            community = votes.most_common(1)[0][0] if votes else -1
        size, comm_score = self._community_info.get(community, (0.0, 0.0))
        feats["community_id"] = float(community)
        feats["community_size"] = size
        feats["community_ring_score"] = comm_score
        small = counts["n_ids"] <= self.scorer.max_ring_ids
        feats["ring_score"] = comp_score if small else max(comp_score, comm_score)
        return feats

    def score_application(self, record: Mapping[str, Any]) -> dict[str, float]:
        """Add an arriving application and return its graph features (decision-time use)."""
        self.add_application(record)
        return self.applicant_features(record["application_id"])

    # ------------------------------------------------------------------ snapshots
    def application_ids(self) -> list[Any]:
        """Application ids in arrival order."""
        return [self._apps[n].application_id for n in sorted(self._apps)]

    def snapshot(self) -> GraphTables:
        """Current state as arrays for batch jobs (communities, reports)."""
        order = sorted(self._apps)
        pos = {n: i for i, n in enumerate(order)}
        vorder = sorted(self._values)
        vpos = {v: i for i, v in enumerate(vorder)}
        link_app = [pos[a] for v in vorder for a in self._values[v].linked]
        link_value = [vpos[v] for v in vorder for _ in self._values[v].linked]
        apps = [self._apps[n] for n in order]
        return GraphTables(
            application_id=[a.application_id for a in apps],
            day=np.array([a.day for a in apps], dtype=np.float64),
            known=np.array([a.known for a in apps], dtype=bool),
            rejected=np.array([a.rejected for a in apps], dtype=bool),
            bad=np.array([a.bad for a in apps], dtype=bool),
            value_space=[self._values[v].space for v in vorder],
            link_app=np.array(link_app, dtype=np.int64),
            link_value=np.array(link_value, dtype=np.int64),
        )

    def refresh_communities(self) -> int:
        """Re-detect communities on the current graph; return how many have >= 2 members."""
        tables = self.snapshot()
        membership = detect_communities(tables, self.config)
        counts = group_counts(tables, membership)
        scores = self.scorer.score(counts)
        order = sorted(self._apps)
        self._community = {node: int(c) for node, c in zip(order, membership, strict=True)}
        self._community_info = {
            int(g): (float(n), float(s))
            for g, n, s in zip(counts["group"], counts["n_apps"], scores, strict=True)
        }
        return int(np.sum(counts["n_apps"] >= 2))

    def add_many(self, records: Iterable[Mapping[str, Any]], *, with_outcomes: bool) -> None:
        """Add records in order; with ``with_outcomes`` record each ``status`` right after."""
        for record in records:
            self.add_application(record)
            if with_outcomes and record.get("status") is not None:
                self.record_outcome(
                    record["application_id"], rejected=record["status"] == "rejected"
                )
