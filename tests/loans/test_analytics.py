"""Portfolio analytics against a small book whose every number is counted by hand.

The book (APR 0, so no interest or penalty; equal principal, 1,200 over 3 months, 400 a month):

======  =======  =======  =========  ==========================================================
loan    channel  product  start      payments (value dates)
======  =======  =======  =========  ==========================================================
L1      ch_a     cash     2024-01-10 400 on 02-10, 03-10, 04-10 (on time; paid off in April)
L2      ch_a     cash     2024-01-10 nothing
L3      ch_b     cash     2024-01-10 400 on 03-15 (34 days late), 800 on 04-05 (settles)
L4      ch_b     cash     2024-01-10 400 on 02-10, then nothing
L5      ch_a     cash     2024-02-20 400 on 03-30 (10 days late), 04-20, 05-20 (paid off in May)
L6      ch_b     air      2024-02-20 400 on 03-20, 04-20, then nothing (due 05-20)
======  =======  =======  =========  ==========================================================

Due dates: January loans 02-10, 03-10, 04-10; February loans 03-20, 04-20, 05-20. As of
2024-06-15 the last month-end is 2024-05-31. DPD at the month-ends (2024 is a leap year):

====  ======  ======  ======  ======  ======
loan  Jan 31  Feb 29  Mar 31  Apr 30  May 31
====  ======  ======  ======  ======  ======
L1    0       0       0       paid    paid
L2    0       19      50      80      111
L3    0       19      21      paid    paid
L4    0       0       21      51      82
L5            0       0       0       paid
L6            0       0       0       11
====  ======  ======  ======  ======  ======

Ever DPD30+ (an installment unpaid 30 days after due): L2 and L3 on 03-11, L4 on 04-09.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, update

from zhudai.exceptions import InvalidInputError
from zhudai.loans import analytics as an
from zhudai.loans.book import LoanBook
from zhudai.loans.report import write_report
from zhudai.store.db import get_engine
from zhudai.store.models import Application, Channel, Product

AS_OF = date(2024, 6, 15)
JAN, FEB = "2024-01-10", "2024-02-20"
#: loan -> (application, channel, start, [(value date, amount)])
LOANS: dict[str, tuple[str, str, str, list[tuple[str, str]]]] = {
    "L1": (
        "APP-1",
        "ch_a",
        JAN,
        [("2024-02-10", "400"), ("2024-03-10", "400"), ("2024-04-10", "400")],
    ),
    "L2": ("APP-2", "ch_a", JAN, []),
    "L3": ("APP-3", "ch_b", JAN, [("2024-03-15", "400"), ("2024-04-05", "800")]),
    "L4": ("APP-4", "ch_b", JAN, [("2024-02-10", "400")]),
    "L5": (
        "APP-5",
        "ch_a",
        FEB,
        [("2024-03-30", "400"), ("2024-04-20", "400"), ("2024-05-20", "400")],
    ),
    "L6": ("APP-6", "ch_b", FEB, [("2024-03-20", "400"), ("2024-04-20", "400")]),
}


@pytest.fixture
def hand_book(book_url: str) -> str:
    """The book of the module docstring on a fresh store (SQLite and PostgreSQL)."""
    with get_engine(book_url).begin() as conn:
        conn.execute(
            insert(Channel),
            [
                {"id": 1, "name": "Partner A", "kind": "api", "code": "ch_a"},
                {"id": 2, "name": "Partner B", "kind": "app", "code": "ch_b"},
            ],
        )
        conn.execute(
            insert(Product),
            {
                "code": "air",
                "name": "air tickets",
                "min_amount": Decimal(500),
                "max_amount": Decimal(20000),
                "terms": [3],
                "base_apr": 0.12,
            },
        )
        conn.execute(
            insert(Application),
            {
                "id": 6,
                "customer_id": 1,
                "applied_at": datetime(2024, 2, 19, 9),
                "product_code": "air",
                "amount_requested": Decimal(1200),
                "term_months": 3,
                "external_id": "APP-6",
            },
        )
        for app, channel, _, _ in LOANS.values():
            conn.execute(
                update(Application)
                .where(Application.external_id == app)
                .values(channel_id=1 if channel == "ch_a" else 2)
            )
    book = LoanBook(book_url)
    for name, (app, _, start, payments) in LOANS.items():
        loan_id = book.book(
            {
                "booking_key": name,
                "application_id": app,
                "principal": "1200.00",
                "apr": "0",
                "term_months": 3,
                "method": "equal_principal",
                "start_date": start,
                "booked_at": f"{start}T10:00:00+08:00",
            }
        ).loan_id
        for k, (day, amount) in enumerate(payments):
            book.post(
                {
                    "idempotency_key": f"{name}-{k}",
                    "loan_id": loan_id,
                    "value_date": day,
                    "amount": amount,
                    "posted_at": f"{day}T12:00:00+08:00",
                }
            )
    return book_url


def _by_loan(frame: pl.DataFrame, book: an.BookFrames) -> dict[str, Any]:
    """Rows keyed by the loan's booking key (L1 ...) instead of its store id."""
    names = dict(zip(book.loans["loan_id"], LOANS, strict=True))
    return {names[r["loan_id"]]: r for r in frame.iter_rows(named=True)}


