"""World-backed simulated providers: answers equal the world's rows as of ``as_of``, read here
independently with polars; deterministic failures; the providers never touch the generator
or the ground truth."""

from __future__ import annotations

import ast
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import zhudai.providers
from zhudai.providers import (
    SIMULATED_PROVIDERS,
    ProviderCall,
    ProviderQuery,
    ProviderStatus,
    WorldRecords,
    build_simulated_hub,
)
from zhudai.providers.simulated import (
    BUREAU_FIELDS,
    MULTI_LENDING_FIELDS,
    SimulatedBureau,
    SimulatedCard,
    SimulatedEcommerce,
    SimulatedIpGeo,
    SimulatedMultiLending,
    SimulatedTelecom,
)
from zhudai.times import LOCAL_TZ

NO_CACHE = {name: {"cache_ttl_s": 0} for name in SIMULATED_PROVIDERS}


def aware(naive: datetime) -> datetime:
    return naive.replace(tzinfo=LOCAL_TZ)


def iso(naive: datetime) -> str:
    return naive.replace(tzinfo=LOCAL_TZ).isoformat()


def app_query(app: dict, as_of: datetime | None = None, **changes) -> ProviderQuery:
    fields = {
        "application_id": str(app["application_id"]),
        "as_of": as_of or aware(app["applied_at"]),
        "id_token": app["id_token"],
        "phone_token": app["phone_token"],
        "card_token": app["card_token"],
        "ip": app["ip"],
    }
    return ProviderQuery(**{**fields, **changes})


@pytest.fixture(scope="module")
def sample(tables) -> list[dict]:
    return tables["applications"].sample(20, seed=3).sort("application_id").to_dicts()


@pytest.fixture(scope="module")
def hub(records):
    with build_simulated_hub(records, NO_CACHE) as h:
        yield h


def expected_events(frame: pl.DataFrame, customer_id: int, before: datetime, fields) -> list[dict]:
    rows = frame.filter((pl.col("customer_id") == customer_id) & (pl.col("ts") < before)).sort("ts")
    return [{**{f: r[f] for f in fields}, "ts": iso(r["ts"])} for r in rows.iter_rows(named=True)]


def test_bureau_multi_lending_and_telecom_equal_the_world_rows(hub, tables, sample):
    bureau = {r["application_id"]: r for r in tables["bureau"].iter_rows(named=True)}
    customers = tables["customers"]
    pairs = set(zip(customers["phone_token"], customers["id_token"], strict=True))
    for app in sample:
        answers = hub.fetch_all(app_query(app))
        row = bureau[app["application_id"]]
        assert answers["bureau"].status is ProviderStatus.DATA
        assert answers["bureau"].data == {f: row[f] for f in BUREAU_FIELDS}
        assert answers["multi_lending"].data == {f: row[f] for f in MULTI_LENDING_FIELDS}
        assert answers["telecom"].data == {
            "sim_age_days": app["sim_age_days"],
            "phone_matches_id": (app["phone_token"], app["id_token"]) in pairs,
        }
        assert answers["ip_geo"].data == {"ip_city": app["ip_city"]}


def test_bureau_takes_the_latest_application_at_or_before_as_of(records, tables):
    apps = tables["applications"]
    repeat = apps.filter(pl.len().over("id_token") > 1).sort("id_token", "applied_at")
    first, second = repeat.head(2).to_dicts()
    assert first["id_token"] == second["id_token"]
    bureau = {r["application_id"]: r for r in tables["bureau"].iter_rows(named=True)}
    call = ProviderCall(SimulatedBureau(records), cost_per_call=1, timeout_ms=100)
    between = first["applied_at"] + (second["applied_at"] - first["applied_at"]) / 2
    for as_of, source in [
        (first["applied_at"], first),
        (between, first),
        (second["applied_at"] - timedelta(microseconds=1), first),
        (second["applied_at"], second),
        (second["applied_at"] + timedelta(days=400), second),
    ]:
        answer = call.call(app_query(second, aware(as_of)))
        assert answer.data == {f: bureau[source["application_id"]][f] for f in BUREAU_FIELDS}
    before = call.call(app_query(first, aware(first["applied_at"] - timedelta(seconds=1))))
    assert (before.status, before.data) == (ProviderStatus.NO_RECORD, None)


