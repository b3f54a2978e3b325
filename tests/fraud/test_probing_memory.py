"""The probing detector's memory of rejections: in process, and in Redis shared by workers
(a retry that reaches another worker still finds the rejection it follows)."""

from __future__ import annotations

import time

import pytest

from zhudai.fraud.probing import ProbingDetector
from zhudai.fraud.probing_memory import Attempt, InMemoryRejections, RedisRejections

KEYS = ("id:a", "phone:p", "device:d")
ATTEMPT = {"amount": 5000.0, "term": 12, "product": "cash", "phone": "p", "card": "c"}


def _verdicts(detector: ProbingDetector) -> list[tuple[bool, int, float]]:
    out = []
    for k, (minutes, change) in enumerate([(0, {}), (20, {"amount": 4000.0}), (45, {"term": 6})]):
        attempt = ATTEMPT | change
        v = detector.assess(minutes * 60.0, KEYS, attempt, 1, 1, k)
        out.append((v.retry_after_reject, v.tweak_count, round(v.score, 9)))
        detector.record_rejection(minutes * 60.0, KEYS, attempt)
    return out


def test_in_process_memory_keeps_the_newest_rejection_per_key() -> None:
    memory = InMemoryRejections()
    new, old = Attempt(100.0, 1, 1, "p", "x", "y"), Attempt(50.0, 2, 2, "q", "x", "y")
    memory.remember(("k",), new, 3600)
    memory.remember(("k", "j"), old, 3600)  # late: k keeps the newer one
    assert memory.last(("k", "j", "none")) == [new, old, None]


@pytest.mark.redis
def test_redis_memory_gives_the_same_verdicts(redis_url: str) -> None:
    embedded = _verdicts(ProbingDetector(memory=InMemoryRejections()))
    shared = _verdicts(ProbingDetector(memory=RedisRejections.isolated(redis_url)))
    assert embedded == shared
    assert embedded[1][:2] == (True, 1) and embedded[2][:2] == (True, 2)  # amount, then term


@pytest.mark.redis
def test_two_workers_share_rejections_newest_wins_and_expire(redis_url: str) -> None:
    one = RedisRejections.isolated(redis_url)
    two = RedisRejections(redis_url, namespace=one.namespace)  # another worker
    worker_one, worker_two = ProbingDetector(memory=one), ProbingDetector(memory=two)
    worker_one.record_rejection(600.0, KEYS, ATTEMPT)
    verdict = worker_two.assess(900.0, KEYS, ATTEMPT | {"amount": 4500.0}, 1, 1, 1)
    assert verdict.retry_after_reject and verdict.tweak_count == 1
    worker_two.record_rejection(300.0, KEYS[:1], ATTEMPT | {"term": 3})  # older: ignored
    assert one.last(KEYS[:1])[0] == Attempt(600.0, 5000.0, 12, "cash", "p", "c")
    assert len(one) == len(two) == 3
    one.remember(("short",), Attempt(1.0, 1, 1, "p", "x", "y"), window=0.2)
    time.sleep(0.4)
    assert one.last(("short",)) == [None]
