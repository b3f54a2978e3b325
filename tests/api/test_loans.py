"""``/v1/loans`` and ``/v1/repayments``: a funder books, posts to and reads only its own loans;
other roles and other funders both ways; idempotency as on every write."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from zhudai.store.db import get_engine
from zhudai.store.models import AuditEntry, Repayment

from .test_applications import _approved, _other_funder

AT = "2030-01-10T10:00:00+08:00"


@pytest.fixture
def accepted(client: TestClient, keys: Any, new_request: Any, funder_key: Any) -> dict[str, Any]:
    """An approved application its funder accepted: the answer, the funder's and another
    funder's headers."""
    answer = _approved(client, keys, new_request)
    own = funder_key(answer["funder"])
    done = client.post(
        "/v1/funder-decisions",
        json={"application_id": answer["application_id"], "accepted": True},
        headers=own,
    )
    assert done.status_code == 200, done.text
    return {
        "answer": answer,
        "own": own,
        "other": funder_key(_other_funder(client, answer["funder"])),
    }


def _book_accepted(client: TestClient, accepted: dict[str, Any], headers: Any) -> Any:
    body = {
        "application_id": accepted["answer"]["application_id"],
        "start_date": "2030-01-10",
        "booked_at": AT,
    }
    return client.post("/v1/loans/accepted", json=body, headers=headers)


def _pay(key: str, amount: str = "100.00", value_date: str = "2030-02-10") -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "value_date": value_date,
        "amount": amount,
        "posted_at": "2030-02-10T12:00:00+08:00",
    }


def test_a_funder_books_only_what_was_routed_to_it(
    client: TestClient, keys: Any, accepted: dict[str, Any]
) -> None:
    other = _book_accepted(client, accepted, accepted["other"])
    assert other.status_code == 422 and other.json()["error"]["field"] == "application_id"
    for name in ("app_store", "analyst", "collector"):
        assert _book_accepted(client, accepted, keys[name]).status_code == 403
    done = _book_accepted(client, accepted, accepted["own"])
    assert done.status_code == 200, done.text
    loan = done.json()
    assert float(loan["principal"]) <= accepted["answer"]["credit_limit"]
    assert len(loan["installments"]) == accepted["answer"]["term_months"]
    again = _book_accepted(client, accepted, accepted["own"])  # the booking key: the same loan
    assert again.json()["loan_id"] == loan["loan_id"]