def test_reader_takes_loans_with_channel_product_and_installments(hand_book: str) -> None:
    book = an.read_book(hand_book)
    assert book.loans["channel"].to_list() == ["ch_a", "ch_a", "ch_b", "ch_b", "ch_a", "ch_b"]
    assert book.loans["product"].to_list() == ["cash_installment"] * 5 + ["air"]
    assert book.loans["booked_on"].to_list() == [date(2024, 1, 10)] * 4 + [date(2024, 2, 20)] * 2
    assert book.installments.height == 18
    l3 = book.installments.filter(pl.col("loan_id") == book.loans["loan_id"][2])
    assert l3["paid_date"].to_list() == [date(2024, 3, 15), date(2024, 4, 5), date(2024, 4, 5)]


def test_month_end_dpd_buckets_and_balances(hand_book: str) -> None:
    book = an.read_book(hand_book)
    status = an.month_end_status(book, AS_OF)
    names = dict(zip(book.loans["loan_id"], LOANS, strict=True))
    dpd = {
        (names[r["loan_id"]], r["month_end"].month): (r["dpd"], r["paid_off"], r["balance"])
        for r in status.iter_rows(named=True)
    }
    assert [dpd["L2", m][0] for m in (1, 2, 3, 4, 5)] == [0, 19, 50, 80, 111]
    assert [dpd["L3", m][:2] for m in (2, 3, 4)] == [(19, False), (21, False), (0, True)]
    assert [dpd["L4", m][2] for m in (1, 2, 3, 4, 5)] == [1200, 800, 800, 800, 800]
    assert [dpd["L6", m] for m in (4, 5)] == [(0, False, 400), (11, False, 400)]
    assert ("L5", 1) not in dpd  # booked in February: first snapshot Feb 29 (MOB0)
    assert status.filter(pl.col("dpd") == 111)["bucket"].to_list() == ["M4"]


def test_installment_dpd_agrees_with_the_stored_bucket_changes(hand_book: str) -> None:
    book = an.read_book(hand_book)
    assert book.bucket_changes.height > 0
    assert an.reconcile_bucket_changes(book, AS_OF).is_empty()


