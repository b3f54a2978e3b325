"""A worker killed with SIGKILL mid-request (``zhudai/faults.py``) loses no acknowledged write,
and the retry with the same ``Idempotency-Key`` duplicates none: a real ``zhudai serve`` on
loopback over a copy of the demo's home (the embedded SQLite store)."""

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

from zhudai.api.keys import ApiKeys
from zhudai.demo import DemoContext
from zhudai.store.db import get_engine
from zhudai.store.models import Application, AuditEntry, DecisionRecord


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(home: Path, port: int, keyed_env: Any, **env: str) -> subprocess.Popen[bytes]:
    with keyed_env(home):
        environ = {**os.environ, "ZHUDAI_API_RATE": "100000", **env}
    server = subprocess.Popen(
        [sys.executable, "-c", "from zhudai.cli import main; main()", "serve", "--port", str(port)],
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
