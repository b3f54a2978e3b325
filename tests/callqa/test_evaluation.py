"""Measured on worlds: the paraphrase model trained on one seed, the inspection scored on
another; the workload follows from the measured counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhudai.callqa import Inspector, ParaphraseModel
from zhudai.callqa.evaluation import SEVERE_TYPES, Evaluation, evaluate, labelled_calls, train
from zhudai.callqa.workload import (
    AUDIT_SHARE,
    FLAGGED_REVIEW_MINUTES,
    FULL_REVIEW_MINUTES,
)
from zhudai.world import WorldParams


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory, keyed_env) -> tuple[Path, Path]:
    from tests.world.conftest import make_world

    base = tmp_path_factory.mktemp("callqa")
    train_world = make_world(
        keyed_env,
        base / "train",
        3000,
        41,
        params=WorldParams.at_difficulty("realistic", violation_share=0.4),
    )
    test_world = make_world(
        keyed_env,
        base / "test",
        3000,
        42,
        params=WorldParams.at_difficulty("realistic", violation_share=0.3),
    )
    return train_world, test_world


@pytest.fixture(scope="module")
def model(worlds: tuple[Path, Path]) -> ParaphraseModel:
    return train([worlds[0]])


@pytest.fixture(scope="module")
def measured(worlds: tuple[Path, Path], model: ParaphraseModel) -> Evaluation:
    return evaluate(worlds[1], Inspector(model=model))


def test_severe_types_reach_the_issues_bar_on_an_unseen_seed(measured: Evaluation) -> None:
    scores = {s.type: s for s in measured.scores}
    for kind in SEVERE_TYPES:
        assert scores[kind].support >= 20, kind
        assert scores[kind].recall >= 0.95, scores[kind]
        assert scores[kind].precision >= 0.85, scores[kind]


def test_the_model_finds_paraphrases_the_lexicon_misses(
    worlds: tuple[Path, Path], measured: Evaluation
) -> None:
    alone = {s.type: s.recall for s in evaluate(worlds[1], Inspector()).scores}
    both = {s.type: s.recall for s in measured.scores}
    assert all(alone[k] < 0.97 for k in SEVERE_TYPES if k.value != "third_party_disclosure")
    assert all(both[k] > alone[k] for k in SEVERE_TYPES)


def test_model_flags_explain_themselves_and_survive_a_round_trip(
    tmp_path: Path, model: ParaphraseModel
) -> None:
    text = "催收员：您好，提醒您还款。\n催收员：你住哪我们清清楚楚13912345678。\n客户：知道了。"
    call = {
        "call_id": "c",
        "started_at": "2026-06-01T10:00:00+08:00",
        "debtor_tz": "Asia/Shanghai",
        "text": text,
    }
    (flag,) = Inspector(model=model).inspect(call).flags
    assert flag.type.value == "threat" and flag.rule == "model:threat"
    assert "清清楚楚" in flag.evidence and "n-grams" in flag.explanation
    assert "139****5678" in flag.evidence  # personal data masked, offsets kept
    loaded = ParaphraseModel.load(model.save(tmp_path / "m.json"))
    assert loaded.probabilities(text) == pytest.approx(model.probabilities(text), rel=1e-4)


def test_workload_is_computed_from_the_measured_counts(
    worlds: tuple[Path, Path], measured: Evaluation
) -> None:
    w = measured.workload
    calls, labels = labelled_calls(worlds[1])
    assert w.calls == len(calls)
    expected = (
        w.flagged * FLAGGED_REVIEW_MINUTES
        + AUDIT_SHARE * (w.calls - w.flagged) * FULL_REVIEW_MINUTES
    )
    assert w.inspected_minutes == pytest.approx(expected)
    assert w.full_minutes == pytest.approx(len(calls) * FULL_REVIEW_MINUTES)
    assert w.flagged >= sum(bool(lab) for lab in labels) * 0.95
