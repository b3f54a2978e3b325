"""The guard's records in the store: every judged action kept (phone as token and mask only),
and purges refused inside the retention period."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.collections.conftest import PHONE, action
from zhudai.collections import ComplianceGuard, GuardRules
from zhudai.collections.record_store import StoreActionLog
from zhudai.exceptions import ComplianceBlockedError
from zhudai.store.db import get_engine
from zhudai.store.migrate import upgrade


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    upgrade(url)
    return url


def test_every_judged_action_is_kept_without_the_plain_phone(url: str) -> None:
    guard = ComplianceGuard(log=StoreActionLog(url))
    guard.propose(action(1, at="2026-06-01T09:00:00+08:00"))
    guard.propose(action(2, at="2026-06-01T23:00:00+08:00", consent_hours="09:00-21:00"))
    guard.propose(action(3, kind="visit", phone=None, collectors=1))
    rows = StoreActionLog(url).recorded("D1")
    assert [(r["action_id"], r["allowed"], r["rule"]) for r in rows] == [
        ("A1", True, None),
        ("A3", False, "visit_two_collectors"),
        ("A2", False, "quiet_hours"),
    ]
    assert rows[0]["at"] == "2026-06-01T09:00:00+08:00" and rows[0]["phone_masked"] == "139****5678"
    assert rows[2]["details"] == {
        "answered": True, "effective": True, "collectors": None, "debtor_unreachable": False,
        "consent_hours": "09:00-21:00",
    }  # fmt: skip
    with get_engine(url).connect() as conn:
        dump = "\n".join(
            str(tuple(r)) for r in conn.execute(text("SELECT * FROM collection_action_records"))
        )
    assert PHONE not in dump and PHONE[3:7] not in dump


def test_a_purge_inside_two_years_is_refused_and_an_older_one_deletes(url: str) -> None:
    log = StoreActionLog(url)
    guard = ComplianceGuard(GuardRules(), log=log)
    for n, at in enumerate(["2024-05-31T10:00:00+08:00", "2024-06-01T10:00:00+08:00"]):
        guard.propose(action(n, at=at))
    now = datetime(2026, 6, 1, 2, tzinfo=UTC)  # 10:00 in Shanghai
    with pytest.raises(ComplianceBlockedError, match="^record_retention: "):
        log.purge(datetime(2024, 6, 1, 3, tzinfo=UTC), now=now)
    assert len(log.recorded("D1")) == 2
    assert log.purge(datetime(2024, 6, 1, 2, tzinfo=UTC), now=now) == 1
    assert [r["action_id"] for r in log.recorded("D1")] == ["A1"]


def _zhudai(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from zhudai.cli import main; main()", "collections", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_guard_command_records_and_the_purge_command_refuses(url: str, tmp_path: Path) -> None:
    path = tmp_path / "actions.jsonl"
    path.write_text(
        json.dumps(action(1)) + "\n" + json.dumps(action(2, at="2026-06-01T23:00:00+08:00")) + "\n"
    )
    done = _zhudai("guard", str(path), "--record", "--url", url)
    assert done.returncode == 0, done.stderr
    assert [r["action_id"] for r in StoreActionLog(url).recorded("D1")] == ["A1", "A2"]
    refused = _zhudai("purge-records", "--before", "2026-06-02", "--url", url)
    assert refused.returncode == 2 and refused.stderr.startswith("error: record_retention: ")
    assert len(StoreActionLog(url).recorded("D1")) == 2
    rules = tmp_path / "rules.yaml"
    rules.write_text("retention_years: null\n")
    done = _zhudai("purge-records", "--before", "2026-06-02", "--rules", str(rules), "--url", url)
    assert done.returncode == 0 and json.loads(done.stdout) == {"deleted": 2}
