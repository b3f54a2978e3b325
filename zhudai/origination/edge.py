"""The edge of the pipeline: a validated request becomes a :class:`ProtectedApplication`.

Tokens (keyed HMAC) are the only form of the ID number, phone, bank card and contacts' phones
that later stages see; ciphertexts and masks go to the store. What the pipeline derives from the
ID number (birth date, gender, age at the application) is derived here, once.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from zhudai.geohash import geohash_point
from zhudai.origination.contract import ApplicationRequest
from zhudai.privacy import cipher, tokenizer
from zhudai.store.customers import protected_columns
from zhudai.times import to_local


@lru_cache(maxsize=1)
def city_provinces() -> dict[str, str]:
    """Province of each city of the shipped gazetteer (``zhudai/fraud/data/cities.csv``)."""
    text = resources.files("zhudai.fraud").joinpath("data/cities.csv").read_text(encoding="utf-8")
    return {row["city"]: row["province"] for row in csv.DictReader(text.splitlines())}


def age_on(birth: date, day: date) -> int:
    """Completed years on ``day`` (calendar exact, as on an ID check).

    Examples
    --------
    >>> age_on(date(1990, 3, 7), date(2026, 3, 6)), age_on(date(1990, 3, 7), date(2026, 3, 7))
    (35, 36)
    """
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class ProtectedApplication:
    """An application after the edge: tokens, masks and ciphertexts, never plaintext."""

    request_id: str
    applied_at: datetime  # aware, as sent
    local_time: datetime  # naive Asia/Shanghai wall clock (features, fraud, store)
    channel: str
    product: str
    amount: float
    term_months: int
    id_token: str
    phone_token: str
    card_token: str | None
    customer_columns: dict[str, Any]  # ciphertexts, tokens, masks and declared data
    birth_date: date
    gender: str
    age: int
    city: str | None
    province: str | None
    occupation: str | None
    employer: str | None
    monthly_income: float | None
    device_id: str
    device_model: str | None
    device_os: str | None
    is_emulator: bool
    is_rooted: bool
    ip: str | None
    ip_prefix24: str | None
    gps_lat: float | None
    gps_lon: float | None
    geohash6: str | None
    contacts: tuple[tuple[str, str], ...]  # (phone token, relation)
    extras_enc: str | None

    @property
    def contact_phone_tokens(self) -> list[str]:
        return list(dict.fromkeys(token for token, _ in self.contacts))


def protect(req: ApplicationRequest) -> ProtectedApplication:
    """Tokenise, encrypt and mask the request's personal data; derive what the ID number says."""
    enc, tok = cipher(), tokenizer()
    a = req.applicant
    columns = protected_columns(a.id_number, a.phone, a.bank_card, a.name, enc=enc, tok=tok)
    birth = columns["birth_date"]
    gender = "M" if int(a.id_number[16]) % 2 else "F"  # GB 11643: odd sequence digit = male
    local = to_local(req.applied_at)
    columns |= {
        "gender": gender,
        "city": a.city,
        "province": city_provinces().get(a.city) if a.city else None,
        "occupation": a.occupation,
        "income_declared": a.monthly_income,
    }
    id_token, phone_token = columns["id_token"], columns["phone_token"]
    card_token = columns.get("card_token")
    gps = req.gps
    extras = req.all_extras()
    return ProtectedApplication(
        request_id=req.application_id,
        applied_at=req.applied_at,
        local_time=local,
        channel=req.channel,
        product=req.product,
        amount=float(req.amount),
        term_months=req.term_months,
        id_token=id_token,
        phone_token=phone_token,
        card_token=card_token,
        customer_columns=columns,
        birth_date=birth,
        gender=gender,
        age=age_on(birth, local.date()),
        city=a.city,
        province=columns["province"],
        occupation=a.occupation,
        employer=a.employer,
        monthly_income=a.monthly_income,
        device_id=req.device.device_id,
        device_model=req.device.model,
        device_os=req.device.os,
        is_emulator=req.device.is_emulator,
        is_rooted=req.device.is_rooted,
        ip=req.ip,
        ip_prefix24=req.ip.rsplit(".", 1)[0] if req.ip and "." in req.ip else None,
        gps_lat=gps.lat if gps else None,
        gps_lon=gps.lon if gps else None,
        geohash6=geohash_point(gps.lat, gps.lon) if gps else None,
        contacts=tuple((tok.token("phone", c.phone), c.relation) for c in req.contacts),
        extras_enc=enc.encrypt(json.dumps(extras, ensure_ascii=False, sort_keys=True), "extras")
        if extras
        else None,
    )
