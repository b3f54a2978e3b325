"""Workers of the quota-concurrency test, in an importable module: processes started with
``spawn`` import their target by name, and a test module under ``--import-mode=importlib``
has none."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

from zhudai.origination.catalogue import FunderAppetite
from zhudai.origination.routing import route
from zhudai.store.db import get_engine

PROCESSES, THREADS, TRIES = 3, 4, 8
AMOUNT, QUOTA = Decimal("70.00"), Decimal("1000.00")
DAY = date(2026, 12, 3)


def funders() -> tuple[FunderAppetite, ...]:
    """Two banks, the cheap one with a small quota, so routing spills over under load."""
    common: dict[str, Any] = {"min_score": 0.0, "max_apr": 0.24, "grades": None, "products": None}
    return (
        FunderAppetite(1, "cheap", "Cheap", cost_of_funds=0.03, daily_quota=QUOTA, **common),
        FunderAppetite(2, "dear", "Dear", cost_of_funds=0.06, daily_quota=QUOTA * 2, **common),
    )


def _thread(url: str, barrier: Any, out: list[int]) -> None:
    engine = get_engine(url)
    barrier.wait()
    for _ in range(TRIES):
        with engine.begin() as conn:
            chosen = route(
                conn,
                funders(),
                grade=None,
                score=600.0,
                apr=0.2,
                product="p",
                day=DAY,
                amount=AMOUNT,
            )
        out.append(chosen.id if chosen is not None else 0)


def run_process(url: str, barrier: Any, results: Any) -> None:
    out: list[int] = []
    threads = [threading.Thread(target=_thread, args=(url, barrier, out)) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(out)
