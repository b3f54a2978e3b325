"""One demo run (600 customers) per session installs a home -- store, cards, fraud model,
providers file, active policies -- and each test decides in its own copy of it."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zhudai.demo import DemoContext, run_demo
from zhudai.origination.factory import build_service, fraud_engine_from_home
from zhudai.origination.pipeline import OriginationService
from zhudai.settings import Settings, get_settings
from zhudai.store.db import get_engine


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory, keyed_env: Any) -> Iterator[DemoContext]:
    """The demo, run once with the test keys (a session fixture starts before the per-test
    settings, so it sets the process environment itself)."""
    root = tmp_path_factory.mktemp("origination-demo")
    with keyed_env(root / "home"):
        ctx = run_demo(root / "out", customers=600, seed=5)
        # decrypted here, under the demo's keys (a session fixture runs before the test's)
        ctx.artifacts["requests"] = list(ctx.artifacts["world_client"].requests())
    get_engine.cache_clear()
    yield ctx


@pytest.fixture
def home(demo_run: DemoContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """This test's copy of the demo's home, as the process settings."""
    target = tmp_path / "home"
    shutil.copytree(demo_run.settings.home, target)
    monkeypatch.setenv("ZHUDAI_HOME", str(target))
    get_settings.cache_clear()
    get_engine.cache_clear()
    return get_settings()


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
