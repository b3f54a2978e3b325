"""Encryption at rest (AES-256-GCM) and keyed tokens (HMAC-SHA256) for personal data.

Ciphertexts are random-nonce, so equal plaintexts differ; joins, velocity keys and lookups use
the deterministic token instead. Tokens are domain-separated by kind, so a phone token never
equals an ID token for the same digits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from zhudai.exceptions import ConfigurationError

_PREFIX = "v1:"


class FieldCipher:
    """AES-256-GCM for one field value; ``associated`` binds a ciphertext to its field name."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ConfigurationError(f"encryption key must be 32 bytes; got {len(key)}")
        self._aead = AESGCM(key)
        self._nonce_key = hashlib.sha256(b"zhudai-nonce\x00" + key).digest()

    def encrypt(self, plaintext: str, associated: str = "") -> str:
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, plaintext.encode(), associated.encode())
        return _PREFIX + base64.b64encode(nonce + ct).decode()

    def encrypt_deterministic(self, plaintext: str, associated: str = "") -> str:
        """Encrypt with a nonce derived from the plaintext (SIV-style), for reproducible files.

        The same nonce only ever encrypts the same plaintext under this key, so GCM's
        nonce-reuse failure cannot occur; what leaks is equality, as with a token.
        """
        nonce = hmac.new(
            self._nonce_key, associated.encode() + b"\x00" + plaintext.encode(), hashlib.sha256
        ).digest()[:12]
        ct = self._aead.encrypt(nonce, plaintext.encode(), associated.encode())
        return _PREFIX + base64.b64encode(nonce + ct).decode()

    def decrypt(self, token: str, associated: str = "") -> str:
        if not token.startswith(_PREFIX):
            raise ConfigurationError("ciphertext has an unknown format version")
        raw = base64.b64decode(token[len(_PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], associated.encode()).decode()
        except InvalidTag:
            raise ConfigurationError("ciphertext does not match this key or field") from None


class Tokenizer:
    """Deterministic keyed tokens: equal inputs of the same kind give equal tokens.

    Examples
    --------
    >>> t = Tokenizer(b"k" * 32)
    >>> t.token("phone", "13812341234") == t.token("phone", "13812341234")
    True
    >>> t.token("phone", "13812341234") == t.token("id", "13812341234")
    False
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ConfigurationError(f"token key must be at least 32 bytes; got {len(key)}")
        self._key = key

    def token(self, kind: str, value: str) -> str:
        msg = kind.encode() + b"\x00" + value.encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:32]

    def tokens(self, kind: str, values: Iterable[str]) -> list[str]:
        """Token of each value (for columns); ``None`` stays ``None``."""
        key, prefix, sha = self._key, kind.encode() + b"\x00", hashlib.sha256
        return [
            None if v is None else hmac.new(key, prefix + v.encode(), sha).hexdigest()[:32]  # type: ignore[misc]
            for v in values
        ]
