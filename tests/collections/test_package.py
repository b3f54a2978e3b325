"""``zhudai.collections`` names its public API in ``__all__``; the store-backed names load
their module on first use (the store's models import the case states)."""

from __future__ import annotations

import pytest

import zhudai.collections as collections


@pytest.mark.parametrize("name", collections.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(collections, name)
    if name.isupper():  # a constant: TRANSITIONS, VOICE_KINDS
        assert value
    else:
        assert value.__name__ == name and value.__module__.startswith("zhudai.collections.")


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = collections.nothing  # type: ignore[attr-defined]
