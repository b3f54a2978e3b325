"""``POST /v1/applications`` over HTTP on loopback: throughput and latency percentiles of a
real ``zhudai serve``, next to the same pipeline called in process, so the HTTP cost shows.

Two set-ups, each on a home built by the demo (``--customers`` customers):

* ``zhudai serve --workers 2`` sharing one PostgreSQL database and one Redis (rate limits),
  both started here on loopback like the tests start them (``tests/support``);
* ``zhudai serve`` (one worker) on the embedded SQLite default.

The load generator is a small asyncio HTTP/1.1 client in this process (``wrk`` is not
installed here): ``--connections`` keep-alive connections, each sending its next request as
soon as the previous answer is read (closed loop), every request a world application under a
fresh id, for ``--seconds`` after a short warm-up. It runs on the same machine, so it takes
CPU from the server; its own CPU time is printed. Latency is measured by the client, from
writing the request to reading the whole answer (queueing in the server included).

The in-process figures call ``OriginationService.decide`` in a loop on the same homes (the
SQLite one is ``benchmarks/bench_origination.py``'s ``_run``).

Goal (issue 12): >= 1,000 decisions/s with p99 < 50 ms, 2 workers, on a 2-core machine.

    python benchmarks/bench_api.py [--customers 1000] [--seconds 20] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' server tooling and the origination benchmark

from benchmarks.bench_origination import _fresh as fresh_requests  # noqa: E402
from benchmarks.bench_origination import _run as run_in_process_sqlite  # noqa: E402
from tests.support.postgres_server import PostgresServer  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402
from zhudai.settings import get_settings  # noqa: E402
from zhudai.store.db import get_engine  # noqa: E402

KEYS = {
    "ZHUDAI_ENV": "test",
    "ZHUDAI_ENCRYPTION_KEY": base64.b64encode(b"a" * 32).decode(),
    "ZHUDAI_TOKEN_KEY": base64.b64encode(b"p" * 32).decode(),
}
WARM_UP_SECONDS = 3.0
#: Seconds a connection waits for one answer before it counts a timeout (status 0) and stops.
ANSWER_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environ(home: Path, db_url: str | None, redis_url: str | None) -> dict[str, str]:
    env = {**os.environ, **KEYS, "ZHUDAI_HOME": str(home)}
    env.pop("ZHUDAI_DB_URL", None)
    env.pop("ZHUDAI_REDIS_URL", None)
    if db_url:
        env["ZHUDAI_DB_URL"] = db_url
    if redis_url:
        env["ZHUDAI_REDIS_URL"] = redis_url
    # the benchmark measures the pipeline, not the per-key limit
    env.update(ZHUDAI_API_RATE="1000000", ZHUDAI_API_BURST="1000000")
    return env


def _use(env: dict[str, str]) -> None:
    """Make ``env`` this process's settings (for the demo and the in-process runs)."""
    os.environ.clear()
    os.environ.update(env)
    get_settings.cache_clear()
    get_engine.cache_clear()


def _demo(root: Path, customers: int, env: dict[str, str]) -> list[dict[str, Any]]:
    """The demo's home under ``root``; the world's applications (decrypted) to replay."""
    from zhudai.demo import run_demo

    _use(env)
    where = "PostgreSQL" if "ZHUDAI_DB_URL" in env else "SQLite"
    print(f"setting up: the demo on {customers:,} customers, store on {where} ...", flush=True)
    started = time.perf_counter()
    ctx = run_demo(root / "out", customers=customers, seed=11)
    requests = list(ctx.artifacts["world_client"].requests())
    print(f"  {time.perf_counter() - started:.0f} s, {len(requests):,} applications", flush=True)
    get_engine.cache_clear()
    return requests


def _channel_keys(requests: list[dict[str, Any]], url: str) -> dict[str, str]:
    """One channel key per channel code of the world's applications."""
    from zhudai.api.keys import ApiKeys

    store = ApiKeys(url)
    codes = sorted({r["channel"] for r in requests})
    keys = {
        code: store.create(f"bench-{code}-{time.time_ns()}", "channel", code)[1] for code in codes
    }
    get_engine(url).dispose()
    return keys


