"""``/v1/collections``: a collector key sees and acts on its own queue's cases only; every
proposed action goes through the compliance guard, needs an ``Idempotency-Key`` (a retry
counts once) and is recorded, with no phone number in any answer."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from zhudai.api.keys import ApiKeys
from zhudai.collections.case_book import CaseBook
from zhudai.collections.record_store import StoreActionLog
from zhudai.settings import Settings
from zhudai.store.db import get_engine
from zhudai.store.models import CallRecord, Loan


@pytest.fixture
def queues(home: Settings) -> tuple[int, int, dict[str, str]]:
    """Two live cases put in agent-01's and agency-east's queues; agent-01's key headers."""
    book = CaseBook(home.database_url)
    live = book.live_cases()
    assert len(live) >= 2, "the demo's book has live cases after its collections stage"
    mine, other = live[0].case_id, live[1].case_id
    book.assign({mine: "agent-01", other: "agency-east"})
    key = ApiKeys(home.database_url).create("agent one", "collector", "agent-01")[1]
    return mine, other, {"X-API-Key": key}


def _call(n: int, at: str = "2026-06-01T10:00:00+08:00", **changes: object) -> dict[str, object]:
    return {"action_id": f"A{n}", "kind": "human_call", "at": at, "answered": True,
            "effective": True, **changes}  # fmt: skip


def test_a_collector_sees_only_its_queue(
    client: TestClient, keys: dict[str, dict[str, str]], queues: tuple[int, int, dict[str, str]]
) -> None:
    mine, other, agent = queues
    listed = client.get("/v1/collections/cases", headers=agent).json()
    assert mine in [c["case_id"] for c in listed] and other not in [c["case_id"] for c in listed]
    assert {c["queue"] for c in listed} == {"agent-01"}
    assert client.get(f"/v1/collections/cases/{other}", headers=agent).status_code == 404
    one = client.get(f"/v1/collections/cases/{mine}", headers=agent).json()
    assert one["history"][0]["to_state"] == "open" and one["queue"] == "agent-01"
    assert client.get("/v1/collections/cases?queue=agency-east", headers=agent).status_code == 403
    everyone = client.get("/v1/collections/cases", headers=keys["analyst"]).json()
    assert {mine, other} <= {c["case_id"] for c in everyone}
    # a collector key without its queue as tenant sees nothing
    assert client.get("/v1/collections/cases", headers=keys["collector"]).status_code == 403


def test_proposals_go_through_the_guard_once_each(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    queues: tuple[int, int, dict[str, str]],
    home: Settings,
) -> None:
    mine, other, agent = queues
    path = f"/v1/collections/cases/{mine}/actions"
    missing = client.post(path, json=_call(0), headers=agent)
    assert missing.status_code == 422 and "Idempotency-Key" in missing.text
    answers = []
    for n in (1, 2, 3):
        r = client.post(path, json=_call(n), headers=agent | {"Idempotency-Key": f"k{n}"})
        assert r.status_code == 200, r.text
        answers.append(r.json())
    again = client.post(path, json=_call(3), headers=agent | {"Idempotency-Key": "k3"})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == answers[2]
    assert [a["allowed"] for a in answers] == [True, True, True]
    assert "effective calls 3/3" in answers[2]["reason"]  # the retry did not count again
    fourth = client.post(path, json=_call(4), headers=agent | {"Idempotency-Key": "k4"}).json()
    assert (fourth["allowed"], fourth["rule"]) == (False, "effective_call_limit")
    night = client.post(
        path,
        json=_call(5, at="2026-06-02T22:30:00+08:00"),
        headers=agent | {"Idempotency-Key": "k5"},
    ).json()
    assert (night["allowed"], night["rule"]) == (False, "quiet_hours")
    bad = client.post(
        path, json=_call(6, answered=False), headers=agent | {"Idempotency-Key": "k6"}
    )
    assert bad.status_code == 422 and "effective" in bad.text
    other_case = f"/v1/collections/cases/{other}/actions"
    assert (
        client.post(
            other_case, json=_call(7), headers=agent | {"Idempotency-Key": "k7"}
        ).status_code
        == 404
    )
    assert (
        client.post(
            path, json=_call(8), headers=keys["analyst"] | {"Idempotency-Key": "k8"}
        ).status_code
        == 403
    )
    # recorded (allowed and blocked), phone masked; no answer carries a phone number
    with get_engine(home.database_url).connect() as conn:
        loan = CaseBook(home.database_url).case(mine).loan_id
        customer = conn.scalar(select(Loan.customer_id).where(Loan.id == loan))
    records = StoreActionLog(home.database_url).recorded(f"customer-{customer}")
    assert [r["action_id"] for r in records] == ["A1", "A2", "A3", "A4", "A5"]
    assert all(re.fullmatch(r"\d{3}\*{4}\d{4}", r["phone_masked"]) for r in records)
    assert not any(re.search(r"1\d{10}", str(a)) for a in [*answers, fourth, night])


def test_complaints_desk_routes(
    client: TestClient, keys: dict[str, dict[str, str]], home: Settings
) -> None:
    with get_engine(home.database_url).connect() as conn:
        call = conn.execute(
            select(CallRecord.id, CallRecord.loan_id, CallRecord.collector_id)
        ).first()
    assert call is not None
    body = {"loan_id": call.loan_id, "call_id": call.id, "received_at": "2026-06-01T09:00:00+08:00",
            "channel": "hotline", "category": "abuse"}  # fmt: skip
    write = keys["analyst"] | {"Idempotency-Key": "c1"}
    made = client.post("/v1/collections/complaints", json=body, headers=write)
    assert made.status_code == 200, made.text
    assert made.json()["collector_id"] == call.collector_id
    again = client.post("/v1/collections/complaints", json=body, headers=write)
    assert again.json() == made.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert (
        client.post(
            "/v1/collections/complaints", json=body | {"category": "x"}, headers=write
        ).status_code
        == 409
    )  # the same key with another body
    bad = client.post(
        "/v1/collections/complaints", json=body | {"call_id": 10**12}, headers=keys["analyst"]
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "call_id"
    naive = client.post(
        "/v1/collections/complaints",
        json=body | {"received_at": "2026-06-01T09:00:00"},
        headers=keys["analyst"],
    )
    assert naive.status_code == 422 and naive.json()["error"]["field"] == "received_at"
    own = ApiKeys(home.database_url).create("c", "collector", call.collector_id)[1]
    mine = client.get("/v1/collections/complaints", headers={"X-API-Key": own})
    assert mine.status_code == 200 and made.json()["id"] in [c["id"] for c in mine.json()]
    assert {c["collector_id"] for c in mine.json()} == {call.collector_id}
    assert (
        client.post("/v1/collections/complaints", json=body, headers={"X-API-Key": own}).status_code
        == 403
    )  # a collector does not record complaints about itself
    assert (
        client.get(
            "/v1/collections/complaints?collector_id=other", headers={"X-API-Key": own}
        ).status_code
        == 403
    )
    everyone = client.get("/v1/collections/complaints?limit=1000", headers=keys["analyst"]).json()
    assert len(everyone) > len(mine.json())
