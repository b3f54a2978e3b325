"""Ring scoring: a planted ring outranks random sharing; the score's two paths agree."""

from __future__ import annotations

import random

import numpy as np
import pytest

from tests.graph.conftest import record
from zhudai.exceptions import InvalidInputError
from zhudai.graph import GraphIndex, RingScorer
from zhudai.graph.rings import GROUP_COUNTS


def _background(n: int, seed: int) -> list[dict]:
    """Legitimate applicants over a year: own device, phone, card; coincidental sharing of
    popular contacts, a few public IPs, big employers, and households (shared address)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        household = rng.randrange(n // 2)
        out.append(
            record(
                i,
                rng.uniform(0, 365),
                device_id=f"dev{i}",
                ip=f"pub{rng.randrange(30)}" if rng.random() < 0.3 else f"home{household}",
                id_token=f"id{i}",
                phone_token=f"ph{i}",
                card_token=f"card{i}",
                address_id=f"addr{household}",
                employer_id=f"firm{rng.randrange(10)}",
                contact_phone_tokens=[f"popular{rng.randrange(40)}", f"ph{rng.randrange(n)}"],
            )
        )
    return out


def _ring(first_id: int, size: int, start_day: float, seed: int) -> list[dict]:
    """A ring: recruits within days, two devices, one IP pool, organiser contacts, a shell
    employer and two addresses."""
    rng = random.Random(seed)
    return [
        record(
            first_id + k,
            start_day + rng.expovariate(1 / 3),
            device_id=f"ringdev{k % 2}",
            ip=f"ringip{rng.randrange(2)}",
            id_token=f"ringid{k}",
            phone_token=f"ringph{k}",
            card_token=f"ringcard{k}",
            address_id=f"ringaddr{k % 2}",
            employer_id="shell",
            contact_phone_tokens=["organiser1", "organiser2", f"ringph{(k + 1) % size}"],
        )
        for k in range(size)
    ]


def test_planted_ring_outranks_random_sharing() -> None:
    ring = _ring(10_000, 8, start_day=200.0, seed=1)
    records = sorted(_background(600, seed=2) + ring, key=lambda r: r["applied_at"])
    index = GraphIndex()
    arrival = {}
    rng = random.Random(3)
    for r in records:
        arrival[r["application_id"]] = index.score_application(r)["ring_score"]
        ring_member = r["application_id"] >= 10_000
        index.record_outcome(
            r["application_id"], rejected=rng.random() < (0.7 if ring_member else 0.35)
        )
    final = index.ring_scores()
    members = {r["application_id"] for r in ring}
    ring_scores = [final[a] for a in members]
    others = [s for a, s in final.items() if a not in members]
    assert min(ring_scores) > 0.9
    assert max(others) < 0.5
    # on arrival, the score climbs as the ring grows: flagged from the fifth member on
    in_order = [arrival[r["application_id"]] for r in sorted(ring, key=lambda r: r["applied_at"])]
    assert in_order[0] == 0.0  # the first member arrives alone
    assert all(score > 0.5 for score in in_order[4:])
    assert in_order == sorted(in_order)


def _counts(**overrides: float) -> dict[str, float]:
    base = {
        "n_apps": 6, "n_ids": 6, "n_devices": 2, "n_ties": 10, "tie_values": 30,
        "tie_spaces": 0b1000011, "n_known": 6, "n_rejected": 3, "n_bad": 0,
        "first_day": 10.0, "last_day": 14.0,
    }  # fmt: skip
    return {**base, **overrides}


def test_scalar_and_vector_scores_agree() -> None:
    rows = [_counts(), _counts(n_ids=1, n_apps=3), _counts(n_rejected=0, last_day=40.0)]
    vector = {k: np.array([r[k] for r in rows]) for k in GROUP_COUNTS}
    scorer = RingScorer()
    np.testing.assert_allclose(scorer.score(vector), [scorer.score(r) for r in rows], rtol=1e-12)


def test_score_moves_the_way_a_risk_analyst_expects() -> None:
    s = RingScorer().score
    assert s(_counts(n_ids=1)) == 0.0  # one identity is no ring
    assert s(_counts(n_rejected=6)) > s(_counts()) > s(_counts(n_rejected=0))
    assert s(_counts(n_bad=3)) > s(_counts())
    assert s(_counts()) > s(_counts(last_day=40.0))  # slow growth is less ring-like
    big = _counts(n_ids=12, n_apps=12, n_devices=4, n_ties=66, tie_values=198)
    small = _counts(n_ids=3, n_apps=3, n_devices=1, n_ties=3, tie_values=9)
    assert s(big) > s(small)  # same density and sharing, more identities
    assert s(_counts(n_ids=400, n_apps=400)) < s(_counts(n_ids=40, n_apps=400))


def test_unknown_weight_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="weights"):
        RingScorer(weights={"nonsense": 1.0}).score(_counts())
