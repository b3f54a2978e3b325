"""The web pages through the app itself: login, the role gate, paging, the figures."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from zhudai.api.keys import ApiKeys
from zhudai.collections.scorecards import collector_scorecards
from zhudai.settings import Settings


def _login(client: TestClient, key: str) -> None:
    r = client.post("/web/login", data={"key": key}, follow_redirects=False)
    assert r.status_code == 303, r.text


def test_every_page_opens_for_an_analyst(client: TestClient, web_keys: dict[str, str]) -> None:
    _login(client, web_keys["analyst"])
    for page in (
        "overview",
        "acquisition",
        "portfolio",
        "fraud",
        "models",
        "policies",
        "monitoring",
        "collections",
        "callqa",
        "applications",
    ):
        r = client.get(f"/web/{page}")
        assert r.status_code == 200, (page, r.text[:500])
        assert '<script src="/web/static/plotly.min.js"></script>' in r.text


def _figures(html: str) -> dict[str, float | None]:
    """The key figures of a page, as the browser tests read them (``data-key``/``data-value``)."""
    pairs = re.findall(r'class="kf" data-key="([^"]*)" data-value="([^"]*)"', html)
    return {key: float(value) if value else None for key, value in pairs}


def test_collections_figures_equal_the_api_and_a_collector_sees_its_queue_only(
    client: TestClient, web_keys: dict[str, str], home: Settings
) -> None:
    _login(client, web_keys["analyst"])
    shown = _figures(client.get("/web/collections").text)
    api = client.get("/v1/collections/cases", headers={"X-API-Key": web_keys["analyst"]}).json()
    assert api and shown["live_cases"] == len(api)
    for queue, n in Counter(c["queue"] or "unassigned" for c in api).items():
        assert shown[f"queue:{queue}:cases"] == n, queue
    cards = collector_scorecards(home.database_url)
    assert cards.height
    for r in cards.iter_rows(named=True):
        assert shown[f"collector:{r['collector']}:recovered"] == pytest.approx(r["recovered"])
        assert shown[f"collector:{r['collector']}:blocked"] == r["blocked"]

    queue = api[0]["queue"]
    key = ApiKeys(home.database_url).create("web-agent", "collector", queue)[1]
    _login(client, key)
    r = client.get("/web/collections")
    assert r.status_code == 200
    own = _figures(r.text)
    mine = client.get("/v1/collections/cases", headers={"X-API-Key": key}).json()
    assert own["live_cases"] == len(mine) == sum(c["queue"] == queue for c in api)
    assert [k for k in own if k.startswith("queue:")] == [f"queue:{queue}:cases"]
    assert not any(k.startswith("collector:") for k in own)  # no one else's scorecard
    assert client.get("/web/callqa").status_code == 403

    _login(client, web_keys["collector"])  # a collector key without its queue
    assert client.get("/web/collections").status_code == 403
    _login(client, web_keys["app_store"])
    assert client.get("/web/collections").status_code == 403


def test_callqa_shows_the_api_queue_with_evidence_and_records_a_verdict(
    client: TestClient, web_keys: dict[str, str]
) -> None:
    analyst = {"X-API-Key": web_keys["analyst"]}
    queue = client.get("/v1/calls/queue", params={"limit": 50}, headers=analyst).json()
    flagged = next(c for c in queue if c["flags"])
    _login(client, web_keys["analyst"])
    page = client.get("/web/callqa").text
    assert re.findall(r'data-call="([^"]*)"', page) == [c["call_id"] for c in queue]
    assert _figures(page)["queued"] == len(queue)
    flag = flagged["flags"][0]
    evidence = flagged["transcript"][flag["start"] : flag["end"]]
    assert f'data-type="{flag["type"]}"' in page and f">{evidence}</mark>" in page
    assert not re.search(r"\b1\d{10}\b", page)  # transcripts kept masked

    _login(client, web_keys["collector"])
    form = {"violations": [flag["type"]], "verdict": "confirm"}
    url = f"/web/callqa/{flagged['call_id']}/verdict"
    assert client.post(url, data=form).status_code == 403
    _login(client, web_keys["analyst"])
    r = client.post(url, data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/web/callqa"
    after = client.get("/v1/calls/queue", params={"limit": 50}, headers=analyst).json()
    assert flagged["call_id"] not in [c["call_id"] for c in after]
    assert flagged["call_id"] not in client.get("/web/callqa").text
    missing = client.post("/web/callqa/no-such-call/verdict", data={"verdict": "clean"})
    assert missing.status_code == 404
