"""Fail closed on data that never arrived: absent model features and absent provider inputs.

The models here are real: an LR scorecard and a small LightGBM trained on synthetic data and
loaded back through the registry, as the live pipeline loads them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from zhudai.decision import FilePolicyLoader, PinnedModel, compile_policy
from zhudai.decision.document import InputSpec
from zhudai.decision.engine import CompiledPolicy
from zhudai.decision.model_contract import ScoringModel

from .conftest import PRIME, applications

BASE = {k: v for k, v in PRIME.items() if not k.startswith("f_")}  # no model feature at all
BUREAU = ["thin_file", "max_past_dpd", "open_loans", "total_open_balance"]
MULTI_LENDING = ["multi_lending_30d", "multi_lending_180d"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScoringModel]:
    """An A-card (LR) and a 20-tree LightGBM on six synthetic features, via the registry."""
    from zhudai.scorecard.models import GradientBoostedModel
    from zhudai.scorecard.registry import load_model, save_model
    from zhudai.scorecard.training import train

    rng = np.random.default_rng(7)
    n = 3000
    frame = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(6)})
    logit = -2 + 0.9 * frame.x0 - 0.7 * frame.x1 + 0.5 * frame.x2
    frame["bad"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame.loc[rng.random(n) < 0.05, "x0"] = np.nan
    root = tmp_path_factory.mktemp("models")
    out: dict[str, ScoringModel] = {}
    for key, kind, estimator in (
        ("acard", "lr", None),
        ("gbm", "lgbm", GradientBoostedModel(engine="lgbm", n_estimators=20, random_state=0)),
    ):
        result = train(frame, "bad", model=kind, name=f"test_{key}", seed=0, estimator=estimator)
        out[key] = load_model(save_model(root / key, result.meta, **result.files))
    assert set(out["gbm"].features) - set(out["acard"].features)  # gbm reads more features
    return out


def _policy(models: dict[str, ScoringModel], **update: object) -> CompiledPolicy:
    loader = FilePolicyLoader()
    source, doc = loader.load("acard_default")
    if update:
        doc = doc.model_copy(update=update)
    return compile_policy(source, doc, resolve=loader.load, models=models)


def _features(models: dict[str, ScoringModel], value: float | None = 0.1) -> dict[str, object]:
    return {f: value for m in models.values() for f in m.features}


def test_application_without_model_features_is_reviewed_not_approved(trained) -> None:
    policy = _policy(trained)
    d = policy.decide(BASE)
    assert d.outcome.value == "review" and d.credit_limit is None and d.apr is None
    assert d.reason_codes == ["MISSING_FEATURES_ACARD"]
    record = d.record()
    card = list(trained["acard"].features)
    assert record["model_outputs"]["scorecard"] == {
        "missing_features": card,
        "missing_count": len(card),
    }
    entry = next(t for t in record["trace"] if t["step"] == "scorecard")
    assert entry["missing_features"] == card and entry["missing_count"] == len(card)
    assert entry["why"] == (
        f"model 'acard': {len(card)} of its features are absent from the inputs "
        f"({', '.join(card)}) -> review MISSING_FEATURES_ACARD"
    )
    assert record["model_versions"] == {} and record["features"] == {}  # no model ran
    # with every feature present the same applicant is scored (and here approved)
    scored = policy.decide({**BASE, **_features(trained)})
    assert scored.outcome.value == "approve"
    assert scored.model_outputs["scorecard"]["score"] == pytest.approx(
        trained["acard"].score_one(_features(trained))
    )


def test_a_feature_present_as_none_or_nan_goes_to_the_missing_bin(trained) -> None:
    policy = _policy(trained)
    for missing in (None, math.nan):
        d = policy.decide({**BASE, **_features(trained, missing)})
        assert not any(c.startswith("MISSING_FEATURES") for c in d.reason_codes)
        row = {f: missing for f in trained["acard"].features}
        assert d.model_outputs["scorecard"]["score"] == pytest.approx(
            trained["acard"].score_one(row)
        )
        assert d.model_outputs["scorecard"]["pd"] == pytest.approx(
            trained["acard"].predict_pd_one(row)
        )
        assert "gradient_boosting" in d.model_outputs


def test_features_of_the_second_model_absent(trained) -> None:
    only_gbm = sorted(set(trained["gbm"].features) - set(trained["acard"].features))
    app = {**BASE, **_features(trained)}
    for f in only_gbm:
        del app[f]
    d = _policy(trained).decide(app)
    assert d.outcome.value == "review" and d.credit_limit is None
    assert d.reason_codes[0] == "MISSING_FEATURES_GBM"
    assert all(c.startswith("SC_") for c in d.reason_codes[1:])  # the card ran: its reasons
    gbm_features = list(trained["gbm"].features)
    assert d.model_outputs["gradient_boosting"] == {
        "missing_features": [f for f in gbm_features if f in only_gbm],
        "missing_count": len(only_gbm),
    }
    assert "score" in d.model_outputs["scorecard"]


def test_record_names_the_first_ten_absent_features_and_their_count() -> None:
    wide = tuple(f"v{i:02d}" for i in range(26))
    models = {
        "acard": PinnedModel("acard", wide, 650.0, 0.02),
        "gbm": PinnedModel("gbm", (), None, 0.02),
    }
    d = _policy(models).decide({**BASE, "v03": 1.0})  # 25 of the 26 absent
    entry = next(t for t in d.record()["trace"] if t["step"] == "scorecard")
    absent = [f for f in wide if f != "v03"]
    assert entry["missing_count"] == 25 and entry["missing_features"] == absent[:10]
    assert entry["why"].endswith(
        f"({', '.join(absent[:10])}, ... (15 more)) -> review MISSING_FEATURES_ACARD"
    )


def test_absent_features_with_on_missing_error(trained) -> None:
    d = _policy(trained, on_missing="error").decide(BASE)
    assert d.outcome.value == "error" and d.reason_codes == ["MISSING_FEATURES_ACARD"]


def _frame(models: dict[str, ScoringModel], n: int = 300) -> pd.DataFrame:
    frame = applications(n, seed=11).drop(columns=["f_util", "f_night", "bad"])
    rng = np.random.default_rng(3)
    for f in sorted({f for m in models.values() for f in m.features}):
        frame[f] = rng.normal(size=n)
        frame.loc[rng.random(n) < 0.1, f] = np.nan  # computed missing values: the missing bin
    return frame


def _rows(frame: pd.DataFrame) -> list[dict[str, object]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _assert_frame_equals_rows(policy: CompiledPolicy, frame: pd.DataFrame) -> pd.DataFrame:
    vec = policy.decide_frame(frame)
    for i, row in enumerate(_rows(frame)):
        d = policy.decide(row)
        got = vec.iloc[i]
        assert (got.outcome, got.reason_codes) == (d.outcome.value, d.reason_codes), i
        for key in ("credit_limit", "apr", "pd"):
            want = getattr(d, key)
            assert (want is None and math.isnan(got[key])) or got[key] == pytest.approx(want)
    return vec


def test_frame_with_real_models_equals_row_by_row(trained) -> None:
    vec = _assert_frame_equals_rows(_policy(trained), _frame(trained))
    assert set(vec.outcome) == {"approve", "reject", "review"}
    assert not any(c.startswith("MISSING_FEATURES") for r in vec.reason_codes for c in r)


def test_frame_without_a_feature_column_reviews_every_row_that_reaches_the_model(
    trained,
) -> None:
    policy = _policy(trained)
    only_gbm = sorted(set(trained["gbm"].features) - set(trained["acard"].features))
    full = _frame(trained)
    before = policy.decide_frame(full)
    reached = np.array(["gradient_boosting" in policy.decide(r).model_outputs for r in _rows(full)])
    assert reached.sum() > 100 and (~reached).sum() > 20
    vec = _assert_frame_equals_rows(policy, full.drop(columns=only_gbm[:1]))
    assert (vec.outcome[reached] == "review").all()
    assert all("MISSING_FEATURES_GBM" in codes for codes in vec.reason_codes[reached])
    assert vec.credit_limit[reached].isna().all()
    # rows stopped before the model (hard rules, fraud, input checks) decide as before
    assert vec.outcome[~reached].tolist() == before.outcome[~reached].tolist()
    assert vec.reason_codes[~reached].tolist() == before.reason_codes[~reached].tolist()


# -- optional provider inputs ---------------------------------------------------------------


def test_an_absent_provider_gives_one_group_reason(acard: CompiledPolicy) -> None:
    no_bureau = {k: v for k, v in PRIME.items() if k not in BUREAU}
    d = acard.decide(no_bureau)
    assert d.outcome.value == "review" and d.reason_codes == ["MISSING_BUREAU"]
    assert [t["why"] for t in d.trace] == [f"{name} missing" for name in BUREAU]
    neither = {k: v for k, v in no_bureau.items() if k not in MULTI_LENDING}
    assert acard.decide(neither).reason_codes == ["MISSING_MULTI_LENDING", "MISSING_BUREAU"]
    frame = pd.DataFrame([PRIME, no_bureau, neither, {**PRIME, "open_loans": None}])
    assert acard.decide_frame(frame).reason_codes.tolist() == [
        [],
        ["MISSING_BUREAU"],
        ["MISSING_MULTI_LENDING", "MISSING_BUREAU"],
        ["MISSING_BUREAU"],
    ]


def test_an_invalid_provider_value_keeps_its_own_code(acard: CompiledPolicy) -> None:
    d = acard.decide({**PRIME, "open_loans": -1, "max_past_dpd": None})
    assert d.reason_codes == ["MISSING_BUREAU", "INVALID_OPEN_LOANS"]


def test_thin_file_flag_selects_the_thin_file_segment(acard: CompiledPolicy) -> None:
    thin = {**PRIME, "thin_file": True, "open_loans": 0, "total_open_balance": 0.0}
    d = acard.decide(thin)  # multi_lending_180d is 1: only the flag makes it thin
    whys = [t["why"] for t in d.trace if t["step"] == "segment"]
    assert whys == ["case 1: thin_file is true"]
    assert any(t.get("id", "").startswith("grade_thin_file#") for t in d.trace if t["hit"])
    standard = acard.decide({**thin, "thin_file": False})
    assert any(t.get("id", "").startswith("grade_standard#") for t in standard.trace if t["hit"])


def test_missing_reason_must_be_a_reason_code() -> None:
    assert InputSpec(type="integer", missing_reason="MISSING_BUREAU").missing_reason
    with pytest.raises(ValidationError, match="missing_reason"):
        InputSpec(type="integer", missing_reason="bureau missing")


def test_group_codes_have_texts_and_policy_cases() -> None:
    _, doc = FilePolicyLoader().load("acard_default")
    for code in ("MISSING_BUREAU", "MISSING_MULTI_LENDING"):
        assert code in doc.reason_texts
        assert any(code in case.expect.reasons for case in doc.tests), code
