"""Attachments read from a record, and the graph settings' validation."""

from __future__ import annotations

import math

import pytest

from zhudai.exceptions import InvalidInputError
from zhudai.graph import AttributeType, GraphConfig, record_attachments


def test_contacts_share_the_phone_value_space() -> None:
    got = record_attachments({"phone_token": "p1", "contact_phone_tokens": ["p2", "p1"]})
    assert got == [
        (AttributeType.PHONE, "phone:p1"),
        (AttributeType.CONTACT, "phone:p2"),
        (AttributeType.CONTACT, "phone:p1"),
    ]


def test_missing_null_nan_and_empty_values_give_no_attachment() -> None:
    rec = {"device_id": None, "ip": "", "card_token": math.nan, "address_id": 0}
    assert record_attachments(rec) == [(AttributeType.ADDRESS, "address:0")]


def test_duplicate_contacts_attach_once() -> None:
    got = record_attachments({"contact_phone_tokens": ["x", "x", None]})
    assert got == [(AttributeType.CONTACT, "phone:x")]


def test_contacts_as_a_string_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="contact_phone_tokens"):
        record_attachments({"contact_phone_tokens": "p1"})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"link_cap": 1}, "link_cap"),
        ({"link_cap": 2.5}, "link_cap"),
        ({"link_cap": True}, "link_cap"),
        ({"min_shared_values": 0}, "min_shared_values"),
        ({"tie_window_days": 0.0}, "tie_window_days"),
        ({"resolution": -1.0}, "resolution"),
        ({"link_types": frozenset({"device"})}, "link_types"),
    ],
)
def test_params(kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidInputError, match=field):
        GraphConfig(**kwargs)
