"""Demo stage ``monitoring``: drift and alerts of the bank's historical policy (its files) and of
every policy the platform decided with (the store), in one report.

Reads ``ctx.artifacts["world_dir"]`` and ``"fraud_results_path"`` (the fraud stage's replay);
writes ``<out>/monitoring/report.html`` and ``alerts.csv`` and leaves
``ctx.artifacts["monitoring_report_path"]``.
"""

from __future__ import annotations

import json
from contextlib import suppress
from pathlib import Path
from typing import Any

import polars as pl

from zhudai.exceptions import ConfigurationError, InvalidInputError
from zhudai.monitoring import sources
from zhudai.monitoring.report import build_report, write_html


def run_stage(ctx: Any) -> list[str]:
    """Monitor the world's files and the store's decision records; print the summary."""
    missing = [k for k in ("world_dir", "fraud_results_path") if k not in ctx.artifacts]
    if missing:
        raise ConfigurationError(f"monitoring stage: ctx.artifacts lacks {missing}")
    world = Path(ctx.artifacts["world_dir"])
    results = pl.read_parquet(ctx.artifacts["fraud_results_path"])
    frames = [sources.from_files(world, results, sources.application_window_end(world))]
    with suppress(InvalidInputError):  # no decision records yet: the files alone
        frames.append(sources.from_store(ctx.settings.database_url))
    report = build_report(pl.concat(frames, how="diagonal_relaxed"), results)
    out = Path(ctx.out_dir) / "monitoring"
    path = write_html(report, out / "report.html")
    report.alerts.write_csv(out / "alerts.csv")
    ctx.artifacts["monitoring_report_path"] = path
    return [f"monitoring: {json.dumps(report.summary(), ensure_ascii=False)}", f"report: {path}"]
