"""A worker killed with SIGKILL mid-request (``zhudai/faults.py``) loses no acknowledged write,
and the retry with the same ``Idempotency-Key`` duplicates none: a real ``zhudai serve`` on
loopback over a copy of the demo's home, on the embedded SQLite store (one worker, restarted)
and on PostgreSQL + Redis started by the fixtures (two workers: uvicorn replaces the killed
one, the other answers the retry)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.support.store_copy import copy_store
from zhudai.api.keys import ApiKeys
from zhudai.audit import AuditLog
from zhudai.demo import DemoContext
from zhudai.store.db import get_engine
from zhudai.store.models import Application, AuditEntry, DecisionRecord


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(
    home: Path, port: int, keyed_env: Any, workers: int = 1, **env: str
) -> subprocess.Popen[bytes]:
    with keyed_env(home):
        environ = {**os.environ, "ZHUDAI_API_RATE": "100000", **env}
    cli = [sys.executable, "-c", "from zhudai.cli import main; main()"]
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", str(workers)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("the server did not start")


@pytest.fixture
def served_home(demo_run: DemoContext, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    home = tmp_path / "home"
    shutil.copytree(demo_run.settings.home, home)
    url = f"sqlite:///{home / 'zhudai.db'}"
    key = ApiKeys(url).create("shop", "channel", "app_store")[1]
    get_engine(url).dispose()
    yield home, key


def test_killed_after_the_write_retry_gets_the_stored_answer_once(
    served_home: tuple[Path, str], demo_run: DemoContext, keyed_env: Any
) -> None:
    home, key = served_home
    request = dict(demo_run.artifacts["requests"][9], application_id="KILL1", channel="app_store")
    headers = {"X-API-Key": key, "Idempotency-Key": "kill-1"}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(home, port, keyed_env, ZHUDAI_FAULT="api.after_write")
    try:
        with pytest.raises(httpx.TransportError):  # never acknowledged: the worker died
            httpx.post(f"{base}/v1/applications", json=request, headers=headers, timeout=30)
        assert server.wait(timeout=30) == -signal.SIGKILL
    finally:
        if server.poll() is None:
            server.kill()
    server = _serve(home, port, keyed_env)  # restarted without the fault
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            retry = http.post("/v1/applications", json=request, headers=headers)
            assert retry.status_code == 200, retry.text
            assert retry.headers["Idempotent-Replayed"] == "true"  # kept with the decision
            again = http.post("/v1/applications", json=request, headers=headers)
            assert again.json() == retry.json() and again.headers["Idempotent-Replayed"] == "true"
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine = get_engine(f"sqlite:///{home / 'zhudai.db'}")
    with engine.connect() as conn:
        app_ids = conn.scalars(
            select(Application.id).where(Application.external_id == "KILL1")
        ).all()
        assert len(app_ids) == 1  # the write the killed worker committed, kept once
        decisions = conn.scalar(
            select(func.count())
            .select_from(DecisionRecord)
            .where(DecisionRecord.application_id == app_ids[0])
        )
        audited = conn.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "application.decide", AuditEntry.subject == "KILL1")
        )
    engine.dispose()
    assert decisions == 1 and audited == 1


@pytest.fixture
def served_postgres(
    demo_run: DemoContext, tmp_path: Path, postgres_db_url: str, redis_url: str
) -> Iterator[tuple[Path, str, dict[str, str]]]:
    """A copy of the demo's home whose store is a copy of the demo's, on PostgreSQL; a channel
    key; the environment that points a server at that database and the session's Redis."""
    home = tmp_path / "home"
    shutil.copytree(demo_run.settings.home, home)
    sqlite_url = f"sqlite:///{home / 'zhudai.db'}"
    copy_store(sqlite_url, postgres_db_url)
    get_engine(sqlite_url).dispose()
    (home / "zhudai.db").unlink()  # nothing can fall back to the embedded store
    key = ApiKeys(postgres_db_url).create("shop", "channel", "app_store")[1]
    yield home, key, {"ZHUDAI_DB_URL": postgres_db_url, "ZHUDAI_REDIS_URL": redis_url}
    get_engine(postgres_db_url).dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("fault", ["api.in_transaction", "api.after_write"])
def test_a_worker_killed_on_postgres_loses_no_acknowledged_write_and_duplicates_none(
    served_postgres: tuple[Path, str, dict[str, str]],
    demo_run: DemoContext,
    keyed_env: Any,
    tmp_path: Path,
    fault: str,
) -> None:
    """Two workers; the first request to reach ``fault`` kills its worker (inside the writing
    transaction, or after the commit before the answer is sent)."""
    home, key, env = served_postgres
    requests = demo_run.artifacts["requests"]
    acknowledged = {f"ACK{n}": dict(requests[n], application_id=f"ACK{n}", channel="app_store")
                    for n in range(4)}  # fmt: skip
    killed = dict(requests[9], application_id="KILL1", channel="app_store")
    port = _free_port()
    once = tmp_path / "fault-fired"
    env = env | {"ZHUDAI_FAULT": fault, "ZHUDAI_FAULT_ONCE": str(once)}
    server = _serve(home, port, keyed_env, workers=2, **env)
    answers: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            once.touch()  # the acknowledged writes first, with the fault held back
            for app_id, body in acknowledged.items():
                done = http.post("/v1/applications", json=body, headers={"X-API-Key": key,
                                 "Idempotency-Key": f"k-{app_id}"})  # fmt: skip
                assert done.status_code == 200, done.text
                answers[app_id] = done.json()
            once.unlink()  # armed: the next request to reach the point dies there
            headers = {"X-API-Key": key, "Idempotency-Key": "kill-1"}
            with pytest.raises(httpx.TransportError):  # never acknowledged: its worker died
                http.post("/v1/applications", json=killed, headers=headers)
            assert once.exists() and server.poll() is None  # one worker died, not the server
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            retry = http.post("/v1/applications", json=killed, headers=headers)
            assert retry.status_code == 200, retry.text
            if fault == "api.after_write":  # the answer committed with the decision
                assert retry.headers["Idempotent-Replayed"] == "true"
            again = http.post("/v1/applications", json=killed, headers=headers)
            assert again.json() == retry.json() and again.headers["Idempotent-Replayed"] == "true"
            for app_id, body in acknowledged.items():  # still there, the same answer
                replay = http.post("/v1/applications", json=body, headers={"X-API-Key": key,
                                   "Idempotency-Key": f"k-{app_id}"})  # fmt: skip
                assert replay.json() == answers[app_id]
                stored = http.get(f"/v1/applications/{app_id}", headers={"X-API-Key": key})
                assert stored.status_code == 200
                assert stored.json()["answer"]["decision_id"] == answers[app_id]["decision_id"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine = get_engine(env["ZHUDAI_DB_URL"])
    with engine.connect() as conn:
        for app_id in [*acknowledged, "KILL1"]:
            ids = conn.scalars(select(Application.id).where(Application.external_id == app_id))
            rows = ids.all()
            assert len(rows) == 1, app_id  # kept, and kept once
            decisions = conn.scalar(
                select(func.count())
                .select_from(DecisionRecord)
                .where(DecisionRecord.application_id == rows[0])
            )
            audited = conn.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "application.decide", AuditEntry.subject == app_id)
            )
            assert decisions == 1 and audited == 1, app_id
    assert AuditLog(env["ZHUDAI_DB_URL"]).verify().intact
