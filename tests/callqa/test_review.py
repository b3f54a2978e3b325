"""The review queue in the store: order, audit sample, verdicts feeding training."""

from __future__ import annotations

import json

import pytest

from zhudai.callqa import FlagType, ParaphraseModel
from zhudai.callqa.review import AUDIT, FLAGGED, ReviewQueue, in_audit_sample
from zhudai.callqa.workload import AUDIT_SHARE
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.store.migrate import upgrade

CLEAN = "催收员：您好，提醒您按时还款。\n客户：好的。"


def _call(call_id: str, text: str, at: str = "2026-06-01T10:00:00+08:00") -> dict[str, str]:
    return {"call_id": call_id, "started_at": at, "debtor_tz": "Asia/Shanghai", "text": text}


@pytest.fixture
def queue() -> ReviewQueue:
    upgrade()
    return ReviewQueue()


def test_queue_serves_by_severity_then_score_and_the_audit_after(queue: ReviewQueue) -> None:
    audit_id = next(f"a{i}" for i in range(1000) if in_audit_sample(f"a{i}"))
    skipped_id = next(f"s{i}" for i in range(1000) if not in_audit_sample(f"s{i}"))
    queue.submit(
        [
            _call("late", CLEAN, "2026-06-01T23:00:00+08:00"),  # medium: off hours
            _call("abuse", "催收员：你这个老赖。"),  # high
            _call(audit_id, CLEAN),
            _call(skipped_id, CLEAN),
            _call("jail", "催收员：再不还就让你做牢。"),  # critical, homophone 0.9
            _call("threat", "催收员：明天就派人去你单位。"),  # critical, literal 1.0
        ]
    )
    items = queue.next(10)
    assert [i.call_id for i in items] == ["threat", "jail", "abuse", "late", audit_id]
    assert [i.queue for i in items] == [FLAGGED] * 4 + [AUDIT]
    assert items[0].started_at.utcoffset() is not None
    queue.record_verdict("threat", ["threat"], "reviewer-1")
    assert [i.call_id for i in queue.next(2)] == ["jail", "abuse"]


def test_audit_sample_is_its_declared_share() -> None:
    drawn = sum(in_audit_sample(f"call-{i}") for i in range(20_000)) / 20_000
    assert drawn == pytest.approx(AUDIT_SHARE, abs=0.005)


def test_transcripts_are_kept_masked_and_spans_match_them(queue: ReviewQueue) -> None:
    (found,) = queue.submit([_call("p", "催收员：你的手机13912345678，再不还就让你坐牢。")])
    (item,) = queue.next(1)
    assert "13912345678" not in item.transcript and "139****5678" in item.transcript
    flag = found.flags[0]
    assert item.transcript[flag.start : flag.end] == "坐牢"


def test_verdicts_are_checked_and_become_training_labels(queue: ReviewQueue) -> None:
    queue.submit([_call("v1", "催收员：你住哪我们清清楚楚。"), _call("v2", CLEAN)])
    with pytest.raises(InvalidInputError, match="^type: "):
        queue.record_verdict("v1", ["shouting"], "r")
    with pytest.raises(NotFoundError, match="call_id"):
        queue.record_verdict("nope", [], "r")
    with pytest.raises(InvalidInputError, match="^call_id: "):
        queue.submit([_call("v1", CLEAN)])
    queue.record_verdict("v1", ["threat"], "r")
    queue.record_verdict("v2", [], "r")
    texts, labels = queue.training_examples()
    assert labels == [frozenset({FlagType.THREAT}), frozenset()]
    assert "清清楚楚" in texts[0] and "客户" not in texts[1]
    model = ParaphraseModel(min_df=1).fit(texts * 5, labels * 5)
    assert model.probabilities("催收员：你住哪我们清清楚楚。")[FlagType.THREAT] > 0.5


def test_cli_submits_lists_and_records(queue: ReviewQueue, tmp_path) -> None:
    from typer.testing import CliRunner

    from zhudai.callqa.cli import app

    f = tmp_path / "calls.jsonl"
    f.write_text(
        json.dumps(_call("c1", "催收员：你这个老赖。"), ensure_ascii=False) + "\n", "utf-8"
    )
    run = CliRunner().invoke
    assert run(app, ["submit", str(f)]).exit_code == 0
    listed = run(app, ["queue"])
    assert json.loads(listed.stdout.splitlines()[0])["call_id"] == "c1"
    done = run(app, ["verdict", "c1", "--violations", "abuse", "--reviewer", "r1"])
    assert done.exit_code == 0, done.output
    assert run(app, ["queue"]).stdout == ""
    assert (
        run(app, ["verdict", "c1", "--violations", "shouting", "--reviewer", "r1"]).exit_code != 0
    )
