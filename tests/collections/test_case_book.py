"""Cases in the store, generated each day from the loan book's overdue loans (booked, paid,
written off and closed by the book itself) and moved by collectors, with their history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from tests.loans.conftest import book_url  # noqa: F401  (the loan book's store fixture)
from zhudai.collections.case_book import CaseBook
from zhudai.collections.cases import CaseState
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.loans.book import LoanBook
from zhudai.loans.close import close_day
from zhudai.store.models import CollectionCase as CaseRow
from zhudai.store.models import CollectionCaseMove

S = CaseState


def _booking(n: int) -> dict[str, Any]:
    return {
        "booking_key": f"B{n}",
        "application_id": f"APP-{n}",
        "principal": "1200.00",
        "apr": "0",
        "term_months": 3,
        "method": "equal_principal",
        "start_date": "2024-01-10",  # installments of 400.00 due on the 10th
        "booked_at": "2024-01-10T10:00:00+08:00",
    }


def _day(book: CaseBook, day: str) -> tuple[int, int, int, int, int]:
    close_day(date.fromisoformat(day), book.engine.url.render_as_string(hide_password=False))
    r = book.process_cases(date.fromisoformat(day))
    return r.opened, r.resolved, r.closed, r.broken_promises, r.live


@pytest.fixture
def books(book_url: str) -> tuple[LoanBook, CaseBook, list[int]]:  # noqa: F811
    loans = LoanBook(book_url)
    ids = [loans.book(_booking(n)).loan_id for n in (1, 2, 3)]
    return loans, CaseBook(book_url), ids


def test_cases_follow_the_book_day_by_day(books: tuple[LoanBook, CaseBook, list[int]]) -> None:
    loans, cases, (paid, promised, lost) = books
    assert _day(cases, "2024-02-10") == (0, 0, 0, 0, 0)  # due today: not yet overdue
    assert _day(cases, "2024-02-11") == (3, 0, 0, 0, 3)
    assert _day(cases, "2024-02-11") == (0, 0, 0, 0, 3)  # the same day again: nothing
    case = cases.live_case_of(promised)
    assert case is not None and case.state is S.OPEN
    assert case.history[0].reason == "1 days past due (M1)"
    assert case.history[0].at.isoformat() == "2024-02-11T00:00:00+08:00"

    loans.post({"idempotency_key": "P1", "loan_id": paid, "value_date": "2024-02-12",
                "amount": "400.00", "posted_at": "2024-02-12T12:00:00+08:00"})  # fmt: skip
    assert case.case_id is not None
    cases.move(case.case_id, "promise_to_pay", datetime.fromisoformat("2024-02-12T15:00:00+08:00"),
               "will pay on the 14th", "agent-7", promise_due=date(2024, 2, 14))  # fmt: skip
    loans.write_off({"idempotency_key": "W1", "loan_id": lost, "value_date": "2024-02-13",
                     "reason": "fraud confirmed", "at": "2024-02-13T09:00:00+08:00"})  # fmt: skip
    assert _day(cases, "2024-02-13") == (0, 1, 1, 0, 1)
    assert _day(cases, "2024-02-14") == (0, 0, 0, 0, 1)  # the promise is due today: still kept
    assert _day(cases, "2024-02-15") == (0, 0, 0, 1, 1)
    assert _day(cases, "2024-03-11") == (1, 0, 0, 0, 2)  # the paid loan's next installment

    history = cases.case(case.case_id).history
    assert [(m.from_state, m.to_state, m.actor) for m in history] == [
        (None, S.OPEN, "daily-cases"),
        (S.OPEN, S.PROMISE_TO_PAY, "agent-7"),
        (S.PROMISE_TO_PAY, S.BROKEN_PROMISE, "daily-cases"),
    ]
    assert history[-1].reason == "promise due 2024-02-14 unpaid, 5 DPD"
    assert cases.case(case.case_id).promise_due is None
    again = cases.live_case_of(paid)
    assert again is not None and again.case_id != case.case_id
    assert cases.live_case_of(lost) is None


def test_a_live_case_follows_its_loans_bucket(books: tuple[LoanBook, CaseBook, list[int]]) -> None:
    _, cases, ids = books
    _day(cases, "2024-02-11")
    _day(cases, "2024-03-13")  # 32 days past due: M2
    with cases.engine.connect() as conn:
        buckets = conn.execute(select(CaseRow.bucket).order_by(CaseRow.id)).scalars().all()
    assert buckets == ["M2", "M2", "M2"]


def test_the_store_refuses_a_second_live_case_for_a_loan(
    books: tuple[LoanBook, CaseBook, list[int]],
) -> None:
    _, cases, ids = books
    _day(cases, "2024-02-11")
    row = {"loan_id": ids[0], "opened_at": datetime(2024, 2, 12), "bucket": "M1"}
    with pytest.raises(IntegrityError), cases.engine.begin() as conn:
        conn.execute(insert(CaseRow).values(**row, state=S.IN_PROGRESS))
    with cases.engine.begin() as conn:  # an ended case beside the live one is history
        conn.execute(insert(CaseRow).values(**row, state=S.RESOLVED))


def test_refused_moves_leave_no_trace(books: tuple[LoanBook, CaseBook, list[int]]) -> None:
    _, cases, ids = books
    _day(cases, "2024-02-11")
    case = cases.live_case_of(ids[0])
    assert case is not None and case.case_id is not None
    at = datetime.fromisoformat("2024-02-12T10:00:00+08:00")
    with pytest.raises(
        InvalidInputError, match="^state: a case cannot move from open to broken_promise"
    ):
        cases.move(case.case_id, S.BROKEN_PROMISE, at, "no promise yet", "agent-1")
    with pytest.raises(InvalidInputError, match="^promise_due: "):
        cases.move(case.case_id, S.PROMISE_TO_PAY, at, "no day", "agent-1")
    with pytest.raises(NotFoundError):
        cases.move(999, S.IN_PROGRESS, at, "no such case", "agent-1")
    with pytest.raises(InvalidInputError, match="^to: must be one of open, "):
        cases.move(case.case_id, "paid", at, "not a state", "agent-1")
    with cases.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CollectionCaseMove)).scalar() == 3
    assert cases.case(case.case_id).state is S.OPEN


def test_the_case_commands(books: tuple[LoanBook, CaseBook, list[int]], book_url: str) -> None:  # noqa: F811
    import json
    import subprocess
    import sys

    if not book_url.startswith("sqlite"):
        pytest.skip("the commands call the same CaseBook on every store (tested above)")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from zhudai.cli import main; main()", "collections", *args,
             "--url", book_url],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    close_day(date(2024, 2, 11), book_url)
    done = run("process-cases", "--day", "2024-02-11")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "day": "2024-02-11", "opened": 3, "resolved": 0, "closed": 0, "broken_promises": 0,
        "live": 3,
    }  # fmt: skip
    moved = run("move", "1", "--to", "promise_to_pay", "--reason", "agreed", "--actor", "agent-7",
                "--promise-due", "2024-02-14")  # fmt: skip
    assert moved.returncode == 0, moved.stderr
    case = json.loads(run("case", "1").stdout)
    assert (case["state"], case["promise_due"]) == ("promise_to_pay", "2024-02-14")
    assert [m["to_state"] for m in case["history"]] == ["open", "promise_to_pay"]
    assert case["history"][1]["at"].endswith("+08:00")
    refused = run("move", "1", "--to", "paid", "--reason", "x", "--actor", "agent-7")
    assert refused.returncode == 2 and refused.stderr.startswith("error: to: must be one of")
    missing = run("case", "99")
    assert missing.returncode == 2 and missing.stderr.strip() == "error: case_id: unknown value 99"
