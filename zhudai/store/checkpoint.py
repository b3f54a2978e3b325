"""SQLite WAL checkpoints off the request path.

With ``journal_mode=WAL`` a commit appends pages to the ``-wal`` file; every 1,000 pages
SQLite's auto-checkpoint copies them back into the database *inside the committing call*,
with an fsync of the database file. On the live pipeline that made one decision in a few
hundred wait tens to hundreds of milliseconds (seen in ``benchmarks/bench_origination.py``
while another process wrote to the disk). Here one daemon thread checkpoints every embedded
database of the process a few times a second (``PASSIVE``: it never blocks a writer or a
reader), and the connections' own auto-checkpoint is pushed far out, as a backstop should the
thread ever stop.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

#: Pages after which a connection checkpoints by itself (SQLite's default: 1,000): a backstop.
BACKSTOP_PAGES = 20_000
#: Seconds between two rounds of the checkpoint thread.
INTERVAL_S = 0.25


class WalCheckpointer:
    """Checkpoints the registered database files from one background thread."""

    def __init__(self, interval_s: float = INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._paths: set[Path] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def register(self, path: Path) -> None:
        """Checkpoint ``path`` from now on (starts the thread on first use)."""
        with self._lock:
            self._paths.add(path)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="zhudai-wal-checkpoint", daemon=True
                )
                self._thread.start()

    def run_once(self) -> None:
        """One round: a passive checkpoint of every registered file that has a WAL; a file
        that no longer exists is dropped."""
        with self._lock:
            paths = list(self._paths)
        for path in paths:
            if not path.exists():
                with self._lock:
                    self._paths.discard(path)
                continue
            wal = path.with_name(path.name + "-wal")
            if not wal.exists() or wal.stat().st_size == 0:
                continue
            try:
                conn = sqlite3.connect(path, timeout=0.1)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    conn.close()
            except sqlite3.Error:  # busy or gone: the next round tries again
                continue

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval_s)
            self.run_once()


#: The process's one checkpointer.
CHECKPOINTER = WalCheckpointer()
