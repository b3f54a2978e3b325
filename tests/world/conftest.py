"""A small world generated once per session, under fixed test keys."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zhudai.settings import get_settings
from zhudai.world import generate_world

WORLD_CUSTOMERS = 4000


def make_world(base: Path, n: int, seed: int, **kwargs) -> Path:
    """Generate a world under fixed keys (outside the per-test settings fixture)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZHUDAI_HOME", str(base / "home"))
        mp.setenv("ZHUDAI_ENV", "test")
        mp.setenv("ZHUDAI_ENCRYPTION_KEY", base64.b64encode(b"e" * 32).decode())
        mp.setenv("ZHUDAI_TOKEN_KEY", base64.b64encode(b"t" * 32).decode())
        get_settings.cache_clear()
        try:
            return generate_world(n, seed, out_dir=base / f"world-{n}-{seed}", **kwargs)
        finally:
            get_settings.cache_clear()


@pytest.fixture
def world_factory() -> Callable[..., Path]:
    """``make_world(base, n, seed, **kwargs)`` for tests that need their own small worlds."""
    return make_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 4,000-customer world (seed 11)."""
    yield make_world(tmp_path_factory.mktemp("world"), WORLD_CUSTOMERS, 11)
