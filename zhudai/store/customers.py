"""Registering customers: validate, then encrypt, tokenise and mask before anything is written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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
from zhudai.validation import parse_input


def protected_columns(c: CustomerCreate, enc: FieldCipher, tok: Tokenizer) -> dict[str, Any]:
    """Column values for a customer row: ciphertext, token and mask for each personal field."""
    row: dict[str, Any] = {
        "id_token": tok.token("id", c.id_number),
        "id_enc": enc.encrypt(c.id_number, "id_enc"),
        "id_masked": mask_id_number(c.id_number),
        "phone_token": tok.token("phone", c.phone),
        "phone_enc": enc.encrypt(c.phone, "phone_enc"),
        "phone_masked": mask_phone(c.phone),
        "birth_date": birth_date_of(c.id_number),
    }
    if c.bank_card:
        row |= {
            "card_token": tok.token("card", c.bank_card),
            "card_enc": enc.encrypt(c.bank_card, "card_enc"),
            "card_masked": mask_bank_card(c.bank_card),
        }
    if c.name:
        row |= {"name_enc": enc.encrypt(c.name, "name_enc"), "name_masked": mask_name(c.name)}
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
    customer = Customer(**plain, **protected_columns(c, enc, tok))
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
