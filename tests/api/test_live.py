"""A real ``zhudai serve`` (uvicorn) on loopback over a copy of the demo's home: one decision
end to end over HTTP, then schemathesis against the live ``/openapi.json`` (no 5xx, every
answer as the spec says)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from zhudai.api.keys import ApiKeys
from zhudai.demo import DemoContext
from zhudai.store.db import get_engine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(
    demo_run: DemoContext, tmp_path_factory: pytest.TempPathFactory, keyed_env: Any
) -> Iterator[dict[str, Any]]:
    """``zhudai serve`` in its own process; yields its base URL and an admin and a channel key."""
    home = tmp_path_factory.mktemp("live") / "home"
    shutil.copytree(demo_run.settings.home, home)
    url = f"sqlite:///{home / 'zhudai.db'}"
    keys = ApiKeys(url)
    admin, channel = keys.create("ops", "admin")[1], keys.create("shop", "channel", "app_store")[1]
    get_engine(url).dispose()
    port = _free_port()
    with keyed_env(home):  # the test keys, this home, no ZHUDAI_DB_URL
        env = {**os.environ, "ZHUDAI_API_RATE": "100000"}
    server = subprocess.Popen(
        [sys.executable, "-c", "from zhudai.cli import main; main()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
        yield {"base": base, "admin": {"X-API-Key": admin}, "channel": {"X-API-Key": channel}}
    finally:
        server.terminate()  # graceful: uvicorn finishes open requests, then exits
        server.wait(timeout=30)
        log = server.stderr.read().decode() if server.stderr else ""
        assert "Application shutdown complete" in log, log  # graceful, on SIGTERM


def test_decide_read_back_and_metrics_over_http(
    live: dict[str, Any], demo_run: DemoContext
) -> None:
    request = dict(demo_run.artifacts["requests"][7], application_id="LIVE1", channel="app_store")
    with httpx.Client(base_url=live["base"], timeout=30) as http:
        done = http.post(
            "/v1/applications",
            json=request,
            headers={**live["channel"], "Idempotency-Key": "live-1"},
        )
        assert done.status_code == 200, done.text
        assert done.json()["application_id"] == "LIVE1" and done.headers["X-Request-ID"]
        again = http.post(
            "/v1/applications",
            json=request,
            headers={**live["channel"], "Idempotency-Key": "live-1"},
        )
        assert again.json() == done.json() and again.headers["Idempotent-Replayed"] == "true"
        read = http.get("/v1/applications/LIVE1", headers=live["channel"])
        assert read.json()["answer"]["decision_id"] == done.json()["decision_id"]
        assert "*" in read.json()["application"]["applicant"]["phone"]
        assert 'route="/v1/applications"' in http.get("/metrics").text
        assert http.get("/openapi.json").json()["info"]["title"] == "zhudai partner API"


def test_live_api_conforms_to_its_spec(live: dict[str, Any]) -> None:
    """Every operation of the live spec, fuzzed: no 5xx, documented statuses and bodies.

    Derandomized, so every run of the suite sends the same cases (a fuzz failure reproduces
    and the suite is not flaky); run with ``--hypothesis-seed`` to explore further."""
    schema = schemathesis.openapi.from_url(f"{live['base']}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(
                base_url=live["base"],
                headers=live["admin"],
                checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
            )

        fuzz()
