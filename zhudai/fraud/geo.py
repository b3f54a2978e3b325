"""Where an application comes from: IP-to-region databases, city centroids, distances, travel.

The IP database is pluggable (:class:`IpRegionDatabase`): :class:`IpRangeTable` reads an IP
range table by file path in the shapes real providers ship — ip2region's text source
(``start|end|country|region|province|city|isp``), MaxMind GeoLite2-City CSV (a blocks file of
CIDR networks plus a locations file), or a plain CSV ``start_ip,end_ip,province,city``.
"""

from __future__ import annotations

import csv
import ipaddress
import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol, runtime_checkable

from zhudai.exceptions import InvalidInputError

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres.

    Examples
    --------
    >>> round(haversine_km(39.921, 116.443, 31.221, 121.544))  # Beijing - Shanghai
    1071
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def ip_to_int(ip: str) -> int:
    """IPv4 dotted quad to its 32-bit integer (the key of every range table)."""
    parts = ip.split(".")
    if len(parts) != 4:
        raise InvalidInputError("ip", f"must be a dotted IPv4 address; got {ip!r}")
    try:
        a, b, c, d = (int(p) for p in parts)
    except ValueError:
        raise InvalidInputError("ip", f"must be a dotted IPv4 address; got {ip!r}") from None
    if not all(0 <= x <= 255 for x in (a, b, c, d)):
        raise InvalidInputError("ip", f"octets must be 0-255; got {ip!r}")
    return (a << 24) | (b << 16) | (c << 8) | d


@dataclass(frozen=True)
class IpRegion:
    """The region an IP address geolocates to."""

    country: str
    province: str
    city: str


@runtime_checkable
class IpRegionDatabase(Protocol):
    """Anything that maps an IPv4 address to a region (``None`` when unknown)."""

    def lookup(self, ip: str) -> IpRegion | None:
        """The region of ``ip``, or ``None``."""
        ...


class IpRangeTable:
    """An IP-to-region database held as sorted, non-overlapping integer ranges.

    Parameters
    ----------
    ranges : iterable of (start, end, IpRegion)
        Inclusive integer ranges; they are sorted here and must not overlap.

    Examples
    --------
    >>> table = IpRangeTable([(ip_to_int("1.2.0.0"), ip_to_int("1.2.255.255"),
    ...                        IpRegion("中国", "浙江", "杭州"))])
    >>> table.lookup("1.2.3.4").city, table.lookup("9.9.9.9")
    ('杭州', None)
    """

    def __init__(self, ranges: Iterable[tuple[int, int, IpRegion]]) -> None:
        rows = sorted(ranges, key=lambda r: r[0])
        for (_, e0, _), (s1, _, _) in zip(rows, rows[1:], strict=False):
            if s1 <= e0:
                raise InvalidInputError("ranges", f"overlap at {ipaddress.IPv4Address(s1)}")
        self._starts = [r[0] for r in rows]
        self._ends = [r[1] for r in rows]
        self._regions = [r[2] for r in rows]

    def __len__(self) -> int:
        return len(self._starts)

    def lookup(self, ip: str) -> IpRegion | None:
        """The region of ``ip`` (binary search), or ``None`` outside every range."""
        n = ip_to_int(ip)
        i = bisect_right(self._starts, n) - 1
        if i >= 0 and n <= self._ends[i]:
            return self._regions[i]
        return None

    @classmethod
    def from_csv(cls, path: str | Path) -> IpRangeTable:
        """Plain CSV with a header ``start_ip,end_ip,province,city[,country]``."""
        rows = []
        with open(path, newline="", encoding="utf-8") as fh:
            for rec in csv.DictReader(fh):
                region = IpRegion(rec.get("country") or "中国", rec["province"], rec["city"])
                rows.append((ip_to_int(rec["start_ip"]), ip_to_int(rec["end_ip"]), region))
        return cls(rows)

    @classmethod
    def from_ip2region_txt(cls, path: str | Path) -> IpRangeTable:
        """ip2region's source text: ``start|end|country|region|province|city|isp`` per line."""
        rows = []
        with open(path, encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, 1):
                parts = line.rstrip("\n").split("|")
                if len(parts) < 6:
                    if line.strip():
                        raise InvalidInputError(
                            f"{path}:{line_no}", "expected 7 |-separated fields"
                        )
                    continue
                country, province, city = (
                    p if p != "0" else "" for p in (parts[2], parts[4], parts[5])
                )
                rows.append(
                    (ip_to_int(parts[0]), ip_to_int(parts[1]), IpRegion(country, province, city))
                )
        return cls(rows)

    @classmethod
    def from_maxmind_csv(cls, blocks_path: str | Path, locations_path: str | Path) -> IpRangeTable:
        """GeoLite2-City CSV: ``*-Blocks-IPv4.csv`` (network, geoname_id) + ``*-Locations-*.csv``."""
        names: dict[str, IpRegion] = {}
        with open(locations_path, newline="", encoding="utf-8") as fh:
            for rec in csv.DictReader(fh):
                names[rec["geoname_id"]] = IpRegion(
                    rec.get("country_name", ""),
                    rec.get("subdivision_1_name", ""),
                    rec.get("city_name", ""),
                )
        rows = []
        with open(blocks_path, newline="", encoding="utf-8") as fh:
            for rec in csv.DictReader(fh):
                region = names.get(
                    rec.get("geoname_id") or rec.get("registered_country_geoname_id", "")
                )
                if region is None:
                    continue
                net = ipaddress.IPv4Network(rec["network"])
                rows.append((int(net.network_address), int(net.broadcast_address), region))
        return cls(rows)


