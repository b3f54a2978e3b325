"""Vectorised helpers the generator leans on: categorical draws and fast multi-key ordering."""

from __future__ import annotations

import numpy as np


def categorical(
    rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """One category per draw, by inverse CDF over unnormalised ``weights`` (one row per group).

    With ``rows``, draw ``i`` uses ``weights[rows[i]]`` (e.g. one row per person, many events
    per person), so the event-sized matrix is never built. Memory stays O(draws).
    """
    p = weights / weights.sum(axis=1, keepdims=True)
    m = len(p) if rows is None else len(rows)
    u = rng.random(m)
    out = np.zeros(m, np.int64)
    acc = np.zeros(m)
    for j in range(p.shape[1] - 1):
        acc += p[:, j] if rows is None else p[rows, j]
        out += u >= acc
    return out


def sort_order(*keys: np.ndarray) -> np.ndarray:
    """Stable order by several non-negative integer keys, most significant first.

    Packs the keys into one int64 when their ranges fit in 63 bits (a single argsort is much
    faster than ``np.lexsort``), otherwise falls back to ``np.lexsort``.
    """
    if len(keys[0]) == 0:
        return np.empty(0, np.int64)
    lows = [int(k.min()) for k in keys]
    bits = [max(int(k.max()) - lo, 0).bit_length() for k, lo in zip(keys, lows, strict=True)]
    if sum(bits) > 63:
        return np.lexsort(tuple(reversed(keys)))
    packed = np.zeros(len(keys[0]), np.int64)
    for k, lo, b in zip(keys, lows, bits, strict=True):
        packed = (packed << b) | (k.astype(np.int64) - lo)
    return np.argsort(packed, kind="stable")
