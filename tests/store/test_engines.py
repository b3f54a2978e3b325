"""``get_engine()`` without a URL follows the settings: its cache is keyed by the resolved URL,
so a later test (or a changed ``ZHUDAI_HOME``) never keeps an earlier database."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhudai.settings import get_settings
from zhudai.store.db import get_engine


def test_the_default_engine_follows_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_engine()
    monkeypatch.setenv("ZHUDAI_HOME", str(tmp_path / "other"))
    get_settings.cache_clear()
    second = get_engine(None)
    assert second is not first
    assert str(second.url) == get_settings().database_url
    assert get_engine(get_settings().database_url) is second