class Gazetteer:
    """City centroids, for distances between declared city, IP city and GPS.

    Parameters
    ----------
    cities : mapping of city name to (lat, lon)
    """

    def __init__(self, cities: Mapping[str, tuple[float, float]]) -> None:
        self._cities = dict(cities)

    @classmethod
    def default(cls) -> Gazetteer:
        """Major Chinese cities shipped with zhudai (``zhudai/fraud/data/cities.csv``)."""
        text = resources.files("zhudai.fraud").joinpath("data/cities.csv").read_text("utf-8")
        rows = csv.DictReader(text.splitlines())
        return cls({r["city"]: (float(r["lat"]), float(r["lon"])) for r in rows})

    def __contains__(self, city: object) -> bool:
        return city in self._cities

    def distance_km(self, city: str | None, lat: float, lon: float) -> float | None:
        """Distance from ``city``'s centroid to a point, or ``None`` for an unknown city."""
        where = self._cities.get(city) if city else None
        return None if where is None else haversine_km(where[0], where[1], lat, lon)

    def city_distance_km(self, a: str | None, b: str | None) -> float | None:
        """Distance between two cities' centroids, or ``None`` if either is unknown."""
        pa = self._cities.get(a) if a else None
        pb = self._cities.get(b) if b else None
        if pa is None or pb is None:
            return None
        return haversine_km(pa[0], pa[1], pb[0], pb[1])


class TravelTracker:
    """Impossible travel: how fast a person would have moved between two applications.

    Keeps each person's last ``keep`` positions (by event time, so late events compare with
    the application just before them in time).

    Parameters
    ----------
    keep : int
        Positions remembered per person.
    forget_after : float
        Seconds after a person's last application when their trail is dropped.
    """

    def __init__(self, keep: int = 4, forget_after: float = 90 * 86_400.0) -> None:
        self.keep = keep
        self.forget_after = forget_after
        self._trail: dict[str, list[tuple[float, float, float]]] = {}
        self._calls = 0

    def speed_kmh(self, person: str, ts: float, lat: float, lon: float) -> tuple[float, float]:
        """Record a position; return ``(km from the previous position, implied km/h)``.

        The speed assumes at least one minute between applications, so two applications
        seconds apart from distant places are not an infinite speed but a very large one.
        """
        self._calls += 1
        if self._calls % 8192 == 0:  # forget people not seen for ``forget_after`` seconds
            self._trail = {
                p: t for p, t in self._trail.items() if t[-1][0] >= ts - self.forget_after
            }
        trail = self._trail.setdefault(person, [])
        prev = None
        for point in trail:
            if point[0] <= ts:
                prev = point
        trail.append((ts, lat, lon))
        trail.sort(key=lambda p: p[0])
        if len(trail) > self.keep:
            del trail[0]
        if prev is None:
            return 0.0, 0.0
        km = haversine_km(prev[1], prev[2], lat, lon)
        hours = max(ts - prev[0], 60.0) / 3600.0
        return km, km / hours
