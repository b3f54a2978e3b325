"""Rate limits shared across workers: with ``ZHUDAI_REDIS_URL`` every worker draws from one
token bucket per key in Redis (two limiters here stand for two worker processes)."""

from __future__ import annotations

import time

from zhudai.api.limits import RateLimiter, RedisRateLimiter, rate_limiter


def test_two_workers_share_one_bucket(redis_url: str) -> None:
    prefix = f"test:{time.monotonic_ns()}:"
    first = RedisRateLimiter(redis_url, rate=0.5, burst=3, prefix=prefix)
    second = RedisRateLimiter(redis_url, rate=0.5, burst=3, prefix=prefix)
    granted = [first.wait_for(7), second.wait_for(7), first.wait_for(7)]
    assert granted == [0.0, 0.0, 0.0]
    wait = second.wait_for(7)  # the burst is spent, whichever worker asks
    assert 1.5 < wait <= 2.0
    assert first.wait_for(8) == 0.0  # another key has its own bucket


def test_the_limiter_follows_the_settings(redis_url: str) -> None:
    assert isinstance(rate_limiter(10, 5, None), RateLimiter)
    assert isinstance(rate_limiter(10, 5, redis_url), RedisRateLimiter)
