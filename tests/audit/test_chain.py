"""The audit chain: intact after appends, and any edited, deleted or moved row of the database
file is found and named (the first bad entry)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from zhudai.audit import AuditLog
from zhudai.store.db import get_engine
from zhudai.store.migrate import upgrade


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "audit.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    log = AuditLog(url)
    for n in range(1, 6):
        with log.engine.begin() as conn:
            log.append(conn, actor="tester", action="test.write", subject=f"s{n}", payload={"n": n})
    get_engine(url).dispose()
    return path


def _verify(path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{path}"
    get_engine(url).dispose()  # see the file as another process left it
    return AuditLog(url).verify()


def _sql(path: Path, *statements: str) -> None:
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)


def test_intact_chain_verifies(db_file: Path) -> None:
    report = _verify(db_file)
    assert report.intact and report.checked == 5
    assert report.line() == "audit chain intact: 5 entries"


def test_edited_payload_is_named(db_file: Path) -> None:
    _sql(db_file, """UPDATE audit_entries SET payload = '{"n": 99}' WHERE seq = 3""")
    report = _verify(db_file)
    assert (report.intact, report.first_bad_seq, report.checked) == (False, 3, 2)
    assert "edited" in report.line()


def test_edited_actor_is_named(db_file: Path) -> None:
    _sql(db_file, "UPDATE audit_entries SET actor = 'someone else' WHERE seq = 2")
    assert _verify(db_file).first_bad_seq == 2


def test_deleted_middle_entry_is_named(db_file: Path) -> None:
    _sql(db_file, "DELETE FROM audit_entries WHERE seq = 4")
    report = _verify(db_file)
    assert report.first_bad_seq == 4 and "missing" in report.problem  # type: ignore[operator]


def test_deleted_last_entry_is_named(db_file: Path) -> None:
    _sql(db_file, "DELETE FROM audit_entries WHERE seq = 5")
    report = _verify(db_file)
    assert report.first_bad_seq == 5 and "head records 5" in report.problem  # type: ignore[operator]


def test_deleted_and_renumbered_tail_is_found(db_file: Path) -> None:
    """Deleting entry 2 and renumbering the rest closes the gap, but breaks the hashes."""
    _sql(
        db_file,
        "DELETE FROM audit_entries WHERE seq = 2",
        "UPDATE audit_entries SET seq = seq - 1 WHERE seq > 2",
    )
    assert _verify(db_file).first_bad_seq == 2


def test_swapped_entries_are_named(db_file: Path) -> None:
    """Entries 2 and 3 swapped whole (hashes and all): entry 2 no longer follows entry 1."""
    _sql(
        db_file,
        "UPDATE audit_entries SET seq = -2 WHERE seq = 2",
        "UPDATE audit_entries SET seq = 2 WHERE seq = 3",
        "UPDATE audit_entries SET seq = 3 WHERE seq = -2",
    )
    report = _verify(db_file)
    assert report.first_bad_seq == 2 and not report.intact


def test_appends_continue_the_chain_across_engines(db_file: Path) -> None:
    url = f"sqlite:///{db_file}"
    log = AuditLog(url)
    with log.engine.begin() as conn:
        assert log.append(conn, actor="t", action="a", subject="s", payload={}) == 6
    assert _verify(db_file).checked == 6


def test_rolled_back_write_leaves_no_entry(db_file: Path) -> None:
    """The entry is part of the caller's transaction: a failed write leaves none behind."""
    url = f"sqlite:///{db_file}"
    log = AuditLog(url)
    with pytest.raises(RuntimeError), log.engine.begin() as conn:
        log.append(conn, actor="t", action="a", subject="s", payload={})
        raise RuntimeError("the write failed")
    assert _verify(db_file).checked == 5


def test_cli_verify_exit_codes(zhudai_cli: Any, tmp_path: Path) -> None:
    home = tmp_path / "zhudai-home"
    ok = zhudai_cli("apikey", "create", "--name", "ops", "--role", "admin")
    assert ok.returncode == 0, ok.stderr
    done = zhudai_cli("audit", "verify")
    assert (done.returncode, done.stdout.strip()) == (0, "audit chain intact: 1 entries")
    _sql(home / "zhudai.db", "UPDATE audit_entries SET subject = 'x' WHERE seq = 1")
    broken = zhudai_cli("audit", "verify")
    assert broken.returncode == 1
    assert broken.stdout.strip().startswith("audit chain broken at entry 1: edited")
