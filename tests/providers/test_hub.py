"""ProviderHub: concurrent calls, each within its own deadline, answers in configured order."""

from __future__ import annotations

import threading
import time

import pytest

from tests.providers.conftest import Fake, query
from zhudai.exceptions import InvalidInputError
from zhudai.providers import ProviderCall, ProviderHub, ProviderStatus


def _call(provider, timeout_ms=500, **kw):
    return ProviderCall(provider, cost_per_call=1.0, timeout_ms=timeout_ms, **kw)


def test_four_blocking_providers_run_concurrently():
    fakes = [Fake(f"p{i}", sleep_s=0.2) for i in range(4)]
    with ProviderHub({f.name: _call(f) for f in fakes}) as hub:
        t = time.perf_counter()
        answers = hub.fetch_all(query())
        elapsed = time.perf_counter() - t
    assert elapsed < 0.4
    assert [a.status for a in answers.values()] == [ProviderStatus.DATA] * 4
    assert hub.total_cost(answers) == 4.0


def test_each_provider_keeps_its_own_deadline_and_the_others_still_answer():
    slow, fast, broken = (
        Fake("slow", sleep_s=1.0),
        Fake("fast", sleep_s=0.02),
        Fake("broken", always_fail=True),
    )
    hub = ProviderHub(
        {
            "slow": _call(slow, timeout_ms=100),
            "fast": _call(fast),
            "broken": _call(broken, retries=1),
        }
    )
    t = time.perf_counter()
    answers = hub.fetch_all(query())
    assert time.perf_counter() - t < 0.1 + 0.06
    assert list(answers) == ["slow", "fast", "broken"]
    assert answers["slow"].status is ProviderStatus.FAILURE
    assert answers["slow"].error == "timeout after 100 ms"
    assert answers["fast"].status is ProviderStatus.DATA
    assert (answers["broken"].status, answers["broken"].attempts) == (ProviderStatus.FAILURE, 2)
    hub.close()


def test_answers_follow_the_configured_order_inline_and_pooled_mixed():
    names = ["e", "a", "d", "b", "c"]
    fakes = {
        n: Fake(n, inline=n in "ab", sleep_s=0 if n in "ab" else 0.01 * (5 - names.index(n)))
        for n in names
    }
    hub = ProviderHub({n: _call(f) for n, f in fakes.items()})
    answers = hub.fetch_all(query())
    assert list(answers) == names == hub.names
    assert all(answers[n].provider == n for n in names)
    hub.close()


def test_inline_providers_run_on_the_callers_thread_and_others_on_the_pool():
    inline, pooled = Fake("inline", inline=True), Fake("pooled")
    hub = ProviderHub({"inline": _call(inline), "pooled": _call(pooled)})
    hub.fetch_all(query())
    assert inline.threads == [threading.current_thread().name]
    assert pooled.threads[0].startswith("zhudai-provider-hub")
    hub.close()


def test_an_all_inline_hub_creates_no_pool():
    hub = ProviderHub({"x": _call(Fake("x", inline=True))})
    assert hub._executor is None
    assert hub.fetch_all(query())["x"].status is ProviderStatus.DATA


def test_pooled_cache_hits_skip_the_pool():
    p = Fake("p", sleep_s=0.01)
    hub = ProviderHub({"p": _call(p, cache_ttl_s=60)})
    hub.fetch_all(query(1))
    again = hub.fetch_all(query(2, id_token="id-1"))["p"]
    assert (again.cached, again.cost, p.calls) == (True, 0.0, 1)
    hub.close()


def test_hub_params():
    with pytest.raises(InvalidInputError) as err:
        ProviderHub({"bureau": _call(Fake("telecom"))})
    assert err.value.field == "calls.bureau"
    with pytest.raises(InvalidInputError) as err:
        ProviderHub({"x": object()})  # type: ignore[dict-item]
    assert err.value.field == "calls.x"
    with pytest.raises(InvalidInputError) as err:
        ProviderHub({}, max_workers=0)
    assert err.value.field == "max_workers"


def test_a_closed_hub_answers_failure_instead_of_raising():
    hub = ProviderHub({"p": _call(Fake("p"))})
    hub.close()
    answer = hub.fetch_all(query())["p"]
    assert answer.status is ProviderStatus.FAILURE and answer.error.startswith("RuntimeError")
    assert answer.cost == 0
