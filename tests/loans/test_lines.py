"""Credit lines and drawdowns: the in-loan policy allows, reduces or refuses each drawdown;
the line's available amount moves with drawdowns and repayments; a retried drawdown applies
once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from zhudai.decision.loaders import SHIPPED_DIR
from zhudai.decision.service import DecisionService
from zhudai.decision.versions import PolicyStore
from zhudai.exceptions import InvalidInputError
from zhudai.loans.book import LoanBook
from zhudai.loans.close import close_day
from zhudai.loans.lines import DRAWDOWN_POLICY, FROZEN, CreditLines
from zhudai.store.db import get_engine
from zhudai.store.models import CreditLine, DecisionRecord, Loan, LoanAction

AT = "2024-01-10T10:00:00+08:00"


@pytest.fixture
def lines(book_url: str) -> CreditLines:
    store = PolicyStore(book_url, apr_cap=0.24)
    text = (SHIPPED_DIR / f"{DRAWDOWN_POLICY}.yaml").read_text(encoding="utf-8")
    store.activate(DRAWDOWN_POLICY, store.publish(text, origin=DRAWDOWN_POLICY).version)
    return CreditLines(DecisionService(store), book_url)


def _open(lines: CreditLines, **over: Any) -> int:
    line = {
        "line_key": "L1",
        "application_id": "APP-1",
        "credit_limit": "10000.00",
        "apr": "0.18",
        "expires_on": "2025-01-10",
        "opened_at": AT,
        **over,
    }
    return lines.open(line).line_id


def _draw(line_id: int, key: str, amount: str, at: str = AT) -> dict[str, Any]:
    return {
        "drawdown_key": key,
        "line_id": line_id,
        "amount": amount,
        "term_months": 3,
        "requested_at": at,
    }


def test_drawdowns_move_the_line_and_the_policy_reduces_or_refuses(
    lines: CreditLines, book_url: str
) -> None:
    line_id = _open(lines)
    first = lines.draw(_draw(line_id, "d1", "6000.00"))
    assert (first.outcome, first.granted, first.reasons) == ("approve", Decimal("6000.00"), [])
    assert first.loan is not None and first.loan.principal == Decimal("6000.00")
    assert first.line.available == Decimal("4000.00")
    second = lines.draw(_draw(line_id, "d2", "5000.00"))  # more than is left: reduced
    assert (second.outcome, second.granted) == ("approve", Decimal("4000.00"))
    assert [r["code"] for r in second.reasons] == ["L06"]
    assert second.line.available == Decimal("0.00")
    third = lines.draw(_draw(line_id, "d3", "100.00"))
    assert (third.outcome, third.granted, third.loan) == ("reject", None, None)
    assert [r["code"] for r in third.reasons] == ["L04"]
    # a repayment of principal frees the line again
    assert first.loan is not None
    LoanBook(book_url).post(
        {
            "idempotency_key": "p1",
            "loan_id": first.loan.loan_id,
            "value_date": "2024-02-10",
            "amount": "2100.00",  # period 1 (about 2,000 principal + 90 interest) and more
            "posted_at": "2024-02-10T09:00:00+08:00",
        }
    )
    freed = lines.line(line_id)
    # 6,000 at 18% over 3 months pays 90 / (1 - 1.015**-3) = 2,060.30 a month (90.00
    # interest, 1,970.30 principal); the 39.70 beyond it pays period 2's interest first, so
    # only 1,970.30 of principal is back on the line
    assert freed.available == Decimal("1970.30")
    assert freed.drawn + freed.available == Decimal("10000.00")
    with get_engine(book_url).connect() as conn:
        assert (
            conn.scalar(select(func.count()).select_from(Loan).where(Loan.line_id == line_id)) == 2
        )
        assert conn.scalar(select(func.count()).select_from(LoanAction)) == 3
        assert conn.scalar(select(func.count()).select_from(DecisionRecord)) == 3


def test_a_retried_drawdown_applies_once_and_another_body_is_refused(
    lines: CreditLines, book_url: str
) -> None:
    line_id = _open(lines)
    a = lines.draw(_draw(line_id, "d1", "3000.00"))
    b = lines.draw(_draw(line_id, "d1", "3000.00"))
    assert (b.outcome, b.granted, b.decision_id) == (a.outcome, a.granted, a.decision_id)
    assert b.line.drawn == Decimal("3000.00")
    with pytest.raises(InvalidInputError, match="drawdown_key"):
        lines.draw(_draw(line_id, "d1", "3500.00"))
    with get_engine(book_url).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Loan)) == 1


def test_past_due_frozen_or_expired_refuse(lines: CreditLines, book_url: str) -> None:
    line_id = _open(lines, expires_on="2024-06-01")
    late = lines.draw(_draw(line_id, "late", "100.00", "2024-06-02T10:00:00+08:00"))
    assert [r["code"] for r in late.reasons] == ["L02"]
    assert lines.draw(_draw(line_id, "d1", "1000.00")).loan is not None
    # nothing paid: on Mar 1 the first installment (due Feb 10) is 20 days past due
    close_day(date(2024, 3, 1), book_url)
    refused = lines.draw(_draw(line_id, "d2", "100.00", "2024-03-01T10:00:00+08:00"))
    assert [r["code"] for r in refused.reasons] == ["L03"]
    with get_engine(book_url).begin() as conn:
        conn.execute(update(CreditLine).where(CreditLine.id == line_id).values(status=FROZEN))
    frozen = lines.draw(_draw(line_id, "d3", "100.00", "2024-03-01T10:00:00+08:00"))
    assert [r["code"] for r in frozen.reasons] == ["L01", "L03"]
    with pytest.raises(InvalidInputError, match="apr"):
        _open(lines, line_key="L2", apr="0.30")
