"""The web pages over a copy of the demo's home: a TestClient app and one key per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from zhudai.api.app import create_app
from zhudai.api.keys import ApiKeys
from zhudai.origination.factory import build_service, fraud_engine_from_home
from zhudai.settings import Settings

#: name -> (role, tenant)
KEYS = {
    "admin": ("admin", None),
    "analyst": ("analyst", None),
    "collector": ("collector", None),
    "app_store": ("channel", "app_store"),
}


@pytest.fixture
def client(home: Settings) -> Iterator[TestClient]:
    service = build_service(home, fraud=fraud_engine_from_home(home.home))
    with TestClient(create_app(home, service)) as c:
        yield c


@pytest.fixture
def web_keys(home: Settings) -> dict[str, str]:
    """``web_keys[name]``: the API key of :data:`KEYS` ``name``."""
    store = ApiKeys(home.database_url)
    return {name: store.create(name, *spec)[1] for name, spec in KEYS.items()}
