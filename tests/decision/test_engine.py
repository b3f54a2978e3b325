"""The engine on the default policy: outcomes, explanations, records, frames and properties."""

from __future__ import annotations

import json
import math

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhudai.decision import (
    FilePolicyLoader,
    MemoryPolicyLoader,
    PinnedModel,
    compile_policy,
    run_policy_tests,
    shipped_policy_files,
)
from zhudai.decision.engine import CompiledPolicy
from zhudai.exceptions import DefinitionError

from .conftest import PRIME, applications

REQUIRED = [k for k in PRIME if not k.startswith("f_")]


def _shipped_cases():
    loader = FilePolicyLoader()
    for path in shipped_policy_files():
        source, doc = loader.load(path.stem)
        for case in doc.tests:
            yield pytest.param(path.stem, case.name, id=f"{path.stem}: {case.name}")


@pytest.mark.parametrize(("policy", "case"), list(_shipped_cases()))
def test_shipped_policy_cases(policy: str, case: str) -> None:
    loader = FilePolicyLoader()
    source, doc = loader.load(policy)
    compiled = compile_policy(source, doc, resolve=loader.load)
    report = run_policy_tests(compiled)
    result = next(r for r in report.results if r.name == case)
    assert result.passed, result.problems


def test_shipped_cases_cover_every_rule_and_row() -> None:
    loader = FilePolicyLoader()
    for path in shipped_policy_files():
        source, doc = loader.load(path.stem)
        report = run_policy_tests(compile_policy(source, doc, resolve=loader.load))
        assert report.uncovered() == [], path.stem


@pytest.mark.parametrize("field", REQUIRED)
def test_missing_input_is_review_never_approve(acard: CompiledPolicy, field: str) -> None:
    d = acard.decide({k: v for k, v in PRIME.items() if k != field})
    assert d.outcome.value == "review"
    assert d.reason_codes == [acard.inputs[field].missing_reason or f"MISSING_{field.upper()}"]
    assert d.credit_limit is None


def test_invalid_input_is_explicit(acard: CompiledPolicy) -> None:
    d = acard.decide({**PRIME, "age": "thirty", "income_monthly": -5.0})
    assert d.outcome.value == "review"
    assert d.reason_codes == ["INVALID_AGE", "INVALID_INCOME_MONTHLY"]
    assert [t["why"] for t in d.trace] == [
        "age must be a number; got str",
        "income_monthly -5 < min 0",
    ]


def test_error_policy_outcome_for_missing(models) -> None:
    loader = FilePolicyLoader()
    source, doc = loader.load("acard_default")
    strict = compile_policy(
        source, doc.model_copy(update={"on_missing": "error"}), resolve=loader.load, models=models
    )
    assert strict.decide({**PRIME, "age": None}).outcome.value == "error"


def test_record_is_tokenised_and_explains(acard: CompiledPolicy) -> None:
    d = acard.decide({**PRIME, "f_util": 0.95, "f_night": 0.9})
    record = d.record()
    text = json.dumps(record, ensure_ascii=False)
    assert PRIME["id_number"] not in text and "id_number_token" in record["inputs"]
    assert record["inputs"]["id_number_valid"] is True
    assert record["features"] == {"f_util": 0.95, "f_night": 0.9}
    assert record["model_versions"] == {
        "acard": {"name": "acard", "version": "1"},
        "gbm": {"name": "gbm", "version": "1"},
    }
    assert record["outcome"] == "reject" and "D01" in record["reason_codes"]
    # the top adverse scorecard reasons (拒贷原因), worst first, are reasons of the rejection
    assert [a[0] for a in record["adverse_reasons"]] == ["f_util", "f_night"]
    assert record["reason_codes"][-2:] == ["SC_f_util", "SC_f_night"]
    whys = {t["id"]: t["why"] for t in record["trace"] if "id" in t}
    assert whys["applicant_rules.too_young"] == "too_young not fired: age 35 >= 18"
    assert whys["segment/otherwise"] == "no case held -> otherwise"


def test_apr_cap_guard_at_run_time(acard: CompiledPolicy) -> None:
    acard.apr_cap = 0.10  # checked against 0.24 at load; at 0.10 the guard must refuse 0.09 + 0.02
    d = acard.decide(PRIME)
    assert d.outcome.value == "error" and "ERR_APR_CAP" in d.reason_codes


def test_apr_cap_is_checked_at_load_time(models) -> None:
    loader = FilePolicyLoader()
    source, doc = loader.load("acard_default")
    with pytest.raises(
        DefinitionError, match=r"acard_default.yaml:\d+: .*can reach 0.2400 .*above the cap 0.2000"
    ):
        compile_policy(source, doc, resolve=loader.load, apr_cap=0.20)


@pytest.mark.parametrize("as_polars", [False, True])
def test_frame_equals_row_by_row(acard: CompiledPolicy, as_polars: bool) -> None:
    frame = applications(400, seed=5)
    data = pl.from_pandas(frame) if as_polars else frame
    vec = acard.decide_frame(data)
    seen = set()
    for i, row in enumerate(frame.astype(object).where(frame.notna(), None).to_dict("records")):
        d = acard.decide(row)
        seen.add(d.outcome.value)
        got = vec.iloc[i]
        assert got.outcome == d.outcome.value, i
        assert got.reason_codes == d.reason_codes, i
        for key in ("credit_limit", "apr"):
            want = getattr(d, key)
            assert (want is None and math.isnan(got[key])) or got[key] == want, (i, key)
        term = None if got.term_months is pd.NA else int(got.term_months)
        assert term == d.term_months, i
        assert (d.pd is None and math.isnan(got.pd)) or got.pd == d.pd
    assert seen == {"approve", "reject", "review"}


