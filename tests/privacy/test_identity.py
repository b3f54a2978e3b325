"""ID number (GB 11643), mobile and bank card (Luhn) validation against hand-worked cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhudai.exceptions import InvalidInputError
from zhudai.privacy import (
    id_check_char,
    luhn_check_digit,
    validate_bank_card,
    validate_id_number,
    validate_phone,
)


def test_check_char_hand_worked() -> None:
    # 1*7+1*9+0*10+1*5+0*8+5*4+1*2+9*1+4*6+9*3+1*7+2*9+3*10+1*5+0*8+0*4+2*2 = 167; 167 % 11 = 2 -> 'X'
    assert id_check_char("11010519491231002") == "X"
    assert validate_id_number("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("110105194912310021", "check digit"),
        ("1101051949123100", "18 characters"),
        ("11010519491331002X", "birth date"),
        ("11010518001231002X", "outside"),
    ],
)
def test_bad_id_numbers(value: str, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem) as err:
        validate_id_number(value)
    assert err.value.field == "id_number"


def test_phone() -> None:
    assert validate_phone("+86 138-1234-1234") == "13812341234"
    for bad in ("1381234123", "12812341234", "138123412345", "abc"):
        with pytest.raises(InvalidInputError) as err:
            validate_phone(bad)
        assert err.value.field == "phone"


def test_luhn_known_card() -> None:
    assert luhn_check_digit("7992739871") == "3"  # the textbook Luhn example
    assert validate_bank_card("6222 0210 0112 3456 789") == "6222021001123456789"
    with pytest.raises(InvalidInputError, match="Luhn"):
        validate_bank_card("6222021001123456788")
    with pytest.raises(InvalidInputError, match="16-19 digits"):
        validate_bank_card("62220210011")


@given(st.text(alphabet="0123456789", min_size=15, max_size=18))
def test_luhn_digit_always_validates(payload: str) -> None:
    card = payload + luhn_check_digit(payload)
    assert validate_bank_card(card) == card
    wrong = payload + str((int(card[-1]) + 1) % 10)
    with pytest.raises(InvalidInputError):
        validate_bank_card(wrong)
