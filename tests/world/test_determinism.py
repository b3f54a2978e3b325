"""Same seed -> byte-identical files; another seed -> different data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes(
    tmp_path: Path, world_factory: Callable[..., Path]
) -> None:
    a = _files(world_factory(tmp_path / "a", 700, 5))
    b = _files(world_factory(tmp_path / "b", 700, 5))
    assert a.keys() == b.keys()
    assert "truth/persons.parquet" in a and "world.json" in a
    different = [name for name in a if a[name] != b[name]]
    assert not different


def test_different_seed_gives_different_data(
    tmp_path: Path, world_factory: Callable[..., Path]
) -> None:
    a = _files(world_factory(tmp_path / "a", 700, 5))
    c = _files(world_factory(tmp_path / "c", 700, 6))
    for name in ("customers.parquet", "applications.parquet", "orders.parquet", "loans.parquet"):
        assert a[name] != c[name], name


@pytest.mark.parametrize("n", [1, 3, 40])
def test_tiny_worlds_work(tmp_path: Path, world_factory: Callable[..., Path], n: int) -> None:
    d = world_factory(tmp_path, n, 1)
    assert (d / "customers.parquet").exists() and (d / "call_transcripts.parquet").exists()
