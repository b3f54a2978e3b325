"""The graph as the fraud engine sees it: one call per arriving application.

:func:`ring_scorer` is the factory ``zhudai.fraud`` looks up; the object it returns
satisfies ``zhudai.fraud.rings.RingScoreModel`` (``observe``, ``record_outcome``, ``holds`` and
``maintain``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhudai.graph.config import GraphConfig
from zhudai.graph.index import GraphIndex
from zhudai.graph.rings import RingScorer
from zhudai.graph.world import iter_records, load_records
from zhudai.times import SECONDS_PER_DAY, epoch_days


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

    Parameters
    ----------
    index : GraphIndex
        The live graph.
    registrations : iterable of records, optional
        Customers' registrations in time order (``zhudai.graph.world.load_records`` rows with
        ``is_application`` false). Each is added to the graph just before the first
        application that arrives after it, so a ring's first applicant is already tied to
        members who signed up earlier.

    Examples
    --------
    >>> from datetime import datetime
    >>> scorer = ring_scorer()
    >>> view = scorer.observe({"application_id": 1, "applied_at": datetime(2025, 1, 1)})
    >>> view.score, view.size, view.community
    (0.0, 1, None)
    """

    def __init__(
        self,
        index: GraphIndex,
        registrations: Iterable[Mapping[str, Any]] = (),
        refresh_days: float = 30.0,
    ) -> None:
        self.index = index
        self.refresh_days = refresh_days
        self._pending = iter(registrations)
        self._next: Mapping[str, Any] | None = next(self._pending, None)
        self._last_refresh: float | None = None

    def _catch_up(self, day: float) -> None:
        while self._next is not None and epoch_days(self._next["applied_at"]) <= day:
            self.index.add_application(self._next)
            self._next = next(self._pending, None)

    def observe(self, application: Mapping[str, Any]) -> RingAssessment:
        """Add ``application`` (after any registration up to its time) and return its
        cluster's ring assessment. A re-sent application (same id) is only looked up."""
        app_id = application["application_id"]
        if app_id in self.index:
            feats = self.index.applicant_features(app_id)
        else:
            self._catch_up(epoch_days(application.get("applied_at")))
            feats = self.index.score_application(application)
        tied = feats["cluster_size"] > 1
        name = str(self.index.cluster_of(app_id)) if tied else None
        return RingAssessment(feats["ring_score"], max(1, int(feats["cluster_ids"])), name, feats)

    def holds(self, application_id: Any) -> bool:
        return application_id in self.index

    def record_outcome(self, application_id: Any, rejected: bool) -> None:
        """Feed back the decision (rejections raise the ring score of the cluster)."""
        self.index.record_outcome(application_id, rejected=rejected)

    def ring_scores(self) -> dict[Any, float]:
        """Current ring score of every application's cluster (retrospective alerts)."""
        return self.index.ring_scores()

    def maintain(self, at: float) -> None:
        """Work outside any decision, as of epoch seconds ``at``: add the registrations made
        up to ``at`` (they are events of their own, not part of an applicant's check), and
        re-detect communities once ``refresh_days`` of event time have passed since the last
        refresh. Ring scores do not depend on the refresh. :meth:`observe` still catches up
        by itself for callers that never call this."""
        day = at / SECONDS_PER_DAY
        self._catch_up(day)
        if self._last_refresh is None:
            self._last_refresh = day
        elif day - self._last_refresh >= self.refresh_days:
            self.index.refresh_communities()
            self._last_refresh = day


def ring_scorer(
    world_dir: str | Path | None = None,
    config: GraphConfig | None = None,
    scorer: RingScorer | None = None,
) -> LiveRingScorer:
    """A fresh live ring scorer over an empty graph (the factory ``zhudai.fraud`` uses).

    With ``world_dir``, the world's registrations are fed in time order as applications
    arrive (strongly recommended: see :class:`LiveRingScorer`).
    """
    registrations: Iterable[Mapping[str, Any]] = ()
    if world_dir is not None:
        records = load_records(world_dir)
        registrations = iter_records(records.filter(~records["is_application"]))
    return LiveRingScorer(GraphIndex(config, scorer), registrations)
