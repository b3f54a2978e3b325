"""The fraud engine on hand-made applications: signals, hits, explanations, feedback."""

from __future__ import annotations

import time

import pytest

from zhudai.exceptions import InvalidInputError
from zhudai.fraud.engine import FraudEngine
from zhudai.fraud.lists import FraudLists
from zhudai.fraud.signals import SIGNAL_NAMES
from zhudai.fraud.velocity import InMemoryVelocityStore
from zhudai.fraud.velocity_redis import RedisVelocityStore
from zhudai.times import epoch_seconds


def test_ordinary_application_is_clean(application):
    result = FraudEngine().check(application())
    assert set(result.signals) == set(SIGNAL_NAMES)
    assert result.signals["dev_apps_24h"] == 1  # counts include the application itself
    assert result.signals["gps_declared_km"] < 5
    assert not result.is_fraud and not result.probing
    assert result.hits == []


def test_device_cycling_identities_is_caught_by_its_third_attempt_and_grey_listed(application):
    engine = FraudEngine()
    results = [
        engine.check(
            application(minutes=5 * i, person=100 + i, device_id="farm-1", is_emulator=True)
        )
        for i in range(4)
    ]
    assert [r.probing for r in results] == [False, False, True, True]
    assert results[2].signals["dev_ids_7d"] == 3
    probing_hit = next(h for h in results[2].hits if h.rule == "probing")
    assert "device used 3 identities in 7 days" in probing_hit.explanation
    # The device is grey-listed from the third attempt on, and the hit explains itself.
    hit = results[3].list_hits[0]
    assert hit.source == "probing_detector" and hit.key_masked == "device:farm-1"
    assert "grey list: device:farm-1 (probing_detector" in hit.explain()


def test_retry_after_rejection_with_tweaked_fields(application):
    engine = FraudEngine()
    first = application(person=7)
    engine.check(first)
    engine.record_outcome(first, rejected=True)
    retry = application(minutes=10, person=7, amount_requested=3000.0, term_months=6)
    s = engine.check(retry).signals
    assert s["retry_after_reject"] == 1
    assert s["tweak_count"] == 2
    assert s["amount_change_ratio"] == pytest.approx(0.4)
    assert s["dev_rejects_24h"] == 1 and s["id_rejects_7d"] == 1
    assert s["probing_score"] >= 0.5


def test_duplicate_submission_does_not_inflate_velocity(application):
    engine = FraudEngine()
    app = application(person=3)
    engine.check(app)
    again = engine.check(app)
    assert again.signals["dev_apps_24h"] == 1 and again.signals["id_apps_7d"] == 1


def test_geo_mismatch_and_impossible_travel(application):
    engine = FraudEngine()
    engine.check(application(person=9))
    far = application(minutes=30, person=9, gps_lat=39.92, gps_lon=116.44, ip_city="北京")
    result = engine.check(far)
    s = result.signals
    assert s["ip_declared_mismatch"] == 1
    assert s["gps_declared_km"] == pytest.approx(1120, rel=0.05)
    assert s["travel_kmh"] > 2000 and s["impossible_travel"] == 1
    assert {"geo_mismatch", "impossible_travel"} <= {h.rule for h in result.hits}


def test_black_list_blocks_and_explains_with_a_masked_token(application):
    lists = FraudLists()
    app = application(person=11)
    lists.add("black", "id", app["id_token"], source="court", reason="fraud conviction", since=0.0)
    result = FraudEngine(lists=lists).check(app)
    assert result.is_fraud
    explanation = result.list_hits[0].explain()
    assert explanation.startswith(
        f"black list: id:{app['id_token'][:8]}… (court: fraud conviction)"
    )
    assert app["id_token"] not in explanation


def test_shared_phone_and_card_across_identities(application):
    engine = FraudEngine()
    engine.check(application(person=20))
    other = application(minutes=60, person=21, phone_token=application(person=20)["phone_token"])
    hits = {h.rule for h in engine.check(other).hits}
    assert "phone_shared_by_ids" in hits


def test_contacts_named_by_many_applicants(application):
    engine = FraudEngine()
    last = None
    for i in range(5):
        last = engine.check(
            application(minutes=i, person=30 + i, contact_phone_tokens=["c-shared", f"c-{i}"])
        )
    assert last.signals["contact_ids_30d"] == 5
    assert "shared_contact" in {h.rule for h in last.hits}


def test_missing_required_field_names_it(application):
    app = application()
    del app["applied_at"]
    with pytest.raises(InvalidInputError, match="applied_at"):
        FraudEngine().check(app)


def test_to_epoch_accepts_datetimes_and_numbers(application):
    assert epoch_seconds(86_400.0) == 86_400.0
    assert epoch_seconds(application(minutes=0)["applied_at"]) == pytest.approx(1709287200.0)
    with pytest.raises(InvalidInputError, match="applied_at"):
        epoch_seconds("yesterday")


