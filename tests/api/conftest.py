"""The API over a copy of the demo's home, with one key per role (and two channels)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from zhudai.api.app import create_app
from zhudai.api.keys import ApiKeys
from zhudai.demo import DemoContext
from zhudai.origination.factory import build_service, fraud_engine_from_home
from zhudai.settings import Settings

#: name -> (role, tenant); funder keys come from :func:`funder_key`, for the routed funder.
KEYS = {
    "admin": ("admin", None),
    "analyst": ("analyst", None),
    "collector": ("collector", None),
    "app_store": ("channel", "app_store"),
    "ota": ("channel", "ota_partner"),
}


@pytest.fixture
def client(home: Settings) -> Iterator[TestClient]:
    service = build_service(home, fraud=fraud_engine_from_home(home.home))
    with TestClient(create_app(home, service)) as c:
        yield c


@pytest.fixture
def keys(client: TestClient, home: Settings) -> dict[str, dict[str, str]]:
    """``keys[name]``: the headers of the key ``name`` of :data:`KEYS`."""
    store = ApiKeys(home.database_url)
    return {name: {"X-API-Key": store.create(name, *spec)[1]} for name, spec in KEYS.items()}


@pytest.fixture
def new_request(demo_run: DemoContext) -> Any:
    """``new_request(n, channel)``: a copy of the world's ``n``-th application under a new id."""

    def make(n: int = 0, channel: str = "app_store", **changes: Any) -> dict[str, Any]:
        r = copy.deepcopy(demo_run.artifacts["requests"][n])
        r["application_id"] = f"API{n:05d}"
        r["channel"] = channel
        return r | changes

    return make


@pytest.fixture
def funder_key(home: Settings) -> Any:
    """``funder_key(code)``: headers of a funder key for ``code``."""

    def make(code: str) -> dict[str, str]:
        return {"X-API-Key": ApiKeys(home.database_url).create(f"bank-{code}", "funder", code)[1]}

    return make
