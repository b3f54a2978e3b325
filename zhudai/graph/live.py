"""The graph as the fraud engine sees it: one call per arriving application.

:func:`ring_scorer` is the factory ``zhudai.fraud`` looks up; the object it returns
satisfies ``zhudai.fraud.rings.RingScorer`` (``observe`` and ``record_outcome``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zhudai.graph.config import GraphConfig
from zhudai.graph.index import GraphIndex
from zhudai.graph.rings import RingScorer


@dataclass(frozen=True)
class RingAssessment:
    """An applicant's strong-tie cluster right after adding the application.

    ``score`` is the cluster's ring score (0-1), ``size`` its distinct identities,
    ``community`` the cluster's stable name (its earliest application's id, as text) or
    ``None`` when the applicant is tied to nobody, ``features`` every graph feature.
    """

    score: float
    size: int
    community: str | None
    features: dict[str, float] = field(default_factory=dict)


class LiveRingScorer:
    """Adds each application to a :class:`GraphIndex` and answers its ring assessment.

    Records need ``application_id``, ``applied_at`` and whatever attribute fields they have;
    ``employer_id`` and ``address_id`` (customer fields) and ``contact_phone_tokens`` make the
    score much sharper (rings share a shell employer, addresses and organiser contacts).

    Examples
    --------
    >>> from datetime import datetime
    >>> scorer = ring_scorer()
    >>> view = scorer.observe({"application_id": 1, "applied_at": datetime(2025, 1, 1)})
    >>> view.score, view.size, view.community
    (0.0, 1, None)
    """

    def __init__(self, index: GraphIndex) -> None:
        self.index = index

    def observe(self, application: Mapping[str, Any]) -> RingAssessment:
        """Add ``application`` and return its cluster's ring assessment."""
        feats = self.index.score_application(application)
        tied = feats["cluster_size"] > 1
        name = str(self.index.cluster_of(application["application_id"])) if tied else None
        return RingAssessment(feats["ring_score"], max(1, int(feats["cluster_ids"])), name, feats)

    def record_outcome(self, application_id: Any, rejected: bool) -> None:
        """Feed back the decision (rejections raise the ring score of the cluster)."""
        self.index.record_outcome(application_id, rejected=rejected)

    def ring_scores(self) -> dict[Any, float]:
        """Current ring score of every application's cluster (retrospective alerts)."""
        return self.index.ring_scores()


def ring_scorer(
    config: GraphConfig | None = None, scorer: RingScorer | None = None
) -> LiveRingScorer:
    """A fresh live ring scorer over an empty graph (the factory ``zhudai.fraud`` uses)."""
    return LiveRingScorer(GraphIndex(config, scorer))
