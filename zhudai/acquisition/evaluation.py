"""A simulated day of funder allocation on a generated world (evaluation code: it builds the
world and lets the world's simulated banks answer; the allocation itself never sees either).

The world's approved applications, in time order, are split in two: the first half is the
history (pushed by the real-time rule, the banks' answers train the acceptance model), the
second half is the day on which the three strategies compete, each on the same applicants,
the same banks and the same capacities, scaled so that they cover ``tightness`` of the day's
demand. Expected profit is what the facilitator can know when it allocates; realised profit
uses the banks' actual answers and the world's true PD.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sqlalchemy import select

from zhudai.acquisition.acceptance import AcceptanceModel, FunderDecision
from zhudai.acquisition.allocation import (
    Allocation,
    Problem,
    batch_allocate,
    cheapest_allocate,
    greedy_allocate,
    random_allocate,
    violations,
)
from zhudai.acquisition.cross_sell import OFFERED_PRODUCT, cash_offer_list
from zhudai.acquisition.economics import accepted_value
from zhudai.acquisition.terms import Candidate, Market, load_market
from zhudai.features.report import LABELS_FILE
from zhudai.loans.labels import book_labels
from zhudai.store.db import get_engine
from zhudai.store.models import Loan
from zhudai.world import generate_world
from zhudai.world.banks import SimulatedBanks
from zhudai.world.cross_sell import CashOfferResponses

#: Grades by the facilitator's PD (upper bounds), the language banks' appetites use.
GRADE_BANDS: tuple[tuple[str, float], ...] = (("A", 0.03), ("B", 0.06), ("C", 0.10), ("D", 1.01))
#: Share of the day's demand the banks' capacities cover.
DEFAULT_TIGHTNESS = 0.6


def grade_of(pd: float) -> str:
    return next(g for g, upper in GRADE_BANDS if pd < upper)


def world_candidates(world_dir: str | Path) -> list[Candidate]:
    """The world's approved applications as allocation candidates, in arrival order.

    The facilitator's PD is its historical policy score calibrated on the booked loans'
    observed labels (a one-variable logistic fit): observable data only."""
    d = Path(world_dir)
    apps = pl.read_parquet(d / "applications.parquet").filter(pl.col("status") == "approved")
    labels = pl.read_parquet(d / LABELS_FILE)
    fit = apps.join(labels, on="application_id")
    lr = LogisticRegression().fit(
        fit["policy_score"].to_numpy()[:, None] / 100.0, fit["bad"].to_numpy()
    )
    pd_hat = lr.predict_proba(apps["policy_score"].to_numpy()[:, None] / 100.0)[:, 1]
    channels = pl.read_parquet(d / "channels.parquet").select("channel_id", "kind")
    people = pl.read_parquet(
        d / "customers.parquet",
        columns=["customer_id", "province", "age_at_application", "occupation"],
    )
    bureau = pl.read_parquet(d / "bureau.parquet", columns=["application_id", "multi_lending_90d"])
    loans = pl.read_parquet(d / "loans.parquet", columns=["application_id", "apr"])
    rows = (
        apps.with_columns(pd_hat=pl.Series(pd_hat))
        .join(channels, on="channel_id", how="left")
        .join(people, on="customer_id", how="left")
        .join(bureau, on="application_id", how="left")
        .join(loans, on="application_id", how="left")
        .sort("applied_at", "application_id")
    )
    return [
        Candidate(
            application_id=str(r["application_id"]),
            amount=r["amount_requested"],
            term_months=r["term_months"],
            apr=min(r["apr"] or 0.24, 0.24),
            product=r["product_code"],
            channel=r["kind"],
            grade=grade_of(r["pd_hat"]),
            score=float(r["policy_score"]),
            pd=float(r["pd_hat"]),
            province=r["province"],
            age=r["age_at_application"],
            multi_lending=r["multi_lending_90d"],
            occupation=r["occupation"],
        )
        for r in rows.iter_rows(named=True)
    ]


def scaled_market(candidates: list[Candidate], tightness: float) -> Market:
    """The default market with capacities covering ``tightness`` of the candidates' demand."""
    unit = load_market()
    demand = sum(c.amount for c in candidates)
    return load_market(scale=tightness * demand / sum(f.capacity for f in unit.funders))


@dataclass(frozen=True)
class StrategyResult:
    strategy: str
    pushed: int
    expected_profit: float
    realised_profit: float
    expected_push_rejection: float
    push_rejection: float
    violations: list[str]
    amount_by_funder: dict[str, float]


def _realised(alloc: Allocation, banks: SimulatedBanks) -> tuple[float, float]:
    """Profit with the banks' actual answers and the true PD; share of pushes refused."""
    profit, refused, pushed = 0.0, 0, 0
    market = alloc.problem.market
    for i in np.flatnonzero(alloc.pushed):
        c = alloc.problem.candidates[i]
        bank = market.funders[int(alloc.choice[i])]
        app = int(c.application_id)
        pushed += 1
        if banks.accepts(app, bank.code):
            truth = c.model_copy(update={"pd": banks.true_pd[app]})
            profit += accepted_value(market, bank, truth)
        else:
            refused += 1
            profit -= market.push_cost
    return profit, (refused / pushed if pushed else 0.0)


