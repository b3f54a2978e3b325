"""All of zhudai's settings in one place: environment variables (``ZHUDAI_*``) and an optional
``.env``-style file named by ``ZHUDAI_ENV_FILE``.

Secrets: outside development a missing key is refused; in development a random key pair is
created once under ``home`` (mode 0600) so the embedded default works with no manual step.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from zhudai.exceptions import ConfigurationError

_KEY_FILE = "keys.json"


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as ``ZHUDAI_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix="ZHUDAI_",
        env_file=os.environ.get("ZHUDAI_ENV_FILE"),
        extra="ignore",
    )

    env: Literal["development", "test", "production"] = "development"
    home: Path = Field(
        default=Path(".zhudai"), description="Folder for the embedded store, keys and outputs."
    )
    db_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite file under home if unset."
    )
    redis_url: str | None = Field(default=None, description="Redis URL for shared velocity state.")
    encryption_key: str | None = Field(
        default=None, description="Base64 of 32 bytes (AES-256-GCM)."
    )
    token_key: str | None = Field(
        default=None, description="Base64 of >= 32 bytes (HMAC-SHA256 tokens)."
    )
    log_level: str = "INFO"
    log_json: bool = False
    apr_cap: float = Field(default=0.24, gt=0, lt=1, description="All-in cost ceiling (APR).")
    api_rate: float = Field(default=500, gt=0, description="API requests per second per key.")
    api_burst: int = Field(default=1000, ge=1, description="API requests a key may burst.")
    funder_routing: Literal["cheapest", "value"] = Field(
        default="cheapest",
        description="Live funder routing: cheapest cost of funds first, or by the push's "
        "expected profit (zhudai.acquisition.ranking).",
    )

    @property
    def database_url(self) -> str:
        """The store's URL: ``db_url`` if given, else an SQLite file under ``home``."""
        if self.db_url:
            return self.db_url
        self.home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.home / 'zhudai.db').resolve()}"

    def keys(self) -> tuple[bytes, bytes]:
        """Return ``(encryption_key, token_key)`` as bytes, creating development keys if allowed."""
        if self.encryption_key and self.token_key:
            return _decode_key("encryption_key", self.encryption_key, 32, exact=True), _decode_key(
                "token_key", self.token_key, 32, exact=False
            )
        if self.env == "production":
            raise ConfigurationError(
                "ZHUDAI_ENCRYPTION_KEY and ZHUDAI_TOKEN_KEY must be set when ZHUDAI_ENV=production"
            )
        return _development_keys(self.home)


def _decode_key(name: str, value: str, size: int, *, exact: bool) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be base64; {exc}") from None
    if (exact and len(raw) != size) or len(raw) < size:
        raise ConfigurationError(
            f"{name} must decode to {'exactly' if exact else 'at least'} {size} bytes; got {len(raw)}"
        )
    return raw


def _development_keys(home: Path) -> tuple[bytes, bytes]:
    path = home / _KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        data = {
            "encryption_key": base64.b64encode(secrets.token_bytes(32)).decode(),
            "token_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
    data = json.loads(path.read_text())
    return _decode_key("encryption_key", data["encryption_key"], 32, exact=True), _decode_key(
        "token_key", data["token_key"], 32, exact=False
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
