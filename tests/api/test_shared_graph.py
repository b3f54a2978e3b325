"""Two workers on one store: each one's live graph learns the applications the other decided
(and a restarted worker its store's history), so a ring split across workers stays one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from zhudai.origination.factory import build_service, fraud_engine_from_home
from zhudai.settings import Settings


def _ring(new_request: Any, n: int) -> list[dict[str, Any]]:
    out = []
    for k in range(n):
        r = new_request(k)
        r["application_id"] = f"RING{k}"
        r["device"] = r["device"] | {"device_id": "ring-device-1"}
        r["ip"] = "10.9.8.7"
        r["applicant"] = r["applicant"] | {"employer": "Shell Trading Co"}
        out.append(r)
    return out


def _fourth(ring: list[dict[str, Any]]) -> dict[str, Any]:
    """The ring's fourth application as the fraud engine sees it: device, IP and employer
    shared with the first three (three shared values make a strong tie)."""
    return {
        "application_id": "RING3",
        "applied_at": datetime.fromisoformat(ring[3]["applied_at"]).replace(tzinfo=None),
        "device_id": "ring-device-1",
        "ip": "10.9.8.7",
        "employer_id": "Shell Trading Co",
    }


def test_a_worker_learns_the_other_workers_applications(home: Settings, new_request: Any) -> None:
    one = build_service(home, fraud=fraud_engine_from_home(home.home))
    two = build_service(home, fraud=fraud_engine_from_home(home.home))
    two.graph_feed.catch_up()  # start-up: the store's history
    history = len(two.fraud.ring_scorer.index)  # type: ignore[union-attr]
    ring = _ring(new_request, 4)
    for r in ring[:3]:
        one.decide(r)
    assert two.graph_feed.catch_up() == 3
    assert len(two.fraud.ring_scorer.index) == history + 3  # type: ignore[union-attr]
    assert two.graph_feed.catch_up() == 0  # nothing twice
    fourth = two.fraud.check(_fourth(ring))
    alone = build_service(home, fraud=fraud_engine_from_home(home.home)).fraud.check(_fourth(ring))
    assert alone.signals["ring_size"] == 1  # a fresh worker never saw the ring
    assert fourth.signals["ring_size"] == 3  # the three identities the other worker saw


def test_the_api_loads_the_store_history_before_its_first_request(
    home: Settings, new_request: Any
) -> None:
    from fastapi.testclient import TestClient

    from zhudai.api.app import create_app

    one = build_service(home, fraud=fraud_engine_from_home(home.home))
    for r in _ring(new_request, 3):
        one.decide(r)  # decided by another worker, before this one starts
    served = build_service(home, fraud=fraud_engine_from_home(home.home))
    scorer = served.fraud.ring_scorer
    assert scorer is not None and not scorer.holds("RING0")
    with TestClient(create_app(home, served)):  # start-up only: no request sent
        assert all(scorer.holds(f"RING{k}") for k in range(3))
        assert served.graph_feed.catch_up() == 0  # the first sync finds nothing left
