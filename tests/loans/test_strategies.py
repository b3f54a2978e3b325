"""In-loan strategies: the inloan policy's actions applied once each, with their reasons, the
decision record and the audit entry; the line's APR changes for future drawdowns only; the
cost cap is never exceeded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from zhudai.decision.engine import compile_policy
from zhudai.decision.loaders import SHIPPED_DIR, FilePolicyLoader
from zhudai.decision.service import DecisionService
from zhudai.decision.versions import PolicyStore
from zhudai.exceptions import DefinitionError
from zhudai.loans.bcard import features_at, read_behaviour
from zhudai.loans.book import LoanBook
from zhudai.loans.lines import DRAWDOWN_POLICY, FROZEN, CreditLines
from zhudai.loans.strategies import POLICY, install_policy, proposed_actions, run_strategies
from zhudai.settings import get_settings
from zhudai.store.db import get_engine
from zhudai.store.models import AuditEntry, CreditLine, DecisionRecord, Loan, LoanAction


class FixedPD:
    """A stand-in B-card: a fixed PD per loan (points from the default scaling)."""

    def __init__(self, pds: dict[int, float]) -> None:
        self.pds = pds

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        return np.array([self.pds[int(i)] for i in frame["loan_id"]])


def _at(day: str) -> str:
    return f"{day}T10:00:00+08:00"


def _pay_due(book: LoanBook, loan_id: int, through: date) -> None:
    """Pay each installment due by ``through`` on its due date, in full."""
    state = book.loan(loan_id, through)
    for ln in state.installments:
        due = date.fromisoformat(ln["due_date"])
        if due > through or ln["settled"]:
            continue
        amount = Decimal(ln["principal"]) + Decimal(ln["interest"]) + Decimal(ln["fee"])
        book.post(
            {
                "idempotency_key": f"{loan_id}:{due}",
                "loan_id": loan_id,
                "value_date": due.isoformat(),
                "amount": str(amount),
                "posted_at": _at(due.isoformat()),
            }
        )


@pytest.fixture
def decisions(book_url: str) -> DecisionService:
    store = PolicyStore(book_url, apr_cap=get_settings().apr_cap)
    text = (SHIPPED_DIR / f"{DRAWDOWN_POLICY}.yaml").read_text(encoding="utf-8")
    store.activate(DRAWDOWN_POLICY, store.publish(text, origin=DRAWDOWN_POLICY).version)
    assert install_policy(store) == 1
    assert install_policy(store) == 1  # installed once
    return DecisionService(store)


@pytest.fixture
def lines_book(book_url: str, decisions: DecisionService) -> dict[str, int]:
    """Line 1 (APP-1, 10,000 at 18%): 8,000 over 12 months drawn on 2024-01-10, 3,000 more on
    2024-06-01. Line 2 (APP-2, 10,000 at 18%): 3,000 over 12 months. Loan 3 (APP-3) off a
    line: 1,200 over 6 months from 2024-03-10. Every installment paid on its due date."""
    lines = CreditLines(decisions, book_url)
    book = LoanBook(book_url)

    def open_line(key: str, app: str) -> int:
        return lines.open(
            {
                "line_key": key,
                "application_id": app,
                "credit_limit": "10000.00",
                "apr": "0.18",
                "expires_on": "2026-01-10",
                "opened_at": _at("2024-01-10"),
            }
        ).line_id

    def draw(line_id: int, key: str, amount: str, term: int, day: str) -> int:
        answer = lines.draw(
            {
                "drawdown_key": key,
                "line_id": line_id,
                "amount": amount,
                "term_months": term,
                "requested_at": _at(day),
            }
        )
        assert answer.outcome == "approve" and answer.loan is not None, answer.reasons
        return answer.loan.loan_id

    l1, l2 = open_line("L1", "APP-1"), open_line("L2", "APP-2")
    d1 = draw(l1, "d1", "8000.00", 12, "2024-01-10")
    d2 = draw(l2, "d2", "3000.00", 12, "2024-01-10")
    c = book.book(
        {
            "booking_key": "C",
            "application_id": "APP-3",
            "principal": "1200.00",
            "apr": "0.20",
            "term_months": 6,
            "method": "equal_principal",
            "start_date": "2024-03-10",
            "booked_at": _at("2024-03-10"),
        }
    ).loan_id
    for loan_id in (d1, d2, c):
        _pay_due(book, loan_id, date(2024, 5, 31))
    d3 = draw(l1, "d3", "3000.00", 6, "2024-06-01")
    for loan_id in (d1, d2, c, d3):
        _pay_due(book, loan_id, date(2024, 7, 31))
    return {"l1": l1, "l2": l2, "d1": d1, "d2": d2, "d3": d3, "c": c}


def _line(url: str, line_id: int) -> Any:
    with get_engine(url).connect() as conn:
        return conn.execute(select(CreditLine.__table__).where(CreditLine.id == line_id)).one()


def _count(url: str, model: Any, *where: Any) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_actions_apply_once_with_reasons_record_and_audit(
    book_url: str, decisions: DecisionService, lines_book: dict[str, int]
) -> None:
    ids = lines_book
    model = FixedPD({ids["d1"]: 0.01, ids["d3"]: 0.01, ids["d2"]: 0.5, ids["c"]: 0.3})
    june = date(2024, 6, 30)
    first = run_strategies(june, decisions, book_url, model=model, actor="risk")
    assert dict(first.applied) == {"limit_increase": 1, "freeze": 1, "early_warning": 1}
    assert first.units == 3 and dict(first.outcomes) == {"approve": 1, "reject": 2}
    line1, line2 = _line(book_url, ids["l1"]), _line(book_url, ids["l2"])
    assert line1.credit_limit == Decimal("12000.00") and line1.status == "open"
    assert line2.status == FROZEN
    with get_engine(book_url).connect() as conn:
        actions = {r.idempotency_key: r for r in conn.execute(select(LoanAction.__table__)).all()}
    up = actions[f"limit_increase:line:{ids['l1']}:2024-06-30"]
    assert [r["code"] for r in up.reasons] == ["B10"]
    assert up.details["before"] == {"credit_limit": "10000.00"}
    assert up.details["after"] == {"credit_limit": "12000.00"}
    assert up.details["effective"] == "2024-07-01" and up.actor == "risk"
    freeze = actions[f"freeze:line:{ids['l2']}:2024-06-30"]
    assert [r["code"] for r in freeze.reasons] == ["B50"]
    assert freeze.reasons[0]["text"].startswith("行为评分违约概率过高")
    warned = actions[f"early_warning:loan:{ids['c']}:2024-06-30"]
    assert (warned.loan_id, warned.line_id) == (ids["c"], None)
    assert _count(book_url, AuditEntry, AuditEntry.action.like("inloan.%")) == 3
    records = _count(book_url, DecisionRecord, DecisionRecord.policy_name == POLICY)
    assert records == 3

    again = run_strategies(june, decisions, book_url, model=model, actor="risk")
    assert dict(again.applied) == {}
    assert dict(again.already_applied) == {"limit_increase": 1, "freeze": 1, "early_warning": 1}
    assert _line(book_url, ids["l1"]).credit_limit == Decimal("12000.00")  # not 14,400
    assert _count(book_url, LoanAction, LoanAction.action != "drawdown") == 3
    assert _count(book_url, AuditEntry, AuditEntry.action.like("inloan.%")) == 3
    assert _count(book_url, DecisionRecord, DecisionRecord.policy_name == POLICY) == records
    # the month-end's features still read the limit before the raise (effective 07-01)
    feats = features_at(read_behaviour(book_url), june)
    util = feats.filter(feats["line_id"] == ids["l1"])["utilisation"].to_list()
    assert all(u > 0.7 for u in util) and len(util) == 2

    # July: line 1 is six months on book, always on time at a low PD: its price comes down for
    # future drawdowns; the loans already drawn keep their contract APR. Line 2 is already
    # frozen (nothing more to apply); loan 3 is listed again for July.
    july = run_strategies(date(2024, 7, 31), decisions, book_url, model=model, actor="risk")
    assert dict(july.applied) == {"price_down": 1, "early_warning": 1}
    assert Decimal(str(_line(book_url, ids["l1"]).apr)) == Decimal("0.16")
    with get_engine(book_url).connect() as conn:
        aprs = conn.execute(select(Loan.apr).where(Loan.line_id == ids["l1"])).scalars().all()
    assert aprs == [0.18, 0.18]


def test_a_line_with_a_loan_past_due_is_not_decided(
    book_url: str, decisions: DecisionService, lines_book: dict[str, int]
) -> None:
    ids = lines_book
    model = FixedPD({ids["d1"]: 0.01, ids["d3"]: 0.01, ids["d2"]: 0.5, ids["c"]: 0.3})
    # on 2024-08-31 nothing of August is paid: every loan with an August installment is late
    report = run_strategies(date(2024, 8, 31), decisions, book_url, model=model)
    assert report.skipped_past_due == 2 and report.units == 0


# -- the cost cap ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def inloan() -> Any:
    loader = FilePolicyLoader()
    source, doc = loader.load(POLICY)
    return compile_policy(source, doc, resolve=loader.load)


@settings(max_examples=300, deadline=None)
@given(
    bpd=st.floats(0, 1),
    on_time=st.floats(0, 1),
    mob=st.integers(0, 36),
    max_dpd=st.integers(0, 40),
    m1=st.integers(0, 6),
    limit=st.floats(0, 200_000),
    used=st.floats(0, 1.5),
    apr=st.floats(0, 1),
)
def test_the_cap_is_never_exceeded(
    inloan: Any,
    bpd: float,
    on_time: float,
    mob: int,
    max_dpd: int,
    m1: int,
    limit: float,
    used: float,
    apr: float,
) -> None:
    cap = get_settings().apr_cap
    inputs = {
        "bscore": 600.0,
        "bpd": bpd,
        "mob": mob,
        "on_time_share": on_time,
        "max_dpd_6m": max_dpd,
        "months_m1plus_6m": m1,
        "has_line": True,
        "line_frozen": False,
        "credit_limit": limit,
        "drawn": limit * used,
        "utilisation": used,
        "current_apr": min(apr, cap),  # a line is opened within the cap
    }
    decision = inloan.decide(inputs)
    assert decision.outcome.value != "error"
    if decision.apr is not None:
        assert decision.apr <= cap + 1e-12
    state = {
        "credit_limit": Decimal(str(round(limit, 2))),
        "apr": Decimal(str(round(min(apr, cap), 6))),
        "status": "open",
    }
    for _, _, after in proposed_actions(decision, state):
        if "apr" in after:
            assert Decimal(after["apr"]) <= Decimal(str(cap))


def test_a_lower_cap_refuses_the_policy() -> None:
    loader = FilePolicyLoader()
    source, doc = loader.load(POLICY)
    with pytest.raises(DefinitionError, match="above the cap"):
        compile_policy(source, doc, resolve=loader.load, apr_cap=0.20)
