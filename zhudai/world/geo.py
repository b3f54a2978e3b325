"""Places: the IP address blocks of each city (geohash encoding lives in ``zhudai.geohash``).

Each city owns a few /16 blocks, so the city an IP geolocates to (``ip_city``) follows from
the address itself, as it does with a real IP-geolocation database.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from zhudai.world.catalog import CITIES

_BLOCKS_PER_CITY = 4
_FIRST_OCTETS = np.array([36, 39, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115, 116])
_FIRST_OCTETS = np.concatenate([_FIRST_OCTETS, [117, 119, 120, 121, 122, 123, 124, 125, 171]])
_FIRST_OCTETS = np.concatenate([_FIRST_OCTETS, [175, 180, 182, 183, 202, 211, 218, 219, 220]])
_FIRST_OCTETS = np.concatenate([_FIRST_OCTETS, [221, 222, 223]])


def _city_blocks() -> np.ndarray:
    """(n_cities, blocks) array of /16 block numbers (first two octets as ``a * 256 + b``).

    Fixed for all worlds (its own constant seed), like a geolocation database.
    """
    rng = np.random.default_rng(20240101)
    n = len(CITIES) * _BLOCKS_PER_CITY
    firsts = rng.choice(_FIRST_OCTETS, n)
    seconds = rng.permutation(256)[np.arange(n) % 256]
    blocks = np.unique(firsts * 256 + seconds)
    while len(blocks) < n:
        blocks = np.unique(
            np.concatenate([blocks, rng.choice(_FIRST_OCTETS, 1) * 256 + rng.integers(0, 256, 1)])
        )
    return rng.permutation(blocks)[:n].reshape(len(CITIES), _BLOCKS_PER_CITY)


CITY_BLOCKS = _city_blocks()


def random_ips(rng: np.random.Generator, city: np.ndarray) -> np.ndarray:
    """A random IPv4 address (uint32 as int64) inside one of each ``city`` index's blocks."""
    block = CITY_BLOCKS[city, rng.integers(0, _BLOCKS_PER_CITY, len(city))]
    return block * 65536 + rng.integers(0, 256, len(city)) * 256 + rng.integers(1, 255, len(city))


def ip_strings(ips: np.ndarray) -> tuple[pl.Series, pl.Series]:
    """Dotted ``a.b.c.d`` strings and their ``a.b.c`` /24 prefixes."""
    octets = [pl.Series((ips >> shift) & 255).cast(pl.Utf8) for shift in (24, 16, 8, 0)]
    prefix = octets[0] + "." + octets[1] + "." + octets[2]
    return prefix + "." + octets[3], prefix


def ip_city(ips: np.ndarray) -> np.ndarray:
    """City index each IP geolocates to."""
    flat = CITY_BLOCKS.ravel()
    order = np.argsort(flat)
    pos = order[np.searchsorted(flat[order], ips >> 16)]
    return pos // _BLOCKS_PER_CITY
