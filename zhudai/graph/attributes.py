"""Which shared attributes link two applications, and how one application's links are read.

An application attaches to *value nodes*: one per distinct device, IP, phone, bank card, ID,
address or employer. Two applications are related when they attach to the same value node.
Contacts live in the phone value space, so "A lists B's phone as a contact" and "A and B list
the same contact" both meet at one phone node; the attachment keeps its own type (``contact``)
so degrees per attribute type stay separate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from zhudai.exceptions import InvalidInputError


class AttributeType(StrEnum):
    """How an application attaches to a value node (the edge type of the graph)."""

    DEVICE = "device"
    IP = "ip"
    PHONE = "phone"
    CONTACT = "contact"
    CARD = "card"
    ID = "id"
    ADDRESS = "address"
    EMPLOYER = "employer"


# Value space of each attachment type: a contact phone and an applicant's phone are one space.
VALUE_SPACE: dict[AttributeType, str] = {
    AttributeType.DEVICE: "device",
    AttributeType.IP: "ip",
    AttributeType.PHONE: "phone",
    AttributeType.CONTACT: "phone",
    AttributeType.CARD: "card",
    AttributeType.ID: "id",
    AttributeType.ADDRESS: "address",
    AttributeType.EMPLOYER: "employer",
}

# Field of an application record read for each single-valued attachment type.
RECORD_FIELD: dict[AttributeType, str] = {
    AttributeType.DEVICE: "device_id",
    AttributeType.IP: "ip",
    AttributeType.PHONE: "phone_token",
    AttributeType.CARD: "card_token",
    AttributeType.ID: "id_token",
    AttributeType.ADDRESS: "address_id",
    AttributeType.EMPLOYER: "employer_id",
}
CONTACTS_FIELD = "contact_phone_tokens"

ATTRIBUTE_TYPES: tuple[AttributeType, ...] = tuple(AttributeType)
# "<space>:" of each type: the start of its value keys (see value_key).
_KEY_PREFIX: dict[AttributeType, str] = {attr: f"{VALUE_SPACE[attr]}:" for attr in AttributeType}


def value_key(attr: AttributeType, value: Any) -> str:
    """The value node's key: its value space and the value, e.g. ``"phone:ab12..."``.

    Examples
    --------
    >>> value_key(AttributeType.CONTACT, "tok1")
    'phone:tok1'
    >>> value_key(AttributeType.EMPLOYER, 42)
    'employer:42'
    """
    return f"{VALUE_SPACE[attr]}:{value}"


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and value == "")


def record_attachments(
    record: Mapping[str, Any], types: Iterable[AttributeType] = ATTRIBUTE_TYPES
) -> list[tuple[AttributeType, str]]:
    """The distinct ``(type, value key)`` attachments of one application record.

    Missing, null or empty fields give no attachment. The record is a mapping with the
    fields of :data:`RECORD_FIELD` plus ``contact_phone_tokens`` (an iterable of tokens).

    Examples
    --------
    >>> record_attachments({"device_id": "d1", "ip": None, "contact_phone_tokens": ["p9", "p9"]})
    [(<AttributeType.DEVICE: 'device'>, 'device:d1'), (<AttributeType.CONTACT: 'contact'>, 'phone:p9')]
    """
    out: list[tuple[AttributeType, str]] = []
    for attr in dict.fromkeys(types):  # a type listed twice attaches once
        prefix = _KEY_PREFIX[attr]
        if attr is AttributeType.CONTACT:
            values = record.get(CONTACTS_FIELD) or ()
            if isinstance(values, str):
                raise InvalidInputError(CONTACTS_FIELD, "must be a list of phone tokens; got str")
            keys = dict.fromkeys(f"{prefix}{v}" for v in values if _present(v))
            out.extend((attr, key) for key in keys)
        else:
            value = record.get(RECORD_FIELD[attr])
            if _present(value):
                out.append((attr, f"{prefix}{value}"))
    return out
