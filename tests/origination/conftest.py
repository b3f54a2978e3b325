"""Each test decides in its own copy of the demo's home (``demo_run`` and ``home`` in
``tests/conftest.py``)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from zhudai.demo import DemoContext
from zhudai.origination.factory import build_service, fraud_engine_from_home
from zhudai.origination.pipeline import OriginationService
from zhudai.settings import Settings


@pytest.fixture
def service(home: Settings) -> OriginationService:
    return build_service(home, fraud=fraud_engine_from_home(home.home))


@pytest.fixture(scope="session")
def world_requests(demo_run: DemoContext) -> list[dict[str, Any]]:
    """The demo world's applications as the partner sent them (already decided in the store)."""
    return list(demo_run.artifacts["requests"])


@pytest.fixture
def fresh(world_requests: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Copies of the world's applications under new partner ids (``T...``): not decided yet."""
    out = []
    for r in world_requests:
        c = copy.deepcopy(r)
        c["application_id"] = "T" + r["application_id"][1:]
        out.append(c)
    yield out