def _result(alloc: Allocation, banks: SimulatedBanks) -> StrategyResult:
    realised, rejection = _realised(alloc, banks)
    return StrategyResult(
        alloc.strategy,
        int(alloc.pushed.sum()),
        alloc.expected_profit,
        realised,
        alloc.expected_push_rejection,
        rejection,
        violations(alloc),
        alloc.amount_by_funder(),
    )


def evaluate_day(
    world_dir: str | Path, seed: int = 0, tightness: float = DEFAULT_TIGHTNESS
) -> list[StrategyResult]:
    """Random, greedy and batch allocation of the world's second half, after learning the
    banks' acceptance from the first half."""
    candidates = world_candidates(world_dir)
    half = len(candidates) // 2
    history, day = candidates[:half], candidates[half:]
    banks = SimulatedBanks.of_world(world_dir, seed)
    # the history was pushed by the pipeline's routing, before any acceptance curve existed
    past = cheapest_allocate(
        Problem.build(history, scaled_market(history, 1.0), AcceptanceModel().fit([]))
    )
    decisions = [
        FunderDecision(code, c.pd, banks.accepts(int(c.application_id), code))
        for i, c in enumerate(history)
        if (code := past.funder_of(i)) is not None
    ]
    problem = Problem.build(day, scaled_market(day, tightness), AcceptanceModel().fit(decisions))
    return [
        _result(a, banks)
        for a in (
            random_allocate(problem, seed),
            cheapest_allocate(problem),
            greedy_allocate(problem),
            batch_allocate(problem),
        )
    ]


def simulate(customers: int, seed: int, tightness: float = DEFAULT_TIGHTNESS) -> dict[str, Any]:
    """``zhudai acquisition simulate``: a world of ``customers``, one simulated day, the
    contract's summary (profits are expected profits, CNY) plus each strategy's detail."""
    with tempfile.TemporaryDirectory(prefix="zhudai-acq-") as tmp:
        world = generate_world(customers, seed, out_dir=Path(tmp) / "world")
        results = evaluate_day(world, seed, tightness)
    by = {r.strategy: r for r in results}
    return {
        "random_profit": round(by["random"].expected_profit, 2),
        "greedy_profit": round(by["greedy"].expected_profit, 2),
        "batch_profit": round(by["batch"].expected_profit, 2),
        "quota_violations": sum(len(r.violations) for r in results),
        "push_rejection_rate": round(by["batch"].push_rejection, 4),
        "strategies": {
            r.strategy: {
                "pushed": r.pushed,
                "expected_profit": round(r.expected_profit, 2),
                "realised_profit": round(r.realised_profit, 2),
                "expected_push_rejection": round(r.expected_push_rejection, 4),
                "push_rejection_rate": round(r.push_rejection, 4),
                "funder_share": _shares(r.amount_by_funder),
            }
            for r in results
        },
    }


def _shares(amounts: dict[str, float]) -> dict[str, float]:
    total = sum(amounts.values())
    return {k: round(v / total, 4) if total else 0.0 for k, v in amounts.items()}


def evaluate_cross_sell(
    world_dir: str | Path, as_of: date, url: str | None = None
) -> dict[str, Any]:
    """Offer cash installment to the store's qualifying air-ticket customers on ``as_of`` and
    let the world's people answer: take-up, and the risk of those who took it (the world's true
    PD and a drawn outcome) next to the book's directly acquired cash-installment loans."""
    offers = cash_offer_list(as_of, url)
    responses = CashOfferResponses.of_world(world_dir).respond(
        offers["customer_id"].to_list(), [as_of] * offers.height
    )
    took = responses.filter(pl.col("took_up"))
    truth = pl.read_parquet(
        Path(world_dir) / "truth" / "applications.parquet", columns=["application_id", "true_pd"]
    )
    apps = pl.read_parquet(
        Path(world_dir) / "applications.parquet",
        columns=["application_id", "product_code", "status"],
    )
    direct = apps.filter(
        (pl.col("product_code") == OFFERED_PRODUCT) & (pl.col("status") == "approved")
    ).join(truth, on="application_id")
    labels = book_labels(as_of, url)
    with get_engine(url).connect() as conn:
        cash_apps = {
            a
            for (a,) in conn.execute(
                select(Loan.application_id).where(Loan.product_code == OFFERED_PRODUCT)
            )
        }
    booked = labels.filter(pl.col("application_id").is_in(list(cash_apps)))
    return {
        "offers": offers.height,
        "take_up_rate": _mean(responses["took_up"].cast(pl.Float64)),
        "cross_sell_true_pd": _mean(took["true_pd"]),
        "cross_sell_bad_rate": _mean(took["bad"].cast(pl.Float64)),
        "offered_true_pd": _mean(responses["true_pd"]),
        "direct_cash_true_pd": _mean(direct["true_pd"]),
        "direct_cash_bad_rate": _mean(booked["bad"].cast(pl.Float64)),
    }


def _mean(values: pl.Series) -> float | None:
    """The mean rounded for the report; ``None`` over nothing (absent, not zero)."""
    m = values.mean()
    return None if m is None else round(float(m), 4)  # type: ignore[arg-type]
