"""A database error reaches the CLI user as one line and exit code 2: no traceback, no SQL,
no password (``zhudai db ...`` run as a user runs it, in a subprocess)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url

from zhudai.store.world_loader import load_world_dir


def assert_one_database_line(done: subprocess.CompletedProcess[str], *hidden: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: database: "), lines[0]
    assert "Traceback" not in done.stderr + done.stdout
    for secret in hidden:
        assert secret not in done.stderr + done.stdout
    return lines[0]


def with_password(url: str, password: str) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def test_server_down_is_one_line_without_the_password(zhudai_cli: Any) -> None:
    url = "postgresql+psycopg://u:secret@127.0.0.1:1/x"  # nothing listens on port 1
    line = assert_one_database_line(
        zhudai_cli("db", "upgrade", env={"ZHUDAI_DB_URL": url}), "secret"
    )
    assert "127.0.0.1" in line and "port 1" in line
    assert_one_database_line(zhudai_cli("db", "upgrade", "--url", url), "secret")


def test_unreachable_sqlite_path_is_one_line(tmp_path: Path, zhudai_cli: Any) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'store.db'}"
    line = assert_one_database_line(zhudai_cli("db", "upgrade", env={"ZHUDAI_DB_URL": url}))
    assert "unable to open database file" in line


@pytest.mark.postgres
def test_missing_database_on_a_real_server_is_one_line(postgres_url: str, zhudai_cli: Any) -> None:
    url = with_password(postgres_url.rsplit("/", 1)[0] + "/no_such_db", "s3cr3t-pw")
    line = assert_one_database_line(
        zhudai_cli("db", "current", env={"ZHUDAI_DB_URL": url}), "s3cr3t-pw"
    )
    assert 'database "no_such_db" does not exist' in line


def test_integrity_error_is_one_line(db_url: str, world_dir: Path, zhudai_cli: Any) -> None:
    """Loading the same world twice breaks a primary key: the second load says so in a line."""
    if db_url.startswith("postgresql"):  # the test server trusts loopback: any password works
        db_url = with_password(db_url, "s3cr3t-pw")
    load_world_dir(world_dir, db_url)  # the first load, in-process
    line = assert_one_database_line(
        zhudai_cli("db", "load-world", str(world_dir), env={"ZHUDAI_DB_URL": db_url}),
        "s3cr3t-pw",
        "INSERT",
    )
    assert "pk_channels" in line or "channels.id" in line, line
