"""``/v1/applications``: roles, tenants, masking, idempotency, errors."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _approved(client: TestClient, keys: Any, new_request: Any) -> dict[str, Any]:
    """Submit world applications until one is approved with a funder; its answer."""
    for n in range(200):
        done = client.post("/v1/applications", json=new_request(n), headers=keys["app_store"])
        assert done.status_code == 200, done.text
        if done.json()["funder"]:
            return dict(done.json())
    raise AssertionError("no approved application among the first 200")


def test_channel_submits_for_its_own_channel(
    client: TestClient, keys: Any, new_request: Any
) -> None:
    done = client.post("/v1/applications", json=new_request(0), headers=keys["app_store"])
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["application_id"] == "API00000" and body["decision"] in (
        "approve",
        "reject",
        "review",
    )
    assert done.headers["X-Request-ID"]


def test_channel_submitting_for_another_channel_is_403(
    client: TestClient, keys: Any, new_request: Any
) -> None:
    done = client.post(
        "/v1/applications", json=new_request(0, "ota_partner"), headers=keys["app_store"]
    )
    assert done.status_code == 403
    assert done.json() == {
        "error": {"field": "channel", "message": "this key submits for channel 'app_store' only"}
    }
    assert client.get("/v1/applications/API00000", headers=keys["admin"]).status_code == 404


def test_other_roles_cannot_submit(client: TestClient, keys: Any, new_request: Any) -> None:
    for name in ("analyst", "collector"):
        done = client.post("/v1/applications", json=new_request(0), headers=keys[name])
        assert done.status_code == 403 and done.json()["error"]["field"] == "X-API-Key"
    assert (
        client.post("/v1/applications", json=new_request(0), headers=keys["admin"]).status_code
        == 200
    )


def test_no_key_or_a_revoked_key_is_401(
    client: TestClient, keys: Any, new_request: Any, home: Any
) -> None:
    from zhudai.api.keys import ApiKeys

    assert client.post("/v1/applications", json=new_request(0)).status_code == 401
    ApiKeys(home.database_url).revoke("app_store")
    done = client.post("/v1/applications", json=new_request(0), headers=keys["app_store"])
    assert done.status_code == 401 and done.json()["error"]["field"] == "X-API-Key"


def test_bad_input_names_the_field(client: TestClient, keys: Any, new_request: Any) -> None:
    cases = {
        "applicant.phone": new_request(0)
        | {"applicant": {**new_request(0)["applicant"], "phone": "123"}},
        "applied_at": new_request(0, applied_at="2026-01-01T10:00:00"),
        "product": new_request(0, product="no_such_product"),
        "amount": new_request(0, amount=-5),
    }
    for field, body in cases.items():
        done = client.post("/v1/applications", json=body, headers=keys["app_store"])
        assert done.status_code == 422, (field, done.text)
        assert done.json()["error"]["field"] == field
    broken = client.post(
        "/v1/applications",
        content=b"{not json",
        headers={**keys["app_store"], "Content-Type": "application/json"},
    )
    assert broken.status_code == 422 and set(broken.json()["error"]) == {"field", "message"}


def test_reads_are_scoped_and_masked_by_role(
    client: TestClient, keys: Any, new_request: Any, funder_key: Any
) -> None:
    answer = _approved(client, keys, new_request)
    app_id = answer["application_id"]
    url = f"/v1/applications/{app_id}"
    own = client.get(url, headers=keys["app_store"]).json()
    assert own["answer"]["decision_id"] == answer["decision_id"]
    assert "decision" not in own and "funder" not in own
    id_masked = own["application"]["applicant"]["id_number"]
    assert "*" in id_masked
    assert client.get(url, headers=keys["ota"]).status_code == 404  # another channel's
    analyst = client.get(url, headers=keys["analyst"]).json()
    assert analyst["decision"]["decision_id"] == answer["decision_id"] and analyst["providers"]
    assert analyst["application"]["applicant"]["id_number"] == id_masked
    assert client.get(url, headers=keys["collector"]).status_code == 403
    bank = client.get(url, headers=funder_key(answer["funder"])).json()
    plain = bank["application"]["applicant"]["id_number"]
    assert "*" not in plain and len(plain) == 18 and plain[-4:] == id_masked[-4:]
    other_bank = funder_key(_other_funder(client, answer["funder"]))
    assert client.get(url, headers=other_bank).status_code == 404


def _other_funder(client: TestClient, funder: str) -> str:
    from sqlalchemy.orm import Session

    from zhudai.origination.catalogue import load_catalogue

    service = client.app.state.services.origination  # type: ignore[attr-defined]
    with Session(service.engine) as s:
        codes = [f.code for f in load_catalogue(s).funders if f.code != funder]
    return codes[0]


def test_unknown_application_is_404(client: TestClient, keys: Any) -> None:
    done = client.get("/v1/applications/NOPE", headers=keys["admin"])
    assert done.status_code == 404 and done.json()["error"]["field"] == "application_id"


def test_idempotency_key_replays_or_conflicts(
    client: TestClient, keys: Any, new_request: Any
) -> None:
    headers = {**keys["app_store"], "Idempotency-Key": "k-1"}
    first = client.post("/v1/applications", json=new_request(0), headers=headers)
    again = client.post("/v1/applications", json=new_request(0), headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/v1/applications", json=new_request(1), headers=headers)
    assert other.status_code == 409 and other.json()["error"]["field"] == "Idempotency-Key"
    # the key is per API key: another key may use the same string
    assert (
        client.post(
            "/v1/applications",
            json=new_request(1),
            headers={**keys["admin"], "Idempotency-Key": "k-1"},
        ).status_code
        == 200
    )


def test_every_decision_is_audited_in_its_transaction(
    client: TestClient, keys: Any, new_request: Any, home: Any
) -> None:
    from zhudai.audit import AuditLog

    client.post("/v1/applications", json=new_request(0), headers=keys["app_store"])
    client.post("/v1/applications", json=new_request(0), headers=keys["app_store"])  # stored answer
    log = AuditLog(home.database_url)
    decided = [e for e in log.entries() if e["action"] == "application.decide"]
    assert [(e["actor"], e["subject"]) for e in decided] == [("app_store", "API00000")]
    assert log.verify().intact


def test_the_idempotent_answer_commits_with_the_decision(
    client: TestClient, keys: Any, new_request: Any, monkeypatch: Any
) -> None:
    """The answer of POST /v1/applications is kept in the decision's own transaction: with
    the after-write store switched off, the retry still gets exactly the answer sent."""
    from zhudai.api.limits import IdempotencyStore

    def no_after_write(*_: Any) -> None:
        raise AssertionError("the answer must be kept in the write's transaction")

    monkeypatch.setattr(IdempotencyStore, "put", no_after_write)
    headers = {**keys["app_store"], "Idempotency-Key": "tx-1"}
    first = client.post("/v1/applications", json=new_request(3), headers=headers)
    assert first.status_code == 200, first.text
    again = client.post("/v1/applications", json=new_request(3), headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content  # byte for byte, latency_ms included


def test_a_failed_decision_keeps_no_idempotent_answer(
    client: TestClient, keys: Any, new_request: Any, monkeypatch: Any, home: Any
) -> None:
    """The kept answer rolls back with the write: a transaction that fails after the answer
    was kept leaves neither, and the retry decides afresh."""
    from sqlalchemy import func, select

    from zhudai.api.limits import IdempotencyStore
    from zhudai.store.db import get_engine
    from zhudai.store.models import Application, IdempotentResponse

    keep = IdempotencyStore.keep

    def keep_then_fail(self: IdempotencyStore, *args: Any) -> bool:
        keep(self, *args)
        raise RuntimeError("the store went away")

    monkeypatch.setattr(IdempotencyStore, "keep", keep_then_fail)
    headers = {**keys["app_store"], "Idempotency-Key": "tx-2"}
    with TestClient(client.app, raise_server_exceptions=False) as failing:
        assert failing.post(
            "/v1/applications", json=new_request(4), headers=headers
        ).is_server_error
    with get_engine(home.database_url).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(IdempotentResponse)) == 0
        assert conn.scalar(select(func.count()).where(Application.external_id == "API00004")) == 0
    monkeypatch.setattr(IdempotencyStore, "keep", keep)
    retry = client.post("/v1/applications", json=new_request(4), headers=headers)
    assert retry.status_code == 200 and "Idempotent-Replayed" not in retry.headers
