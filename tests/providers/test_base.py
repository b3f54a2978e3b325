"""The call policy of ProviderCall: statuses, deadline, retries, cost, as_of-time cache."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta

import pytest

from tests.providers.conftest import CST, T0, Fake, query
from zhudai.exceptions import InvalidInputError
from zhudai.providers import ProviderAnswer, ProviderCall, ProviderQuery, ProviderStatus

# -- query and answer ------------------------------------------------------------------------


def test_naive_as_of_is_refused_naming_as_of():
    with pytest.raises(InvalidInputError) as err:
        ProviderQuery("A1", datetime(2024, 3, 1, 9), id_token="t")
    assert err.value.field == "as_of"
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"application_id": "", "as_of": T0, "id_token": "t"}, "application_id"),
        ({"application_id": "A1", "as_of": T0, "id_token": ""}, "id_token"),
        ({"application_id": "A1", "as_of": "2024-03-01", "id_token": "t"}, "as_of"),
    ],
)
def test_query_params(kwargs, field):
    with pytest.raises(InvalidInputError) as err:
        ProviderQuery(**kwargs)
    assert err.value.field == field


@pytest.mark.parametrize(
    "answer",
    [
        ProviderAnswer(
            "bureau",
            ProviderStatus.DATA,
            {"a": [1, 2.5, None], "b": "城"},
            2.0,
            812.25,
            1,
            False,
            None,
            T0,
        ),
        ProviderAnswer(
            "card",
            ProviderStatus.NO_RECORD,
            None,
            0.0,
            0.01,
            0,
            True,
            None,
            datetime(2024, 3, 1, 1, 0, 0, 123456, tzinfo=CST) - timedelta(hours=8),
        ),
        ProviderAnswer(
            "telecom",
            ProviderStatus.FAILURE,
            None,
            0.6,
            800.1,
            2,
            False,
            "timeout after 800 ms",
            T0,
        ),
    ],
)
def test_answer_json_round_trip_is_exact(answer):
    text = json.dumps(answer.to_json(), ensure_ascii=False)
    back = ProviderAnswer.from_json(json.loads(text))
    assert back == answer
    assert back.as_of.utcoffset() == answer.as_of.utcoffset()
    assert back.to_json() == answer.to_json()
    assert isinstance(back.status, ProviderStatus)


def test_answer_from_json_names_the_bad_field():
    good = ProviderAnswer("b", ProviderStatus.DATA, {}, 1.0, 1.0, 1, False, None, T0).to_json()
    with pytest.raises(InvalidInputError) as err:
        ProviderAnswer.from_json({k: v for k, v in good.items() if k != "cost"})
    assert err.value.field == "cost"
    with pytest.raises(InvalidInputError) as err:
        ProviderAnswer.from_json({**good, "status": "clean"})
    assert err.value.field == "status"
    with pytest.raises(InvalidInputError) as err:
        ProviderAnswer.from_json({**good, "as_of": "2024-03-01T09:00:00"})
    assert err.value.field == "as_of"


# -- statuses, deadline, retries, cost ---------------------------------------------------------


@pytest.mark.parametrize("inline", [False, True])
def test_data_and_no_record_are_distinct_answers(inline):
    data = ProviderCall(Fake(inline=inline), cost_per_call=1.5, timeout_ms=500).call(query())
    assert (data.status, data.data, data.cost, data.attempts, data.error) == (
        ProviderStatus.DATA,
        {"x": 1},
        1.5,
        1,
        None,
    )
    assert data.provider == "fake" and data.as_of == T0 and not data.cached
    thin = ProviderCall(
        Fake(reply=(ProviderStatus.NO_RECORD, None), inline=inline),
        cost_per_call=1.5,
        timeout_ms=500,
    ).call(query())
    assert (thin.status, thin.data, thin.cost, thin.error) == (
        ProviderStatus.NO_RECORD,
        None,
        1.5,
        None,
    )


def test_a_provider_slower_than_its_timeout_is_a_failure_within_the_deadline():
    slow = Fake(sleep_s=1.0)
    call = ProviderCall(slow, cost_per_call=2.0, timeout_ms=150, retries=3)
    t = time.perf_counter()
    answer = call.call(query())
    elapsed_ms = (time.perf_counter() - t) * 1000
    assert answer.status is ProviderStatus.FAILURE and answer.data is None
    assert answer.error == "timeout after 150 ms"
    assert 150 <= elapsed_ms < 150 + 60
    assert answer.attempts == 1 and answer.cost == 2.0  # abandoned, but it reached the vendor
    assert slow.calls == 1  # a timeout is not retried


def test_an_exception_is_retried_then_a_failure_charged_per_attempt():
    broken = Fake(always_fail=True)
    answer = ProviderCall(broken, cost_per_call=0.8, timeout_ms=500, retries=2).call(query())
    assert answer.status is ProviderStatus.FAILURE
    assert answer.error == "ConnectionError: reset by peer (attempt 3)"
    assert (answer.attempts, broken.calls) == (3, 3)
    assert answer.cost == pytest.approx(3 * 0.8, rel=1e-12)


@pytest.mark.parametrize("inline", [False, True])
def test_a_flaky_provider_succeeds_on_its_retry(inline):
    flaky = Fake(fail_first=1, inline=inline)
    answer = ProviderCall(flaky, cost_per_call=0.5, timeout_ms=500, retries=1).call(query())
    assert (answer.status, answer.data, answer.attempts, answer.cost, answer.error) == (
        ProviderStatus.DATA,
        {"x": 1},
        2,
        1.0,
        None,
    )


def test_retries_stop_at_the_deadline():
    slow_broken = Fake(sleep_s=0.08, always_fail=True)
    t = time.perf_counter()
    answer = ProviderCall(slow_broken, cost_per_call=1.0, timeout_ms=200, retries=10).call(query())
    assert (time.perf_counter() - t) * 1000 < 200 + 60
    assert answer.status is ProviderStatus.FAILURE
    assert answer.attempts == slow_broken.calls == 3  # 0-80, 80-160, 160-(abandoned at 200)
    assert answer.cost == 3.0


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ((ProviderStatus.FAILURE, None), "RuntimeError: the provider reported a failure"),
        (
            (ProviderStatus.DATA, None),
            "TypeError: a DATA answer needs a dict payload; got NoneType",
        ),
        ("data", "TypeError: a provider must return"),
        (("clean", {}), "TypeError: a provider must return"),
    ],
)
def test_a_malformed_or_failed_reply_never_reads_as_data(reply, error):
    answer = ProviderCall(Fake(reply=reply), cost_per_call=1, timeout_ms=300).call(query())
    assert answer.status is ProviderStatus.FAILURE and answer.data is None
    assert answer.error.startswith(error)


def test_an_inline_provider_that_overruns_is_a_timeout():
    answer = ProviderCall(Fake(sleep_s=0.05, inline=True), cost_per_call=1, timeout_ms=10).call(
        query()
    )
    assert answer.status is ProviderStatus.FAILURE and answer.error == "timeout after 10 ms"
    assert answer.cost == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"cost_per_call": -1, "timeout_ms": 100}, "cost_per_call"),
        ({"cost_per_call": 1, "timeout_ms": 0}, "timeout_ms"),
        ({"cost_per_call": 1, "timeout_ms": float("nan")}, "timeout_ms"),
        ({"cost_per_call": 1, "timeout_ms": 100, "retries": -1}, "retries"),
        ({"cost_per_call": 1, "timeout_ms": 100, "retries": 1.5}, "retries"),
        ({"cost_per_call": 1, "timeout_ms": 100, "cache_ttl_s": -5}, "cache_ttl_s"),
    ],
)
def test_call_params(kwargs, field):
    with pytest.raises(InvalidInputError) as err:
        ProviderCall(Fake(), **kwargs)
    assert err.value.field == field


def test_a_provider_needs_a_name_and_fetch():
    with pytest.raises(InvalidInputError) as err:
        ProviderCall(object(), cost_per_call=1, timeout_ms=100)  # type: ignore[arg-type]
    assert err.value.field == "provider"


# -- cache -------------------------------------------------------------------------------------


def _cached_call(provider, ttl_s=3600.0):
    return ProviderCall(provider, cost_per_call=2.0, timeout_ms=300, cache_ttl_s=ttl_s)


def test_cache_hit_within_ttl_of_as_of_time_costs_nothing():
    p = Fake(inline=True)
    call = _cached_call(p)
    first = call.call(query(1))
    hit = call.call(query(2, id_token="id-1", as_of=T0 + timedelta(seconds=3600)))
    assert (first.cost, first.cached) == (2.0, False)
    assert (hit.status, hit.data, hit.cost, hit.cached, hit.attempts) == (
        ProviderStatus.DATA,
        {"x": 1},
        0.0,
        True,
        0,
    )
    assert hit.as_of == T0 + timedelta(seconds=3600)  # the query's as_of, not the entry's
    assert p.calls == 1


def test_cache_misses_after_ttl_before_the_entry_and_for_other_tokens():
    p = Fake(inline=True)
    call = _cached_call(p)
    call.call(query(1))
    after = call.call(query(2, id_token="id-1", as_of=T0 + timedelta(seconds=3601)))
    earlier = call.call(query(3, id_token="id-1", as_of=T0 - timedelta(seconds=1)))
    other_phone = call.call(query(4, id_token="id-1", phone_token="p", as_of=T0))
    assert not (after.cached or earlier.cached or other_phone.cached)
    assert p.calls == 4
    # the entry written at T0-1s serves T0+10s; the one at T0+3601s serves T0+3700s
    assert call.call(query(5, id_token="id-1", as_of=T0 + timedelta(seconds=10))).cached
    assert call.call(query(6, id_token="id-1", as_of=T0 + timedelta(seconds=3700))).cached
    assert p.calls == 4


def test_cache_ttl_is_as_of_time_not_wall_time():
    p = Fake(inline=True)
    call = _cached_call(p, ttl_s=0.05)
    call.call(query(1))
    time.sleep(0.1)  # wall time passes; as_of does not
    assert call.call(query(2, id_token="id-1")).cached


def test_no_record_is_cached_and_failures_never_are():
    thin = Fake(reply=(ProviderStatus.NO_RECORD, None), inline=True)
    call = _cached_call(thin)
    call.call(query(1))
    hit = call.call(query(2, id_token="id-1"))
    assert (hit.status, hit.cached, thin.calls) == (ProviderStatus.NO_RECORD, True, 1)

    flaky = Fake(fail_first=1, inline=True)
    call = _cached_call(flaky)
    assert call.call(query(1)).status is ProviderStatus.FAILURE
    second = call.call(query(2, id_token="id-1"))
    assert (second.status, second.cached, second.cost, flaky.calls) == (
        ProviderStatus.DATA,
        False,
        2.0,
        2,
    )


def test_ttl_zero_disables_the_cache_and_clear_cache_forgets():
    p = Fake(inline=True)
    call = _cached_call(p, ttl_s=0)
    call.call(query(1))
    assert not call.call(query(1)).cached
    call = _cached_call(p)
    call.call(query(1))
    call.clear_cache()
    assert not call.call(query(1)).cached


def test_cache_keeps_at_most_cache_max_keys():
    p = Fake(inline=True)
    call = ProviderCall(p, cost_per_call=1, timeout_ms=100, cache_ttl_s=60, cache_max_keys=2)
    for n in (1, 2, 3):
        call.call(query(n))
    assert call.call(query(3)).cached and call.call(query(2)).cached
    assert not call.call(query(1)).cached  # the least recently used key went first


def test_call_is_thread_safe():
    p = Fake(sleep_s=0.001)
    call = ProviderCall(p, cost_per_call=1, timeout_ms=2000, cache_ttl_s=60)
    answers: list[ProviderAnswer] = []
    lock = threading.Lock()

    def work(k: int) -> None:
        for n in range(25):
            a = call.call(query(n % 10, as_of=T0 + timedelta(seconds=k)))
            with lock:
                answers.append(a)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 200 and all(a.status is ProviderStatus.DATA for a in answers)
    assert sum(a.cost for a in answers) == p.calls  # each fetch billed exactly once
    assert sum(not a.cached for a in answers) == p.calls