def test_vintage_by_count_and_amount_ever_and_current(hand_book: str) -> None:
    table = an.vintage(an.read_book(hand_book), AS_OF)
    rows = {(r["vintage"], r["mob"]): r for r in table.iter_rows(named=True)}
    assert sorted(rows) == [("2024-01", m) for m in (1, 2, 3, 4)] + [
        ("2024-02", m) for m in (1, 2, 3)
    ]
    jan = [rows["2024-01", m] for m in (1, 2, 3, 4)]
    assert [r["loans"] for r in jan] == [4] * 4 and jan[0]["principal"] == 4800
    assert [r["ever_count_share"] for r in jan] == [0.0, 0.5, 0.75, 0.75]
    assert [r["ever_amount_share"] for r in jan] == [0.0, 0.5, 0.75, 0.75]
    assert [r["current_count_share"] for r in jan] == [0.0, 0.25, 0.5, 0.5]
    # current by amount: outstanding principal of the 30+ loans (L2 1,200 + L4 800) / 4,800
    assert [r["current_balance"] for r in jan] == [0, 1200, 2000, 2000]
    assert [r["current_amount_share"] for r in jan] == pytest.approx(
        [0, 0.25, 2000 / 4800, 2000 / 4800], rel=1e-9
    )
    assert all(rows["2024-02", m]["ever_loans"] == 0 for m in (1, 2, 3))
    curves = an.vintage_curves(table, "ever_count_share")
    assert curves.columns == ["vintage", "mob_1", "mob_2", "mob_3", "mob_4"]
    assert curves.row(0) == ("2024-01", 0.0, 0.5, 0.75, 0.75)
    assert curves.row(1)[-1] is None  # February's MOB4 is not observed yet


def test_vintage_mob_is_observed_only_after_its_month_end(hand_book: str) -> None:
    table = an.vintage(an.read_book(hand_book), date(2024, 3, 30))
    assert table.select("vintage", "mob").rows() == [("2024-01", 1)]  # Feb 29 only


def test_roll_rate_matrix_counted_by_hand(hand_book: str) -> None:
    moves = an.transitions(an.read_book(hand_book), AS_OF)
    assert moves.height == 4 + 6 + 6 + 4  # loans not paid off at Jan, Feb, Mar, Apr month-ends
    matrix = an.roll_rate_matrix(moves)
    cell = {(r["from_bucket"], r["to_bucket"]): r for r in matrix.iter_rows(named=True)}
    assert sorted({f for f, _ in cell}) == ["M0", "M1", "M2", "M3"]
    assert [cell["M0", t]["loans"] for t in ("M0", "M1", "paid_off")] == [7, 4, 2]
    assert [cell["M0", t]["share"] for t in ("M0", "M1", "paid_off")] == pytest.approx(
        [7 / 13, 4 / 13, 2 / 13], rel=1e-9
    )
    assert [cell["M0", t]["balance"] for t in ("M0", "M1", "paid_off")] == [7200, 3600, 800]
    assert [cell["M1", t]["loans"] for t in ("M1", "M2", "paid_off")] == [1, 2, 1]
    assert [cell["M1", t]["balance_share"] for t in ("M1", "M2", "paid_off")] == pytest.approx(
        [0.3, 0.5, 0.2], rel=1e-9
    )
    assert cell["M2", "M3"]["share"] == 1.0 and cell["M3", "M4"]["share"] == 1.0
    wide = an.matrix_wide(matrix, "loans")
    assert wide.columns == ["from_bucket", *an.ROLL_TO]
    assert wide.row(0) == ("M0", 7, 4, 0, 0, 0, 0, 0, 0, 2)


def test_flow_rates_month_by_month(hand_book: str) -> None:
    flows = an.flow_rates(an.transitions(an.read_book(hand_book), AS_OF))
    rate = {(r["month"], r["flow"]): r for r in flows.iter_rows(named=True)}
    assert [rate[m, "M0->M1"]["count_rate"] for m in ("2024-02", "2024-03", "2024-04")] == [
        0.5,
        0.25,
        0.0,
    ]
    assert rate["2024-03", "M0->M1"]["balance_rate"] == pytest.approx(800 / 4000, rel=1e-9)
    assert rate["2024-04", "M1->M2"]["balance_rate"] == 0.5
    assert rate["2024-05", "M3->M4"]["count_rate"] == 1.0
    assert rate["2024-02", "M1->M2"]["count_rate"] is None  # no M1 at Jan 31
    pooled = [rate["all", f]["count_rate"] for f in ("M0->M1", "M1->M2", "M2->M3", "M3->M4")]
    assert pooled == pytest.approx([4 / 13, 0.5, 1.0, 1.0], rel=1e-9)
    assert rate["all", "M4->M5"]["count_rate"] is None


