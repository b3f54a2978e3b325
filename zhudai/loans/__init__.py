"""The loan book: schedules, the per-loan ledger of postings, delinquency and the daily close."""

from zhudai.loans.delinquency import Classification, bucket_of, classification_of
from zhudai.loans.ledger import (
    Allocation,
    Component,
    Ledger,
    LoanState,
    LoanStatus,
    LoanTerms,
    Waterfall,
)
from zhudai.loans.schedule import DayCount, Installment, Method, build_schedule, due_dates

__all__ = [
    "Allocation",
    "Classification",
    "Component",
    "DayCount",
    "Installment",
    "Ledger",
    "LoanState",
    "LoanStatus",
    "LoanTerms",
    "Method",
    "Waterfall",
    "bucket_of",
    "build_schedule",
    "classification_of",
    "due_dates",
]
