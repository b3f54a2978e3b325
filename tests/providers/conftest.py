"""Fixtures of the provider tests: one small generated world per session, and tiny fake
providers whose behaviour (sleep, raise, flake) each test states explicitly."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from zhudai.providers import ProviderQuery, ProviderStatus, WorldRecords

CST = timezone(timedelta(hours=8))
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=CST)


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory, keyed_env: Any) -> Path:
    """A 600-customer world (seed 11), generated once under fixed test keys."""
    from zhudai.world import generate_world  # tests may use the generator; providers may not

    base = tmp_path_factory.mktemp("providers-world")
    with keyed_env(base / "home"):
        return generate_world(600, 11, out_dir=base / "world")


@pytest.fixture(scope="session")
def records(world_dir: Path) -> WorldRecords:
    return WorldRecords.load(world_dir)


@pytest.fixture(scope="session")
def tables(world_dir: Path) -> dict[str, pl.DataFrame]:
    """The observable tables read independently of the providers (the expected values)."""
    return {
        t: pl.read_parquet(world_dir / f"{t}.parquet")
        for t in ("applications", "bureau", "customers", "orders", "card_txns")
    }


def query(n: int = 1, *, as_of: datetime = T0, **tokens) -> ProviderQuery:
    """A query for application ``A<n>`` with made-up tokens unless given."""
    tokens.setdefault("id_token", f"id-{n}")
    return ProviderQuery(application_id=f"A{n}", as_of=as_of, **tokens)


class Fake:
    """A provider doing what a test scripts: sleep ``sleep_s``, raise the first ``fail_first``
    attempts (or all when ``fail_first`` is None and ``always_fail``), then answer ``reply``."""

    def __init__(
        self,
        name: str = "fake",
        *,
        sleep_s: float = 0.0,
        fail_first: int = 0,
        always_fail: bool = False,
        reply=(ProviderStatus.DATA, {"x": 1}),
        inline: bool = False,
    ) -> None:
        self.name = name
        self.sleep_s = sleep_s
        self.fail_first = fail_first
        self.always_fail = always_fail
        self.reply = reply
        self.inline = inline
        self.calls = 0
        self.threads: list[str] = []
        self._lock = threading.Lock()

    def fetch(self, query: ProviderQuery):
        with self._lock:
            self.calls += 1
            n = self.calls
            self.threads.append(threading.current_thread().name)
        if self.sleep_s:
            time.sleep(self.sleep_s)
        if self.always_fail or n <= self.fail_first:
            raise ConnectionError(f"reset by peer (attempt {n})")
        return self.reply