@pytest.mark.redis
def test_engine_gives_the_same_signals_on_redis(redis_url, application):
    apps = [application(minutes=3 * i, person=50 + i % 3, device_id="shared-dev") for i in range(6)]
    embedded = FraudEngine(store=InMemoryVelocityStore())
    shared = FraudEngine(store=RedisVelocityStore.isolated(redis_url))
    for app in apps:
        assert embedded.check(app).signals == shared.check(app).signals


def test_check_is_fast_enough_embedded(application):
    engine = FraudEngine()
    apps = [application(minutes=i, person=i % 500) for i in range(600)]
    for app in apps[:100]:
        engine.check(app)
    started = time.perf_counter()
    for app in apps[100:]:
        engine.check(app)
    per_check = (time.perf_counter() - started) / 500
    assert per_check < 2e-3  # generous for a busy CI box; the benchmark reports the real p99


def test_probing_memory_forgets_old_rejections():
    from zhudai.fraud.probing import ProbingDetector
    from zhudai.fraud.probing_memory import _PRUNE_EVERY

    detector = ProbingDetector()
    attempt = {"amount": 1.0, "term": 1, "product": "p", "phone": "x", "card": "y"}
    for i in range(_PRUNE_EVERY):
        detector.record_rejection(i * 3600.0, (f"id:{i}",), attempt)
    assert len(detector) <= 7 * 24 + 1  # only the last 7 days of rejections are kept


@pytest.mark.redis
def test_default_store_follows_settings(monkeypatch, redis_url):
    from zhudai.fraud.engine import default_velocity_store
    from zhudai.settings import get_settings

    assert isinstance(default_velocity_store(), InMemoryVelocityStore)
    monkeypatch.setenv("ZHUDAI_REDIS_URL", redis_url)
    get_settings.cache_clear()
    assert isinstance(default_velocity_store(), RedisVelocityStore)


def test_future_stamped_application_is_judged_at_arrival_time(application):
    arrival = epoch_seconds(application(minutes=0)["applied_at"])
    engine = FraudEngine(clock=lambda: arrival)
    engine.check(application(minutes=0, person=60, device_id="d-skew"))
    forged = application(minutes=600, person=61, device_id="d-skew")  # client clock 10 h ahead
    s = engine.check(forged).signals
    assert s["dev_apps_1h"] == 2  # counted at arrival time, next to the first application
    engine.record_outcome(forged, rejected=True)
    assert engine.store.watermark() == arrival  # neither check nor feedback moved the clock


def test_ip_database_fills_a_missing_ip_city(application, tmp_path):
    from zhudai.fraud.geo import IpRangeTable

    path = tmp_path / "ranges.csv"
    path.write_text(
        "start_ip,end_ip,province,city\n36.112.0.0,36.112.255.255,北京,北京\n", encoding="utf-8"
    )
    engine = FraudEngine(ip_database=IpRangeTable.from_csv(path))
    app = application(person=70, ip="36.112.5.6")
    del app["ip_city"]
    s = engine.check(app).signals
    assert s["ip_declared_mismatch"] == 1  # declared Hangzhou, IP in Beijing
    assert s["gps_ip_km"] == pytest.approx(1125, rel=0.05)


def test_an_unknown_sim_age_is_explained_as_unknown_not_as_a_negative_age() -> None:
    from datetime import datetime

    from zhudai.fraud.engine import FraudEngine

    engine = FraudEngine()
    unknown = engine.check({"application_id": 1, "applied_at": datetime(2025, 1, 1)})
    [hit] = [h for h in unknown.hits if h.rule == "new_sim"]
    assert hit.explanation == "SIM age unknown (no telecom answer)"
    known = engine.rescore(unknown, {"sim_age_days": 12.0})
    [hit] = [h for h in known.hits if h.rule == "new_sim"]
    assert hit.explanation == "SIM card active for 12 days"


def test_thirty_day_and_employer_velocity(application):
    """A buyer's device and a shell employer seen over weeks: the 7-day windows forget the
    first identity, the 30-day ones do not; no declared employer counts nothing."""
    engine = FraudEngine(store=InMemoryVelocityStore())
    day = 24 * 60
    seen = [
        engine.check(
            application(minutes=i * 10 * day, person=200 + i, device_id="buyer-1", employer_id=77)
        ).signals
        for i in range(3)
    ]
    assert [s["dev_ids_7d"] for s in seen] == [1, 1, 1]
    assert [s["dev_ids_30d"] for s in seen] == [1, 2, 3]
    assert [s["emp_ids_30d"] for s in seen] == [1, 2, 3]
    assert [s["emp_ids_7d"] for s in seen] == [1, 1, 1]
    assert engine.check(application(minutes=31 * day, person=300)).signals["emp_ids_30d"] == 0
    late = engine.check(application(minutes=41 * day, person=301, device_id="buyer-1")).signals
    assert late["dev_ids_30d"] == 2  # 200 left the window (day 0); 201 (day 10) did too
