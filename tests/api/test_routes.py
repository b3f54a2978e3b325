"""The other routes, each both ways for roles and tenants: funder decisions, fraud check,
prescreen, decision replay, policies, rate limits, health and metrics."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from zhudai.api.app import create_app
from zhudai.api.keys import ApiKeys
from zhudai.origination.factory import build_service, fraud_engine_from_home

from .test_applications import _approved, _other_funder


def test_funder_decides_only_what_was_routed_to_it(
    client: TestClient, keys: Any, new_request: Any, funder_key: Any
) -> None:
    answer = _approved(client, keys, new_request)
    body = {"application_id": answer["application_id"], "accepted": True}
    other = funder_key(_other_funder(client, answer["funder"]))
    assert client.post("/v1/funder-decisions", json=body, headers=other).status_code == 404
    assert (
        client.post("/v1/funder-decisions", json=body, headers=keys["app_store"]).status_code == 403
    )
    own = funder_key(answer["funder"])
    done = client.post("/v1/funder-decisions", json=body, headers=own)
    assert done.status_code == 200 and done.json()["funder_status"] == "accepted"
    refused = client.post("/v1/funder-decisions", json=body | {"accepted": False}, headers=own)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "accepted"


@pytest.mark.parametrize("path", ["/v1/fraud/check", "/v1/prescreen"])
def test_screening_roles_and_tenants(
    client: TestClient, keys: Any, new_request: Any, path: str
) -> None:
    request = new_request(3)
    assert client.post(path, json=request, headers=keys["ota"]).status_code == 403
    assert client.post(path, json=request, headers=keys["collector"]).status_code == 403
    done = client.post(path, json=request, headers=keys["app_store"])
    assert done.status_code == 200, done.text
    fraud = done.json() if path.endswith("check") else done.json()["fraud"]
    assert set(fraud) == {"score", "hits"}
    assert client.post(path, json=request, headers=keys["analyst"]).status_code == 200
    # nothing stored: the application was only screened
    assert (
        client.get(
            f"/v1/applications/{request['application_id']}", headers=keys["admin"]
        ).status_code
        == 404
    )


def test_prescreen_rejects_an_emulator_before_paid_data(
    client: TestClient, keys: Any, new_request: Any
) -> None:
    request = new_request(4)
    request["device"] = {**request["device"], "is_emulator": True}
    done = client.post("/v1/prescreen", json=request, headers=keys["app_store"]).json()
    assert done["decision"] == "reject" and done["reasons"]


def test_replay_reproduces_a_stored_decision(
    client: TestClient, keys: Any, new_request: Any
) -> None:
    answer = client.post("/v1/applications", json=new_request(5), headers=keys["app_store"]).json()
    url = f"/v1/decisions/{answer['decision_id']}/replay"
    assert client.post(url, headers=keys["app_store"]).status_code == 403
    done = client.post(url, headers=keys["analyst"])
    assert done.status_code == 200, done.text
    assert done.json()["reproduced"] is True and done.json()["differences"] == []
    missing = client.post("/v1/decisions/nope/replay", headers=keys["analyst"])
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "decision_id"


def test_policies_list_for_analysts_change_for_admins_only(client: TestClient, keys: Any) -> None:
    listed = client.get("/v1/policies", headers=keys["analyst"])
    assert listed.status_code == 200
    active = [p for p in listed.json() if p["name"] == "acard_default" and p["status"] == "active"]
    assert len(active) == 1
    assert client.get("/v1/policies", headers=keys["app_store"]).status_code == 403
    version = {"version": active[0]["version"]}
    assert (
        client.post(
            "/v1/policies/acard_default/activate", json=version, headers=keys["analyst"]
        ).status_code
        == 403
    )
    done = client.post("/v1/policies/acard_default/activate", json=version, headers=keys["admin"])
    assert done.status_code == 200 and done.json()["status"] == "active"
    bad = client.post("/v1/policies", json={"document": "name: x\n"}, headers=keys["admin"])
    assert bad.status_code == 422 and set(bad.json()["error"]) == {"field", "message"}
    unknown = client.post("/v1/policies/nope/activate", json={"version": 1}, headers=keys["admin"])
    assert unknown.status_code == 404
    from zhudai.audit import AuditLog

    log = AuditLog(client.app.state.services.origination.url)  # type: ignore[attr-defined]
    assert log.entries(1)[0]["action"] == "policy.activate"


def test_rate_limit_answers_429_with_retry_after(home: Any, new_request: Any) -> None:
    home.api_rate, home.api_burst = 0.5, 2
    service = build_service(home, fraud=fraud_engine_from_home(home.home))
    with TestClient(create_app(home, service)) as c:
        key = {"X-API-Key": ApiKeys(home.database_url).create("fast", "analyst")[1]}
        other = {"X-API-Key": ApiKeys(home.database_url).create("other", "analyst")[1]}
        codes = [c.get("/v1/policies", headers=key).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = c.get("/v1/policies", headers=key)
        assert (
            limited.headers["Retry-After"] == "2"
            and limited.json()["error"]["field"] == "X-API-Key"
        )
        assert c.get("/v1/policies", headers=other).status_code == 200  # per key


def test_health_metrics_and_request_ids(client: TestClient, keys: Any) -> None:
    health = client.get("/v1/health", headers={"X-Request-ID": "abc-123"})
    assert health.json()["status"] == "ok" and health.headers["X-Request-ID"] == "abc-123"
    client.get("/v1/policies", headers=keys["analyst"])
    text = client.get("/metrics").text
    assert 'zhudai_http_requests_total{method="GET",route="/v1/policies",status="200"} 1.0' in text
    assert "zhudai_http_request_seconds_bucket" in text
    assert client.get("/v1/nope", headers=keys["admin"]).json()["error"]["field"] == "path"
