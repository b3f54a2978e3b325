"""The live edge's one-point geohash equals the world's vectorised one on every point."""

from __future__ import annotations

import numpy as np

from zhudai.geohash import geohash, geohash_point


def test_point_equals_vectorised_including_edges() -> None:
    rng = np.random.default_rng(3)
    lat = np.concatenate([rng.uniform(-90, 90, 3000), [-90.0, 90.0, 0.0, 39.92]])
    lon = np.concatenate([rng.uniform(-180, 180, 3000), [-180.0, 180.0, 0.0, 116.44]])
    for precision in (5, 6, 7):
        want = geohash(lat, lon, precision).tolist()
        assert [geohash_point(a, b, precision) for a, b in zip(lat, lon, strict=True)] == want