def test_as_of_in_another_offset_is_converted_to_the_world_clock(records, tables, sample):
    app = sample[0]
    utc = aware(app["applied_at"]).astimezone(UTC)
    ours = SimulatedBureau(records).fetch(app_query(app, utc))
    theirs = SimulatedBureau(records).fetch(app_query(app))
    assert ours == theirs and ours[0] is ProviderStatus.DATA


def test_orders_and_card_txns_are_exactly_the_events_strictly_before_as_of(hub, tables, sample):
    customers = tables["customers"]
    by_id = dict(zip(customers["id_token"], customers["customer_id"], strict=True))
    by_card = dict(zip(customers["card_token"], customers["customer_id"], strict=True))
    orders, txns = tables["orders"], tables["card_txns"]
    for app in sample:
        at = app["applied_at"]
        answers = hub.fetch_all(app_query(app))
        want = expected_events(
            orders, by_id[app["id_token"]], at, ("category", "amount", "n_items", "is_installment")
        )
        got = answers["ecommerce"].data["orders"]
        assert got == want and list(got[0]) == [
            "ts",
            "category",
            "amount",
            "n_items",
            "is_installment",
        ]
        assert all(datetime.fromisoformat(o["ts"]) < aware(at) for o in got)
        holder = by_card.get(app["card_token"], by_id.get(app["id_token"]))
        want = expected_events(
            txns, holder, at, ("mcc_category", "amount", "channel", "is_cash_withdrawal")
        )
        assert answers["card"].data["card_txns"] == want


def test_an_event_at_exactly_as_of_is_excluded(records, tables):
    order = tables["orders"].row(10, named=True)
    customer = (
        tables["customers"].filter(pl.col("customer_id") == order["customer_id"]).row(0, named=True)
    )
    q = ProviderQuery("A1", aware(order["ts"]), id_token=customer["id_token"])
    got = SimulatedEcommerce(records).fetch(q)[1]["orders"]
    assert got[-1]["ts"] < iso(order["ts"]) and iso(order["ts"]) not in [o["ts"] for o in got]
    later = ProviderQuery(
        "A1", aware(order["ts"] + timedelta(microseconds=1)), id_token=customer["id_token"]
    )
    assert SimulatedEcommerce(records).fetch(later)[1]["orders"][-1]["ts"] == iso(order["ts"])


def test_card_falls_back_to_the_identity_when_the_card_is_unknown(records, tables):
    c = tables["customers"].row(5, named=True)
    at = aware(datetime(2026, 1, 1))
    by_card = SimulatedCard(records).fetch(
        ProviderQuery("A1", at, id_token="nobody", card_token=c["card_token"])
    )
    by_id = SimulatedCard(records).fetch(
        ProviderQuery("A1", at, id_token=c["id_token"], card_token="unknown")
    )
    assert by_card[0] is ProviderStatus.DATA and by_card == by_id


@pytest.mark.parametrize(
    "provider",
    [
        SimulatedBureau,
        SimulatedMultiLending,
        SimulatedEcommerce,
        SimulatedCard,
        SimulatedTelecom,
        SimulatedIpGeo,
    ],
)
def test_unknown_identity_is_no_record(records, provider):
    q = ProviderQuery(
        "A1",
        aware(datetime(2026, 1, 1)),
        id_token="unknown",
        phone_token="unknown",
        card_token="unknown",
        ip="203.0.113.9",
    )
    assert provider(records).fetch(q) == (ProviderStatus.NO_RECORD, None)
    bare = ProviderQuery("A1", aware(datetime(2026, 1, 1)), id_token="unknown")
    assert provider(records).fetch(bare) == (ProviderStatus.NO_RECORD, None)


def test_a_known_identity_with_no_events_before_as_of_is_no_record(records, tables):
    c = tables["customers"].row(0, named=True)
    first = tables["orders"].filter(pl.col("customer_id") == c["customer_id"])["ts"].min()
    q = ProviderQuery("A1", aware(first), id_token=c["id_token"], card_token=c["card_token"])
    assert SimulatedEcommerce(records).fetch(q) == (ProviderStatus.NO_RECORD, None)
    early = ProviderQuery(
        "A1", aware(datetime(2000, 1, 1)), id_token=c["id_token"], card_token=c["card_token"]
    )
    assert SimulatedCard(records).fetch(early) == (ProviderStatus.NO_RECORD, None)


