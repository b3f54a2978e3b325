"""Validation of Chinese personal identifiers: resident ID number (GB 11643), mobile number,
bank card (Luhn). Each validator returns the normalised value or raises
:class:`~zhudai.exceptions.InvalidInputError` naming the field.
"""

from __future__ import annotations

import re
from datetime import date

from zhudai.exceptions import InvalidInputError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
_CARD_RE = re.compile(r"^\d{16,19}$")


def id_check_char(first17: str) -> str:
    """GB 11643 check character for the first 17 digits of an ID number.

    Examples
    --------
    >>> id_check_char("11010519491231002")
    'X'
    """
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def luhn_check_digit(payload: str) -> str:
    """Luhn digit that completes ``payload`` into a valid card number.

    Examples
    --------
    >>> luhn_check_digit("622202100112345678")
    '9'
    """
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def birth_date_of(id_number: str) -> date:
    """Birth date encoded in a (validated) ID number."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def validate_id_number(value: str, field: str = "id_number") -> str:
    """Return the upper-cased ID number if it is a valid 18-character resident ID.

    Examples
    --------
    >>> validate_id_number("11010519491231002x")
    '11010519491231002X'
    """
    if not isinstance(value, str):
        raise InvalidInputError(field, f"must be a string; got {type(value).__name__}")
    v = value.strip().upper()
    if not _ID_RE.match(v):
        raise InvalidInputError(
            field, f"must be 17 digits and a digit or X (18 characters); got {len(v)} characters"
        )
    try:
        born = birth_date_of(v)
    except ValueError:
        raise InvalidInputError(field, "birth date digits (7-14) are not a valid date") from None
    if not date(1900, 1, 1) <= born <= date.today():
        raise InvalidInputError(field, "birth date is outside 1900-01-01 .. today")
    if id_check_char(v[:17]) != v[17]:
        raise InvalidInputError(field, "check digit does not match (GB 11643)")
    return v


def validate_phone(value: str, field: str = "phone") -> str:
    """Return the mobile number if it is 11 digits starting 13-19."""
    if not isinstance(value, str):
        raise InvalidInputError(field, f"must be a string; got {type(value).__name__}")
    v = value.strip().removeprefix("+86").replace(" ", "").replace("-", "")
    if not _PHONE_RE.match(v):
        digits = sum(c.isdigit() for c in v)
        raise InvalidInputError(
            field, f"must be 11 digits starting with 13-19; got {digits} digits"
        )
    return v


def validate_bank_card(value: str, field: str = "bank_card") -> str:
    """Return the card number if it has 16-19 digits and a valid Luhn digit."""
    if not isinstance(value, str):
        raise InvalidInputError(field, f"must be a string; got {type(value).__name__}")
    v = value.strip().replace(" ", "")
    if not _CARD_RE.match(v):
        raise InvalidInputError(field, f"must be 16-19 digits; got {len(v)} characters")
    if luhn_check_digit(v[:-1]) != v[-1]:
        raise InvalidInputError(field, "Luhn check digit does not match")
    return v
