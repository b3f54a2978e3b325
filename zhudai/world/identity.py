"""Fake but valid-looking personal identifiers, built column-wise, and their protection.

ID numbers follow GB 11643 (region code, birth date, sequence whose parity is the sex, check
character), phones use real carrier prefixes and cards real BINs with a Luhn digit. The
plaintext exists only inside the generator: :class:`IdentityProtector` turns each column into
keyed tokens, masks and deterministic ciphertexts before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from zhudai.privacy import (
    cipher,
    mask_bank_card,
    mask_id_number,
    mask_name,
    mask_phone,
    tokenizer,
)
from zhudai.settings import Settings
from zhudai.times import US_PER_DAY
from zhudai.world.catalog import CARD_BINS, CITIES, GIVEN_CHARS, PHONE_PREFIXES, SURNAMES
from zhudai.world.population import Population

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.array(list("10X98765432"))
_POW10 = 10 ** np.arange(18, dtype=np.int64)[::-1]  # 10^17 .. 10^0


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Decimal digits of non-negative int64 ``values`` as an (n, width) array, most significant first."""
    return (values[:, None] // _POW10[-width:][None, :]) % 10


def id_numbers(
    rng: np.random.Generator, region: np.ndarray, birth: np.ndarray, male: np.ndarray
) -> np.ndarray:
    """Unique 18-character resident ID numbers (GB 11643) for the given people.

    ``birth`` is ``datetime64[D]``; the sequence digit's parity encodes the sex (odd = male).
    """
    day = birth.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    yyyymmdd = (
        (day.astype("datetime64[Y]").astype(np.int64) + 1970) * 10000
        + (month.astype(np.int64) % 12 + 1) * 100
        + (day - month).astype(np.int64)
        + 1
    )
    base = region.astype(np.int64) * 10**11 + yyyymmdd * 1000
    first17 = base + _sequence(rng, len(base), male)
    while True:  # redraw the sequence of the (rare) duplicates until all are unique
        _, first_idx = np.unique(first17, return_index=True)
        dup = np.ones(len(first17), bool)
        dup[first_idx] = False
        if not dup.any():
            break
        first17[dup] = base[dup] + _sequence(rng, int(dup.sum()), male[dup])
    check = _ID_CHECK[(_digits(first17, 17) * _ID_WEIGHTS).sum(axis=1) % 11]
    return _concat(pl.Series(first17).cast(pl.Utf8).str.zfill(17), check)


def _sequence(rng: np.random.Generator, n: int, male: np.ndarray) -> np.ndarray:
    seq = rng.integers(0, 500, n, dtype=np.int64) * 2
    return seq + male.astype(np.int64)


def _distinct(rng: np.random.Generator, n: int, prefixes: np.ndarray, tail: int) -> np.ndarray:
    """``n`` distinct integers ``prefix * 10**tail + random tail``, in draw order."""
    out = np.empty(0, np.int64)
    while len(out) < n:
        need = n - len(out)
        new = rng.choice(prefixes, need) * 10**tail + rng.integers(0, 10**tail, need)
        out = np.concatenate([out, new])
        _, first_idx = np.unique(out, return_index=True)
        out = out[np.sort(first_idx)]
    return out


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 11-digit mobile numbers (int64) with real carrier prefixes."""
    return _distinct(rng, n, PHONE_PREFIXES, 8)


def card_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 19-digit bank card numbers with a valid Luhn digit (strings)."""
    payload = _distinct(rng, n, CARD_BINS, 12)  # bank BIN and 12 account digits
    digits = _digits(payload, 18)[:, ::-1]  # least significant first: positions 0, 1, ...
    doubled = digits[:, 0::2] * 2
    total = np.where(doubled > 9, doubled - 9, doubled).sum(axis=1) + digits[:, 1::2].sum(axis=1)
    check = ((10 - total % 10) % 10).astype(str)
    return _concat(pl.Series(payload).cast(pl.Utf8), check)


def chinese_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Common surname plus one or two given-name characters."""
    surnames = np.array(list(SURNAMES))[rng.integers(0, len(SURNAMES), n)]
    given = np.array(list(GIVEN_CHARS))
    first = given[rng.integers(0, len(given), n)]
    second = np.where(rng.random(n) < 0.7, given[rng.integers(0, len(given), n)], "")
    return np.char.add(np.char.add(surnames, first), second)


def _concat(left: pl.Series, right: np.ndarray) -> np.ndarray:
    return (left + pl.Series(right.astype(str))).to_numpy()


class IdentityProtector:
    """Tokens, masks and deterministic ciphertexts of identifier columns.

    Built from the process settings, so the same keys and seed give byte-identical files.
    """

    _MASKS = {"id": mask_id_number, "phone": mask_phone, "card": mask_bank_card, "name": mask_name}

    def __init__(self, settings: Settings | None = None) -> None:
        self._tokenizer = tokenizer(settings)
        self._cipher = cipher(settings)

    def tokens(self, kind: str, values: np.ndarray) -> list[str]:
        """Keyed token of each value (``kind`` is ``id``, ``phone`` or ``card``)."""
        return self._tokenizer.tokens(kind, (str(v) for v in values))

    def masks(self, kind: str, values: np.ndarray) -> list[str]:
        """Display mask of each value (``kind`` is ``id``, ``phone``, ``card`` or ``name``)."""
        mask = self._MASKS[kind]
        return [mask(str(v)) for v in values]

    def encrypted(self, column: str, values: np.ndarray) -> list[str]:
        """Deterministic AES-GCM ciphertext of each value, bound to ``column``."""
        enc = self._cipher.encrypt_deterministic
        return [enc(str(v), column) for v in values]


@dataclass
class ProtectedIdentities:
    """Protected identifier columns (plaintext never leaves :func:`_identities`)."""

    tokens: dict[str, pl.Series]
    phone_tokens: pl.Series  # one per phone index (own, extra, contacts)
    phone_ciphertexts: pl.Series  # one per phone index, for the world's client (``phones``)
    masks: dict[str, pl.Series]
    encrypted: dict[str, pl.Series]
    birth_day: np.ndarray


def protected_identities(
    rng: np.random.Generator, pop: Population, n_phones: int
) -> ProtectedIdentities:
    """Plaintext identifiers, turned into tokens, masks and ciphertexts at once."""
    region = np.array([c[2] for c in CITIES])[pop.hukou_city]
    applied_day = pop.applied_at // US_PER_DAY
    birth = applied_day - (pop.age * 365.25 + rng.uniform(0, 364, pop.n)).astype(np.int64)
    ids = id_numbers(rng, region, birth.astype("datetime64[D]"), pop.male)
    phones = phone_numbers(rng, n_phones)
    cards = card_numbers(rng, pop.n)
    names = chinese_names(rng, pop.n)
    own_phones = phones[: pop.n]
    protect = IdentityProtector()

    def col(values: list[str]) -> pl.Series:
        return pl.Series(values, dtype=pl.Utf8)

    phone_enc = col(protect.encrypted("phone_enc", phones))
    return ProtectedIdentities(
        tokens={"id": col(protect.tokens("id", ids)), "card": col(protect.tokens("card", cards))},
        phone_tokens=col(protect.tokens("phone", phones)),
        phone_ciphertexts=phone_enc,
        masks={
            "id": col(protect.masks("id", ids)),
            "phone": col(protect.masks("phone", own_phones)),
            "name": col(protect.masks("name", names)),
        },
        encrypted={
            "id_enc": col(protect.encrypted("id_enc", ids)),
            "phone_enc": phone_enc.head(pop.n),
            "card_enc": col(protect.encrypted("card_enc", cards)),
            "name_enc": col(protect.encrypted("name_enc", names)),
        },
        birth_day=birth,
    )
