"""Fake identifiers are valid: GB 11643 IDs with birth date and sex, Luhn cards, mobiles."""

from __future__ import annotations

import numpy as np

from zhudai.geohash import geohash
from zhudai.privacy import birth_date_of, validate_bank_card, validate_id_number, validate_phone
from zhudai.world.geo import ip_city, ip_strings, random_ips
from zhudai.world.identity import card_numbers, chinese_names, id_numbers, phone_numbers


def test_id_numbers_valid_unique_with_birth_date_and_sex() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    birth = np.datetime64("1990-02-28") + rng.integers(-8000, 8000, n).astype("timedelta64[D]")
    male = rng.random(n) < 0.5
    region = np.full(n, 110105)  # one district: forces sequence collisions to be resolved
    birth[:500] = np.datetime64("1988-08-08")
    ids = id_numbers(rng, region, birth, male)
    assert len(set(ids)) == n
    for i in range(n):
        assert validate_id_number(ids[i]) == ids[i]
        assert np.datetime64(birth_date_of(ids[i])) == birth[i]
        assert (int(ids[i][16]) % 2 == 1) == male[i]


def test_cards_pass_luhn_and_phones_are_mobiles() -> None:
    rng = np.random.default_rng(1)
    cards = card_numbers(rng, 2000)
    assert len(set(cards)) == 2000
    assert all(validate_bank_card(c) == c for c in cards)
    phones = phone_numbers(rng, 2000)
    assert len(np.unique(phones)) == 2000
    assert all(validate_phone(str(p)) == str(p) for p in phones)
    names = chinese_names(rng, 100)
    assert all(2 <= len(n) <= 3 for n in names)


def test_geohash_known_points() -> None:
    # Reference values from the geohash definition (Wikipedia example and Beijing).
    got = geohash(np.array([57.64911, 39.92]), np.array([10.40744, 116.44]))
    assert got.tolist() == ["u4pruy", "wx4g1e"]


def test_ip_city_round_trip_and_prefix() -> None:
    rng = np.random.default_rng(2)
    city = rng.integers(0, 30, 500)
    ips = random_ips(rng, city)
    assert (ip_city(ips) == city).all()
    full, prefix = ip_strings(ips)
    assert all(f.startswith(p + ".") for f, p in zip(full.to_list(), prefix.to_list(), strict=True))
