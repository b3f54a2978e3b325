"""The live pipeline and the batch path agree: features back-filled over the kept provider
answers equal the features each live decision used, and the policy run as a frame over them
gives the same scores and decisions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from zhudai.demo import DemoContext
from zhudai.features.definitions import load_feature_set
from zhudai.origination.backfill import backfill
from zhudai.origination.factory import build_service
from zhudai.store.db import session_scope
from zhudai.store.models import DecisionRecord

pytestmark = pytest.mark.slow


def _live(url: str) -> list[dict[str, Any]]:
    with session_scope(url) as s:
        return [
            r
            for r in s.scalars(
                select(DecisionRecord.record).where(DecisionRecord.policy_name == "acard_default")
            )
            if "origination" in r
        ]


def test_backfill_equals_the_features_every_live_decision_used(demo_run: DemoContext) -> None:
    url = demo_run.settings.database_url
    live = _live(url)
    assert len(live) > 500
    filled = backfill(load_feature_set(), url).to_pandas().set_index("external_id")
    compared = 0
    for record in live:
        row = filled.loc[record["origination"]["application_id"]]
        for name, value in record["features"].items():
            want = math.nan if value is None else float(value)
            got = float(row[name])
            assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(
                want, rel=1e-9, abs=1e-9
            ), (record["origination"]["application_id"], name, want, got)
            compared += 1
    assert compared > 100_000


def test_the_policy_as_a_frame_over_backfilled_features_decides_as_live(
    demo_run: DemoContext,
) -> None:
    url = demo_run.settings.database_url
    live = {r["origination"]["application_id"]: r for r in _live(url)}
    filled = backfill(load_feature_set(), url).to_pandas().set_index("external_id")
    ids = sorted(live)
    inputs = pd.DataFrame([live[i]["inputs"] for i in ids], index=ids)
    frame = pd.concat([filled.loc[ids].drop(columns=["applied_at"]), inputs], axis=1)
    frame = frame.loc[:, ~frame.columns.duplicated(keep="last")]
    policy = build_service(demo_run.settings).decisions.policy("acard_default")
    batch = policy.decide_frame(frame.reset_index(drop=True))
    outcomes = [live[i]["outcome"] for i in ids]
    assert list(batch["outcome"].astype(str)) == outcomes
    assert list(batch["reason_codes"]) == [live[i]["reason_codes"] for i in ids]
    limits = np.array(
        [np.nan if live[i]["credit_limit"] is None else live[i]["credit_limit"] for i in ids]
    )
    np.testing.assert_allclose(batch["credit_limit"].to_numpy(float), limits, equal_nan=True)
    live_pd = np.array([np.nan if live[i]["pd"] is None else live[i]["pd"] for i in ids])
    np.testing.assert_allclose(batch["pd"].to_numpy(float), live_pd, rtol=1e-9, equal_nan=True)


@pytest.mark.spark
def test_spark_backfill_equals_polars(demo_run: DemoContext, jvm: str) -> None:
    pytest.importorskip("pyspark")
    url = demo_run.settings.database_url
    ids = sorted(r["origination"]["application_id"] for r in _live(url))[:40]
    fs = load_feature_set()
    polars_frame = backfill(fs, url, external_ids=ids).sort("external_id")
    spark_frame = backfill(fs, url, engine="spark", spark_master="local[1]", external_ids=ids)
    spark_frame = spark_frame.sort("external_id")
    assert spark_frame.columns == polars_frame.columns
    for name in fs.names:
        np.testing.assert_allclose(
            spark_frame[name].to_numpy().astype(float),
            polars_frame[name].to_numpy().astype(float),
            rtol=1e-9,
            atol=1e-12,
            equal_nan=True,
            err_msg=name,
        )
