"""``/v1/lists`` and ``/v1/fraud-cases``: analysts and admins only, both ways; a listed device
is a black-list hit on the next fraud check; a confirmed case lists its devices, phones and
IDs and labels its applications where the fraud trainer reads them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from zhudai.fraud.cases import fraud_labels
from zhudai.store.db import get_engine
from zhudai.store.models import AuditEntry


def _entry(device: str, **over: Any) -> dict[str, Any]:
    return {
        "kind": "black",
        "key_type": "device",
        "key": device,
        "source": "analyst",
        "reason": "emulator farm",
        "since": "2000-01-01T00:00:00Z",
        **over,
    }


def test_a_listed_device_is_a_black_list_hit(
    client: TestClient, keys: Any, new_request: Any
) -> None:
    request = new_request(3)
    device = request["device"]["device_id"]
    before = client.post("/v1/fraud/check", json=request, headers=keys["app_store"]).json()
    assert "black_list" not in {h["rule"] for h in before["hits"]}
    for name in ("app_store", "collector"):
        assert client.post("/v1/lists", json=_entry(device), headers=keys[name]).status_code == 403
        assert client.get("/v1/lists", headers=keys[name]).status_code == 403
    done = client.post("/v1/lists", json=_entry(device), headers=keys["analyst"])
    assert done.status_code == 200, done.text
    assert done.json()["created_by"] == "analyst" and done.json()["until"] is None
    after = client.post("/v1/fraud/check", json=request, headers=keys["app_store"]).json()
    assert "black_list" in {h["rule"] for h in after["hits"]}
    listed = client.get("/v1/lists", params={"kind": "black"}, headers=keys["admin"]).json()
    assert [e["key"] for e in listed] == [device]
    assert client.get("/v1/lists", params={"kind": "grey"}, headers=keys["admin"]).json() == []


def test_list_entries_refuse_plaintext_numbers_and_backward_expiry(
    client: TestClient, keys: Any
) -> None:
    phone = client.post(
        "/v1/lists", json=_entry("13800138000", key_type="phone"), headers=keys["analyst"]
    )
    assert phone.status_code == 422 and phone.json()["error"]["field"] == "key"
    backward = client.post(
        "/v1/lists", json=_entry("d-1", until="1999-01-01T00:00:00Z"), headers=keys["analyst"]
    )
    assert backward.status_code == 422 and backward.json()["error"]["field"] == "until"
    expired = client.post(
        "/v1/lists", json=_entry("d-2", until="2001-01-01T00:00:00Z"), headers=keys["analyst"]
    )
    assert expired.status_code == 200
    active = client.get("/v1/lists", params={"active": True}, headers=keys["analyst"]).json()
    assert "d-2" not in [e["key"] for e in active]


def test_a_ring_case_from_opening_to_labels(
    client: TestClient, keys: Any, new_request: Any, home: Any
) -> None:
    ids = []
    for n in (10, 11, 12):
        done = client.post("/v1/applications", json=new_request(n), headers=keys["app_store"])
        assert done.status_code == 200, done.text
        ids.append(done.json()["application_id"])
    body = {"subject_type": "ring", "subject": "ring-7", "application_ids": ids}
    assert client.post("/v1/fraud-cases", json=body, headers=keys["app_store"]).status_code == 403
    unknown = client.post(
        "/v1/fraud-cases", json=body | {"application_ids": [*ids, "NOPE"]}, headers=keys["analyst"]
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "application_ids"
    opened = client.post(
        "/v1/fraud-cases", json=body | {"finding": "shared device"}, headers=keys["analyst"]
    )
    assert opened.status_code == 200, opened.text
    case = opened.json()
    assert case["status"] == "open" and case["members"] is None
    url = f"/v1/fraud-cases/{case['id']}"
    noted = client.post(f"{url}/findings", json={"text": "same GPS"}, headers=keys["analyst"])
    assert [f["text"] for f in noted.json()["findings"]] == ["shared device", "same GPS"]
    untyped = client.post(f"{url}/verdict", json={"verdict": "confirmed"}, headers=keys["analyst"])
    assert untyped.status_code == 422 and untyped.json()["error"]["field"] == "fraud_type"
    verdict = {"verdict": "confirmed", "fraud_type": "ring"}
    assert client.post(f"{url}/verdict", json=verdict, headers=keys["ota"]).status_code == 403
    closed = client.post(f"{url}/verdict", json=verdict, headers=keys["analyst"])
    assert closed.status_code == 200, closed.text
    members = closed.json()["members"]
    assert members["devices"] == sorted(
        {new_request(n)["device"]["device_id"] for n in (10, 11, 12)}
    )
    assert len(members["phone_tokens"]) >= 1 and len(members["id_tokens"]) >= 1
    assert all(len(t) == 32 for t in members["phone_tokens"] + members["id_tokens"])  # tokens
    again = client.post(f"{url}/verdict", json=verdict, headers=keys["analyst"])
    assert again.status_code == 422 and again.json()["error"]["field"] == "case_id"
    assert client.get(url, headers=keys["admin"]).json()["status"] == "confirmed"
    assert client.get("/v1/fraud-cases/999999", headers=keys["admin"]).status_code == 404
    labels = fraud_labels(home.database_url)
    assert labels.columns == [
        "application_id",
        "is_fraud",
        "fraud_type",
        "ring_id",
        "probing_device",
    ]
    assert sorted(labels["application_id"]) == sorted(ids)
    assert labels["is_fraud"].all() and set(labels["ring_id"]) == {"ring-7"}
    with get_engine(home.database_url).connect() as conn:
        actions = conn.scalars(select(AuditEntry.action).where(AuditEntry.actor == "analyst")).all()
    assert {"fraud_case.open", "fraud_case.finding", "fraud_case.confirmed"} <= set(actions)


def test_a_dismissed_application_case_labels_it_genuine(
    client: TestClient, keys: Any, new_request: Any, home: Any
) -> None:
    answer = client.post("/v1/applications", json=new_request(20), headers=keys["app_store"])
    app_id = answer.json()["application_id"]
    body = {"subject_type": "application", "subject": app_id}
    case = client.post("/v1/fraud-cases", json=body, headers=keys["admin"]).json()
    assert case["application_ids"] == [app_id]
    url = f"/v1/fraud-cases/{case['id']}/verdict"
    closed = client.post(url, json={"verdict": "dismissed"}, headers=keys["analyst"]).json()
    assert closed["status"] == "dismissed" and closed["members"] is None
    labels = fraud_labels(home.database_url)
    assert labels.to_dicts() == [
        {
            "application_id": app_id,
            "is_fraud": False,
            "fraud_type": None,
            "ring_id": None,
            "probing_device": None,
        }
    ]
    listed = client.get("/v1/fraud-cases", params={"status": "dismissed"}, headers=keys["analyst"])
    assert [c["id"] for c in listed.json()] == [case["id"]]
