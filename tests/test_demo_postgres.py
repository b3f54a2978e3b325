"""``zhudai demo`` with ``ZHUDAI_DB_URL`` pointing at PostgreSQL: every stage runs and the store on
the server (a fresh database) holds the loaded world and every live decision, with its kept
provider answers and the banks' quota bookings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from zhudai.demo import STAGES, run_demo
from zhudai.origination.factory import build_service, fraud_engine_from_home
from zhudai.settings import get_settings
from zhudai.store.db import session_scope
from zhudai.store.models import (
    Application,
    Customer,
    DecisionRecord,
    FunderQuotaDay,
    Loan,
    Origination,
    ProviderAnswerRecord,
)


@pytest.mark.postgres
@pytest.mark.slow
def test_demo_runs_every_stage_on_postgres(
    postgres_db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ZHUDAI_DB_URL", postgres_db_url)  # as a user runs `zhudai demo`
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.database_url == postgres_db_url

    ctx = run_demo(tmp_path / "demo", customers=600, seed=5, settings=settings)

    printed = capsys.readouterr().out
    for name, _ in STAGES:
        assert f"{name} done in" in printed, name
    assert "demo complete" in printed
    assert ctx.settings.database_url == postgres_db_url
    assert "store_db" not in ctx.artifacts  # no embedded SQLite store was made instead
    assert not list((tmp_path / "demo").rglob("*.db"))
    with session_scope(postgres_db_url) as s:
        assert s.scalar(select(func.count(Customer.id))) == 601  # the world + the API example
        assert s.scalar(select(func.count(Application.id))) > 600
        assert s.scalar(select(func.count(Loan.id))) > 0
        decided = s.scalar(select(func.count(Origination.id)))
        # every world application went through the live pipeline, on the server
        assert decided == ctx.artifacts["decisions_count"] == len(ctx.artifacts["world_client"])
        applications = select(func.count(DecisionRecord.id)).where(
            DecisionRecord.policy_name.in_(("prescreen", "acard_default"))  # not in-loan ones
        )
        assert s.scalar(applications) == decided
        assert s.scalar(select(func.count(ProviderAnswerRecord.id))) > decided
        booked = s.scalar(select(func.sum(FunderQuotaDay.booked)))
        assert booked is not None and booked > 0  # the simulated banks took their decisions

    # the same service decides again on the server: a repeated id gets the stored answer
    service = build_service(settings, fraud=fraud_engine_from_home(settings.home))
    request = next(iter(ctx.artifacts["world_client"].requests(limit=1)))
    first = service.decide(request)
    assert service.decide(request).decision_id == first.decision_id
