"""Demo stages of the loan book, in the order of a loan's life.

``book`` (after ``store``): the bank hands its existing book over (the world's loans, schedules
and repayments, loaded by the store stage as the bank's files); the ledger recomputes every
loan, reconciliation lists each difference (``loans/reconciliation.csv``), and the credit
labels the cards train on come from this book (``ctx.artifacts["book_labels"]``).

``loans`` (after ``decisions``): each application its funder accepted is booked through the
same service the API and ``zhudai loans`` use (a co-branded card becomes a credit line drawn
down through the in-loan ``drawdown`` policy), then the daily close runs on the book's day.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from zhudai.decision.loaders import SHIPPED_DIR
from zhudai.decision.service import installed_decisions
from zhudai.loans.analytics import read_book
from zhudai.loans.book import LoanBook
from zhudai.loans.close import close_day
from zhudai.loans.labels import BAD_DPD, HORIZON, book_labels
from zhudai.loans.lines import DRAWDOWN_POLICY, CreditLines
from zhudai.loans.onboarding import onboard
from zhudai.loans.report import write_report
from zhudai.money import money
from zhudai.store.db import get_engine
from zhudai.store.models import Application, FunderStatus, Origination
from zhudai.times import from_local

#: The product whose approvals are credit lines (co-branded cards) rather than single loans.
LINE_PRODUCT = "cobrand_card"


def onboard_stage(ctx: Any) -> list[str]:
    """Take over the bank's book as of the observation day and label its loans."""
    day: date | None = ctx.artifacts.get("observation_date")
    if day is None:
        return ["book skipped: no observation date (run the world stage first)"]
    url = ctx.settings.database_url
    report = onboard(day, url)
    path = report.write_csv(ctx.out_dir / "loans" / "reconciliation.csv")
    ctx.artifacts["reconciliation_path"] = path
    labels = book_labels(day, url)
    ctx.artifacts["book_labels"] = labels.to_pandas()
    lines = [
        f"took over {report.loans:,} loans and {report.repayments:,} repayments as of {day}",
        f"reconciliation: {len(report.differences):,} differences with the bank's figures"
        f" (written to {path})",
    ]
    lines += [
        f"  {name:<14} {count:>7,} differences on {loans:>6,} loans"
        for name, (count, loans) in report.by_field().items()
    ]
    bad = labels["bad"].cast(float).sum() / labels.height if labels.height else 0.0
    lines.append(
        f"labels from the book: {labels.height:,} loans judged, bad (ever {BAD_DPD}+ DPD in the"
        f" first {HORIZON} installments) {bad:.2%}"
    )
    return lines


def run_stage(ctx: Any) -> list[str]:
    """Book the funder-accepted applications on the book's day, then close that day.

    The decisions stage replays the world's applications from their own dates; their loans
    are disbursed on the day the bank handed the book over (the world simulates repayments
    only for the bank's own loans), so the close shows the taken-over book and the new loans
    side by side."""
    day: date | None = ctx.artifacts.get("observation_date")
    if day is None:
        return ["loans skipped: no observation date (run the world stage first)"]
    url = ctx.settings.database_url
    book = LoanBook(url, actor="demo")
    with get_engine(url).connect() as conn:
        accepted = conn.execute(
            select(Origination.external_id, Application.product_code, Origination.answer)
            .join(Application, Application.id == Origination.application_id)
            .where(Origination.funder_status == FunderStatus.ACCEPTED)
            .order_by(Origination.id)
        ).all()
    disbursed = from_local(datetime.combine(day, time(10)))
    lines = CreditLines(installed_decisions(ctx.settings), url, actor="demo")
    store = lines.decisions.store
    text = (SHIPPED_DIR / f"{DRAWDOWN_POLICY}.yaml").read_text(encoding="utf-8")
    store.activate(DRAWDOWN_POLICY, store.publish(text, origin=DRAWDOWN_POLICY).version)
    booked, drawn = [], Counter[str]()
    for external_id, product, answer in accepted:
        if product != LINE_PRODUCT:
            booked.append(book.book_accepted(external_id, day, disbursed))
            continue
        # a co-branded card is a line: the approved limit, drawn down twice
        line = lines.open(
            {
                "line_key": external_id,
                "application_id": external_id,
                "credit_limit": answer["credit_limit"],
                "apr": answer["apr"],
                "expires_on": day + timedelta(days=365),
                "opened_at": disbursed,
            }
        )
        for k, share in enumerate((Decimal("0.6"), Decimal("0.6"))):
            verdict = lines.draw(
                {
                    "drawdown_key": f"{external_id}-d{k}",
                    "line_id": line.line_id,
                    "amount": money(line.credit_limit * share),
                    "term_months": answer["term_months"],
                    "requested_at": disbursed,
                }
            )
            drawn[" ".join([verdict.outcome, *(r["code"] for r in verdict.reasons)])] += 1
            if verdict.loan is not None:
                booked.append(verdict.loan)
    report = close_day(day, url)
    folder = write_report(read_book(url), day, ctx.out_dir / "loans" / "portfolio")
    ctx.artifacts["portfolio_report"] = folder / "report.html"
    return [
        f"booked {len(booked):,} loans of funder-accepted applications on {day}, "
        f"{sum(b.principal for b in booked):,.2f} in principal",
        "co-branded cards as credit lines, each drawn twice for 60% of its limit (the in-loan"
        " policy reduces the second to what is left, L06): "
        + ", ".join(f"{k} {n:,}" for k, n in sorted(drawn.items())),
        f"daily close {report.day}: {report.loans:,} active loans, DPD moved on "
        f"{report.dpd_changed:,}, a bucket entered on {report.bucket_changed:,}",
        "  book by bucket: " + ", ".join(f"{b} {n:,}" for b, n in report.by_bucket.items()),
        f"portfolio report (vintage, roll rates, FPD by channel and product): {folder}",
    ]
