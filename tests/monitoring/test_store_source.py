"""Monitoring the store: every policy's decision records, timed by their applications."""

from __future__ import annotations

import json

import polars as pl
from sqlalchemy import func, select
from typer.testing import CliRunner

from zhudai.loans.labels import book_labels
from zhudai.monitoring.cli import app
from zhudai.monitoring.report import build_report
from zhudai.monitoring.sources import from_store
from zhudai.settings import Settings
from zhudai.store.db import session_scope
from zhudai.store.models import DecisionOutcome, DecisionRecord, Loan


def test_store_decisions_follow_the_contract_and_count_as_stored(home: Settings):
    frame = from_store(home.database_url)
    with session_scope(home.database_url) as s:
        per_policy = dict(
            s.execute(
                select(DecisionRecord.policy_name, func.count(DecisionRecord.id))
                .where(DecisionRecord.application_id.is_not(None))
                .group_by(DecisionRecord.policy_name)
            ).all()
        )
        approved = s.scalar(
            select(func.count(DecisionRecord.id)).where(
                DecisionRecord.outcome == DecisionOutcome.APPROVE,
                DecisionRecord.application_id.is_not(None),
            )
        )
    by_unit = dict(frame.group_by(pl.col("unit").str.split("@").list.first()).len().iter_rows())
    assert by_unit == per_policy
    assert int(frame["approved"].sum()) == approved
    assert frame["decided_at"].is_sorted()
    judged = frame.filter(pl.col("bad").is_not_null())
    with session_scope(home.database_url) as s:
        observed = s.scalar(select(func.max(Loan.as_of)))
    labels = book_labels(observed, home.database_url)
    expected = frame.join(labels.select("application_id"), on="application_id", how="semi")
    assert judged.height == expected.height  # every judged loan's decisions, and only those
    report = build_report(frame)
    assert set(report.daily["unit"].unique()) == set(frame["unit"].unique())


def test_cli_reports_on_a_home(home: Settings, tmp_path):
    done = CliRunner().invoke(
        app, ["report", "--home", str(home.home), "--out", str(tmp_path / "h.html")]
    )
    assert done.exit_code == 0, done.output
    line = json.loads(done.output.strip().splitlines()[-1])
    assert line["units"] and line["weeks"] > 0 and "by_kind" in line
