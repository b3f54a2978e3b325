"""The fraud layer's view of the relationship graph: an applicant's ring score at decision time.

The graph and its community scoring live in :mod:`zhudai.graph`; the fraud engine only needs
something that takes each application as it arrives and answers how ring-like the applicant's
community is. :class:`RingScoreModel` is that protocol; its answer is the graph's
:class:`~zhudai.graph.RingAssessment`. (``zhudai.graph.RingScorer`` is something else: the
logistic score of one group that the graph computes inside.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from zhudai.graph.live import RingAssessment, ring_scorer

NO_RING = RingAssessment(0.0, 1, None)


@runtime_checkable
class RingScoreModel(Protocol):
    """Adds one application to the relationship graph and scores the applicant's community."""

    def observe(self, application: Mapping[str, Any]) -> RingAssessment:
        """Add ``application`` (world ``applications`` columns) and return its ring assessment."""
        ...

    def record_outcome(self, application_id: Any, rejected: bool) -> None:
        """Tell the graph an application was rejected (rings with many rejections score higher)."""
        ...

    def holds(self, application_id: Any) -> bool:
        """Whether the graph holds the application already."""
        ...

    def maintain(self, at: float) -> None:
        """Periodic work (e.g. community detection) as of epoch seconds ``at``; called by a
        scheduler or between applications of a replay, never inside a check."""
        ...


RingScoreModelFactory = Callable[[Path | None], RingScoreModel]
"""Makes a fresh ring score model for a replay of the world in the given folder (whose
customers' registrations the graph feeds in as time passes), or for live traffic with ``None``."""


def default_ring_scorer_factory() -> RingScoreModelFactory:
    """:func:`zhudai.graph.ring_scorer`: the live graph."""
    return ring_scorer
