"""The fraud layer's view of the relationship graph: an applicant's ring score at decision time.

The graph and its community scoring live in :mod:`zhudai.graph`; the fraud engine only needs
something that takes each application as it arrives and answers how ring-like the applicant's
community is. :class:`RingScorer` is that protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class RingView:
    """An applicant's community as the graph sees it right after adding the application."""

    score: float  # 0-1, how ring-like the community is
    size: int  # members of the community (1 when alone)
    community: str | None = None  # the graph's id of the community, for trend reports
    features: Mapping[str, float] = field(default_factory=dict)  # the graph's applicant features


NO_RING = RingView(0.0, 1, None)


@runtime_checkable
class RingScorer(Protocol):
    """Adds one application to the relationship graph and scores the applicant's community."""

    def observe(self, application: Mapping[str, Any]) -> RingView:
        """Add ``application`` (world ``applications`` columns) and return its ring view."""
        ...

    def record_outcome(self, application_id: Any, rejected: bool) -> None:
        """Tell the graph an application was rejected (rings with many rejections score higher)."""
        ...

    def maintain(self, at: float) -> None:
        """Periodic work (e.g. community detection) as of epoch seconds ``at``; called by a
        scheduler or between applications of a replay, never inside a check."""
        ...


class GraphRingScorer:
    """:class:`RingScorer` backed by :class:`zhudai.graph.GraphIndex` (the live graph).

    Parameters
    ----------
    index : zhudai.graph.GraphIndex, optional
        An existing live index (e.g. the demo's graph stage's); a fresh one by default.
    refresh_days : float
        Re-detect communities after this many days of event time (Leiden on the snapshot);
        between refreshes a new application takes its neighbours' community.
    """

    def __init__(self, index: Any = None, refresh_days: float = 30.0) -> None:
        from zhudai.graph import GraphIndex

        self.index = index if index is not None else GraphIndex()
        self.refresh_days = refresh_days
        self._seen: set[Any] = set()
        self._last_refresh: float | None = None

    def observe(self, application: Mapping[str, Any]) -> RingView:
        """Add the application (once; a re-sent one is only looked up) and read its score."""
        app_id = application["application_id"]
        if app_id in self._seen:
            feats = self.index.applicant_features(app_id)
        else:
            feats = self.index.score_application(application)
            self._seen.add(app_id)
        community = int(feats.get("community_id", -1))
        return RingView(
            score=float(feats["ring_score"]),
            size=int(feats.get("component_ids", 1) or 1),
            community=str(community) if community >= 0 else None,
            features=feats,
        )

    def record_outcome(self, application_id: Any, rejected: bool) -> None:
        """Pass the decision to the graph (rejections raise neighbours' ring scores)."""
        self.index.record_outcome(application_id, rejected=rejected)

    def maintain(self, at: float) -> None:
        """Re-detect communities when ``refresh_days`` of event time passed since the last time."""
        day = at / 86_400.0
        if self._last_refresh is None:
            self._last_refresh = day
        elif day - self._last_refresh >= self.refresh_days:
            self.index.refresh_communities()
            self._last_refresh = day


def default_ring_scorer_factory() -> Callable[[], RingScorer] | None:
    """A factory of the graph-backed ring scorer, or ``None`` when :mod:`zhudai.graph` is absent."""
    try:
        import zhudai.graph  # noqa: F401
    except ImportError:
        return None
    return GraphRingScorer
