"""Acquisition: partner banks' declared terms, the allocation of a day's approved applicants
to them (real-time greedy, random and an optimised batch), and the economics behind it."""

from zhudai.acquisition.allocation import (
    Allocation,
    batch_allocate,
    greedy_allocate,
    random_allocate,
)
from zhudai.acquisition.terms import Candidate, FunderTerms, Market, load_market

__all__ = [
    "Allocation",
    "Candidate",
    "FunderTerms",
    "Market",
    "batch_allocate",
    "cheapest_allocate",
    "greedy_allocate",
    "load_market",
    "random_allocate",
]
