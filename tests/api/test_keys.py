"""API keys: hashed at rest, one role and tenant each, revocable; the CLI contract."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from zhudai.api.keys import ApiKeys, hash_key
from zhudai.audit import AuditLog
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.settings import Settings
from zhudai.store.db import get_engine
from zhudai.store.migrate import upgrade
from zhudai.store.models import ApiRole, Channel


@pytest.fixture
def keys(isolated_settings: Settings) -> ApiKeys:
    url = isolated_settings.database_url
    upgrade(url)
    with Session(get_engine(url)) as s, s.begin():
        s.add(Channel(id=1, name="App store", kind="app", code="app_store"))
    return ApiKeys(url)


def test_key_is_stored_only_as_its_hash(keys: ApiKeys, isolated_settings: Settings) -> None:
    info, key = keys.create("partner-a", "channel", "app_store")
    assert key.startswith("zk_") and len(key) > 40
    assert info.prefix == key[:10] and info.tenant == "app_store"
    with sqlite3.connect(isolated_settings.home / "zhudai.db") as conn:
        rows = conn.execute("SELECT * FROM api_keys").fetchall()
    assert rows and all(key not in str(row) for row in rows)
    assert hash_key(key) in str(rows[0])


def test_authenticate_gives_role_and_tenant_until_revoked(keys: ApiKeys) -> None:
    _, key = keys.create("partner-a", "channel", "app_store")
    who = keys.authenticate(key)
    assert who is not None and (who.name, who.role, who.tenant) == (
        "partner-a",
        ApiRole.CHANNEL,
        "app_store",
    )
    assert keys.authenticate(key + "x") is None
    assert keys.authenticate("not-a-key") is None
    assert keys.revoke("partner-a").revoked_at is not None
    assert keys.authenticate(key) is None
    keys.revoke("partner-a")  # twice: a no-op, audited once
    assert [e["action"] for e in AuditLog(keys.url).entries()] == ["apikey.revoke", "apikey.create"]


@pytest.mark.parametrize(
    ("name", "role", "tenant", "field"),
    [
        ("k", "owner", None, "role"),
        ("", "admin", None, "name"),
        ("k", "channel", None, "tenant"),
        ("k", "funder", None, "tenant"),
    ],
)
def test_invalid_keys_are_refused(
    keys: ApiKeys, name: str, role: str, tenant: str | None, field: str
) -> None:
    with pytest.raises(InvalidInputError) as err:
        keys.create(name, role, tenant)
    assert err.value.field == field


def test_unknown_tenant_and_duplicate_name(keys: ApiKeys) -> None:
    with pytest.raises(NotFoundError):
        keys.create("k", "channel", "no_such_channel")
    keys.create("k", "analyst")
    with pytest.raises(InvalidInputError, match="exists already"):
        keys.create("k", "admin")
    assert [k.name for k in keys.list()] == ["k"]
    assert AuditLog(keys.url).verify().checked == 1


def test_cli_prints_the_key_alone_on_its_last_line(zhudai_cli: Any, tmp_path: Path) -> None:
    done = zhudai_cli("apikey", "create", "--name", "ops", "--role", "admin")
    assert done.returncode == 0, done.stderr
    key = done.stdout.splitlines()[-1]
    assert key.startswith("zk_") and " " not in key
    listed = zhudai_cli("apikey", "list")
    assert listed.stdout.startswith("ops\tadmin\t-\t" + key[:10]) and key not in listed.stdout
    assert zhudai_cli("apikey", "revoke", "ops").stdout.strip() == "revoked key ops"
    bad = zhudai_cli("apikey", "create", "--name", "x", "--role", "channel")
    assert bad.returncode == 2 and "tenant" in bad.stderr
