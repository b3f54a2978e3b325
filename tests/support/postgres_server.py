"""A throw-away PostgreSQL cluster on loopback for tests and benchmarks of the PostgreSQL store.

Installs Debian's ``postgresql`` package when no ``initdb`` is found (root only), creates a
cluster in a temporary folder owned by the ``postgres`` OS user (the server refuses to run as
root), starts it on ``127.0.0.1`` on a free port with ``fsync=off``, and stops it by its own
data folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from zhudai.store.db import get_engine


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL is not installed and cannot be installed here (no apt-get, or not root)."""


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def ensure_postgres() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``, installing the Debian package if needed."""
    if _pg_bin() is None and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "postgresql"],
            check=False,
            capture_output=True,
            env=env,
        )
    found = _pg_bin()
    if found is None:
        raise PostgresUnavailableError("PostgreSQL could not be installed (no apt-get or not root)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """A running cluster: ``url`` is its ``postgres`` database as superuser ``postgres``."""

    bindir: Path
    root: Path
    port: int
    run_as: tuple[str, ...]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls, *settings: str) -> PostgresServer:
        """initdb and start a cluster; ``settings`` are extra ``name=value`` server settings."""
        bindir = ensure_postgres()
        run_as: tuple[str, ...] = ()
        if os.geteuid() == 0:  # the server refuses to run as root
            run_as = ("runuser", "-u", "postgres", "--")
        root = Path(tempfile.mkdtemp(prefix="zhudai-pg-"))
        if run_as:
            shutil.chown(root, "postgres")
        server = cls(bindir, root, _free_port(), run_as)
        data = root / "data"
        subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
            check=True,
            capture_output=True,
        )
        options = f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += "".join(f" -c {s}" for s in settings)
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w",
             "start", "-o", options],
            check=True, capture_output=True,
        )  # fmt: skip
        for _ in range(50):
            try:
                with get_engine(server.url).connect() as conn:
                    conn.execute(text("select 1"))
                break
            except Exception:
                time.sleep(0.2)
        return server

    def create_database(self, name: str) -> str:
        """A new empty database ``name``; its URL."""
        with get_engine(self.url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        """Stop this cluster (immediately) and remove its folder."""
        get_engine(self.url).dispose()
        subprocess.run(
            [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m",
             "immediate", "stop"],
            capture_output=True,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
