"""``/v1/calls``: submit a call (collectors), work the queue and record verdicts (analysts)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from zhudai.callqa.review import in_audit_sample


def _call(call_id: str, text: str) -> dict[str, str]:
    return {
        "call_id": call_id,
        "started_at": "2026-06-01T10:00:00+08:00",
        "debtor_tz": "Asia/Shanghai",
        "text": text,
    }


def test_submit_queue_and_verdict(client: TestClient, keys: Any) -> None:
    bad = _call("q1", "催收员：再不还就让你做牢。")
    assert client.post("/v1/calls", json=bad, headers=keys["app_store"]).status_code == 403
    done = client.post("/v1/calls", json=bad, headers=keys["collector"])
    assert done.status_code == 200, done.text
    (flag,) = done.json()["flags"]
    assert flag["type"] == "false_legal_threat" and flag["evidence"] == "做牢"
    clean = client.post(
        "/v1/calls", json=_call("q2", "催收员：我们不会上门。"), headers=keys["collector"]
    )
    assert clean.json()["flags"] == []
    again = client.post("/v1/calls", json=bad, headers=keys["collector"])
    assert again.status_code == 422 and again.json()["error"]["field"] == "call_id"
    naive = client.post(
        "/v1/calls",
        json=bad | {"call_id": "q3", "started_at": "2026-06-01T10:00:00"},
        headers=keys["collector"],
    )
    assert naive.status_code == 422 and naive.json()["error"]["field"] == "started_at"
    assert client.get("/v1/calls/queue", headers=keys["collector"]).status_code == 403
    # the demo home already holds the demo's queued calls: q1 takes its place among them
    queue = client.get("/v1/calls/queue", params={"limit": 500}, headers=keys["analyst"]).json()
    order = [(-i["severity"], -i["score"]) for i in queue]
    assert order == sorted(order)
    (mine,) = [i for i in queue if i["call_id"] == "q1"]
    assert mine["severity"] == 4 and mine["started_at"].endswith("+08:00")
    assert mine["queue"] == "flagged"
    audit = {"q2"} if in_audit_sample("q2") else set()  # a clean call waits only if drawn
    assert {i["call_id"] for i in queue} & {"q2"} == audit
    verdict = client.post(
        "/v1/calls/q1/verdict", json={"violations": ["false_legal_threat"]}, headers=keys["analyst"]
    )
    assert verdict.status_code == 200 and verdict.json()["reviewer"] == "analyst"
    assert all(
        i["call_id"] != "q1" for i in client.get("/v1/calls/queue", headers=keys["analyst"]).json()
    )
    missing = client.post(
        "/v1/calls/none/verdict", json={"violations": []}, headers=keys["analyst"]
    )
    assert missing.status_code == 404
