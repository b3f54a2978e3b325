"""Storage tests run on SQLite and on the real PostgreSQL server of ``tests/conftest.py``
(installed and started there, so CI never assumes one is present)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same tests on the embedded default and on PostgreSQL (a fresh database each test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    yield request.getfixturevalue("postgres_db_url")


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``zhudai world generate --customers 300 --seed 5 --out DIR``, under the tests' fixed keys."""
    out = tmp_path_factory.mktemp("world") / "w"
    env = {
        **os.environ,
        "ZHUDAI_HOME": str(out.parent / "home"),
        "ZHUDAI_ENV": "test",
        "ZHUDAI_ENCRYPTION_KEY": base64.b64encode(b"e" * 32).decode(),
        "ZHUDAI_TOKEN_KEY": base64.b64encode(b"t" * 32).decode(),
    }
    env.pop("ZHUDAI_DB_URL", None)
    cmd = "from zhudai.cli import main; main()"
    args = ["world", "generate", "--customers", "300", "--seed", "5", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-c", cmd, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return out
