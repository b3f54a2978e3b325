"""The live relationship graph: add one application at a time, read its graph features at once.

Nodes are applications (and customers' registrations, which enter the same way) and
attribute values (a device, an IP, a phone ...), joined by typed attachments: a bipartite
graph. Two union-finds over the applications keep the connected components and the
strong-tie clusters; their roots carry the group counts of
:data:`zhudai.graph.rings.GROUP_COUNTS`, merged on every union, so an insert costs a few
dictionary look-ups per attribute plus one pass over the (capped) holders of its values, and
a lookup never walks a group. Communities (Leiden) are refreshed on demand from a snapshot,
as a batch job would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.graph.attributes import ATTRIBUTE_TYPES, VALUE_SPACE, AttributeType, record_attachments
from zhudai.graph.batch import detect_communities, group_counts, shared_pairs, strong_ties
from zhudai.graph.config import GraphConfig
from zhudai.graph.rings import GROUP_COUNTS, SPACE_BIT, RingScorer, cluster_features
from zhudai.graph.tables import GraphTables
from zhudai.graph.unionfind import UnionFind
from zhudai.times import epoch_days


class _Group:
    """Counts of one group (component or tie cluster), held at its union-find root."""

    __slots__ = tuple(k for k in GROUP_COUNTS if k not in ("n_ids", "n_devices")) + (
        "ids",
        "devices",
        "first_pos",
    )

    def __init__(self, pos: int, day: float, id_value: int, device_value: int) -> None:
        self.first_pos = pos  # earliest member: a stable name for the group
        # Distinct id / device value positions: one int (-1 for none) while the group has one
        # application, a set once it merges. Most tie clusters never merge, and two sets per
        # application would be two more long-lived objects for every GC pass to scan.
        self.ids: set[int] | int = id_value
        self.devices: set[int] | int = device_value
        self.n_apps = 1
        self.n_ties = 0
        self.tie_values = 0
        self.tie_spaces = 0
        self.n_known = 0
        self.n_rejected = 0
        self.n_bad = 0
        self.first_day = day
        self.last_day = day

    def absorb(self, other: _Group) -> None:
        """Add ``other``'s counts (its id/device sets are merged into the larger one)."""
        self.ids = _merged(self.ids, other.ids)
        self.devices = _merged(self.devices, other.devices)
        self.n_apps += other.n_apps
        self.n_ties += other.n_ties
        self.tie_values += other.tie_values
        self.tie_spaces |= other.tie_spaces
        self.n_known += other.n_known
        self.n_rejected += other.n_rejected
        self.n_bad += other.n_bad
        self.first_day = min(self.first_day, other.first_day)
        self.first_pos = min(self.first_pos, other.first_pos)
        self.last_day = max(self.last_day, other.last_day)

    @property
    def n_ids(self) -> int:
        return _size(self.ids)

    @property
    def n_devices(self) -> int:
        return _size(self.devices)

    def counts(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in GROUP_COUNTS}


def _size(values: set[int] | int) -> int:
    """Distinct values held: a set's size, or 1 / 0 for a single position / -1."""
    return len(values) if isinstance(values, set) else int(values >= 0)


def _merged(a: set[int] | int, b: set[int] | int) -> set[int] | int:
    """Union of two value holders, updating the larger set in place (small into big)."""
    if not isinstance(a, set):
        a, b = b, a
    if not isinstance(a, set):  # two single positions
        if isinstance(b, set) or b < 0 or a == b:
            return a
        return {a, b} if a >= 0 else b
    if isinstance(b, set):
        if len(b) > len(a):
            a, b = b, a
        a |= b
    elif b >= 0:
        a.add(b)
    return a


class _Partition:
    """A union-find over application positions whose roots carry :class:`_Group` counts."""

    def __init__(self) -> None:
        self.uf = UnionFind()
        self.groups: dict[int, _Group] = {}

    def add(self, group: _Group) -> int:
        pos = self.uf.add()
        self.groups[pos] = group
        return pos

    def group(self, pos: int) -> _Group:
        return self.groups[self.uf.find(pos)]

    def union(self, a: int, b: int) -> _Group:
        root, absorbed = self.uf.union(a, b)
        group = self.groups[root]
        if absorbed is not None:
            group.absorb(self.groups.pop(absorbed))
        return group


class _App:
    __slots__ = ("application_id", "day", "attachments", "links", "rejected", "known", "bad")

    def __init__(self, application_id: Any, day: float) -> None:
        self.application_id = application_id
        self.day = day
        # Tuples of plain ints, fixed once added: the garbage collector stops tracking them
        # (lists, or tuples holding enum members, it would scan on every pass).
        # (index in ATTRIBUTE_TYPES, value position) of each attachment, flattened:
        self.attachments: tuple[int, ...] = ()
        self.links: tuple[int, ...] = ()  # value positions this application is joined to
        self.known = False
        self.rejected = False
        self.bad = False


