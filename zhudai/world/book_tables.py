"""The after-booking tables: loans, installments, repayments, collection actions, transcripts,
complaints.

Written straight to Parquet (with ``truth/transcripts``), because they are built together from
one :class:`~zhudai.world.repayment.Book`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from zhudai.times import US_PER_DAY
from zhudai.world import transcripts_varied
from zhudai.world.applications import Applications
from zhudai.world.catalog import PRODUCT_CODES
from zhudai.world.collection import ACTION_TYPES
from zhudai.world.complaints import complaints_frame
from zhudai.world.identity import ProtectedIdentities
from zhudai.world.params import WorldParams
from zhudai.world.repayment import REPAYMENT_METHODS, Book, repayment_rows
from zhudai.world.sampling import sort_order
from zhudai.world.timeutil import as_date, as_datetime
from zhudai.world.transcripts import (
    VIOLATIONS,
    assign_violations,
    call_times,
    durations,
    transcript_texts,
)
from zhudai.world.writer import label_column, write_table


def write_book_tables(
    repay_rng: np.random.Generator,
    call_rng: np.random.Generator,
    apps: Applications,
    book: Book,
    ident: ProtectedIdentities,
    obs_us: int,
    params: WorldParams,
    out: Path,
) -> dict[str, int]:
    """Write loans, installments, repayments, collection actions and transcripts; return row counts."""
    counts: dict[str, int] = {}
    n_loans = len(book.loan_app)
    loan_ids = np.arange(1, n_loans + 1, dtype=np.int64)
    counts["loans"] = write_table(
        pl.DataFrame(
            {
                "loan_id": loan_ids,
                "application_id": (book.loan_app + 1).astype(np.int64),
                "customer_id": (apps.cust[book.loan_app] + 1).astype(np.int64),
                "funder_id": (book.funder + 1).astype(np.int64),
                "product_code": label_column(PRODUCT_CODES, apps.product[book.loan_app]),
                "booked_at": as_datetime(book.booked_at - book.booked_at % 1_000_000),
                "principal": book.principal.astype(np.float64),
                "apr": book.apr.astype(np.float64),
                "term_months": book.term.astype(np.int64),
                "repayment_method": label_column(REPAYMENT_METHODS, book.method),
            }
        ),
        out / "loans.parquet",
    )
    unpaid = book.paid_day < 0
    counts["installments"] = write_table(
        pl.DataFrame(
            {
                "loan_id": loan_ids[book.inst_loan],
                "installment_no": book.inst_no.astype(np.int64),
                "due_date": as_date(book.due_day * US_PER_DAY),
                "principal_due": book.principal_due,
                "interest_due": book.interest_due,
                "paid_date": as_date(np.maximum(book.paid_day, 0) * US_PER_DAY).set(
                    pl.Series(unpaid), None
                ),
                "paid_amount": book.paid_amount,
                "dpd": book.dpd.astype(np.int64),
            }
        ),
        out / "installments.parquet",
    )
    r_loan, r_at, r_amount = repayment_rows(repay_rng, book)
    order = sort_order(r_at // 1_000_000, r_loan)
    counts["repayments"] = write_table(
        pl.DataFrame(
            {
                "repayment_id": np.arange(1, len(r_loan) + 1, dtype=np.int64),
                "loan_id": loan_ids[r_loan[order]],
                "paid_at": as_datetime(r_at[order]),
                "amount": r_amount[order],
            }
        ),
        out / "repayments.parquet",
    )
    counts.update(_collections(call_rng, apps, book, ident, obs_us, params, out, loan_ids))
    return counts


def _collections(
    r: np.random.Generator,
    apps: Applications,
    book: Book,
    ident: ProtectedIdentities,
    obs_us: int,
    params: WorldParams,
    out: Path,
    loan_ids: np.ndarray,
) -> dict[str, int]:
    """Collection actions, their call transcripts, the complaints the calls drew and the
    transcripts' violation labels."""
    w, ep = book.worked, book.episodes
    e = w.action_episode
    is_call = (w.action_type == 2) | (w.action_type == 3)
    calls = np.flatnonzero(is_call)
    varied = params.varied_transcripts
    assign = transcripts_varied.assign_violations if varied else assign_violations
    collector, violation = assign(
        r, w.action_type[calls] == 3, w.contacted[calls], params.violation_share
    )
    started = call_times(r, w.action_ts[calls], violation)
    ts = w.action_ts - w.action_ts % 1_000_000
    ts[calls] = started
    cure_day = np.where(w.cure_dpd[e] >= 0, ep.due_day[e] + w.cure_dpd[e], -1)
    gap = cure_day - ts // US_PER_DAY
    paid7 = (cure_day >= 0) & (gap >= 0) & (gap <= 7) & (cure_day < obs_us // US_PER_DAY)
    last_idx = np.full(len(ep.loan), -1)
    np.maximum.at(last_idx, e, np.arange(len(e)))  # actions are appended slot by slot
    is_last = np.zeros(len(e), bool)
    is_last[last_idx[last_idx >= 0]] = True
    recovered = np.where(paid7 & is_last, book.episode_paid_amount[e], 0.0)
    order = sort_order(ts // 1_000_000, e)
    action_id = np.empty(len(e), np.int64)
    action_id[order] = np.arange(1, len(e) + 1)
    loan_of_action = loan_ids[ep.loan[e]]
    counts = {
        "collection_actions": write_table(
            pl.DataFrame(
                {
                    "action_id": action_id[order],
                    "loan_id": loan_of_action[order],
                    "ts": as_datetime(ts[order]),
                    "action_type": label_column(ACTION_TYPES, w.action_type[order]),
                    "dpd_at_action": w.action_dpd[order],
                    "contacted": w.contacted[order],
                    "promise_to_pay": w.promise[order],
                    "paid_within_7d": paid7[order],
                    "amount_recovered": np.round(recovered[order], 2),
                }
            ),
            out / "collection_actions.parquet",
        )
    }
    cust = apps.cust[book.loan_app[ep.loan[e[calls]]]]
    due_rows = _installment_amount(book, ep.loan[e[calls]], ep.due_day[e[calls]])
    owed = due_rows * (1 + w.action_dpd[calls] // 30)
    text = (transcripts_varied.varied_texts if varied else transcript_texts)(
        r,
        violation,
        w.contacted[calls],
        w.promise[calls],
        w.action_dpd[calls],
        owed,
        ident.masks["name"].gather(pl.Series(cust)),
        ident.masks["phone"].gather(pl.Series(cust)),
    )
    call_order = sort_order(started // 1_000_000, action_id[calls])
    call_id = np.arange(1, len(calls) + 1, dtype=np.int64)
    counts["call_transcripts"] = write_table(
        pl.DataFrame(
            {
                "call_id": call_id,
                "loan_id": loan_of_action[calls][call_order],
                "action_id": action_id[calls][call_order],
                "collector_id": collector[call_order],
                "started_at": as_datetime(started[call_order]),
                "duration_s": durations(r, w.contacted[calls], violation)[call_order],
                "text": text.gather(pl.Series(call_order, dtype=pl.Int64)),
            }
        ),
        out / "call_transcripts.parquet",
    )
    counts["complaints"] = write_table(
        complaints_frame(
            r,
            violation[call_order],
            call_id,
            loan_of_action[calls][call_order],
            collector[call_order],
            started[call_order],
            obs_us,
        ),
        out / "complaints.parquet",
    )
    counts["truth/transcripts"] = write_table(
        pl.DataFrame(
            {"call_id": call_id, "violation": label_column(VIOLATIONS, violation[call_order])}
        ),
        out / "truth" / "transcripts.parquet",
    )
    return counts


def _installment_amount(book: Book, loan: np.ndarray, due_day: np.ndarray) -> np.ndarray:
    """Principal plus interest of the installment of ``loan`` due on ``due_day``."""
    key = book.inst_loan * 1_000_000 + book.due_day
    order = np.argsort(key)
    pos = order[np.searchsorted(key[order], loan * 1_000_000 + due_day)]
    return book.principal_due[pos] + book.interest_due[pos]
