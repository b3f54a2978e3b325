"""Encryption at rest and keyed tokens."""

from __future__ import annotations

import pytest

from zhudai.exceptions import ConfigurationError
from zhudai.privacy import FieldCipher, Tokenizer, cipher, tokenizer


def test_round_trip_and_random_nonce() -> None:
    c = FieldCipher(b"k" * 32)
    a, b = c.encrypt("13812341234", "phone_enc"), c.encrypt("13812341234", "phone_enc")
    assert a != b and "13812341234" not in a
    assert c.decrypt(a, "phone_enc") == c.decrypt(b, "phone_enc") == "13812341234"


def test_ciphertext_is_bound_to_field_and_key() -> None:
    c = FieldCipher(b"k" * 32)
    token = c.encrypt("secret", "id_enc")
    with pytest.raises(ConfigurationError):
        c.decrypt(token, "phone_enc")
    with pytest.raises(ConfigurationError):
        FieldCipher(b"j" * 32).decrypt(token, "id_enc")


def test_deterministic_encryption_is_reproducible_and_decrypts() -> None:
    c = FieldCipher(b"k" * 32)
    a = c.encrypt_deterministic("王小明", "name_enc")
    assert a == c.encrypt_deterministic("王小明", "name_enc")
    assert a != c.encrypt_deterministic("王小明", "id_enc")
    assert c.decrypt(a, "name_enc") == "王小明"


def test_tokens_are_keyed_and_domain_separated() -> None:
    t1, t2 = Tokenizer(b"a" * 32), Tokenizer(b"b" * 32)
    assert t1.token("id", "x") == t1.token("id", "x") != t2.token("id", "x")
    assert t1.token("id", "x") != t1.token("phone", "x")
    assert t1.tokens("id", ["x", None]) == [t1.token("id", "x"), None]


def test_short_keys_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        FieldCipher(b"short")
    with pytest.raises(ConfigurationError):
        Tokenizer(b"short")


def test_settings_keys_are_used() -> None:
    assert tokenizer().token("id", "x") == Tokenizer(b"t" * 32).token("id", "x")
    assert cipher().decrypt(FieldCipher(b"e" * 32).encrypt("v", "f"), "f") == "v"