def _pinned(score: float, pd_value: float) -> dict[str, PinnedModel]:
    return {
        "acard": PinnedModel("acard", score=score, probability=pd_value),
        "gbm": PinnedModel("gbm", probability=pd_value),
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    low=st.floats(300, 800),
    gain=st.floats(0, 200),
    pd_value=st.floats(0, 0.3),
    income=st.sampled_from([1000.0, 3000.0, 7000.0, 15000.0, 40000.0]),
    open_loans=st.integers(0, 2),
    ml30=st.integers(0, 7),
)
def test_limit_never_falls_as_score_rises(
    acard, low, gain, pd_value, income, open_loans, ml30
) -> None:
    app = {
        **PRIME,
        "income_monthly": income,
        "open_loans": open_loans,
        "multi_lending_180d": open_loans,
        "multi_lending_30d": ml30,
    }
    worse = acard.decide(app, models=_pinned(low, pd_value))
    better = acard.decide(app, models=_pinned(low + gain, pd_value))
    order = {"reject": 0, "review": 1, "approve": 2}
    assert order[better.outcome.value] >= order[worse.outcome.value]
    assert (better.credit_limit or 0.0) >= (worse.credit_limit or 0.0)
    if worse.apr is not None and better.apr is not None:
        assert better.apr <= worse.apr


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drop=st.sets(st.sampled_from(REQUIRED), min_size=1), score=st.floats(300, 900))
def test_missing_inputs_never_approve(acard, drop, score) -> None:
    d = acard.decide({k: v for k, v in PRIME.items() if k not in drop}, models=_pinned(score, 0.01))
    assert d.outcome.value == "review"


def test_sub_policy_cycle_is_refused() -> None:
    texts = {
        "a": "name: a\nsteps:\n  - {kind: policy, name: call_b, policy: b}\n",
        "b": "name: b\nsteps:\n  - {kind: policy, name: call_a, policy: a}\n",
    }
    loader = MemoryPolicyLoader(texts)
    source, doc = loader.load("a")
    with pytest.raises(DefinitionError, match="sub-policy cycle: a -> b -> a"):
        compile_policy(source, doc, resolve=loader.load)


def test_model_not_loaded_is_a_configuration_error(models) -> None:
    loader = FilePolicyLoader()
    source, doc = loader.load("acard_default")
    bare = compile_policy(source, doc, resolve=loader.load)
    from zhudai.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="model 'acard'"):
        bare.decide(PRIME)


RATIO = """
name: ratio
inputs:
  debt: {type: number, min: 0}
  income: {type: number, min: 0}
steps:
  - {kind: assign, name: affordability, set: {dti: debt / income}}
  - kind: table
    name: cut
    inputs: [dti]
    outputs: [decision]
    rows:
      - {when: {dti: "<= 0.5"}, then: {decision: approve}}
      - {when: {dti: "> 0.5"}, then: {decision: reject}}
decision: {outcome: decision}
"""


def test_evaluation_error_is_an_error_outcome_in_both_modes() -> None:
    from zhudai.decision import read_source
    from zhudai.decision.source import parse_document

    source = read_source(RATIO, "ratio.yaml")
    policy = compile_policy(source, parse_document(source), apr_cap=0.24)
    d = policy.decide({"debt": 100.0, "income": 0.0})
    assert (d.outcome.value, d.reason_codes) == ("error", ["ERR_EVAL"])
    assert d.error == "affordability: division by zero in 'debt / income'"
    frame = pd.DataFrame({"debt": [100.0, 100.0, 900.0], "income": [0.0, 1000.0, 1000.0]})
    assert policy.decide_frame(frame).outcome.tolist() == ["error", "approve", "reject"]


def test_branch_explains_cases_not_taken(acard: CompiledPolicy) -> None:
    d = acard.decide(PRIME)
    whys = [t["why"] for t in d.trace if t["step"] == "segment"]
    assert whys == [
        "case 1 not taken: thin_file is false and open_loans 1 != 0",
        "no case held -> otherwise",
    ]


DEFAULTED = RATIO.replace("name: ratio", "name: defaulted").replace(
    "debt: {type: number, min: 0}", "debt: {type: number, min: 0, default: 0}"
)


def test_a_missing_input_with_a_default_takes_it() -> None:
    from zhudai.decision import read_source
    from zhudai.decision.source import parse_document

    source = read_source(DEFAULTED, "defaulted.yaml")
    policy = compile_policy(source, parse_document(source), apr_cap=0.24)
    assert policy.decide({"income": 1000.0}).outcome.value == "approve"
    assert policy.decide({"debt": 900.0, "income": 1000.0}).outcome.value == "reject"
    missing = policy.decide({"debt": 900.0})
    assert (missing.outcome.value, missing.reason_codes) == ("review", ["MISSING_INCOME"])


def test_an_input_has_no_required_flag() -> None:
    """Every input without a default is required; the flag that said so is refused."""
    from zhudai.decision import read_source
    from zhudai.decision.source import parse_document

    text = DEFAULTED.replace("default: 0}", "default: 0, required: false}")
    with pytest.raises(DefinitionError, match="required"):
        parse_document(read_source(text, "defaulted.yaml"))
