"""Personal data: validation, encryption at rest, keyed tokens and masking."""

from functools import lru_cache

from zhudai.privacy.crypto import FieldCipher, Tokenizer
from zhudai.privacy.identity import (
    birth_date_of,
    id_check_char,
    luhn_check_digit,
    validate_bank_card,
    validate_id_number,
    validate_phone,
)
from zhudai.privacy.masking import mask_bank_card, mask_id_number, mask_name, mask_phone, mask_text
from zhudai.settings import Settings, get_settings


@lru_cache(maxsize=4)
def _keys(settings: Settings) -> tuple[bytes, bytes]:
    return settings.keys()


def cipher(settings: Settings | None = None) -> FieldCipher:
    """The field cipher for the given (default: process) settings."""
    return FieldCipher(_keys(settings or get_settings())[0])


def tokenizer(settings: Settings | None = None) -> Tokenizer:
    """The tokenizer for the given (default: process) settings."""
    return Tokenizer(_keys(settings or get_settings())[1])


__all__ = [
    "FieldCipher",
    "Tokenizer",
    "birth_date_of",
    "cipher",
    "id_check_char",
    "luhn_check_digit",
    "mask_bank_card",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "mask_text",
    "tokenizer",
    "validate_bank_card",
    "validate_id_number",
    "validate_phone",
]
