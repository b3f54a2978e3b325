"""Velocity stores against a brute-force oracle: embedded always, Redis on a real server."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhudai.exceptions import InvalidInputError
from zhudai.fraud.velocity import (
    AddStatus,
    Agg,
    InMemoryVelocityStore,
    SkewPolicy,
    VelocityConfig,
)
from zhudai.fraud.velocity_redis import RedisVelocityStore

CFG = VelocityConfig(max_window=50.0, max_lateness=10.0, max_future_skew=5.0)


@dataclass
class Oracle:
    """The time policy written the slow, obvious way: a list of accepted events."""

    config: VelocityConfig
    events: list[tuple[str, str, float, float, str]] = field(default_factory=list)
    wm: float = -math.inf

    def add(self, stream, eid, ts, value, member, now):
        cfg = self.config
        if now is not None and ts > now + cfg.max_future_skew:
            if cfg.skew_policy is SkewPolicy.REJECT:
                return AddStatus.FUTURE
            ts = now
        if ts <= self.wm - cfg.max_lateness:
            return AddStatus.LATE
        horizon = self.wm - cfg.retention
        if any(s == stream and e == eid and t > horizon for s, e, t, _, _ in self.events):
            return AddStatus.DUPLICATE
        self.events.append((stream, eid, ts, value, member))
        self.wm = max(self.wm, ts)
        return AddStatus.ADDED

    def observe(self, eid, ts, updates, now):
        """One event on several streams: lateness and history judged once, before inserting."""
        cfg = self.config
        if now is not None and ts > now + cfg.max_future_skew:
            if cfg.skew_policy is SkewPolicy.REJECT:
                return now, [AddStatus.FUTURE] * len(updates)
            ts = now
        if ts <= self.wm - cfg.max_lateness:
            return ts, [AddStatus.LATE] * len(updates)
        horizon = self.wm - cfg.retention
        statuses = []
        for stream, member, value in updates:
            if any(s == stream and e == eid and t > horizon for s, e, t, _, _ in self.events):
                statuses.append(AddStatus.DUPLICATE)
            else:
                self.events.append((stream, eid, ts, value, member))
                statuses.append(AddStatus.ADDED)
        self.wm = max([self.wm] + [t for _, _, t, _, _ in self.events])
        return ts, statuses

    def window(self, stream, at, window):
        return [(v, m) for s, _, t, v, m in self.events if s == stream and at - window < t <= at]


STREAMS = ["a", "b"]
op = st.tuples(
    st.sampled_from(STREAMS),
    st.integers(0, 12).map(lambda i: f"e{i}"),
    st.integers(0, 400).map(lambda t: t / 4),  # quarter seconds: ties and window edges
    st.sampled_from([0.0, 1.5, 100.0, -2.25]),
    st.sampled_from(["m1", "m2", "m3", ""]),
    st.one_of(st.none(), st.integers(0, 100)).map(lambda n: None if n is None else float(n)),
)
ops = st.lists(op, min_size=1, max_size=40)
query = st.tuples(st.sampled_from(STREAMS), st.sampled_from([0.25, 1.0, 7.5, 20.0, 50.0]))


def run_against_oracle(store, operations, config):
    oracle = Oracle(config)
    for stream, eid, ts, value, member, now in operations:
        expected = oracle.add(stream, eid, ts, value, member, now)
        assert store.add(stream, eid, ts, value=value, member=member, now=now) == expected
    assert store.watermark() == oracle.wm
    at_floor = oracle.wm - config.max_lateness
    for stream in STREAMS:
        for window in (0.25, 1.0, 7.5, 20.0, 50.0):
            for at in {oracle.wm, at_floor + 0.25, at_floor + 3.0}:
                rows = oracle.window(stream, at, window)
                assert store.count(stream, at, window) == len(rows)
                assert store.distinct(stream, at, window) == len({m for _, m in rows})
                assert store.total(stream, at, window) == pytest.approx(
                    math.fsum(v for v, _ in rows), abs=1e-9
                )


@given(operations=ops, reject=st.booleans())
@settings(max_examples=150, deadline=None)
def test_embedded_matches_oracle(operations, reject):
    config = VelocityConfig(
        max_window=50.0,
        max_lateness=10.0,
        max_future_skew=5.0,
        skew_policy=SkewPolicy.REJECT if reject else SkewPolicy.CLAMP,
    )
    run_against_oracle(InMemoryVelocityStore(config), operations, config)


@pytest.mark.redis
@given(operations=ops, reject=st.booleans())
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_redis_matches_oracle(redis_url, operations, reject):
    config = VelocityConfig(
        max_window=50.0,
        max_lateness=10.0,
        max_future_skew=5.0,
        skew_policy=SkewPolicy.REJECT if reject else SkewPolicy.CLAMP,
    )
    run_against_oracle(RedisVelocityStore.isolated(redis_url, config), operations, config)


@pytest.fixture(params=["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def store(request):
    if request.param == "embedded":
        return InMemoryVelocityStore(CFG)
    return RedisVelocityStore.isolated(request.getfixturevalue("redis_url"), CFG)


def test_duplicate_event_never_double_counts(store):
    assert store.add("dev:1", "app-1", 10.0, value=500.0, member="id-a") is AddStatus.ADDED
    for _ in range(3):
        assert store.add("dev:1", "app-1", 10.0, value=500.0, member="id-a") is AddStatus.DUPLICATE
    # Same id re-sent with another time or amount is still the same event.
    assert store.add("dev:1", "app-1", 11.0, value=9.0, member="id-b") is AddStatus.DUPLICATE
    assert store.count("dev:1", 11.0, 50.0) == 1
    assert store.total("dev:1", 11.0, 50.0) == 500.0
    assert store.distinct("dev:1", 11.0, 50.0) == 1


def test_out_of_order_events_are_counted_where_they_belong(store):
    for i, ts in enumerate([30.0, 22.0, 25.0, 21.0, 29.0]):
        assert store.add("ip:x", f"e{i}", ts, member=f"m{i % 2}") is AddStatus.ADDED
    assert store.count("ip:x", 25.0, 10.0) == 3  # (15, 25]: 21, 22, 25
    assert store.count("ip:x", 30.0, 9.0) == 4  # (21, 30]: 22, 25, 29, 30 (21 excluded)
    assert store.distinct("ip:x", 30.0, 9.0) == 2
    assert store.distinct("ip:x", 30.0, 8.0) == 1  # (22, 30]: m0 only


def test_late_event_beyond_lateness_is_not_counted(store):
    store.add("k", "e1", 100.0)
    assert store.add("k", "e2", 90.0) is AddStatus.LATE  # wm - max_lateness = 90, inclusive
    assert store.add("k", "e3", 90.5) is AddStatus.ADDED
    assert store.count("k", 100.0, 50.0) == 2


def test_future_event_is_clamped_to_arrival_time(store):
    assert store.add("k", "e1", 1_000.0, now=100.0) is AddStatus.ADDED
    assert store.watermark() == 100.0
    assert store.count("k", 100.0, 1.0) == 1
    assert store.add("k", "e2", 104.0, now=100.0) is AddStatus.ADDED  # within tolerance
    assert store.watermark() == 104.0


def test_future_event_rejected_under_reject_policy():
    config = VelocityConfig(max_window=50.0, max_future_skew=5.0, skew_policy="reject")
    store = InMemoryVelocityStore(config)
    assert store.add("k", "e1", 1_000.0, now=100.0) is AddStatus.FUTURE
    assert store.count("k", 1_000.0, 50.0) == 0
    assert store.watermark() == -math.inf


def test_observe_records_then_answers_at_event_time(store):
    updates = [("dev.id:d", "id-1", 0.0), ("ip:1", "id-1", 0.0)]
    queries = [("dev.id:d", 20.0, Agg.COUNT), ("dev.id:d", 20.0, Agg.DISTINCT)]
    first = store.observe("a1", 5.0, updates, queries)
    assert first.statuses == [AddStatus.ADDED, AddStatus.ADDED]
    assert first.values == [1, 1]
    second = store.observe("a2", 6.0, [("dev.id:d", "id-2", 0.0)], queries)
    assert second.values == [2, 2]
    again = store.observe("a2", 6.0, [("dev.id:d", "id-2", 0.0)], queries)
    assert again.statuses == [AddStatus.DUPLICATE] and again.values == [2, 2]


def test_old_history_is_pruned_and_memory_bounded():
    store = InMemoryVelocityStore(CFG)
    for i in range(1_000):
        store.add("k", f"e{i}", float(i))
    assert len(store) <= CFG.retention + 1
    assert store.count("k", 999.0, 50.0) == 50


@pytest.mark.parametrize("window", [0.0, -1.0, 51.0])
def test_window_outside_kept_history_is_refused(store, window):
    with pytest.raises(InvalidInputError, match="window"):
        store.count("k", 10.0, window)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("max_window", {"max_window": 0.0}),
        ("max_lateness", {"max_lateness": -1.0}),
        ("max_future_skew", {"max_future_skew": math.inf}),
    ],
)
def test_params(field, kwargs):
    with pytest.raises(InvalidInputError, match=field):
        VelocityConfig(**kwargs)


def test_non_finite_time_is_refused():
    with pytest.raises(InvalidInputError, match="ts"):
        InMemoryVelocityStore(CFG).add("k", "e", math.nan)


@pytest.mark.redis
def test_two_redis_workers_share_state(redis_url):
    a = RedisVelocityStore(redis_url, CFG, namespace="zhudai:test:shared")
    b = RedisVelocityStore(redis_url, CFG, namespace="zhudai:test:shared")
    a.add("dev:9", "x1", 1.0, member="id-1")
    assert b.add("dev:9", "x1", 1.0, member="id-1") is AddStatus.DUPLICATE
    b.add("dev:9", "x2", 2.0, member="id-2")
    assert a.distinct("dev:9", 2.0, 10.0) == 2


def test_idle_streams_are_dropped_by_the_incremental_sweep():
    store = InMemoryVelocityStore(CFG)
    for i in range(200):
        store.add(f"idle:{i}", "e", 0.0)
    for i in range(70_000):  # a busy stream moves the watermark far past the idle ones
        store.add("busy", f"b{i}", 100.0 + i * 0.01)
    assert not any(k.startswith("idle:") for k in store._streams)
    assert store.count("busy", store.watermark(), 50.0) == 5_000


observation = st.tuples(
    st.integers(0, 12).map(lambda i: f"e{i}"),
    st.integers(0, 400).map(lambda t: t / 4),
    st.lists(
        st.tuples(
            st.sampled_from(STREAMS), st.sampled_from(["m1", "m2", ""]), st.sampled_from([0.0, 2.5])
        ),
        min_size=1,
        max_size=3,
    ),
    st.one_of(st.none(), st.integers(0, 100)).map(lambda n: None if n is None else float(n)),
    st.sampled_from([1.0, 7.5, 50.0]),
)


def run_observations_against_oracle(store, observations):
    oracle = Oracle(CFG)
    for eid, ts, updates, now, window in observations:
        queries = [
            (st_, window, agg) for st_ in STREAMS for agg in (Agg.COUNT, Agg.SUM, Agg.DISTINCT)
        ]
        got = store.observe(eid, ts, updates, queries, now=now)
        ts_judged, statuses = oracle.observe(eid, ts, updates, now)
        assert got.ts == ts_judged and got.statuses == statuses
        at = max(ts_judged, oracle.wm - CFG.max_lateness)
        expected = []
        for st_ in STREAMS:
            rows = oracle.window(st_, at, window)
            expected += [len(rows), math.fsum(v for v, _ in rows), len({m for _, m in rows})]
        assert got.values == pytest.approx(expected, abs=1e-9)


@given(observations=st.lists(observation, min_size=1, max_size=25))
@settings(max_examples=100, deadline=None)
def test_embedded_observe_matches_oracle(observations):
    run_observations_against_oracle(InMemoryVelocityStore(CFG), observations)


@pytest.mark.redis
@given(observations=st.lists(observation, min_size=1, max_size=25))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_redis_observe_matches_oracle(redis_url, observations):
    run_observations_against_oracle(RedisVelocityStore.isolated(redis_url, CFG), observations)