def test_fpd7_fpd30_by_channel_and_product(hand_book: str) -> None:
    book = an.read_book(hand_book)
    total = an.fpd(book, AS_OF, by=()).row(0, named=True)
    assert (total["loans"], total["fpd7_observable"], total["fpd7"], total["fpd30"]) == (6, 6, 3, 2)
    assert total["fpd7_rate"] == 0.5 and total["fpd30_rate"] == pytest.approx(1 / 3, rel=1e-9)
    channel = {r["channel"]: r for r in an.fpd(book, AS_OF, by=("channel",)).iter_rows(named=True)}
    assert (channel["ch_a"]["fpd7"], channel["ch_a"]["fpd30"]) == (2, 1)  # L2, L5 / L2
    assert (channel["ch_b"]["fpd7"], channel["ch_b"]["fpd30"]) == (1, 1)  # L3 / L3
    product = {r["product"]: r for r in an.fpd(book, AS_OF, by=("product",)).iter_rows(named=True)}
    assert product["cash_installment"]["fpd7_rate"] == 0.6
    assert product["cash_installment"]["fpd30_amount_rate"] == 0.4
    assert (product["air"]["fpd7"], product["air"]["fpd30"]) == (0, 0)
    both = an.fpd(book, AS_OF)
    assert both.columns[:3] == ["channel", "product", "loans"]
    assert both.height == 3


def test_fpd_counts_only_loans_old_enough(hand_book: str) -> None:
    # On 03-25 the February loans' first due date (03-20) is 5 days old: FPD7 not observable.
    total = an.fpd(an.read_book(hand_book), date(2024, 3, 25), by=()).row(0, named=True)
    assert (total["fpd7_observable"], total["fpd7"], total["fpd7_rate"]) == (4, 2, 0.5)
    assert total["fpd30_observable"] == 4  # 02-10 + 30 = 03-11 <= 03-25
    early = an.fpd(an.read_book(hand_book), date(2024, 2, 12), by=()).row(0, named=True)
    assert (early["fpd7_observable"], early["fpd7_rate"]) == (0, None)


def test_report_is_offline_html_with_the_chart_data_and_csv_tables(
    hand_book: str, tmp_path: Any
) -> None:
    out = write_report(an.read_book(hand_book), AS_OF, tmp_path / "report")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)  # nothing fetched
    # outside the inlined scripts (plotly.js names map tile servers it never calls here) the
    # page links nowhere
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.DOTALL)
    assert "http" not in markup and "//cdn" not in markup
    assert "Plotly.newPlot" in page  # plotly.js is inlined, the charts are drawn from data
    assert '"2024-01"' in page and "ever_count_share" in page
    vintage = pl.read_csv(out / "vintage.csv")
    assert vintage.filter(pl.col("vintage") == "2024-01")["ever_count_share"].to_list() == [
        0.0,
        0.5,
        0.75,
        0.75,
    ]
    for name in ("roll_rates", "flow_rates", "fpd_by_channel", "fpd_by_product"):
        assert (out / f"{name}.csv").stat().st_size > 0


def test_params() -> None:
    book = an.book_frames([], [])
    with pytest.raises(InvalidInputError, match="threshold"):
        an.vintage(book, AS_OF, threshold=0)
    with pytest.raises(InvalidInputError, match="by"):
        an.fpd(book, AS_OF, by=("region",))
    with pytest.raises(InvalidInputError, match="metric"):
        an.vintage_curves(an.vintage(book, AS_OF), "nope")


def test_grace_days_delay_past_due_and_fpd() -> None:
    """A loan with 10 grace days unpaid on its first due date 2024-02-10: DPD 0 through 02-20,
    11 on 02-21; FPD7 is counted on the first day past grace (02-21), not on 02-17."""
    loan = {
        "loan_id": 1,
        "booked_on": date(2024, 1, 10),
        "principal": 300.0,
        "product": "p",
        "channel": "c",
        "funder_id": None,
        "grace_days": 10,
        "status": "active",
        "projected_on": None,
    }
    lines = [
        {
            "loan_id": 1,
            "installment_no": k,
            "due_date": date(2024, 1 + k, 10),
            "principal_due": 100.0,
            "paid_date": None,
        }
        for k in (1, 2, 3)
    ]
    book = an.book_frames([loan], lines)
    on_20 = an.fpd(book, date(2024, 2, 20), by=()).row(0, named=True)
    assert on_20["fpd7_observable"] == 0
    assert an.fpd(book, date(2024, 2, 21), by=()).row(0, named=True)["fpd7"] == 1
    hit = an.first_past_due(book, AS_OF, 30)["hit"].to_list()
    assert hit == [date(2024, 3, 11)]  # 30 > 10 grace days: the plain 30th day
    status = an.month_end_status(an.book_frames([{**loan, "grace_days": 19}], lines), AS_OF)
    assert status.filter(pl.col("month_end") == date(2024, 2, 29))["dpd"].item() == 0  # 19 <= 19


