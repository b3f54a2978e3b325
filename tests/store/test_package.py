"""``zhudai.store`` names its public API in ``__all__`` and loads each name's module lazily."""

from __future__ import annotations

import pytest

import zhudai.store as store


@pytest.mark.parametrize("name", store.__all__)
def test_every_public_name_resolves_to_its_module(name: str) -> None:
    value = getattr(store, name)
    assert value.__name__ == name
    assert value.__module__.startswith("zhudai.store.")


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = store.nothing  # type: ignore[attr-defined]
