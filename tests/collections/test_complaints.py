"""The complaints desk on the demo's book: a complaint about a call is that call's collector's,
bad references are errors naming the field and write nothing, each complaint is audited in its
own transaction, and the scorecards count exactly the stored complaints per collector."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, select

from zhudai.audit import AuditLog
from zhudai.collections.complaints import ComplaintDesk, ComplaintIn
from zhudai.collections.scorecards import collector_scorecards
from zhudai.demo import DemoContext
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.settings import Settings
from zhudai.store.db import get_engine
from zhudai.store.models import CallRecord, Complaint


def _two_calls(url: str) -> tuple[Any, Any]:
    """Two calls by different collectors on different loans."""
    with get_engine(url).connect() as conn:
        first = conn.execute(
            select(CallRecord.id, CallRecord.loan_id, CallRecord.collector_id)
        ).first()
        assert first is not None
        other = conn.execute(
            select(CallRecord.id, CallRecord.loan_id, CallRecord.collector_id).where(
                CallRecord.collector_id != first.collector_id, CallRecord.loan_id != first.loan_id
            )
        ).first()
    return first, other


def _count(url: str) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.scalar(select(func.count(Complaint.id))) or 0)


def test_the_world_complaints_are_loaded(home: Settings, demo_run: DemoContext) -> None:
    world = pl.read_parquet(Path(demo_run.artifacts["world_dir"]) / "complaints.parquet")
    assert _count(home.database_url) == world.height > 0
    assert ComplaintDesk(home.database_url).per_collector() == Counter(
        world["collector_id"].to_list()
    )


def test_a_complaint_about_a_call_is_its_collectors(home: Settings) -> None:
    url = home.database_url
    call, _ = _two_calls(url)
    desk = ComplaintDesk(url)
    before = desk.per_collector()[call.collector_id]
    east = timezone(timedelta(hours=8))
    stored = desk.record(
        ComplaintIn(
            loan_id=call.loan_id, call_id=call.id, received_at=datetime(2026, 6, 1, 9, tzinfo=east),
            channel="regulator", category="abuse",
        ),
        actor="desk one",
    )  # fmt: skip
    assert stored.collector_id == call.collector_id and stored.recorded_by == "desk one"
    assert stored.received_at == datetime(2026, 6, 1, 1, tzinfo=UTC)
    assert desk.per_collector()[call.collector_id] == before + 1
    assert desk.complaints(call.collector_id, limit=1000)[0].received_at >= stored.received_at
    log = AuditLog(url)
    assert log.verify().intact
    cards = collector_scorecards(url)
    row = cards.filter(pl.col("collector") == call.collector_id).row(0, named=True)
    assert row["complaints"] == before + 1
    assert row["complaints_per_1k"] == pytest.approx(1000 * (before + 1) / row["calls"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"loan_id": 10**12}, "loan_id"),
        ({"call_id": 10**12}, "call_id"),
        ({"loan_id": "other"}, "call_id"),  # the call is on another loan
        ({"collector_id": "someone-else"}, "collector_id"),
    ],
)
def test_bad_references_name_the_field_and_write_nothing(
    home: Settings, change: dict[str, Any], field: str
) -> None:
    url = home.database_url
    call, other = _two_calls(url)
    values: dict[str, Any] = {
        "loan_id": call.loan_id, "call_id": call.id, "channel": "hotline",
        "category": "threat", "received_at": datetime(2026, 6, 1, tzinfo=UTC),
    }  # fmt: skip
    values |= {k: other.loan_id if v == "other" else v for k, v in change.items()}
    before, entries = _count(url), AuditLog(url).verify().checked
    with pytest.raises((InvalidInputError, NotFoundError)) as raised:
        ComplaintDesk(url).record(ComplaintIn(**values), actor="desk")
    assert raised.value.field == field
    assert _count(url) == before and AuditLog(url).verify().checked == entries


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="received_at"):
        ComplaintIn(loan_id=1, received_at=datetime(2026, 6, 1), channel="app", category="other")
