"""The store: SQLAlchemy 2 schema, Alembic migrations, transactional services and the world
loader. Personal data is kept only as AES-GCM ciphertext, an HMAC token and a mask.

Everything at the bottom of zhudai imports from here, so the names below load their module on
first use (a caller that needs a session does not pay for the migrations or the loader).

Examples
--------
>>> from zhudai import store
>>> store.session_scope.__module__
'zhudai.store.db'
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> the module of zhudai.store that defines it
_HOMES = {
    "ApplicationCreate": "schemas",
    "Base": "models",
    "CustomerCreate": "schemas",
    "current_revision": "migrate",
    "describe_error": "db",
    "export_tables": "export",
    "get_engine": "db",
    "load_world_dir": "world_loader",
    "register_customers": "customers",
    "reveal": "customers",
    "session_scope": "db",
    "submit_application": "applications",
    "upgrade": "migrate",
    "upsert_customer": "customers",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'zhudai.store' has no attribute {name!r}")
    return getattr(importlib.import_module(f"zhudai.store.{_HOMES[name]}"), name)