_TYPE_INDEX = {attr: i for i, attr in enumerate(ATTRIBUTE_TYPES)}
_ID, _DEVICE = _TYPE_INDEX[AttributeType.ID], _TYPE_INDEX[AttributeType.DEVICE]
_SHARED_NAMES = tuple(f"shared_{attr.value}_count" for attr in ATTRIBUTE_TYPES)


class GraphIndex:
    """Incremental relationship graph with decision-time graph features and ring scores.

    Parameters
    ----------
    config : GraphConfig, optional
        Link types, per-value link cap and the strong-tie rule (see :class:`GraphConfig`).
    scorer : RingScorer, optional
        Ring score of tie clusters and communities.

    Examples
    --------
    >>> from datetime import datetime
    >>> index = GraphIndex()
    >>> shared = {"device_id": "d1", "ip": "1.2.3.4", "contact_phone_tokens": ["p9"]}
    >>> _ = index.add_application({"application_id": 1, "applied_at": datetime(2025, 1, 1),
    ...                            "id_token": "A", **shared})
    >>> _ = index.add_application({"application_id": 2, "applied_at": datetime(2025, 1, 2),
    ...                            "id_token": "B", **shared})
    >>> f = index.applicant_features(2)
    >>> f["component_ids"], f["cluster_ids"], f["shared_device_count"], f["strong_ties"]
    (2.0, 2.0, 1.0, 1.0)
    """

    def __init__(self, config: GraphConfig | None = None, scorer: RingScorer | None = None):
        self.config = config or GraphConfig()
        self.scorer = scorer or RingScorer()
        self._pos: dict[Any, int] = {}  # application id -> position (arrival order)
        self._apps: list[_App] = []
        self._value_pos: dict[str, int] = {}
        # Value nodes as parallel lists by value position: space, degree (distinct
        # applications attached), the last application attached, and the first ``link_cap``
        # applications joined through it, as a tuple of ints (rebuilt on each of at most
        # ``link_cap`` joins) that the garbage collector does not track: most values are
        # attached once, and one container per value would be scanned on every GC pass.
        self._value_space: list[str] = []
        self._value_degree: list[int] = []
        self._value_last: list[int] = []
        self._linked: list[tuple[int, ...]] = []
        self._components = _Partition()
        self._clusters = _Partition()
        self._ties: list[int] = []  # strong ties per application
        self._community: list[int] = []  # per position, from the last refresh
        self._community_info: dict[int, tuple[float, float]] = {}  # id -> (size, ring score)
        # Positions flagged rejected (decision known) / bad: neighbourhood counts are then set
        # intersections in C rather than a Python pass over every neighbour.
        self._rejected: set[int] = set()
        self._bad: set[int] = set()

    # ------------------------------------------------------------------ updates
    def __len__(self) -> int:
        """Number of applications in the index."""
        return len(self._apps)

    def __contains__(self, application_id: object) -> bool:
        return application_id in self._pos

    def add_application(self, record: Mapping[str, Any]) -> int:
        """Add one arriving application; return its position (arrival order).

        ``record`` holds ``application_id``, ``applied_at`` and the attribute fields of
        :func:`zhudai.graph.attributes.record_attachments`. A ``status`` in the record is NOT
        used (the decision is not known on arrival): call :meth:`record_outcome` afterwards.
        Late arrivals are fine: the strong-tie window compares arrival times both ways, so
        the graph ends the same whatever the order, except which applications a capped
        value links (its first ``link_cap`` to arrive).
        """
        if "application_id" not in record:
            raise InvalidInputError("application_id", "is required")
        app_id = record["application_id"]
        if app_id in self._pos:
            raise InvalidInputError("application_id", f"{app_id!r} was already added")
        day = epoch_days(record.get("applied_at"))
        pos = len(self._apps)
        app = _App(app_id, day)
        id_value = device_value = -1
        link_types, cap = self.config.link_types, self.config.link_cap
        degree, last, linked = self._value_degree, self._value_last, self._linked
        attachments: list[int] = []
        links: list[int] = []
        for attr, key in record_attachments(record):
            v = self._value_pos.get(key)
            if v is None:
                v = len(degree)
                self._value_pos[key] = v
                self._value_space.append(VALUE_SPACE[attr])
                degree.append(0)
                last.append(-1)
                linked.append(())
            attachments += (_TYPE_INDEX[attr], v)
            if attr is AttributeType.ID:
                id_value = v
            elif attr is AttributeType.DEVICE:
                device_value = v
            if last[v] != pos:
                last[v] = pos
                degree[v] += 1
            if attr in link_types and len(linked[v]) < cap and v not in links:
                links.append(v)
                linked[v] += (pos,)
        app.attachments, app.links = tuple(attachments), tuple(links)
        self._apps.append(app)
        self._pos[app_id] = pos
        self._ties.append(0)
        self._community.append(-1)
        self._components.add(_Group(pos, day, id_value, device_value))
        self._clusters.add(_Group(pos, day, id_value, device_value))
        self._join(pos, app)
        return pos

    def _join(self, pos: int, app: _App) -> None:
        """Union the new application's component and cluster with those it links to."""
        all_linked = self._linked
        shared: Counter[int] = Counter()  # applications sharing values with this one: how many
        for v in app.links:
            linked = all_linked[v]
            if linked[0] != pos:
                self._components.union(pos, linked[0])
            shared.update(linked)  # counted in C; this application itself is dropped below
        del shared[pos]
        window, need = self.config.tie_window_days, self.config.min_shared_values
        for other, n in shared.items():
            if n >= need and abs(app.day - self._apps[other].day) <= window:
                spaces = 0  # value spaces of the shared values (few ties: looked up only here)
                for v in app.links:
                    if other in all_linked[v]:
                        spaces |= SPACE_BIT[self._value_space[v]]
                group = self._clusters.union(pos, other)
                group.n_ties += 1
                group.tie_values += n
                group.tie_spaces |= spaces
                self._ties[pos] += 1
                self._ties[other] += 1

    def record_outcome(
        self, application_id: Any, *, rejected: bool | None = None, bad: bool | None = None
    ) -> None:
        """Record (or correct) an application's decision and/or its known-bad flag.

        Rejected and bad applications raise the exposure and ring scores of their neighbours.
        """
        pos = self._position(application_id)
        app = self._apps[pos]
        groups = (self._components.group(pos), self._clusters.group(pos))
        if rejected is not None:
            for group in groups:
                group.n_known += not app.known
                group.n_rejected += int(bool(rejected)) - int(app.rejected)
            app.known, app.rejected = True, bool(rejected)
            _flag(self._rejected, pos, app.rejected)
        if bad is not None:
            for group in groups:
                group.n_bad += int(bool(bad)) - int(app.bad)
            app.bad = bool(bad)
            _flag(self._bad, pos, app.bad)

    # ------------------------------------------------------------------ lookups
    def _position(self, application_id: Any) -> int:
        try:
            return self._pos[application_id]
        except KeyError:
            raise NotFoundError("application_id", application_id) from None

    def cluster_of(self, application_id: Any) -> Any:
        """Name of the application's strong-tie cluster: its earliest member's id.

        Stable while the cluster grows; when two clusters merge, the older name wins.
        """
        return self._apps[
            self._clusters.group(self._position(application_id)).first_pos
        ].application_id

    def cluster_counts(self, application_id: Any) -> dict[str, float]:
        """The :data:`GROUP_COUNTS` of the application's strong-tie cluster."""
        return self._clusters.group(self._position(application_id)).counts()

    def component_of(self, application_id: Any) -> Any:
        """Name of the application's connected component: its earliest member's id."""
        return self._apps[
            self._components.group(self._position(application_id)).first_pos
        ].application_id

    def ring_scores(self) -> dict[Any, float]:
        """Current ring score of every application's cluster (for retrospective ring alerts:
        a ring found today also flags its members that arrived before it was visible)."""
        scores: dict[int, float] = {}
        out: dict[Any, float] = {}
        for pos, app in enumerate(self._apps):
            root = self._clusters.uf.find(pos)
            if root not in scores:
                scores[root] = float(self.scorer.score(self._clusters.groups[root].counts()))
            out[app.application_id] = scores[root]
        return out

    def neighbours(self, application_id: Any, hops: int = 1) -> set[Any]:
        """Application ids within ``hops`` application-to-application steps (self excluded)."""
        pos = self._position(application_id)
        return {self._apps[n].application_id for n in self._within(pos, hops)[-1]}

    def _within(self, pos: int, hops: int) -> list[set[int]]:
        """Cumulative neighbourhoods: element k holds positions within k + 1 hops.

        Neighbours share values, so each value node is expanded once (the first time it is
        reached), not once per (neighbour, value) pair: its applications are already in.
        """
        apps, linked = self._apps, self._linked
        seen = {pos}
        frontier = {pos}
        expanded: set[int] = set()
        out: list[set[int]] = []
        for _ in range(hops):
            nxt: set[int] = set()
            for a in frontier:
                for v in apps[a].links:
                    if v not in expanded:
                        expanded.add(v)
                        nxt.update(linked[v])
            nxt -= seen
            seen |= nxt
            frontier = nxt
            out.append(seen - {pos})
        return out

    def applicant_features(self, application_id: Any) -> dict[str, float]:
        """Graph features of one application now (keys :data:`APPLICANT_FEATURES`).

        Component and cluster features are live. Community features come from the last
        :meth:`refresh_communities`; an application added since takes the community most
        common among its direct neighbours (``community_id`` -1 and size 0 when none).
        ``ring_score`` is the ring score of the application's strong-tie cluster.
        """
        pos = self._position(application_id)
        app = self._apps[pos]
        component = self._components.group(pos)
        cluster = self._clusters.group(pos)
        feats: dict[str, float] = {
            "component_size": float(component.n_apps),
            "component_ids": float(component.n_ids),
        }
        for name, value in cluster_features(cluster.counts(), self.scorer).items():
            feats[name] = float(value)
        shared = [0] * len(ATTRIBUTE_TYPES)
        attachments, degree = app.attachments, self._value_degree
        for i in range(0, len(attachments), 2):
            shared[attachments[i]] += degree[attachments[i + 1]] - 1
        for name, n in zip(_SHARED_NAMES, shared, strict=True):
            feats[name] = float(n)
        feats["shared_types"] = float(sum(1 for n in shared if n > 0))
        feats["strong_ties"] = float(self._ties[pos])
        hop1, hop2 = self._within(pos, 2)
        rejected, bad = self._rejected, self._bad
        feats["neighbors_1hop"] = float(len(hop1))
        feats["neighbors_2hop"] = float(len(hop2))
        feats["rejected_1hop"] = float(len(hop1 & rejected))
        feats["rejected_2hop"] = float(len(hop2 & rejected))
        feats["bad_1hop"] = float(len(hop1 & bad))
        feats["bad_2hop"] = float(len(hop2 & bad))
        community = self._community[pos]
        if community < 0:
            votes = Counter(self._community[n] for n in hop1 if self._community[n] >= 0)
            community = votes.most_common(1)[0][0] if votes else -1
        size, comm_score = self._community_info.get(community, (0.0, 0.0))
        feats["community_id"] = float(community)
        feats["community_size"] = size
        feats["community_ring_score"] = comm_score
        return feats

    def score_application(self, record: Mapping[str, Any]) -> dict[str, float]:
        """Add an arriving application and return its graph features (decision-time use)."""
        self.add_application(record)
        return self.applicant_features(record["application_id"])

    # ------------------------------------------------------------------ snapshots
    def application_ids(self) -> list[Any]:
        """Application ids in arrival order."""
        return [a.application_id for a in self._apps]

    def snapshot(self) -> GraphTables:
        """Current state as arrays for batch jobs (communities, reports)."""
        apps = self._apps
        link_app = [p for linked in self._linked for p in linked]
        link_value = [v for v, linked in enumerate(self._linked) for _ in linked]
        id_value = np.full(len(apps), -1, dtype=np.int64)
        device_value = np.full(len(apps), -1, dtype=np.int64)
        for pos, app in enumerate(apps):
            attachments = app.attachments
            for i in range(0, len(attachments), 2):
                if attachments[i] == _ID:
                    id_value[pos] = attachments[i + 1]
                elif attachments[i] == _DEVICE:
                    device_value[pos] = attachments[i + 1]
        return GraphTables(
            application_id=[a.application_id for a in apps],
            day=np.array([a.day for a in apps], dtype=np.float64),
            known=np.array([a.known for a in apps], dtype=bool),
            rejected=np.array([a.rejected for a in apps], dtype=bool),
            bad=np.array([a.bad for a in apps], dtype=bool),
            id_value=id_value,
            device_value=device_value,
            value_space=list(self._value_space),
            link_app=np.array(link_app, dtype=np.int64),
            link_value=np.array(link_value, dtype=np.int64),
        )

    def refresh_communities(self) -> int:
        """Re-detect communities on the current graph; return how many have >= 2 members."""
        tables = self.snapshot()
        pairs = shared_pairs(tables)
        membership = detect_communities(tables, self.config, pairs)
        counts = group_counts(tables, membership, pairs, strong_ties(tables, pairs, self.config))
        scores = self.scorer.score(counts)
        self._community = membership.tolist()
        self._community_info = {
            int(g): (float(n), float(s))
            for g, n, s in zip(counts["group"], counts["n_apps"], scores, strict=True)
        }
        return int(np.sum(counts["n_apps"] >= 2))


def _flag(flagged: set[int], pos: int, on: bool) -> None:
    """Put ``pos`` in or out of the ``flagged`` set."""
    if on:
        flagged.add(pos)
    else:
        flagged.discard(pos)
