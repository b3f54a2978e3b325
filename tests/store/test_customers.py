"""Customers and applications through the public API: encryption at rest, errors, atomicity."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.privacy import FieldCipher, id_check_char, luhn_check_digit
from zhudai.store import applications as applications_mod
from zhudai.store.applications import submit_application
from zhudai.store.customers import register_customers, reveal
from zhudai.store.db import session_scope
from zhudai.store.migrate import upgrade
from zhudai.store.models import Application, BureauReport, Customer, DeviceEvent, Product


def make_person(i: int) -> dict[str, object]:
    id17 = f"3301061985{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i % 1000:03d}"
    card = f"62284800{i:010d}"
    return {
        "id_number": id17 + id_check_char(id17),
        "phone": f"139{i:08d}",
        "bank_card": card + luhn_check_digit(card),
        "name": "李四",
        "city": "杭州",
        "income_declared": 9000 + i,
    }


def make_application(i: int, product: str = "cash_installment") -> dict[str, object]:
    return {
        "customer": make_person(i),
        "applied_at": datetime(2026, 10, 1, 12, 0),
        "product_code": product,
        "amount_requested": 5000,
        "term_months": 6,
        "device_id": f"dev-{i}",
        "multi_lending_30d": 2,
    }


@pytest.fixture
def store(db_url: str) -> str:
    upgrade(db_url)
    with session_scope(db_url) as s:
        s.add(
            Product(
                code="cash_installment",
                name="Cash installment",
                min_amount=500,
                max_amount=50000,
                terms=[3, 6, 12],
                base_apr=0.18,
            )
        )
    return db_url


def _stored_text(url: str) -> bytes:
    """Everything the database holds for the customers: the raw file for SQLite, every cell
    of every table for a server."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with session_scope(url) as s:
        rows = []
        for table in ("customers", "applications", "bureau_reports", "device_events"):
            rows += [repr(tuple(r)) for r in s.execute(text(f"select * from {table}"))]
    return "\n".join(rows).encode()


def test_personal_data_never_written_in_plaintext(store: str) -> None:
    people = [make_person(i) for i in range(20)]
    ids = register_customers(people, store)
    submit_application(make_application(20), store)
    raw = _stored_text(store)
    assert len(raw) > 0
    for person in [*people, make_person(20)]:
        for field in ("id_number", "phone", "bank_card"):
            assert str(person[field]).encode() not in raw, field
        assert str(person["name"]).encode("utf-8") not in raw
    with session_scope(store) as s:
        first = s.get(Customer, ids[0])
        assert first is not None
        assert reveal(first, "id") == people[0]["id_number"]
        assert reveal(first, "phone") == people[0]["phone"]
        assert first.phone_masked == f"139****{str(people[0]['phone'])[-4:]}"


def test_same_id_number_is_one_customer(store: str) -> None:
    a, b = register_customers([make_person(1), make_person(1)], store)
    assert a == b


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "33010619850101001" + "0"}, "id_number"),
        ({"phone": "1391234567"}, "phone"),
        ({"bank_card": "6228480000000000001"}, "bank_card"),
        ({"income_declared": -5}, "income_declared"),
    ],
)
def test_bad_customer_input_names_the_field(
    store: str, change: dict[str, object], field: str
) -> None:
    person = make_person(3) | change
    if field == "id_number" and person["id_number"] == make_person(3)["id_number"]:
        pytest.skip("generated check digit happened to be 0")
    with pytest.raises(InvalidInputError) as err:
        register_customers([person], store)
    assert err.value.field == field


def test_unknown_product_is_a_typed_error(store: str) -> None:
    with pytest.raises(NotFoundError) as err:
        submit_application(make_application(1, product="moon_loan"), store)
    assert err.value.field == "product_code"


def _counts(url: str) -> tuple[int, ...]:
    with session_scope(url) as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t)) or 0
            for t in (Customer, Application, BureauReport, DeviceEvent)
        )


def test_application_write_is_atomic(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the customer, application and bureau rows are flushed leaves nothing."""

    def explode(**_: object) -> None:
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(applications_mod, "DeviceEvent", explode)
    with pytest.raises(RuntimeError):
        submit_application(make_application(5), store)
    assert _counts(store) == (0, 0, 0, 0)
    monkeypatch.undo()
    submit_application(make_application(5), store)
    assert _counts(store) == (1, 1, 1, 1)


def test_customer_batch_is_atomic(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real = FieldCipher.encrypt

    def flaky(self: FieldCipher, plaintext: str, associated: str = "") -> str:
        calls["n"] += 1
        if calls["n"] == 9:  # third customer, half-way through its fields
            raise OSError("HSM unavailable")
        return real(self, plaintext, associated)

    monkeypatch.setattr(FieldCipher, "encrypt", flaky)
    with pytest.raises(OSError):
        register_customers([make_person(i) for i in range(5)], store)
    assert _counts(store)[0] == 0
