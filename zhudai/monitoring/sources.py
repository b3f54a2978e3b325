"""Monitored decisions from the two places a platform keeps them.

- A bank's files (a world folder, or any folder in its layout): the historical policy's
  decisions in ``applications.parquet`` (``status``, ``policy_score``), bureau answers, declared
  customer data, the bank's bad flags and the fraud layer's rule hits (from a replay's
  ``results.parquet``, or replayed here when none is given).
- The store: decision records of every stored policy version with the applications they
  decided (their ``applied_at`` and channel), the models' outputs and the reasons that fired.

Both give the frame of :mod:`zhudai.monitoring.contract`; nothing here reads ``truth/``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from zhudai.exceptions import InvalidInputError
from zhudai.features.report import LABELS_FILE
from zhudai.monitoring.contract import INPUT_PREFIX, check_decisions
from zhudai.times import month_start

#: The historical policy of a bank's files: the unit its decisions are monitored under.
FILES_UNIT = "historical_policy"
#: The files of a bank's folder that monitoring reads (the bad flags are optional).
FILES = ("applications.parquet", "channels.parquet", "bureau.parquet", "customers.parquet")
#: Numeric and text inputs monitored for CSI (bureau answers, the request, declared data).
FILE_INPUTS = (
    "amount_requested",
    "term_months",
    "sim_age_days",
    "product_code",
    "multi_lending_90d",
    "inquiries_30d",
    "past_overdue_count",
    "income_declared",
    "occupation",
)


def rule_hits(results: pl.DataFrame) -> pl.DataFrame:
    """``application_id, hits`` from a fraud replay's ``hit_<rule>`` columns."""
    cols = [c for c in results.columns if c.startswith("hit_")]
    if "application_id" not in results.columns or not cols:
        raise InvalidInputError("fraud results", "need application_id and hit_<rule> columns")
    return results.select(
        "application_id",
        pl.concat_list(
            pl.when(pl.col(c)).then(pl.lit(c.removeprefix("hit_"))).otherwise(None) for c in cols
        )
        .list.drop_nulls()
        .alias("hits"),
    )


def application_window_end(folder: str | Path) -> date | None:
    """The first day after a generated world's application window (from its ``world.json``),
    or None for a folder without one: only late retries arrive after it."""
    manifest = Path(folder) / "world.json"
    if not manifest.exists():
        return None
    params = json.loads(manifest.read_text())["params"]
    return month_start(date.fromisoformat(params["start"]), int(params["application_months"]))


def from_files(
    folder: str | Path, fraud_results: pl.DataFrame, until: date | None = None
) -> pl.DataFrame:
    """Monitored decisions of the historical policy in a bank's files, with the rule hits of
    ``fraud_results`` (a replay of the same applications); only those before ``until``."""
    d = Path(folder)
    for name in FILES:
        if not (d / name).exists():
            raise InvalidInputError("world", f"{d} has no {name}")
    apps = pl.read_parquet(d / "applications.parquet")
    channels = pl.read_parquet(d / "channels.parquet", columns=["channel_id", "kind"])
    frame = (
        apps.join(channels, on="channel_id", how="left")
        .join(pl.read_parquet(d / "bureau.parquet").drop("customer_id"), on="application_id")
        .join(
            pl.read_parquet(
                d / "customers.parquet", columns=["customer_id", "income_declared", "occupation"]
            ),
            on="customer_id",
            how="left",
        )
        .join(rule_hits(fraud_results), on="application_id", how="left")
    )
    labels = d / LABELS_FILE
    bad = (
        pl.read_parquet(labels).select("application_id", pl.col("bad").cast(pl.Boolean))
        if labels.exists()
        else pl.DataFrame(schema={"application_id": pl.Int64, "bad": pl.Boolean})
    )
    frame = frame.join(bad, on="application_id", how="left")
    out = frame.select(
        "application_id",
        pl.col("applied_at").alias("decided_at"),
        pl.lit(FILES_UNIT).alias("unit"),
        (pl.col("status") == "approved").alias("approved"),
        pl.col("kind").fill_null("unknown").alias("channel"),
        pl.col("hits").fill_null(pl.lit([], pl.List(pl.Utf8))),
        pl.col("policy_score").cast(pl.Float64).alias("score"),
        "bad",
        *(pl.col(c).alias(INPUT_PREFIX + c) for c in FILE_INPUTS),
    ).sort("decided_at")
    if until is not None:
        out = out.filter(pl.col("decided_at").dt.date() < until)
    return check_decisions(out)


def from_store(url: str | None = None) -> pl.DataFrame:
    """Monitored decisions of every policy version in the store, timed by the application.

    ``unit`` is ``<policy>@v<version>``; ``score`` the first model output's ``pd`` when the
    policy scored with a model; inputs are the decision's numeric features; ``hits`` its reason
    codes; ``bad`` the loan book's label (:func:`zhudai.loans.labels.book_labels` as of the
    book's latest day), null for loans not yet judged and applications never booked.
    """
    from sqlalchemy import func, select

    from zhudai.loans.labels import book_labels
    from zhudai.store.db import get_engine
    from zhudai.store.models import Application, Channel, DecisionRecord, Loan

    query = (
        select(
            DecisionRecord.application_id,
            Application.applied_at,
            DecisionRecord.policy_name,
            DecisionRecord.policy_version,
            DecisionRecord.outcome,
            DecisionRecord.reason_codes,
            DecisionRecord.record,
            Channel.kind,
        )
        .join(Application, Application.id == DecisionRecord.application_id)
        .outerjoin(Channel, Channel.id == Application.channel_id)
        .order_by(Application.applied_at)
    )
    with get_engine(url).connect() as conn:
        rows = conn.execute(query).all()
        observed = conn.scalar(select(func.max(Loan.as_of)))
    if not rows:
        raise InvalidInputError("store", "has no decision records of stored applications")
    records = []
    for app_id, applied_at, name, version, outcome, reasons, record, kind in rows:
        outputs = (record or {}).get("model_outputs") or {}
        first: dict[str, Any] = (
            next(iter(outputs.values()), {}) if isinstance(outputs, dict) else {}
        )
        features = (record or {}).get("features") or {}
        records.append(
            {
                "application_id": app_id,
                "decided_at": applied_at,
                "unit": f"{name}@v{version}",
                "approved": str(getattr(outcome, "value", outcome)) == "approve",
                "channel": kind or "unknown",
                "hits": [str(r) for r in reasons or []],
                "score": _number(first.get("pd") if isinstance(first, dict) else None),
                **{
                    INPUT_PREFIX + k: float(v)
                    for k, v in features.items()
                    if isinstance(v, int | float) and not isinstance(v, bool)
                },
            }
        )
    frame = pl.DataFrame(records, infer_schema_length=None).with_columns(
        pl.col("decided_at").cast(pl.Datetime("us")),
        pl.col("hits").cast(pl.List(pl.Utf8)),
        pl.col("score").cast(pl.Float64),
    )
    labels = (
        book_labels(observed, url).select("application_id", pl.col("bad").cast(pl.Boolean))
        if observed is not None
        else pl.DataFrame(schema={"application_id": pl.Int64, "bad": pl.Boolean})
    )
    frame = frame.join(labels, on="application_id", how="left")
    return check_decisions(frame)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
