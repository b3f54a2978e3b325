"""Registering customers: validate, then encrypt, tokenise and mask before anything is written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhudai.parsing import parse_input
from zhudai.privacy import (
    FieldCipher,
    Tokenizer,
    birth_date_of,
    cipher,
    mask_bank_card,
    mask_id_number,
    mask_name,
    mask_phone,
    tokenizer,
)
from zhudai.store.db import session_scope
from zhudai.store.models import Customer
from zhudai.store.schemas import CustomerCreate


def protected_columns(
    id_number: str,
    phone: str,
    bank_card: str | None = None,
    name: str | None = None,
    *,
    enc: FieldCipher | None = None,
    tok: Tokenizer | None = None,
) -> dict[str, Any]:
    """Column values for a customer row: ciphertext, token and mask for each personal field
    (validated values; the store and the origination edge both protect through this)."""
    enc, tok = enc or cipher(), tok or tokenizer()
    row: dict[str, Any] = {
        "id_token": tok.token("id", id_number),
        "id_enc": enc.encrypt(id_number, "id_enc"),
        "id_masked": mask_id_number(id_number),
        "phone_token": tok.token("phone", phone),
        "phone_enc": enc.encrypt(phone, "phone_enc"),
        "phone_masked": mask_phone(phone),
        "birth_date": birth_date_of(id_number),
    }
    if bank_card:
        row |= {
            "card_token": tok.token("card", bank_card),
            "card_enc": enc.encrypt(bank_card, "card_enc"),
            "card_masked": mask_bank_card(bank_card),
        }
    if name:
        row |= {"name_enc": enc.encrypt(name, "name_enc"), "name_masked": mask_name(name)}
    return row


def upsert_customer(session: Session, c: CustomerCreate) -> Customer:
    """The customer with this ID number, created if new (the ID token is the identity key)."""
    enc, tok = cipher(), tokenizer()
    found = session.scalar(
        select(Customer).where(Customer.id_token == tok.token("id", c.id_number))
    )
    if found is not None:
        return found
    plain = c.model_dump(exclude={"id_number", "phone", "bank_card", "name"})
    protected = protected_columns(c.id_number, c.phone, c.bank_card, c.name, enc=enc, tok=tok)
    customer = Customer(**plain, **protected)
    session.add(customer)
    session.flush()
    return customer


def register_customers(
    items: Iterable[Mapping[str, Any] | CustomerCreate], url: str | None = None
) -> list[int]:
    """Register every customer in one transaction: all are written, or none is."""
    parsed = [parse_input(CustomerCreate, item) for item in items]
    with session_scope(url) as session:
        return [upsert_customer(session, c).id for c in parsed]


def reveal(customer: Customer, field: str) -> str | None:
    """Decrypt one personal field (``id``, ``phone``, ``card`` or ``name``) for an authorised use."""
    value = getattr(customer, f"{field}_enc")
    return None if value is None else cipher().decrypt(value, f"{field}_enc")
