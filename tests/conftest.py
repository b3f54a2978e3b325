"""Shared fixtures: every test runs against its own home folder, keys and SQLite file."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from zhudai.settings import Settings, get_settings


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Point ZHUDAI_HOME at a fresh folder with fixed test keys, so no test touches another's data."""
    home = tmp_path / "zhudai-home"
    monkeypatch.setenv("ZHUDAI_HOME", str(home))
    monkeypatch.setenv("ZHUDAI_ENV", "test")
    monkeypatch.setenv("ZHUDAI_ENCRYPTION_KEY", base64.b64encode(b"e" * 32).decode())
    monkeypatch.setenv("ZHUDAI_TOKEN_KEY", base64.b64encode(b"t" * 32).decode())
    monkeypatch.delenv("ZHUDAI_DB_URL", raising=False)
    monkeypatch.delenv("ZHUDAI_REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
