"""Black and grey lists with source, reason and expiry; every hit explains itself.

Keys are what the velocity engine keys on (device id, IP, IP /24, geohash) or keyed tokens
(ID, phone, card, contact phone): a list never holds a plaintext ID number, phone or card,
and the explanation shows a shortened key only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from zhudai.exceptions import InvalidInputError


class ListKind(StrEnum):
    """Black: refuse. Grey: look closer (manual review, tighter limits)."""

    BLACK = "black"
    GREY = "grey"


class KeyType(StrEnum):
    """What a list entry (and a velocity stream) is keyed on."""

    DEVICE = "device"
    IP = "ip"
    IP24 = "ip24"
    PHONE = "phone"
    ID = "id"
    CARD = "card"
    GEOHASH = "geohash"
    CONTACT = "contact"


_TOKEN_TYPES = {KeyType.PHONE, KeyType.ID, KeyType.CARD, KeyType.CONTACT}


def mask_key(key_type: KeyType, key: str) -> str:
    """A display form of a key: tokens cut to 8 characters, the last IP octet hidden.

    Examples
    --------
    >>> mask_key(KeyType.ID, "3f2a9c0d11e4b5a6c7d8e9f0a1b2c3d4")
    'id:3f2a9c0d…'
    >>> mask_key(KeyType.IP, "36.112.7.21")
    'ip:36.112.7.*'
    """
    if key_type in _TOKEN_TYPES:
        return f"{key_type.value}:{key[:8]}…"
    if key_type is KeyType.IP:
        return f"ip:{key.rsplit('.', 1)[0]}.*"
    return f"{key_type.value}:{key}"


def _check_key(key_type: KeyType, key: str) -> None:
    # A token is 32 lowercase hex characters; 11+ digits would be a plaintext phone/ID/card.
    if key_type in _TOKEN_TYPES and sum(c.isdigit() for c in key) == len(key) and len(key) >= 11:
        raise InvalidInputError(
            "key", f"{key_type.value} lists take keyed tokens, never a plaintext number"
        )


@dataclass(frozen=True)
class ListEntry:
    """One listed key: which list, why, who said so, and for how long (epoch seconds)."""

    kind: ListKind
    key_type: KeyType
    key: str
    source: str
    reason: str
    since: float
    until: float | None = None

    def active(self, at: float) -> bool:
        """Whether the entry applies at time ``at``."""
        return self.since <= at and (self.until is None or at < self.until)


@dataclass(frozen=True)
class ListHit:
    """Why an application hit a list, in words a reviewer can act on."""

    kind: ListKind
    key_type: KeyType
    key_masked: str
    source: str
    reason: str
    since: float
    until: float | None

    def explain(self) -> str:
        """One line: ``black list: device:d-77 (probing_detector: cycled 6 IDs) since ...``."""

        def day(ts: float | None) -> str:
            return (
                "no expiry" if ts is None else datetime.fromtimestamp(ts).isoformat(" ", "seconds")
            )

        return (
            f"{self.kind.value} list: {self.key_masked} ({self.source}: {self.reason}) "
            f"since {day(self.since)}, until {day(self.until)}"
        )


class FraudLists:
    """Black and grey lists in process, optionally saved to and loaded from a JSON file.

    Examples
    --------
    >>> lists = FraudLists()
    >>> _ = lists.add("black", "device", "d-77", source="analyst", reason="emulator farm",
    ...               since=0.0, until=100.0)
    >>> [h.key_masked for h in lists.hits({"device": "d-77"}, at=50.0)]
    ['device:d-77']
    >>> lists.hits({"device": "d-77"}, at=100.0)  # expired
    []
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[KeyType, str], list[ListEntry]] = {}

    def __len__(self) -> int:
        return sum(len(v) for v in self._entries.values())

    def add(
        self,
        kind: ListKind | str,
        key_type: KeyType | str,
        key: str,
        *,
        source: str,
        reason: str,
        since: float,
        until: float | None = None,
    ) -> ListEntry:
        """List ``key`` from ``since`` until ``until`` (``None``: no expiry)."""
        try:
            kind, key_type = ListKind(kind), KeyType(key_type)
        except ValueError as exc:
            raise InvalidInputError("kind/key_type", str(exc)) from None
        if not key:
            raise InvalidInputError("key", "must be a non-empty string")
        _check_key(key_type, key)
        if until is not None and until <= since:
            raise InvalidInputError("until", f"must be after since ({since}); got {until}")
        entry = ListEntry(kind, key_type, key, source, reason, float(since), until)
        self._entries.setdefault((key_type, key), []).append(entry)
        return entry

    def hits(self, keys: dict[KeyType | str, str | None], at: float) -> list[ListHit]:
        """Active entries for any of the application's keys at time ``at``, black first."""
        out = []
        for key_type, key in keys.items():
            if not key:
                continue
            kt = KeyType(key_type)
            for e in self._entries.get((kt, key), ()):
                if e.active(at):
                    out.append(
                        ListHit(e.kind, kt, mask_key(kt, key), e.source, e.reason, e.since, e.until)
                    )
        out.sort(key=lambda h: h.kind is not ListKind.BLACK)
        return out

    def is_listed(
        self, key_type: KeyType, key: str, at: float, kind: ListKind | None = None
    ) -> bool:
        """Whether ``key`` has an active entry (of ``kind``, if given)."""
        return any(
            e.active(at) and (kind is None or e.kind is kind)
            for e in self._entries.get((key_type, key), ())
        )

    def save(self, path: str | Path) -> Path:
        """Write every entry to a JSON file (keys are ids and tokens, never plaintext)."""
        path = Path(path)
        rows = [asdict(e) for entries in self._entries.values() for e in entries]
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> FraudLists:
        """Read a file written by :meth:`save`."""
        lists = cls()
        for row in json.loads(Path(path).read_text(encoding="utf-8")):
            lists.add(
                row["kind"],
                row["key_type"],
                row["key"],
                source=row["source"],
                reason=row["reason"],
                since=row["since"],
                until=row["until"],
            )
        return lists