_day = st.dates(min_value=date(2023, 1, 1), max_value=date(2024, 12, 31))


@st.composite
def _books(draw: st.DrawFn) -> an.BookFrames:
    loans, lines = [], []
    for loan_id in range(1, draw(st.integers(1, 8)) + 1):
        booked = draw(_day)
        term = draw(st.integers(1, 6))
        loans.append(
            {
                "loan_id": loan_id,
                "booked_on": booked,
                "principal": 100.0 * term,
                "product": draw(st.sampled_from(["p1", "p2"])),
                "channel": draw(st.sampled_from(["c1", "c2"])),
                "funder_id": None,
                "grace_days": draw(st.integers(0, 5)),
                "status": "active",
                "projected_on": None,
            }
        )
        for k in range(1, term + 1):
            due = date(
                booked.year + (booked.month + k - 1) // 12, (booked.month + k - 1) % 12 + 1, 1
            )
            late = draw(st.one_of(st.none(), st.integers(-5, 200)))
            lines.append(
                {
                    "loan_id": loan_id,
                    "installment_no": k,
                    "due_date": due,
                    "principal_due": 100.0,
                    "paid_date": None if late is None else date.fromordinal(due.toordinal() + late),
                }
            )
    return an.book_frames(loans, lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=_books(), as_of=_day)
def test_shares_are_shares_and_roll_rows_sum_to_one(book: an.BookFrames, as_of: date) -> None:
    table = an.vintage(book, as_of)
    for col in ("ever_count_share", "ever_amount_share", "current_count_share"):
        assert table[col].is_between(0, 1).all()
    assert table["current_amount_share"].is_between(0, 1).all()
    # ever 30+ never falls with the MOB, and current 30+ is within ever 30+
    for _, group in table.group_by("vintage"):
        ever = group.sort("mob")["ever_loans"].to_list()
        assert ever == sorted(ever)
    assert (table["current_loans"] <= table["ever_loans"]).all()
    matrix = an.roll_rate_matrix(an.transitions(book, as_of))
    if matrix.height:
        sums = matrix.group_by("from_bucket").agg(pl.col("share").sum())["share"]
        assert sums.to_list() == pytest.approx([1.0] * len(sums))
    fpd = an.fpd(book, as_of)
    for k in an.FPD_DAYS:
        assert (fpd[f"fpd{k}"] <= fpd[f"fpd{k}_observable"]).all()
        assert fpd[f"fpd{k}_rate"].drop_nulls().is_between(0, 1).all()


_RUN_REPORT = (
    "import typer; from zhudai.loans.report_cli import report_cmd; "
    "app = typer.Typer(); app.command('report')(report_cmd); app.command('x')(lambda: None); app()"
)


def test_report_command_writes_the_folder(hand_book: str, tmp_path: Any) -> None:
    """``report_cmd`` as ``zhudai loans report`` runs it (mounted here on a bare Typer app)."""
    env = {**os.environ, "ZHUDAI_DB_URL": hand_book}
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", _RUN_REPORT, "report", "--out", str(out)]
    done = subprocess.run(
        [*cmd, "--as-of", "2024-06-15"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "6 loans read" in done.stdout
    assert (out / "report.html").exists() and (out / "fpd_by_channel.csv").exists()
    bad = subprocess.run(
        [*cmd, "--as-of", "June"], capture_output=True, text=True, env=env, timeout=120
    )
    assert bad.returncode != 0 and "as-of" in bad.stderr
