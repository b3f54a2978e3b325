"""The vectorised helpers: categorical draws and packed-key ordering."""

from __future__ import annotations

import numpy as np
import pytest

from zhudai.world.sampling import categorical, sort_order


def test_categorical_frequencies_follow_weights() -> None:
    rng = np.random.default_rng(0)
    weights = np.array([[1.0, 3.0, 6.0], [5.0, 0.0, 5.0]])
    rows = np.repeat([0, 1], 50_000)
    draws = categorical(rng, weights, rows)
    first = np.bincount(draws[:50_000], minlength=3) / 50_000
    second = np.bincount(draws[50_000:], minlength=3) / 50_000
    assert first == pytest.approx([0.1, 0.3, 0.6], abs=0.01)
    assert second[1] == 0 and second[0] == pytest.approx(0.5, abs=0.01)
    assert categorical(rng, weights).shape == (2,)


def test_sort_order_matches_lexsort_and_falls_back_on_wide_keys() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 50, 10_000)
    b = rng.integers(0, 1_000_000, 10_000)
    assert (sort_order(a, b) == np.lexsort((b, a))).all()
    wide = rng.integers(0, 2**62, 10_000)
    assert (sort_order(a, wide) == np.lexsort((wide, a))).all()
    assert len(sort_order(np.empty(0, np.int64))) == 0
