"""The fraud layer's view of the relationship graph: an applicant's ring score at decision time.

The graph and its community scoring live in :mod:`zhudai.graph`; the fraud engine only needs
something that takes each application as it arrives and answers how ring-like the applicant's
community is. :class:`RingScorer` is that protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class RingView:
    """An applicant's community as the graph sees it right after adding the application."""

    score: float  # 0-1, how ring-like the community is
    size: int  # members of the community (1 when alone)
    community: str | None = None  # the graph's id of the community, for trend reports


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


def default_ring_scorer_factory() -> Callable[[], RingScorer] | None:
    """A factory of the relationship graph's incremental ring scorer, or ``None`` without it."""
    try:
        from zhudai.graph import ring_scorer  # type: ignore[attr-defined]
    except ImportError:
        return None
    return ring_scorer
