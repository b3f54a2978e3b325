"""One source of truth for fraud cut-offs: the engine decides a hit, the policy what it means."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import polars as pl
import pytest

from zhudai.decision import FilePolicyLoader, compile_policy
from zhudai.decision.engine import CompiledPolicy
from zhudai.decision.expression import VarType, compile_expression
from zhudai.fraud import RULE_NAMES, FraudEngine, FraudModel, FraudThresholds, thresholds_for
from zhudai.fraud.engine import result_from_row
from zhudai.fraud.probing import ProbingThresholds
from zhudai.fraud.replay import replay
from zhudai.fraud.signals import MODEL_FEATURES
from zhudai.fraud.velocity import InMemoryVelocityStore

DEVICE = {"is_emulator": False, "is_rooted": False}  # the application's own device flags


@pytest.fixture(scope="module")
def fraud_checks() -> CompiledPolicy:
    loader = FilePolicyLoader()
    source, doc = loader.load("fraud_checks")
    return compile_policy(source, doc, resolve=loader.load)


@pytest.fixture(scope="module")
def model() -> FraudModel:
    """A fraud model fitted on synthetic signals (fraud = many identities on the device)."""
    rng = np.random.default_rng(0)
    n = 1500
    frame = pd.DataFrame(
        rng.poisson(1.0, size=(n, len(MODEL_FEATURES))).astype(float), columns=MODEL_FEATURES
    )
    y = ((frame["dev_ids_7d"] + rng.normal(0, 0.3, n)) > 2.0).astype(int)
    return FraudModel(n_estimators=30, anomaly_trees=20).fit(frame, y)


def _engine(model: FraudModel | None, thresholds: FraudThresholds) -> FraudEngine:
    return FraudEngine(store=InMemoryVelocityStore(), model=model, thresholds=thresholds)


def _verdict(policy: CompiledPolicy, engine: FraudEngine, app: dict) -> tuple[str, list[str]]:
    d = policy.decide({**DEVICE, **engine.check(app).policy_inputs()})
    return d.outcome.value, d.reason_codes


def test_policy_inputs_name_every_rule_and_are_policy_variables(application) -> None:
    inputs = _engine(None, FraudThresholds()).check(application()).policy_inputs()
    assert set(inputs) == {f"fraud.hit.{r}" for r in RULE_NAMES} | {
        "fraud.fraud_score",
        "fraud.ring_member_score",
    }
    assert not any(inputs[f"fraud.hit.{r}"] for r in RULE_NAMES)  # an ordinary application
    types = {name: VarType.BOOLEAN for name in inputs if name.startswith("fraud.hit.")}
    for name in types:
        assert compile_expression(f"not {name}", types).fn(inputs) is not inputs[name]


def test_policy_fraud_verdict_follows_the_engine_thresholds(model, fraud_checks, application):
    app = application(person=7)
    score = _engine(model, thresholds_for(model)).check(app).fraud_score
    assert 0.0 < score < 1.0
    below, above = score * 0.99, min(1.0, score * 1.01)
    base = thresholds_for(model)
    cases = [
        (replace(base, fraud_score=below, fraud_score_review=below / 2), ("reject", ["F04"])),
        (replace(base, fraud_score=above, fraud_score_review=below), ("review", ["F07"])),
        (replace(base, fraud_score=above, fraud_score_review=above), ("pass", [])),
    ]
    for thresholds, want in cases:  # the same application, the same policy text
        assert _verdict(fraud_checks, _engine(model, thresholds), app) == want


def test_probing_cut_off_lives_in_the_engine(fraud_checks, application) -> None:
    def last_of_farm(thresholds: FraudThresholds) -> tuple[str, list[str]]:
        engine = _engine(None, thresholds)
        apps = [application(minutes=5 * i, person=300 + i, device_id="farm") for i in range(4)]
        for app in apps[:-1]:
            engine.check(app)
        return _verdict(fraud_checks, engine, apps[-1])

    assert last_of_farm(FraudThresholds()) == ("reject", ["F03"])  # 4 identities >= 3
    lenient = replace(FraudThresholds(), probing=ProbingThresholds(device_ids=10, ip_ids=10))
    assert last_of_farm(lenient) == ("pass", [])


def test_missing_fraud_result_is_never_clean(fraud_checks) -> None:
    d = fraud_checks.decide(DEVICE)
    assert d.outcome.value == "review" and d.reason_codes == ["MISSING_FRAUD"]


def test_model_cut_offs_are_saved_beside_the_model(model, tmp_path) -> None:
    tuned = FraudModel.load(model.save(tmp_path / "m"))  # a copy to tune
    tuned.threshold_, tuned.review_threshold_, tuned.ring_threshold_ = 0.04, 0.01, 0.07
    loaded = FraudModel.load(tuned.save(tmp_path / "tuned"))
    assert loaded.cutoffs() == {
        "fraud_score": 0.04,
        "fraud_score_review": 0.01,
        "ring_member_score": 0.07,
    }
    th = thresholds_for(loaded)
    assert (th.fraud_score, th.fraud_score_review, th.ring_member_score) == (0.04, 0.01, 0.07)
    assert th.probing == FraudThresholds().probing and th.ring_score == FraudThresholds().ring_score
    base = replace(FraudThresholds(), ring_score=0.9)
    assert thresholds_for(loaded, base).ring_score == 0.9
    # an untuned fit carries the engine's defaults, declared once in FraudThresholds
    defaults = FraudThresholds()
    assert model.cutoffs() == {
        "fraud_score": defaults.fraud_score,
        "fraud_score_review": defaults.fraud_score_review,
        "ring_member_score": defaults.ring_member_score,
    }
    # a model saved before the review band existed loads without one
    meta_path = tmp_path / "tuned" / "model.json"
    meta = json.loads(meta_path.read_text())
    del meta["review_threshold"]
    meta_path.write_text(json.dumps(meta))
    assert FraudModel.load(tmp_path / "tuned").cutoffs()["fraud_score_review"] == 0.04


def test_stored_results_rows_give_the_live_policy_inputs(model, application) -> None:
    apps = [application(minutes=3 * i, person=500 + i % 3, device_id="d-x") for i in range(6)]
    thresholds = thresholds_for(model)
    live = _engine(model, thresholds)
    expected = []
    for app in apps:
        expected.append(live.check(app).policy_inputs())
        live.record_outcome(app, rejected=False)
    frame = pl.DataFrame([{**a, "status": "approved"} for a in apps])
    rows = replay(_engine(model, thresholds), frame)
    got = [result_from_row(r).policy_inputs() for r in rows.iter_rows(named=True)]
    assert got == expected
    assert any(g["fraud.hit.probing"] for g in got)
    with pytest.raises(ValueError, match="hit_probing"):
        result_from_row({k: v for k, v in rows.row(0, named=True).items() if k != "hit_probing"})
