"""Geohash encoding, shared by the world's generator and the live pipeline's edge, so a point
gets the same cell (and the same velocity and list key) on both paths."""

from __future__ import annotations

import numpy as np

_CHARS = "0123456789bcdefghjkmnpqrstuvwxyz"
_BASE32 = np.array(list(_CHARS))


def geohash(lat: np.ndarray, lon: np.ndarray, precision: int = 6) -> np.ndarray:
    """Geohash strings of the points (vectorised).

    Examples
    --------
    >>> geohash(np.array([57.64911]), np.array([10.40744])).tolist()
    ['u4pruy']
    """
    bits = 5 * precision
    lon_bits, lat_bits = (bits + 1) // 2, bits // 2
    lon_q = np.clip(
        ((lon + 180.0) / 360.0 * (1 << lon_bits)).astype(np.int64), 0, (1 << lon_bits) - 1
    )
    lat_q = np.clip(
        ((lat + 90.0) / 180.0 * (1 << lat_bits)).astype(np.int64), 0, (1 << lat_bits) - 1
    )
    code = np.zeros(len(lat), np.int64)
    for i in range(bits):  # interleave, longitude first, most significant bit first
        if i % 2 == 0:
            bit = (lon_q >> (lon_bits - 1 - i // 2)) & 1
        else:
            bit = (lat_q >> (lat_bits - 1 - i // 2)) & 1
        code = (code << 1) | bit
    chars = [_BASE32[(code >> (5 * (precision - 1 - k))) & 31] for k in range(precision)]
    out = chars[0].astype(object)
    for c in chars[1:]:
        out = out + c
    return out.astype(str)


def geohash_point(lat: float, lon: float, precision: int = 6) -> str:
    """The geohash of one point, with the same quantisation as :func:`geohash` (which costs
    some 300 us per call on a single point: numpy's per-call overhead, 30 times).

    Examples
    --------
    >>> geohash_point(57.64911, 10.40744)
    'u4pruy'
    """
    bits = 5 * precision
    lon_bits, lat_bits = (bits + 1) // 2, bits // 2
    lon_q = min(max(int((lon + 180.0) / 360.0 * (1 << lon_bits)), 0), (1 << lon_bits) - 1)
    lat_q = min(max(int((lat + 90.0) / 180.0 * (1 << lat_bits)), 0), (1 << lat_bits) - 1)
    code = 0
    for i in range(bits):
        q, width = (lon_q, lon_bits) if i % 2 == 0 else (lat_q, lat_bits)
        code = (code << 1) | ((q >> (width - 1 - i // 2)) & 1)
    return "".join(_CHARS[(code >> (5 * (precision - 1 - k))) & 31] for k in range(precision))