def test_phone_matches_id_is_false_for_a_phone_submitted_with_another_identity(records, tables):
    apps, customers = tables["applications"], tables["customers"]
    mismatched = apps.join(
        customers.select("id_token", "phone_token"), on=["id_token", "phone_token"], how="anti"
    )
    assert mismatched.height > 0  # probing / identity theft in the world
    app = mismatched.row(0, named=True)
    status, data = SimulatedTelecom(records).fetch(app_query(app))
    assert status is ProviderStatus.DATA
    assert data == {"sim_age_days": app["sim_age_days"], "phone_matches_id": False}


def test_ip_city_is_a_function_of_ip_in_the_world(tables):
    per_ip = tables["applications"].group_by("ip").agg(pl.col("ip_city").n_unique().alias("n"))
    assert per_ip["n"].max() == 1


def test_failure_rate_is_deterministic_and_near_its_rate(records):
    def failing_ids(seed: int) -> list[str]:
        p = SimulatedBureau(records, failure_rate=0.3, seed=seed)
        call = ProviderCall(p, cost_per_call=1, timeout_ms=100)
        ids = []
        for n in range(500):
            a = call.call(ProviderQuery(f"A{n}", aware(datetime(2026, 1, 1)), id_token="x"))
            if a.status is ProviderStatus.FAILURE:
                assert a.error.startswith("ConnectionError: simulated bureau outage")
                ids.append(a.error)
        return ids

    first, again, other_seed = failing_ids(0), failing_ids(0), failing_ids(1)
    assert first == again
    assert first != other_seed
    assert 0.25 * 500 <= len(first) <= 0.35 * 500  # 3 sigma of Binomial(500, 0.3) is +-31


def test_a_simulated_failure_can_succeed_on_retry(records, tables, sample):
    p = SimulatedBureau(records, failure_rate=0.5, seed=0)
    call = ProviderCall(p, cost_per_call=1, timeout_ms=100, retries=3)
    answers = [call.call(app_query(app)) for app in sample]
    assert any(a.attempts > 1 and a.status is ProviderStatus.DATA for a in answers)
    assert all(a.cost == a.attempts for a in answers)


def test_latency_is_deterministic_around_the_mean_and_not_inline(records, sample):
    p = SimulatedIpGeo(records, latency_ms=20)
    assert not p.inline and SimulatedIpGeo(records).inline
    t = time.perf_counter()
    for app in sample[:5]:
        p.fetch(app_query(app))
    mean_ms = (time.perf_counter() - t) * 1000 / 5
    assert 10 <= mean_ms <= 40
    waits = [p.unit(str(a["application_id"]), 1, "latency") for a in sample]
    assert waits == [
        SimulatedIpGeo(records, latency_ms=20).unit(str(a["application_id"]), 1, "latency")
        for a in sample
    ]


def test_build_simulated_hub_applies_the_config(world_dir):
    with build_simulated_hub(world_dir, {"bureau": {"latency_ms": 5, "retries": 2}}, seed=4) as hub:
        assert hub.names == list(SIMULATED_PROVIDERS)
        bureau = hub.calls["bureau"]
        assert (bureau.retries, bureau.cost_per_call, bureau.inline) == (2, 2.0, False)
        assert bureau.provider.seed == 4 and hub.calls["telecom"].inline


def test_world_dir_without_tables_is_refused(tmp_path):
    from zhudai.exceptions import InvalidInputError

    with pytest.raises(InvalidInputError) as err:
        WorldRecords.load(tmp_path)
    assert err.value.field == "world_dir"


def test_lookups_are_fast(records, sample):
    providers = [cls(records) for cls in SIMULATED_PROVIDERS.values()]
    queries = [app_query(app) for app in sample]
    t = time.perf_counter()
    for _ in range(25):
        for q in queries:
            for p in providers:
                p.fetch(q)
    per_lookup_us = (time.perf_counter() - t) * 1e6 / (25 * len(queries) * len(providers))
    assert per_lookup_us < 100  # a scan of the tables would take milliseconds


def test_providers_never_import_the_generator_nor_read_truth():
    root = Path(zhudai.providers.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("zhudai.world") for a in node.names), path
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("zhudai.world"), path
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert "truth" not in node.value.split("/"), path
