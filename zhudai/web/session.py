"""The web session: a cookie naming the API key's id and an expiry, signed with HMAC-SHA256
under a key derived from the settings' token key. The API key itself never enters the cookie;
every request re-reads the key, so a revoked key ends its sessions at once."""

from __future__ import annotations

import hashlib
import hmac
import time

from zhudai.settings import Settings

COOKIE = "zhudai_web"
#: Seconds a session lasts after its login.
SESSION_SECONDS = 8 * 3600


def _signing_key(settings: Settings) -> bytes:
    return hmac.new(settings.keys()[1], b"zhudai.web.session", hashlib.sha256).digest()


def _signature(settings: Settings, body: str) -> str:
    return hmac.new(_signing_key(settings), body.encode(), hashlib.sha256).hexdigest()


def sign(settings: Settings, key_id: int, now: float | None = None) -> str:
    """The cookie value of a session of key ``key_id``."""
    expires = int((now if now is not None else time.time()) + SESSION_SECONDS)
    body = f"{key_id}.{expires}"
    return f"{body}.{_signature(settings, body)}"


def verify(settings: Settings, value: str | None, now: float | None = None) -> int | None:
    """The key id of a valid, unexpired cookie value; ``None`` otherwise."""
    parts = (value or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _signature(settings, body)):
        return None
    if int(parts[1]) < (now if now is not None else time.time()):
        return None
    return int(parts[0])
