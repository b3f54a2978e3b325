"""Shared fixtures: every test runs against its own home folder, keys and SQLite file; tests
marked ``postgres`` get a real PostgreSQL server that these fixtures install (Debian package)
and start on loopback, so CI never assumes one is present."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from tests.support.postgres_server import PostgresServer, PostgresUnavailableError
from tests.support.redis_server import RedisServer, RedisUnavailableError
from zhudai.settings import Settings, get_settings
from zhudai.store.db import get_engine

if TYPE_CHECKING:
    from zhudai.demo import DemoContext

#: The fixed keys every test runs under: worlds generated once per session and the per-test
#: settings then agree on every token and ciphertext.
TEST_ENV = {
    "ZHUDAI_ENV": "test",
    "ZHUDAI_ENCRYPTION_KEY": base64.b64encode(b"e" * 32).decode(),
    "ZHUDAI_TOKEN_KEY": base64.b64encode(b"t" * 32).decode(),
}


@contextmanager
def _keyed(home: Path) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZHUDAI_HOME", str(home))
        for name, value in TEST_ENV.items():
            mp.setenv(name, value)
        mp.delenv("ZHUDAI_DB_URL", raising=False)
        mp.delenv("ZHUDAI_REDIS_URL", raising=False)
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()


@pytest.fixture(scope="session")
def keyed_env() -> Callable[[Path], AbstractContextManager[None]]:
    """``with keyed_env(home):`` the process settings of the tests (fixed keys, ``home``), for
    session fixtures: they start before the per-test settings, so they must set them."""
    return _keyed


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path) -> Iterator[Settings]:
    """Point ZHUDAI_HOME at a fresh folder with fixed test keys, so no test touches another's data."""
    with _keyed(tmp_path / "zhudai-home"):
        yield get_settings()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on 127.0.0.1, owned by the ``postgres`` OS user."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailableError as exc:
        pytest.skip(str(exc))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def postgres_db_url(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server, dropped after the test."""
    name = f"t{os.getpid()}_{time.monotonic_ns()}"
    with get_engine(postgres_url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    yield url
    get_engine(url).dispose()
    with get_engine(postgres_url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def jvm() -> str:
    """The ``java`` command, installing Debian's headless JRE first if it is missing (Spark
    needs it); skips only where installing is impossible (not root, no apt-get)."""
    if shutil.which("java") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "default-jre-headless"]):
            if subprocess.run(cmd, env=env, capture_output=True, timeout=900).returncode != 0:
                break
    java = shutil.which("java")
    if java is None:
        pytest.skip("no JVM and a JRE cannot be installed here (needs root and apt-get)")
    return java


#: ``zhudai_cli(*args, env=...)`` runs the command line as a user runs it.
ZhudaiCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def zhudai_cli() -> ZhudaiCli:
    """Run ``zhudai ARGS...`` in a subprocess with this test's environment (its home and keys),
    plus ``env``; stdout and stderr captured as text."""

    def run(
        *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from zhudai.cli import main; main()", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=timeout,
        )

    return run


# -- one demo run (600 customers) per session installs a home: store, cards, fraud model,
# -- providers file, active policies; each test that needs it decides in its own copy.
@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory, keyed_env: Any) -> Iterator[DemoContext]:
    """The demo, run once with the test keys (a session fixture starts before the per-test
    settings, so it sets the process environment itself)."""
    from zhudai.demo import run_demo

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


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on 127.0.0.1 (installed if needed), no persistence; stopped at the
    end of the session (the fraud engine's and the API's Redis tests share it)."""
    try:
        server = RedisServer.start(tmp_path_factory.mktemp("redis"))
    except RedisUnavailableError as exc:
        pytest.skip(f"redis-server cannot be installed or started here: {exc}")
    try:
        yield server.url
    finally:
        server.stop()
