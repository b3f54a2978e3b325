"""Device hand-overs: days since another identity last applied from a device."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from zhudai.fraud.engine import FraudEngine
from zhudai.fraud.handover import NEVER, DeviceHandovers
from zhudai.fraud.velocity import DAY, InMemoryVelocityStore


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from("xyz"), st.floats(0, 40 * DAY)),
        max_size=30,
    )
)
def test_days_since_other_matches_a_brute_force_oracle(events):
    """In time order, the answer is the gap to the latest earlier event on the same device
    by another identity."""
    events = sorted(events, key=lambda e: e[2])
    tracker = DeviceHandovers()
    for i, (device, identity, ts) in enumerate(events):
        others = [t for d, p, t in events[:i] if d == device and p != identity]
        expected = (ts - max(others)) / DAY if others else NEVER
        assert tracker.days_since_other(device, identity, ts) == expected


def test_engine_reads_a_resold_phone(application):
    """The farm's identities a day apart, then an honest owner 100 days after the last."""
    engine = FraudEngine(store=InMemoryVelocityStore())
    for i, person in enumerate((11, 12, 13)):
        app = application(minutes=i * 24 * 60, person=person, device_id="farm-1")
        got = engine.check(app).signals["device_handover_days"]
        assert got == (NEVER if i == 0 else 1.0)
    later = application(minutes=2 * 24 * 60, person=14, device_id="farm-1")
    later["applied_at"] += timedelta(days=100)
    assert engine.check(later).signals["device_handover_days"] == 100.0
    own = application(person=15)
    assert engine.check(own).signals["device_handover_days"] == NEVER
