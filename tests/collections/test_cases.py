"""Case states: the allowed moves, declared once, and the history they leave."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from zhudai.collections.cases import (
    LIVE_STATES,
    TRANSITIONS,
    CaseState,
    CollectionCase,
    check_move,
)
from zhudai.exceptions import InvalidInputError

S = CaseState
DAY = datetime(2026, 6, 1, 10, tzinfo=UTC)


def test_every_state_has_its_moves_and_the_ends_are_resolved_then_closed() -> None:
    assert set(TRANSITIONS) == set(CaseState)
    assert TRANSITIONS[S.CLOSED] == frozenset() and TRANSITIONS[S.RESOLVED] == {S.CLOSED}
    assert set(CaseState) - {S.RESOLVED, S.CLOSED} == LIVE_STATES
    assert all(S.CLOSED in TRANSITIONS[s] for s in LIVE_STATES)  # a live case can always close
    assert all(S.OPEN not in targets for targets in TRANSITIONS.values())  # opening is once


@pytest.mark.parametrize(
    ("state", "to"),
    [(S.OPEN, S.BROKEN_PROMISE), (S.IN_PROGRESS, S.BROKEN_PROMISE), (S.HARDSHIP, S.BROKEN_PROMISE),
     (S.PROMISE_TO_PAY, S.IN_PROGRESS), (S.RESOLVED, S.IN_PROGRESS), (S.CLOSED, S.RESOLVED),
     (S.IN_PROGRESS, S.OPEN)],
)  # fmt: skip
def test_moves_not_in_the_table_are_refused_naming_the_state(state: S, to: S) -> None:
    with pytest.raises(InvalidInputError) as err:
        check_move(state, to, date(2026, 6, 5))
    assert err.value.field == "state" and to.value in err.value.problem


def test_a_promise_to_pay_needs_its_day() -> None:
    with pytest.raises(InvalidInputError, match="^promise_due: "):
        check_move(S.OPEN, S.PROMISE_TO_PAY)


def test_a_case_keeps_every_move_in_order_and_drops_a_kept_promise_on_leaving_it() -> None:
    case = CollectionCase.open(1, DAY, "1 days past due (M1)")
    case.move(S.IN_PROGRESS, DAY.replace(hour=11), "first call", "agent-1")
    case.move(S.PROMISE_TO_PAY, DAY.replace(hour=12), "agreed", "agent-1",
              promise_due=date(2026, 6, 3))  # fmt: skip
    assert case.promise_due == date(2026, 6, 3)
    case.move(S.BROKEN_PROMISE, DAY.replace(day=4), "unpaid", "daily-cases")
    assert case.state is S.BROKEN_PROMISE and case.promise_due is None
    assert [(m.from_state, m.to_state, m.actor) for m in case.history] == [
        (None, S.OPEN, "system"),
        (S.OPEN, S.IN_PROGRESS, "agent-1"),
        (S.IN_PROGRESS, S.PROMISE_TO_PAY, "agent-1"),
        (S.PROMISE_TO_PAY, S.BROKEN_PROMISE, "daily-cases"),
    ]


def test_a_refused_move_changes_nothing() -> None:
    case = CollectionCase.open(1, DAY, "opened")
    with pytest.raises(InvalidInputError, match="^at: "):
        case.move(S.IN_PROGRESS, DAY.replace(hour=9), "earlier than the opening", "agent-1")
    with pytest.raises(InvalidInputError, match="^at: must carry a UTC offset"):
        case.move(S.IN_PROGRESS, datetime(2026, 6, 1, 12), "naive", "agent-1")
    with pytest.raises(InvalidInputError, match="^state: "):
        case.move(S.BROKEN_PROMISE, DAY.replace(hour=12), "no promise", "agent-1")
    assert case.state is S.OPEN and len(case.history) == 1
