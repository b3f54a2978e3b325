"""Back-filling features over the data kept at decision time.

Every provider answer is stored as received, and the platform's own history (device events,
registrations) is time-stamped, so a feature defined later can be computed on past
applications exactly as the online path would have computed it then. The back-fill builds the
batch engine's frames from what was kept -- one entity per application, so each sees exactly
the events its own answers held -- and runs the same compiled plan with polars or PySpark.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

import polars as pl
from sqlalchemy import select

from zhudai.exceptions import InvalidInputError
from zhudai.features.batch import BatchFeatureEngine
from zhudai.features.definitions import FeatureSet
from zhudai.features.schema import EVENT_TABLES
from zhudai.origination.edge import age_on
from zhudai.origination.inputs import APPLICATION_SOURCES, BUREAU_FIELDS, EVENT_SOURCES
from zhudai.origination.recorder import decode_answer_data
from zhudai.providers import ProviderStatus
from zhudai.store.db import session_scope
from zhudai.store.models import Application, Customer, DeviceEvent, ProviderAnswerRecord
from zhudai.times import to_local

Engine = Literal["polars", "spark"]


def retained_frames(
    url: str | None = None, external_ids: Sequence[str] | None = None
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """The batch engine's ``applications`` frame and tables, rebuilt from the store.

    Only applications decided by the live pipeline (those with a partner id) take part; each
    is its own entity (``customer_id`` = the store's application id).
    """
    apps: list[dict[str, Any]] = []
    bureau: list[dict[str, Any]] = []
    customers: list[dict[str, Any]] = []
    events: dict[str, list[dict[str, Any]]] = {t: [] for t in EVENT_TABLES}
    with session_scope(url) as s:
        q = select(Application, Customer).join(Customer, Application.customer_id == Customer.id)
        q = q.where(Application.external_id.is_not(None))
        if external_ids is not None:
            q = q.where(Application.external_id.in_(list(external_ids)))
        rows = s.execute(q.order_by(Application.id)).all()
        for a, c in rows:
            answers = {
                r.provider: r
                for r in s.scalars(
                    select(ProviderAnswerRecord).where(ProviderAnswerRecord.application_id == a.id)
                )
            }
            data = {
                name: decode_answer_data(r.data_enc, name)
                if r.status == ProviderStatus.DATA.value
                else None
                for name, r in answers.items()
            }
            status = {name: r.status for name, r in answers.items()}
            first_seen = s.scalar(
                select(DeviceEvent.ts)
                .where(DeviceEvent.device_id == a.device_id, DeviceEvent.ts < a.applied_at)
                .order_by(DeviceEvent.ts)
                .limit(1)
            )
            row: dict[str, Any] = {
                "application_id": a.id,
                "customer_id": a.id,
                "external_id": a.external_id,
                "applied_at": a.applied_at,
                "amount_requested": float(a.amount_requested),
                "term_months": a.term_months,
                "is_emulator": a.is_emulator,
                "is_rooted": a.is_rooted,
                "device_first_seen_at": first_seen,
                "declared_city": a.declared_city,
                "channel_id": a.channel_id,
                "product_code": a.product_code,
            }
            for provider, columns in APPLICATION_SOURCES.items():
                for column in columns:
                    row[column] = (data.get(provider) or {}).get(column)
            apps.append(row)
            b: dict[str, Any] = {"application_id": a.id, "customer_id": a.id}
            for provider, columns in BUREAU_FIELDS.items():
                for column in columns:
                    thin = status.get(provider) == ProviderStatus.NO_RECORD.value
                    b[column] = 0 if thin else (data.get(provider) or {}).get(column)
            bureau.append(b)
            customers.append(
                {
                    "customer_id": a.id,
                    "age_at_application": age_on(c.birth_date, a.applied_at.date())
                    if c.birth_date
                    else None,
                    "income_declared": a.income_declared,
                    "gender": c.gender,
                    "occupation": a.occupation,
                    "registered_at": c.registered_at,
                }
            )
            for provider, table in EVENT_SOURCES.items():
                for e in (data.get(provider) or {}).get(table, ()):
                    ts = to_local(datetime.fromisoformat(e["ts"]))
                    events[table].append({**e, "customer_id": a.id, "ts": ts})
            for ts, device, ip, kind in s.execute(
                select(
                    DeviceEvent.ts, DeviceEvent.device_id, DeviceEvent.ip, DeviceEvent.event_type
                ).where(DeviceEvent.customer_id == c.id, DeviceEvent.ts < a.applied_at)
            ):
                events["device_events"].append(
                    {
                        "customer_id": a.id,
                        "ts": ts,
                        "device_id": device,
                        "ip": ip,
                        "event_type": kind,
                    }
                )
    tables = {"bureau": _frame(bureau), "customers": _frame(customers)}
    for table, rows_ in events.items():
        tables[table] = _events_frame(table, rows_)
    return _frame(apps), tables


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, infer_schema_length=None)


def _events_frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """An event table with the schema's columns, empty if nothing was kept."""
    kinds = EVENT_TABLES[table]
    if rows:
        return pl.DataFrame(rows, infer_schema_length=None)
    schema: Mapping[str, Any] = {
        c: pl.Datetime("us") if c == "ts" else pl.Int64 if c == "customer_id" else pl.Utf8
        for c in kinds
    }
    return pl.DataFrame(schema=schema)


def backfill(
    feature_set: FeatureSet,
    url: str | None = None,
    *,
    engine: Engine = "polars",
    spark_master: str | None = None,
    external_ids: Sequence[str] | None = None,
) -> pl.DataFrame:
    """``feature_set`` on every live-decided application, from the data kept at decision time.

    Returns ``external_id`` (the partner's application id), ``applied_at`` and one column per
    feature.
    """
    apps, tables = retained_frames(url, external_ids)
    if apps.is_empty():
        raise InvalidInputError("store", "holds no application decided by the live pipeline")
    if engine == "polars":
        features = BatchFeatureEngine(feature_set).compute(apps, tables)
    elif engine == "spark":
        from pyspark.sql import SparkSession

        from zhudai.features.spark import SparkFeatureEngine

        session = (
            SparkSession.builder.master(spark_master or "local[*]")
            .appName("zhudai-features-backfill")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        features = SparkFeatureEngine(feature_set, session).compute(apps, tables)
    else:
        raise InvalidInputError("engine", f"must be 'polars' or 'spark'; got {engine!r}")
    ids = apps.select("application_id", "external_id")
    return ids.join(features, on="application_id").drop("application_id", "customer_id")
