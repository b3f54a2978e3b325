"""Fixtures of the fraud tests: a real redis-server on loopback for the Redis backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zhudai.fraud.redis_server import RedisServer, RedisUnavailableError


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Install (if needed) and start redis-server on 127.0.0.1, no persistence; stop at the end."""
    try:
        server = RedisServer.start(tmp_path_factory.mktemp("redis"))
    except RedisUnavailableError as exc:
        pytest.skip(f"redis-server cannot be installed or started here: {exc}")
    try:
        yield server.url
    finally:
        server.stop()
