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


@lru_cache(maxsize=8)
def _protectors(
    env: str, home: str, enc: str | None, tok: str | None
) -> tuple[FieldCipher, Tokenizer]:
    settings = Settings(env=env, home=home, encryption_key=enc, token_key=tok)  # type: ignore[arg-type]
    enc_key, tok_key = settings.keys()
    return FieldCipher(enc_key), Tokenizer(tok_key)


def _for(settings: Settings | None) -> tuple[FieldCipher, Tokenizer]:
    s = settings or get_settings()
    return _protectors(s.env, str(s.home), s.encryption_key, s.token_key)


def cipher(settings: Settings | None = None) -> FieldCipher:
    """The field cipher for the given (default: process) settings."""
    return _for(settings)[0]


def tokenizer(settings: Settings | None = None) -> Tokenizer:
    """The tokenizer for the given (default: process) settings."""
    return _for(settings)[1]


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
