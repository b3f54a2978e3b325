"""The fraud layer reads graph features by name; a renamed feature must fail here, not turn
into a signal that is silently 0."""

from __future__ import annotations

from datetime import datetime

from zhudai.fraud.rings import RingScoreModel, default_ring_scorer_factory
from zhudai.fraud.signals import GRAPH_SIGNALS
from zhudai.graph import APPLICANT_FEATURES


def test_every_graph_signal_is_a_graph_feature() -> None:
    missing = [feature for _, feature in GRAPH_SIGNALS if feature not in APPLICANT_FEATURES]
    assert missing == []


def test_default_factory_gives_the_live_graph_scorer() -> None:
    scorer = default_ring_scorer_factory()(None)
    assert isinstance(scorer, RingScoreModel)
    view = scorer.observe(
        {"application_id": 1, "applied_at": datetime(2025, 1, 1), "device_id": "d"}
    )
    assert set(feature for _, feature in GRAPH_SIGNALS) <= set(view.features)
