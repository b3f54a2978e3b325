"""The web pages through the app itself: login, the role gate, paging, the figures."""

from __future__ import annotations

import html
import re
from collections import Counter

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from zhudai.api.keys import ApiKeys
from zhudai.collections.scorecards import collector_scorecards
from zhudai.collections.strategy_record import load_comparison
from zhudai.decision.backtest import backtest
from zhudai.decision.model_versions import ModelStore
from zhudai.demo import DemoContext
from zhudai.monitoring.sources import from_store
from zhudai.origination.lookup import decided_inputs
from zhudai.scorecard import metrics
from zhudai.settings import Settings
from zhudai.store.db import get_engine
from zhudai.store.models import Origination
from zhudai.web.pages import BY_NAME, PageView
from zhudai.web.views import score_sections


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
    client: TestClient, web_keys: dict[str, str], home: Settings, demo_run: DemoContext
) -> None:
    _login(client, web_keys["analyst"])
    shown = _figures(client.get("/web/collections").text)
    api = client.get("/v1/collections/cases", headers={"X-API-Key": web_keys["analyst"]}).json()
    assert api and shown["live_cases"] == len(api)
    for queue, n in Counter(c["queue"] or "unassigned" for c in api).items():
        assert shown[f"queue:{queue}:cases"] == n, queue
    cards = collector_scorecards(home.database_url)
    assert cards.height
    for team in ("agency", "in-house"):
        mine = cards.filter(pl.col("team") == team)
        assert shown[f"team:{team}:recovered"] == pytest.approx(mine["recovered"].sum())
        assert shown[f"team:{team}:blocked"] == mine["blocked"].sum()
    saved = load_comparison(home.home)  # the demo's strategy comparison, as the stage ran it
    assert saved is not None
    headline = demo_run.artifacts["collections_comparison"]
    assert (
        saved["side_by_side"]["ccard"]["recovery_per_cost"] == headline["ccard_recovery_per_cost"]
    )
    for strategy, values in saved["side_by_side"].items():
        for col in ("recovered", "cost", "recovery_per_cost"):
            assert shown[f"strategy:{strategy}:{col}"] == pytest.approx(values[col])

    queue = api[0]["queue"]
    key = ApiKeys(home.database_url).create("web-agent", "collector", queue)[1]
    _login(client, key)
    r = client.get("/web/collections")
    assert r.status_code == 200
    own = _figures(r.text)
    mine = client.get("/v1/collections/cases", headers={"X-API-Key": key}).json()
    assert own["live_cases"] == len(mine) == sum(c["queue"] == queue for c in api)
    assert [k for k in own if k.startswith("queue:")] == [f"queue:{queue}:cases"]
    assert not any(k.startswith(("team:", "strategy:")) for k in own)  # no one else's
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
    chinese = client.get("/web/callqa", params={"lang": "zh"}).text
    assert "录音质检" in chinese and "确认违规" in chinese

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


def test_policies_backtest_arms_and_a_decision_trace_equal_the_services(
    client: TestClient, web_keys: dict[str, str], home: Settings
) -> None:
    store = client.app.state.services.origination.decisions.store  # type: ignore[attr-defined]
    text = store.get("acard_default", 1)[0].text
    store.publish(text + "\n# a second version, same rules: the back-test compares the two\n")
    _login(client, web_keys["analyst"])
    r = client.get("/web/policies", params={"name": "acard_default", "a": 1, "b": 2})
    assert r.status_code == 200
    shown = _figures(r.text)
    history = decided_inputs("acard_default", home.database_url)
    report = backtest(
        store.compiled("acard_default", 2), history, against=store.compiled("acard_default", 1)
    )
    assert report.b is not None
    for stats in (report.a, report.b):
        for col in ("approval_rate", "expected_bad_rate", "expected_profit"):
            got = shown[f"backtest:{stats.policy}:{col}"]
            assert got == pytest.approx(getattr(stats, col), rel=1e-9), (stats.policy, col)
    assert "swap-in" in r.text and "swap-out" in r.text
    # the stored champion decisions: the version replayed decides as it did
    assert shown["arm:champion v1:approval_rate"] == pytest.approx(report.b.approval_rate)

    with get_engine(home.database_url).connect() as conn:
        app_id = conn.scalar(select(Origination.external_id).order_by(Origination.id))
    api = client.get(f"/v1/applications/{app_id}", headers={"X-API-Key": web_keys["analyst"]})
    trace = api.json()["decision"]["trace"]
    page = client.get("/web/policies", params={"application": app_id}).text
    traced = _figures(page)
    assert traced["trace_steps"] == len(trace)
    assert traced["trace_hits"] == sum(step["hit"] is True for step in trace)
    assert all(html.escape(step["why"]) in page for step in trace)
    assert not re.search(r"\b1\d{10}\b", page)
    missing = client.get("/web/policies", params={"application": "no-such-id"})
    assert missing.status_code == 200 and "No such application" in missing.text
    _login(client, web_keys["collector"])
    assert client.get("/web/policies", params={"application": app_id}).status_code == 403


def test_acquisition_shows_the_total_as_a_total_row_not_a_channel(
    client: TestClient, web_keys: dict[str, str]
) -> None:
    api = client.get("/v1/reports/channels", headers={"X-API-Key": web_keys["analyst"]}).json()
    total = next(r for r in api["rows"] if r["group"] == "all")
    _login(client, web_keys["analyst"])
    page = client.get("/web/acquisition").text
    shown = _figures(page)
    assert shown["channel:total:applications"] == total["applications"]
    assert shown["channel:total:profit"] == pytest.approx(total["profit"], rel=1e-9)
    assert not any(":all:" in key for key in shown)
    assert page.count("<tr class='total'><td>total</td>") == 3  # channel, product, funder
    _login(client, web_keys["app_store"])  # a channel sees its own row, and no total
    assert "class='total'" not in client.get("/web/acquisition").text


def test_models_page_scores_the_stored_decisions(
    client: TestClient, web_keys: dict[str, str], home: Settings
) -> None:
    decided = from_store(home.database_url).filter(pl.col("score").is_not_null())
    _login(client, web_keys["analyst"])
    page = client.get("/web/models").text
    shown = _figures(page)
    for unit, n in Counter(decided["unit"].to_list()).items():
        assert shown[f"scored:{unit}"] == n
    assert "Score distribution" in page and "<h2>ROC</h2>" in page
    models = ModelStore(home.database_url, home.home / "models")
    for info in models.versions():  # each card's ROC on its development samples
        assert f"ROC of {info.name} v{info.version}" in page


def test_roc_is_drawn_from_the_judged_decisions_only() -> None:
    scored = pl.DataFrame(
        {
            "unit": ["p@v1"] * 6 + ["q@v1"] * 2,
            "score": [0.1, 0.2, 0.3, 0.6, 0.7, None, 0.5, 0.4],
            "bad": [False, False, True, True, None, True, None, None],
        }
    )
    view = PageView(BY_NAME["models"])
    sections = score_sections(view, scored)
    shown = {f.key: f.value for f in view.figures}
    assert shown["scored:p@v1"] == 5 and shown["scored:q@v1"] == 2
    y, risk = [0, 0, 1, 1], [0.1, 0.2, 0.3, 0.6]
    assert shown["roc:p@v1:auc"] == pytest.approx(metrics.auc(y, risk)) == 1.0
    assert shown["roc:p@v1:ks"] == pytest.approx(metrics.ks(y, risk))
    assert "roc:q@v1:auc" not in shown  # no judged decision: no ROC
    assert [s.en for s in sections] == ["Score distribution", "ROC"] and sections[1].charts
