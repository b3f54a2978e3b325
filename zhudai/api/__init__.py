"""The partner HTTP API (FastAPI): the origination pipeline and the platform's services served
to banks and channels, with hashed keys, roles, tenants, idempotency and the audit chain.
The app itself is :func:`zhudai.api.app.create_app`; routes call services and hold no rule."""

from zhudai.api.keys import ApiKeyInfo, ApiKeys, Principal

__all__ = ["ApiKeyInfo", "ApiKeys", "Principal"]
