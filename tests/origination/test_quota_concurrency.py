"""Real-time funder routing under load: many processes, each with several threads, released at
once by a barrier, reserving against one funder's daily quota on a real PostgreSQL server (and
on the embedded SQLite file). The quota is never exceeded and every reservation that said yes
is in the total."""

from __future__ import annotations

import multiprocessing as mp
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.quota_load import (
    AMOUNT,
    DAY,
    PROCESSES,
    QUOTA,
    THREADS,
    TRIES,
    funders,
    run_process,
)
from zhudai.origination.routing import reserve
from zhudai.store.db import get_engine
from zhudai.store.migrate import upgrade
from zhudai.store.models import Funder, FunderQuotaDay


def _seed(url: str) -> None:
    upgrade(url)
    engine = get_engine(url)
    with engine.begin() as conn:
        for f in funders():
            conn.execute(
                Funder.__table__.insert().values(  # type: ignore[attr-defined]
                    id=f.id,
                    name=f.name,
                    code=f.code,
                    min_score=0,
                    max_apr=0.24,
                    monthly_quota=f.daily_quota * 30,
                    cost_of_funds=f.cost_of_funds,
                    daily_quota=f.daily_quota,
                )
            )
    engine.dispose()


def _run(url: str) -> None:
    _seed(url)
    ctx = mp.get_context("spawn")  # a fresh interpreter per process: no engine crosses a fork
    barrier = ctx.Barrier(PROCESSES * THREADS)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=run_process, args=(url, barrier, results)) for _ in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    chosen = [c for _ in procs for c in results.get(timeout=120)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert len(chosen) == PROCESSES * THREADS * TRIES
    with get_engine(url).connect() as conn:
        rows = {r.funder_id: r.reserved for r in conn.execute(select(FunderQuotaDay))}
    per_funder = {fid: AMOUNT * chosen.count(fid) for fid in (1, 2)}
    assert rows[1] == per_funder[1] <= QUOTA  # never over, and nothing lost
    assert rows[2] == per_funder[2] <= QUOTA * 2
    # 96 requests of 70 against 1000 + 2000 (3 x 4 x 8): both banks fill to the last whole request
    assert chosen.count(1) == int(QUOTA // AMOUNT) and chosen.count(2) == int(2 * QUOTA // AMOUNT)
    assert chosen.count(0) == len(chosen) - chosen.count(1) - chosen.count(2)


@pytest.mark.postgres
def test_routing_never_overshoots_on_postgres(postgres_db_url: str) -> None:
    _run(postgres_db_url)


def test_routing_never_overshoots_on_sqlite(tmp_path: Path) -> None:
    _run(f"sqlite:///{tmp_path / 'quota.db'}")


def test_reserve_refuses_what_does_not_fit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    _seed(url)
    cheap = funders()[0]
    with get_engine(url).begin() as conn:
        assert reserve(conn, cheap, DAY, QUOTA - Decimal("0.01"))
        assert not reserve(conn, cheap, DAY, Decimal("0.02"))
        assert reserve(conn, cheap, DAY, Decimal("0.01"))
