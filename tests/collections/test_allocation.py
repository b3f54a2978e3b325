"""分案: the shipped strategies' rows by bucket x C-score band x amount band, capacities with
overflow in the declared order, balanced queues, and a clear error for each bad setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from zhudai.collections.allocation import (
    SHIPPED,
    AmountBand,
    CaseToAllocate,
    ScoreBand,
    allocate,
    load_allocation,
    queue_loads,
)
from zhudai.exceptions import InvalidInputError, MissingFileError
from zhudai.loans.delinquency import BUCKETS


def _settings(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data.update(changes)
    return data


def _config(tmp_path: Path, data: dict[str, Any]) -> Any:
    path = tmp_path / "allocation.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_allocation(path)


def test_bands_at_their_cuts() -> None:
    config = load_allocation()
    scores = config.score_bands  # low 0.25, high 0.6
    assert [scores.band(p) for p in (0.2499, 0.25, 0.5999, 0.6, None)] == [
        ScoreBand.LOW, ScoreBand.MID, ScoreBand.MID, ScoreBand.HIGH, None,
    ]  # fmt: skip
    amounts = config.amount_bands  # small 1000, large 5000
    assert [amounts.band(a) for a in (999.99, 1000, 4999.99, 5000)] == [
        AmountBand.SMALL, AmountBand.MEDIUM, AmountBand.MEDIUM, AmountBand.LARGE,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("bucket", "p", "amount", "ccard", "bucket_only"),
    [
        ("M1", 0.9, 800.0, "sms", "auto_call"),
        ("M1", 0.4, 800.0, "auto_call", "auto_call"),
        ("M1", 0.1, 6000.0, "agent", "auto_call"),
        ("M1", 0.1, 800.0, "auto_call", "auto_call"),
        ("M2", 0.4, 800.0, "agent", "agent"),
        ("M3", 0.1, 6000.0, "agent", "agent"),
        ("M3", 0.1, 4000.0, "sms", "agent"),
        ("M5", 0.7, 100.0, "agency", "agency"),
        ("M6+", 0.05, 9000.0, "agent", "agency"),
        ("M4", 0.3, 2000.0, "agency", "agency"),
        ("M6+", 0.05, 900.0, "sms", "agency"),
        ("M2", None, 800.0, "sms", "agent"),  # unscored: only the rows without scores
        ("M2", None, 8000.0, "agent", "agent"),
    ],
)
def test_shipped_strategies(
    bucket: str, p: float | None, amount: float, ccard: str, bucket_only: str
) -> None:
    config = load_allocation()
    case = [CaseToAllocate(1, bucket, p, amount)]
    assert allocate(case, config, "ccard")[0].treatment == ccard
    assert allocate(case, config, "bucket")[0].treatment == bucket_only


def test_a_full_treatment_overflows_to_the_next_with_room(tmp_path: Path) -> None:
    data = _settings()
    data["treatments"]["agent"]["queues"] = {"a1": 2, "a2": 1}
    data["treatments"]["agency"]["queues"] = {"g1": 1}
    config = _config(tmp_path, data)
    # five M2 cases wanting agents (3 seats), the largest amounts placed first
    cases = [CaseToAllocate(k, "M2", 0.7, 1000.0 + k) for k in range(1, 6)]
    got = {a.case_id: (a.wanted, a.treatment, a.queue) for a in allocate(cases, config, "ccard")}
    # room a1 2 / a2 1: a1; then a tie at 1 (case 4: 4 % 2 picks a1); then a2
    assert got == {
        5: ("agent", "agent", "a1"),
        4: ("agent", "agent", "a1"),
        3: ("agent", "agent", "a2"),
        2: ("agent", "agency", "g1"),
        1: ("agent", "auto_call", "auto-dialler"),
    }


def test_equal_queues_share_the_cases(tmp_path: Path) -> None:
    config = load_allocation()
    days = [allocate([CaseToAllocate(k, "M4", 0.1, 6000.0)], config, "bucket")[0] for k in range(6)]
    assert [a.queue for a in days] == ["agency-east", "agency-west"] * 3  # one a day, fresh room


def test_queues_are_balanced_most_room_first(tmp_path: Path) -> None:
    data = _settings()
    data["treatments"]["agent"]["queues"] = {"a1": 3, "a2": 1}
    config = _config(tmp_path, data)
    cases = [CaseToAllocate(k, "M2", 0.7, 2000.0 - k) for k in range(1, 5)]
    # room a1 3 / a2 1: a1, a1 (2 vs 1 left); case 3 finds a tie at 1: 3 % 2 picks a2; then a1
    assert [a.queue for a in allocate(cases, config, "ccard")] == ["a1", "a1", "a2", "a1"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(BUCKETS[1:]),
            st.one_of(st.none(), st.floats(0, 1)),
            st.floats(1, 20_000),
        ),
        max_size=200,
    ),
    st.sampled_from(["ccard", "bucket"]),
)
def test_every_case_placed_and_no_queue_over_capacity(cases: list, strategy: str) -> None:
    config = load_allocation()
    todo = [CaseToAllocate(k, b, p, a) for k, (b, p, a) in enumerate(cases)]
    got = allocate(todo, config, strategy)
    assert [a.case_id for a in got] == [c.case_id for c in todo]
    capacity = {q: c for t in config.treatments.values() for q, c in t.queues.items()}
    for queue, load in queue_loads(got).items():
        assert capacity[queue] is None or load <= capacity[queue]
    order = config.overflow
    for a in got:  # overflow only goes down the declared order
        assert order.index(a.treatment) >= order.index(a.wanted)
        assert config.treatment_of_queue(a.queue) == a.treatment


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"overflow": ["agent", "agency", "sms"]}, "overflow must name every treatment"),
        ({"overflow": ["sms", "agency", "auto_call", "agent"]}, "must be unlimited"),
        ({"score_bands": {"low": 0.7, "high": 0.6}}, "score_bands: Value error, low must be"),
        ({"amount_bands": {"small": 10, "large": 5}}, "amount_bands"),
        ({"strategies": {"x": [{"buckets": ["M1"], "treatment": "sms"}]}}, "must end with a row"),
        ({"strategies": {"x": [{"treatment": "fax"}]}}, "unknown treatment 'fax'"),
        ({"strategies": {"x": [{"buckets": ["M9"], "treatment": "sms"}, {"treatment": "sms"}]}},
         "unknown buckets"),
        ({"extra": 1}, "extra"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_field(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        _config(tmp_path, _settings(**change))


def test_bad_treatment_and_files(tmp_path: Path) -> None:
    data = _settings()
    data["treatments"]["agent"]["commission"] = 1.5
    with pytest.raises(InvalidInputError, match="commission"):
        _config(tmp_path, data)
    data = _settings()
    data["treatments"]["agent"]["queues"] = {"a1": 0}
    with pytest.raises(InvalidInputError, match="capacity must be >= 1"):
        _config(tmp_path, data)
    with pytest.raises(MissingFileError):
        load_allocation(tmp_path / "nope.yaml")
    with pytest.raises(InvalidInputError, match="strategy"):
        allocate([], load_allocation(), "best")
    with pytest.raises(InvalidInputError, match="case_id"):
        allocate([CaseToAllocate(1, "M1", 0.5, 1.0)] * 2, load_allocation(), "ccard")