def test_booking_with_terms_admin_any_funder_its_own(
    client: TestClient, keys: Any, accepted: dict[str, Any]
) -> None:
    body = {
        "booking_key": "BK-1",
        "application_id": accepted["answer"]["application_id"],
        "principal": "1000.00",
        "apr": "0.18",
        "term_months": 6,
        "start_date": "2030-01-10",
        "booked_at": AT,
    }
    assert client.post("/v1/loans", json=body, headers=accepted["other"]).status_code == 422
    done = client.post("/v1/loans", json=body, headers=keys["admin"])
    assert done.status_code == 200, done.text
    assert len(done.json()["installments"]) == 6
    capped = client.post(
        "/v1/loans", json=body | {"booking_key": "BK-3", "apr": "0.30"}, headers=keys["admin"]
    )
    assert capped.status_code == 422 and capped.json()["error"]["field"] == "apr"
    far = client.post("/v1/loans", json=body | {"start_date": "9999-12-01"}, headers=keys["admin"])
    assert far.status_code == 422 and far.json()["error"]["field"] == "start_date"
    unknown = client.post(
        "/v1/loans",
        json=body | {"booking_key": "BK-2", "application_id": "NOPE"},
        headers=keys["admin"],
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "application_id"


def test_repayments_and_reversals_on_own_loans_only(
    client: TestClient, keys: Any, accepted: dict[str, Any], home: Any
) -> None:
    loan_id = _book_accepted(client, accepted, accepted["own"]).json()["loan_id"]
    url = f"/v1/loans/{loan_id}/repayments"
    assert client.post(url, json=_pay("P1"), headers=accepted["other"]).status_code == 404
    assert client.post(url, json=_pay("P1"), headers=keys["app_store"]).status_code == 403
    assert client.post(url, json=_pay("P1"), headers=keys["collector"]).status_code == 403
    headers = {**accepted["own"], "Idempotency-Key": "http-P1"}
    done = client.post(url, json=_pay("P1"), headers=headers)
    assert done.status_code == 200, done.text
    posting = done.json()
    assert posting["kind"] == "repayment" and posting["loan"]["loan_id"] == loan_id
    replay = client.post(url, json=_pay("P1"), headers=headers)
    assert replay.json() == posting and replay.headers["Idempotent-Replayed"] == "true"
    conflict = client.post(url, json=_pay("P1", "200.00"), headers=headers)
    assert conflict.status_code == 409
    # the book's own key: without the header a retry is a no-op too, another amount an error
    assert client.post(url, json=_pay("P1"), headers=accepted["own"]).status_code == 200
    other_amount = client.post(url, json=_pay("P1", "5.00"), headers=accepted["own"])
    assert other_amount.status_code == 422
    assert other_amount.json()["error"]["field"] == "idempotency_key"
    with get_engine(home.database_url).connect() as conn:
        assert (
            conn.scalar(
                select(func.count()).select_from(Repayment).where(Repayment.idempotency_key == "P1")
            )
            == 1
        )
        actions = conn.scalars(
            select(AuditEntry.action).where(
                AuditEntry.actor == "bank-" + accepted["answer"]["funder"]
            )
        ).all()
    assert "loan.repayment" in actions and "loan.book" in actions

    reversal = {"idempotency_key": "R1", "posted_at": "2030-02-11T09:00:00+08:00"}
    rurl = "/v1/repayments/P1/reversal"
    assert client.post(rurl, json=reversal, headers=accepted["other"]).status_code == 404
    assert client.post(rurl, json=reversal, headers=keys["analyst"]).status_code == 403
    undone = client.post(rurl, json=reversal, headers=accepted["own"])
    assert undone.status_code == 200, undone.text
    assert undone.json()["kind"] == "reversal"
    twice = client.post(rurl, json=reversal | {"idempotency_key": "R2"}, headers=keys["admin"])
    assert twice.status_code == 422 and twice.json()["error"]["field"] == "reverses"
    missing = client.post("/v1/repayments/NOPE/reversal", json=reversal, headers=keys["admin"])
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "idempotency_key"
    no_loan = client.post("/v1/loans/999999999/repayments", json=_pay("P9"), headers=keys["admin"])
    assert no_loan.status_code == 404 and no_loan.json()["error"]["field"] == "loan_id"


def test_reading_a_loan_on_a_day(client: TestClient, keys: Any, accepted: dict[str, Any]) -> None:
    loan_id = _book_accepted(client, accepted, accepted["own"]).json()["loan_id"]
    url = f"/v1/loans/{loan_id}"
    assert client.get(url, headers=accepted["other"]).status_code == 404
    assert client.get(url, headers=keys["app_store"]).status_code == 403
    for headers in (accepted["own"], keys["analyst"], keys["collector"], keys["admin"]):
        assert client.get(url, params={"as_of": "2030-01-10"}, headers=headers).status_code == 200
    late = client.get(url, params={"as_of": "2030-04-11"}, headers=accepted["own"]).json()
    assert late["as_of"] == "2030-04-11" and late["dpd"] == 60 and late["bucket"] == "M2"
    assert late["installments"][0]["settled"] is False
    bad = client.get(url, params={"as_of": "9999-12-31"}, headers=accepted["own"])
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "as_of"
    assert client.get("/v1/loans/0", headers=keys["admin"]).status_code == 422
    missing = client.get("/v1/loans/999999999", headers=keys["admin"])
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "loan_id"


def test_loan_answers_commit_with_the_booking_and_the_posting(
    client: TestClient, accepted: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Booking and posting keep an ``Idempotency-Key``'s answer in their own transaction:
    with the after-write store switched off, every retry still gets the answer sent."""
    from zhudai.api.limits import IdempotencyStore

    def no_after_write(*_: Any) -> None:
        raise AssertionError("the answer must be kept in the write's transaction")

    monkeypatch.setattr(IdempotencyStore, "put", no_after_write)
    own = accepted["own"]
    booked = _book_accepted(client, accepted, own | {"Idempotency-Key": "tx-book"})
    assert booked.status_code == 200, booked.text
    again = _book_accepted(client, accepted, own | {"Idempotency-Key": "tx-book"})
    assert again.content == booked.content and again.headers["Idempotent-Replayed"] == "true"
    url = f"/v1/loans/{booked.json()['loan_id']}/repayments"
    headers = own | {"Idempotency-Key": "tx-pay"}
    paid = client.post(url, json=_pay("TXP"), headers=headers)
    assert paid.status_code == 200, paid.text
    replay = client.post(url, json=_pay("TXP"), headers=headers)
    assert replay.content == paid.content and replay.headers["Idempotent-Replayed"] == "true"
    reversal = {"idempotency_key": "TXR", "posted_at": "2030-02-11T09:00:00+08:00"}
    rurl, rheaders = "/v1/repayments/TXP/reversal", own | {"Idempotency-Key": "tx-rev"}
    reversed_ = client.post(rurl, json=reversal, headers=rheaders)
    assert reversed_.status_code == 200, reversed_.text
    assert client.post(rurl, json=reversal, headers=rheaders).content == reversed_.content
