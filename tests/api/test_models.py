"""``/v1/models``: the demo's artefacts listed, a new version published, activated (the policy
then decides with it), rolled back; audited in the change's transaction; bad artefacts named."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from zhudai.audit import AuditLog
from zhudai.settings import Settings
from zhudai.store.db import session_scope
from zhudai.store.models import DecisionRecord


def _artefact(folder: Path) -> dict[str, str]:
    return {
        p.name: base64.b64encode(p.read_bytes()).decode()
        for p in folder.iterdir()
        if p.name in ("model.json", "booster.txt")
    }


def _acard(client: TestClient, keys: Any) -> list[dict[str, Any]]:
    listed = client.get("/v1/models", headers=keys["analyst"])
    assert listed.status_code == 200
    return [m for m in listed.json() if m["name"] == "acard"]


def _served_version(
    client: TestClient, keys: Any, home: Settings, new_request: Any, start: int
) -> str:
    """The acard version of the first decision from ``start`` on that reached the card."""
    for n in range(start, start + 50):
        answer = client.post("/v1/applications", json=new_request(n), headers=keys["app_store"])
        with session_scope(home.database_url) as s:
            record = s.scalar(
                select(DecisionRecord.record).where(
                    DecisionRecord.decision_id == answer.json()["decision_id"]
                )
            )
        if record["model_versions"]:
            return str(record["model_versions"]["acard"]["version"])
    raise AssertionError("no application reached the card")


def test_demo_models_are_listed_with_the_served_one_active(client: TestClient, keys: Any) -> None:
    listed = client.get("/v1/models", headers=keys["analyst"]).json()
    names = {m["name"]: m for m in listed}
    assert {"acard", "gbm", "bcard"} <= set(names) and "fraud" not in names
    assert names["acard"]["status"] == "active" and names["acard"]["version"] == 1
    assert names["acard"]["kind"] == "A" and names["gbm"]["model_type"] == "booster"
    assert names["acard"]["features"] > 0
    assert client.get("/v1/models", headers=keys["app_store"]).status_code == 403


def test_publish_activate_rollback(
    client: TestClient, keys: Any, home: Settings, new_request: Any
) -> None:
    files = _artefact(home.home / "models" / "acard")
    body = {"name": "acard", "files": files}
    assert client.post("/v1/models", json=body, headers=keys["analyst"]).status_code == 403
    published = client.post("/v1/models", json=body, headers=keys["admin"])
    assert published.status_code == 200, published.text
    assert published.json()["version"] == 2 and published.json()["status"] == "draft"
    assert (home.home / "models" / "acard" / "v2" / "model.json").is_file()

    assert _served_version(client, keys, home, new_request, 0) == "1"  # a draft never serves

    activate = {"version": 2}
    assert (
        client.post("/v1/models/acard/activate", json=activate, headers=keys["analyst"])
    ).status_code == 403
    done = client.post("/v1/models/acard/activate", json=activate, headers=keys["admin"])
    assert done.status_code == 200 and done.json()["status"] == "active"
    assert [m["status"] for m in _acard(client, keys)] == ["retired", "active"]
    assert _served_version(client, keys, home, new_request, 50) == "2"

    back = client.post("/v1/models/acard/rollback", headers=keys["admin"])
    assert back.status_code == 200 and back.json()["version"] == 1
    assert _served_version(client, keys, home, new_request, 100) == "1"

    log = AuditLog(home.database_url)
    actions = [e["action"] for e in log.entries(10) if e["action"].startswith("model.")]
    assert actions == ["model.rollback", "model.activate", "model.publish"]
    assert log.verify().intact


def test_bad_artefacts_are_named_and_never_stored(
    client: TestClient, keys: Any, home: Settings
) -> None:
    admin = keys["admin"]
    garbage = base64.b64encode(b"{not json").decode()
    cases = [
        ({"model.json": "%%%"}, "files.model.json"),
        ({"booster.txt": garbage}, "files"),
        ({"model.json": garbage, "notes.txt": garbage}, "files"),
        ({"model.json": garbage}, "files"),
        ({"model.json": base64.b64encode(orjson.dumps({"format_version": 1})).decode()}, "files"),
    ]
    for files, field in cases:
        answer = client.post("/v1/models", json={"name": "acard", "files": files}, headers=admin)
        assert answer.status_code in (400, 422), answer.text
        assert answer.json()["error"]["field"] == field, (files.keys(), answer.json())
    assert [m["version"] for m in _acard(client, keys)] == [1]
    assert not any(
        p.name.startswith(".incoming") for p in (home.home / "models" / "acard").iterdir()
    )
    unknown = client.post("/v1/models/nope/activate", json={"version": 1}, headers=admin)
    assert unknown.status_code == 404
    assert client.post("/v1/models/nope/rollback", headers=admin).status_code == 404


def test_an_artefact_that_no_longer_loads_is_not_activated(
    client: TestClient, keys: Any, home: Settings
) -> None:
    files = _artefact(home.home / "models" / "gbm")
    assert client.post("/v1/models", json={"name": "gbm", "files": files}, headers=keys["admin"])
    (home.home / "models" / "gbm" / "v2" / "booster.txt").write_text("tree\nbroken")
    failed = client.post("/v1/models/gbm/activate", json={"version": 2}, headers=keys["admin"])
    assert failed.status_code in (400, 422) and failed.json()["error"]["field"] == "files"
    statuses = {
        m["version"]: m["status"]
        for m in client.get("/v1/models", headers=keys["admin"]).json()
        if m["name"] == "gbm"
    }
    assert statuses == {1: "active", 2: "draft"}
    shutil.rmtree(home.home / "models" / "gbm" / "v2")
