"""``zhudai application decide|show|funder-decision`` as a newcomer runs them after the demo:
one answer per line in order, errors naming the field, and no plaintext personal data in the
database file or the logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from zhudai.settings import Settings

pytestmark = pytest.mark.slow


def _run(home: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ZHUDAI_HOME": str(home.home),  # the test's own keys are in the environment already
        "ZHUDAI_LOG_LEVEL": "DEBUG",
    }
    env.pop("ZHUDAI_DB_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "from zhudai.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def _plaintexts(requests: list[dict[str, Any]]) -> set[str]:
    out = set()
    for r in requests:
        a = r["applicant"]
        out |= {a["id_number"], a["phone"], a["name"]} | (
            {a["bank_card"]} if a["bank_card"] else set()
        )
        out |= {c["phone"] for c in r["contacts"]}
    return out


def test_decide_show_and_no_plaintext_at_rest_or_in_logs(
    home: Settings, fresh: list[dict[str, Any]], tmp_path: Path
) -> None:
    requests = fresh[:25]
    lines = [json.dumps(r, ensure_ascii=False) for r in requests]
    bad = dict(requests[3], application_id="BAD-NAIVE", applied_at="2024-05-01T09:00:00")
    lines.insert(4, json.dumps(bad, ensure_ascii=False))
    lines.insert(6, "{not json")
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = _run(
        home,
        "application",
        "decide",
        str(tmp_path / "in.jsonl"),
        "--out",
        str(tmp_path / "out.jsonl"),
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(answers) == len(lines)
    assert [a.get("application_id") for a in answers] == [
        json.loads(x)["application_id"] if x.startswith('{"') else None for x in lines
    ]
    assert (
        answers[4]["error"]
        == {
            "field": "applied_at",
            "message": answers[4]["error"]["message"],
        }
        and "UTC offset" in answers[4]["error"]["message"]
    )
    assert answers[6]["error"]["field"] == "line"
    decided = [a for a in answers if "decision" in a]
    assert len(decided) == 25
    for a in decided:
        assert a["decision"] in ("approve", "reject", "review")
        assert len(a["reasons"]) <= 4
        assert 0 <= (a["fraud"]["score"] or 0) <= 1
    summary = done.stderr.strip().splitlines()[-1]
    assert summary.startswith("decided 27 lines") and "error 2" in summary

    shown = _run(home, "application", "show", requests[0]["application_id"])
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["answer"]["decision_id"] == decided[0]["decision_id"]
    assert record["decision"]["trace"]
    missing = _run(home, "application", "show", "NOPE")
    assert missing.returncode == 2 and missing.stderr.startswith("error: application_id")

    secrets = _plaintexts(requests)
    raw = b"".join(p.read_bytes() for p in home.home.glob("zhudai.db*"))
    logs = done.stdout + done.stderr + shown.stdout + shown.stderr
    for value in secrets:
        assert value.encode() not in raw, "plaintext personal data in the database file"
        assert value not in logs, "plaintext personal data in the output or logs"


def test_features_backfill_cli_covers_every_live_decision(home: Settings, tmp_path: Path) -> None:
    import polars as pl
    from sqlalchemy import func, select

    from zhudai.store.db import session_scope
    from zhudai.store.models import Origination

    out = tmp_path / "backfill.parquet"
    done = _run(home, "features", "backfill", "--out", str(out))
    assert done.returncode == 0, done.stderr
    frame = pl.read_parquet(out)
    with session_scope(home.database_url) as s:
        decided = s.scalar(select(func.count(Origination.id)))
    assert frame.height == decided > 0
    assert frame["external_id"].n_unique() == decided
    assert "orders_count_30d" in frame.columns and "features x" in done.stdout
    computed = tmp_path / "computed.parquet"
    done = _run(home, "features", "compute", "--out", str(computed))  # no --world: the store
    assert done.returncode == 0, done.stderr
    assert pl.read_parquet(computed).equals(frame)
    bad = _run(home, "features", "backfill", "--out", str(out), "--engine", "duckdb")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --engine")


def test_graph_and_fraud_batch_jobs_run_on_the_store(
    home: Settings, demo_run: Any, tmp_path: Path
) -> None:
    """Without --world, ``graph build`` and ``fraud run`` read the platform's own store; the
    export derives what the live path does not store exactly as the world has it."""
    import polars as pl

    from zhudai.store.export import export_tables

    tables = export_tables(tmp_path / "tables", home.database_url)
    apps = pl.read_parquet(tables["applications"])
    world = pl.read_parquet(demo_run.artifacts["world_dir"] / "applications.parquet")
    live = apps.filter(pl.col("external_id").str.starts_with("W")).with_columns(
        pl.col("external_id").str.slice(1).cast(pl.Int64).alias("world_id")
    )
    joined = live.join(world, left_on="world_id", right_on="application_id", suffix="_w")
    assert joined.height == world.height
    assert (joined["geohash6"] == joined["geohash6_w"]).all()
    assert (joined["ip_prefix24"] == joined["ip_prefix24_w"]).all()

    graph = _run(home, "graph", "build", "--out", str(tmp_path / "graph"))
    assert graph.returncode == 0, graph.stderr
    assert "nodes:" in graph.stdout
    fraud = _run(
        home,
        "fraud",
        "run",
        "--out",
        str(tmp_path / "fraud"),
        "--model",
        str(home.home / "models" / "fraud"),
    )
    assert fraud.returncode == 0, fraud.stderr
    results = pl.read_parquet(tmp_path / "fraud" / "results.parquet")
    assert results.height == apps.height
