"""A throw-away redis-server on loopback for tests and benchmarks of the Redis backend.

Installs the Debian package when ``redis-server`` is not on ``PATH`` (root only), starts it on
``127.0.0.1`` on a free port with persistence off, and stops it by its own process id.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class RedisUnavailableError(RuntimeError):
    """redis-server is not installed and cannot be installed, or did not start."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_redis_server() -> str:
    """Path of ``redis-server``, installing the Debian package with apt-get if needed."""
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RedisUnavailableError("redis-server is not on PATH and apt-get needs root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "redis-server"]):
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        if done.returncode != 0:
            raise RedisUnavailableError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-300:]}")
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if not found:
        raise RedisUnavailableError("apt-get installed redis-server but it is not on PATH")
    return found


@dataclass
class RedisServer:
    """A running redis-server child process."""

    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def start(cls, workdir: Path) -> RedisServer:
        """Start a server with no persistence in ``workdir`` and wait until it answers."""
        binary = ensure_redis_server()
        port = _free_port()
        cmd = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
               "--appendonly", "no", "--dir", str(workdir), "--daemonize", "no"]  # fmt: skip
        process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if process.poll() is not None:
                err = process.stderr.read().decode() if process.stderr else ""
                raise RedisUnavailableError(f"redis-server exited: {err.strip()[-300:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return cls(process, port)
            except OSError:
                time.sleep(0.05)
        process.kill()
        raise RedisUnavailableError("redis-server did not answer within 10 s")

    def stop(self) -> None:
        """Terminate this server (and only it)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
