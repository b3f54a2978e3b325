"""The fraud layer's view of the relationship graph: an applicant's ring score at decision time.

The graph and its community scoring live in :mod:`zhudai.graph`; the fraud engine only needs
something that takes each application as it arrives and answers how ring-like the applicant's
community is. :class:`RingScorer` is that protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable


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


RingScorerFactory = Callable[[Path | None], RingScorer]
"""Makes a fresh ring scorer for a replay of the world in the given folder (whose customers'
registrations the graph feeds in as time passes), or for live traffic with ``None``."""


def default_ring_scorer_factory() -> RingScorerFactory | None:
    """:func:`zhudai.graph.ring_scorer` (the live graph), or ``None`` when it is absent."""
    try:
        from zhudai.graph import ring_scorer
    except ImportError:
        return None
    # Its views are zhudai.graph.RingAssessment: the same fields as RingView.
    return cast(RingScorerFactory, ring_scorer)