def _raw(
    requests: list[dict[str, Any]], keys: dict[str, str], port: int, tag: str
) -> Iterator[bytes]:
    """The world's applications in turn, each under a fresh id, as HTTP/1.1 requests (made as
    they are sent: a few microseconds each)."""
    for k in itertools.count():
        body = requests[k % len(requests)]
        payload = orjson.dumps({**body, "application_id": f"{tag}{k}"})
        head = (
            f"POST /v1/applications HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"X-API-Key: {keys[body['channel']]}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        yield head.encode() + payload


async def _read_answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 answer (Content-Length framed); its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _load(
    port: int, feed: Iterator[bytes], connections: int, seconds: float
) -> tuple[list[float], Counter[int], float]:
    """Closed loop: ``connections`` connections send the next request of ``feed`` for
    ``seconds``; the latencies (ms) of answers finished inside the window, status counts,
    the window."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    started = time.perf_counter()
    stop = started + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop:
                request = next(feed)
                t = time.perf_counter()
                writer.write(request)
                try:
                    status = await asyncio.wait_for(_read_answer(reader), ANSWER_TIMEOUT)
                except TimeoutError:  # a stuck server: counted, and this connection stops
                    statuses[0] += 1
                    return
                done = time.perf_counter()
                if done <= stop:
                    latencies.append((done - t) * 1000)
                    statuses[status] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return latencies, statuses, min(time.perf_counter(), stop) - started


def _serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", "from zhudai.cli import main; main()", "serve",
           "--port", str(port), "--workers", str(workers)]  # fmt: skip
    # the server's log goes to a file: a pipe nobody reads fills up after some 600 access-log
    # lines, and the server then blocks in its event loop writing the next one (a stop that
    # looked like a server deadlock under 8 connections; py-spy showed StreamHandler.emit)
    log = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by _stop, with the server
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    server.stderr = log  # type: ignore[assignment]  # read back only if it exits early
    deadline = time.monotonic() + 120
    ready = 0
    while time.monotonic() < deadline and ready < 3:  # a few answers: every worker is up
        if server.poll() is not None:
            log.seek(0)
            err = log.read().decode(errors="replace")
            raise RuntimeError(f"zhudai serve exited: {err[-800:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                ready += s.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            time.sleep(0.2)
    if ready < 3:
        server.kill()
        raise RuntimeError("zhudai serve did not answer within 120 s")
    time.sleep(2.0 if workers > 1 else 0.5)  # every worker's start-up (models, lists) done
    return server


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()  # graceful: uvicorn's parent stops its workers
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    if server.stderr:
        server.stderr.close()


def _http(
    label: str,
    env: dict[str, str],
    requests: list[dict[str, Any]],
    workers: int,
    connections: int,
    seconds: float,
    tag: str,
) -> dict[str, Any]:
    url = env.get("ZHUDAI_DB_URL") or f"sqlite:///{Path(env['ZHUDAI_HOME']) / 'zhudai.db'}"
    keys = _channel_keys(requests, url)
    port = _free_port()
    feed = _raw(requests, keys, port, tag)
    server = _serve(env, port, workers)
    print(f"  {label}: {workers} worker(s), {connections} connections, {seconds:.0f} s ...",
          flush=True)  # fmt: skip
    try:
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        asyncio.run(_load(port, feed, connections, WARM_UP_SECONDS))
        load_before = os.getloadavg()[0]
        latencies, statuses, wall = asyncio.run(_load(port, feed, connections, seconds))
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        _stop(server)
    lat = np.array(latencies)
    client_cpu = (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime)
    ok = statuses.get(200, 0)
    print(f"    {ok / wall:,.0f} decisions/s, statuses {dict(statuses)}", flush=True)
    return {
        "label": label,
        "n": len(latencies),
        "ok": statuses.get(200, 0),
        "statuses": dict(statuses),
        "p50": float(np.percentile(lat, 50)) if len(lat) else float("nan"),
        "p99": float(np.percentile(lat, 99)) if len(lat) else float("nan"),
        "per_s": statuses.get(200, 0) / wall,
        "client_cpu_share": client_cpu / (wall + WARM_UP_SECONDS),
        "load": load_before,
    }


def _in_process(env: dict[str, str], requests: list[dict[str, Any]], n: int, tag: str) -> dict:
    """``decide`` in a loop on the store of ``env`` (PostgreSQL), one thread."""
    from zhudai.origination.factory import build_service, fraud_engine_from_home

    _use(env)
    settings = get_settings()
    service = build_service(settings, fraud=fraud_engine_from_home(settings.home))
    for r in fresh_requests(requests, 50, f"warm-{tag}"):
        service.decide(r)
    batch = fresh_requests(requests, n, tag)
    latencies = []
    started = time.perf_counter()
    for r in batch:
        t = time.perf_counter()
        service.decide(r)
        latencies.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - started
    get_engine(settings.database_url).dispose()
    lat = np.array(latencies)
    return {"p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99)),
            "per_s": n / wall, "n": n}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--in-process", type=int, default=400, help="in-process decisions")
    args = parser.parse_args()
    original = dict(os.environ)
    rows: list[tuple[str, dict[str, Any]]] = []
    http: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pg = redis = None
        try:
            pg = PostgresServer.start("max_connections=200")
            redis = RedisServer.start(root)
            db_url = pg.create_database("bench_api")
            pg_env = _environ(root / "pg-home", db_url, redis.url)
            pg_requests = _demo(root / "pg", args.customers, pg_env)
            http.append(_http("PostgreSQL + Redis", pg_env, pg_requests, 2,
                              args.connections, args.seconds, "HTTPPG-"))  # fmt: skip
            rows.append(("in process, PostgreSQL", _in_process(pg_env, pg_requests,
                                                               args.in_process, "INPG-")))  # fmt: skip
        finally:
            if redis is not None:
                redis.stop()
            if pg is not None:
                pg.stop()
        sq_env = _environ(root / "sqlite-home", None, None)
        sq_requests = _demo(root / "sqlite", args.customers, sq_env)
        http.append(_http("SQLite (embedded)", sq_env, sq_requests, 1,
                          max(1, args.connections // 2), args.seconds, "HTTPSQ-"))  # fmt: skip
        _use(sq_env)
        batch = (sq_requests * (args.in_process // len(sq_requests) + 1))[: args.in_process]
        rows.append(("in process, SQLite (bench_origination)",
                     run_in_process_sqlite(batch, "NORMAL", "INSQ-")))  # fmt: skip
        get_engine.cache_clear()
    os.environ.clear()
    os.environ.update(original)

    print(f"\nPOST /v1/applications on loopback, {os.cpu_count()} cores, "
          f"closed loop, {args.seconds:.0f} s per row")  # fmt: skip
    head = f"{'set-up':<42}{'decisions/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'answers':>9}"
    print(head + f"{'client CPU':>12}{'load':>6}")
    for r in http:
        workers = "2 workers" if r["label"].startswith("PostgreSQL") else "1 worker"
        name = f"HTTP, {r['label']}, {workers}"
        print(f"{name:<42}{r['per_s']:>12,.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['n']:>9,}"
              f"{r['client_cpu_share']:>11.0%}{r['load']:>6.1f}")  # fmt: skip
        if set(r["statuses"]) != {200}:
            print(f"  statuses: {r['statuses']}")
    for name, r in rows:
        print(f"{name:<42}{r['per_s']:>12,.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['n']:>9,}")
    print("goal: >= 1,000 decisions/s and p99 < 50 ms with 2 workers on PostgreSQL + Redis")
    print("in process: one thread, one decision at a time (no HTTP, no key check, no JSON)")
    print("client CPU: this process's load generator, as a share of one core")
    load = os.getloadavg()
    if load[0] > 0.5:
        print(f"note: load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end -- "
              "other processes (e.g. another engineer's tests) share these cores, so the "
              "figures are lower than on an idle machine")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
