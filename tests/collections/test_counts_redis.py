"""The guard's counts on a real Redis: shared by workers, atomic, phones as tokens."""

from __future__ import annotations

import threading

import pytest

from tests.collections.conftest import PHONE, action
from zhudai.collections import ComplianceGuard, InMemoryDayCounts
from zhudai.collections.counts_redis import RedisDayCounts, default_day_counts
from zhudai.exceptions import InvalidInputError
from zhudai.settings import get_settings

pytestmark = pytest.mark.redis


def test_workers_on_one_redis_share_the_day_counts(redis_url: str) -> None:
    one = RedisDayCounts.isolated(redis_url)
    two = RedisDayCounts(redis_url, namespace=one.namespace)  # another API worker
    guards = [ComplianceGuard(counts=one), ComplianceGuard(counts=two)]
    effective = [guards[i % 2].propose(action(i)).rule for i in range(5)]
    assert [r and r.value for r in effective] == [None] * 3 + ["effective_call_limit"] * 2
    tries = [
        guards[i % 2].propose(action(i, debtor_id="D2", answered=False, effective=False)).rule
        for i in range(8)
    ]
    assert [r and r.value for r in tries] == [None] * 6 + ["unanswered_attempt_limit"] * 2
    keys = {
        k.decode().removeprefix(one.namespace) for k in one.client.scan_iter(f"{one.namespace}:*")
    }
    token = one._tokens.token("phone", PHONE)
    assert keys == {  # the phone only as its token
        ":newest",
        ":effective_calls:2026-06-01:D1",
        f":unanswered_attempts:2026-06-01:{token}",
    }


def test_concurrent_workers_never_pass_more_than_the_limit(redis_url: str) -> None:
    namespace = RedisDayCounts.isolated(redis_url).namespace
    allowed: list[bool] = []

    def worker(w: int) -> None:
        guard = ComplianceGuard(counts=RedisDayCounts(redis_url, namespace=namespace))
        for i in range(10):
            allowed.append(guard.propose(action(f"{w}-{i}")).allowed)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 60 and sum(allowed) == 3


def test_a_day_older_than_the_kept_counts_is_refused(redis_url: str) -> None:
    guard = ComplianceGuard(counts=RedisDayCounts.isolated(redis_url))
    guard.propose(action(1, at="2026-06-10T10:00:00+08:00"))
    assert guard.propose(action(2, at="2026-06-07T10:00:00+08:00")).allowed
    with pytest.raises(InvalidInputError, match="^at: local day 2026-06-06 is more than 3 days"):
        guard.propose(action(3, at="2026-06-06T10:00:00+08:00"))


def test_the_default_counts_follow_the_redis_setting(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(default_day_counts(), InMemoryDayCounts)
    monkeypatch.setenv("ZHUDAI_REDIS_URL", redis_url)
    get_settings.cache_clear()
    assert isinstance(default_day_counts(), RedisDayCounts)
