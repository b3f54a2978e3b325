"""``/v1/reports``: each channel and funder key sees only its own row; analysts see all."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_channel_sees_only_itself(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    everything = client.get("/v1/reports/channels", headers=keys["analyst"]).json()
    groups = {r["group"] for r in everything["rows"]}
    assert {"app_store", "ota_partner", "all"} <= groups
    own = client.get("/v1/reports/channels", headers=keys["app_store"]).json()
    assert [r["group"] for r in own["rows"]] == ["app_store"]
    mine = next(r for r in everything["rows"] if r["group"] == "app_store")
    assert own["rows"][0] == mine
    assert client.get("/v1/reports/funders", headers=keys["app_store"]).status_code == 403
    assert client.get("/v1/reports/channels", headers=keys["collector"]).status_code == 403


def test_funder_sees_only_itself(
    client: TestClient, keys: dict[str, dict[str, str]], funder_key: Any
) -> None:
    everything = client.get("/v1/reports/funders", headers=keys["admin"]).json()
    jinhai = funder_key("jinhai")
    own = client.get("/v1/reports/funders", headers=jinhai).json()
    assert [r["group"] for r in own["rows"]] == ["jinhai"]
    assert own["rows"][0] == next(r for r in everything["rows"] if r["group"] == "jinhai")
    assert client.get("/v1/reports/channels", headers=jinhai).status_code == 403
    bad = client.get("/v1/reports/funders?as_of=2025-13-01", headers=keys["admin"])
    assert bad.status_code == 422 and "as_of" in bad.text
