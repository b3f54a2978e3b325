"""The web pages through the app itself: login, the role gate, paging, the figures."""

from __future__ import annotations

from fastapi.testclient import TestClient


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
        "applications",
    ):
        r = client.get(f"/web/{page}")
        assert r.status_code == 200, (page, r.text[:500])
        assert '<script src="/web/static/plotly.min.js"></script>' in r.text
