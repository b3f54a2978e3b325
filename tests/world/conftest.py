"""A small world generated once per session, under fixed test keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path

import pytest

from zhudai.world import generate_world

WORLD_CUSTOMERS = 4000
KeyedEnv = Callable[[Path], AbstractContextManager[None]]


def make_world(keyed_env: KeyedEnv, base: Path, n: int, seed: int, **kwargs) -> Path:
    """Generate a world under fixed keys (outside the per-test settings fixture)."""
    with keyed_env(base / "home"):
        return generate_world(n, seed, out_dir=base / f"world-{n}-{seed}", **kwargs)


@pytest.fixture
def world_factory(keyed_env: KeyedEnv) -> Callable[..., Path]:
    """``make_world(base, n, seed, **kwargs)`` for tests that need their own small worlds."""
    return partial(make_world, keyed_env)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, keyed_env: KeyedEnv) -> Iterator[Path]:
    """A 4,000-customer world (seed 11)."""
    yield make_world(keyed_env, tmp_path_factory.mktemp("world"), WORLD_CUSTOMERS, 11)
