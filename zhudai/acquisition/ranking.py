"""The real-time routing rule of :mod:`zhudai.acquisition.allocation` for the live pipeline:
each approved application tries the funders in the order of what the push is worth (expected
profit by the banks' declared terms and their learned acceptance), a push expected to lose
money not at all. The origination pipeline takes it as its ``FunderRanking`` when
``ZHUDAI_FUNDER_ROUTING=value`` (its default, ``cheapest``, tries the cheapest first).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from zhudai.acquisition.acceptance import AcceptanceModel, FunderDecision
from zhudai.acquisition.economics import expected_profit
from zhudai.acquisition.eligibility import eligible
from zhudai.acquisition.terms import Candidate, Market, load_market
from zhudai.origination.catalogue import FunderAppetite
from zhudai.origination.routing import RoutingRequest
from zhudai.store.db import get_engine
from zhudai.store.models import DecisionRecord, Funder, FunderStatus, Origination


class ValueRanking:
    """Funders by the push's expected profit, best first; a funder the market's terms do not
    know, whose declared terms refuse the applicant, or whose push is expected to lose, is
    left out (fail closed: the application goes to review with no funder)."""

    def __init__(self, market: Market, acceptance: AcceptanceModel) -> None:
        self.market = market
        self.acceptance = acceptance
        self.terms = {f.code: f for f in market.funders}

    def rank(
        self, funders: Sequence[FunderAppetite], request: RoutingRequest
    ) -> Sequence[FunderAppetite]:
        if request.pd is None:
            return ()
        c = Candidate(
            application_id=request.application_id,
            amount=request.amount,
            term_months=request.term_months,
            apr=min(request.apr, 0.24),
            product=request.product,
            channel=request.channel,
            grade=request.grade,
            score=request.score,
            pd=request.pd,
            province=request.province,
            age=request.age,
            multi_lending=request.multi_lending,
            occupation=request.occupation,
        )
        worth = []
        for f in funders:
            terms = self.terms.get(f.code)
            if terms is None or not eligible(terms, c):
                continue
            value = expected_profit(self.market, terms, c, self.acceptance.predict(f.code, c.pd))
            if value > 0:
                worth.append((value, f))
        return [f for _, f in sorted(worth, key=lambda t: -t[0])]


def acceptance_from_store(url: str | None = None) -> AcceptanceModel:
    """Each bank's acceptance learned from its decisions on the store's recommendations
    (the PD the pipeline decided with, and the bank's accept or refuse)."""
    q = (
        select(Funder.code, Origination.funder_status, DecisionRecord.record["pd"].as_float())
        .join(Funder, Funder.id == Origination.funder_id)
        .join(DecisionRecord, DecisionRecord.decision_id == Origination.decision_id)
        .where(Origination.funder_status.in_([FunderStatus.ACCEPTED, FunderStatus.REFUSED]))
    )
    with get_engine(url).connect() as conn:
        rows = conn.execute(q).all()
    decisions = [
        FunderDecision(code, float(pd), status == FunderStatus.ACCEPTED)
        for code, status, pd in rows
        if code is not None and pd is not None
    ]
    return AcceptanceModel().fit(decisions)


def value_ranking(url: str | None = None, market: Market | None = None) -> ValueRanking:
    """The value rule on the store's learned acceptance and the market's terms."""
    return ValueRanking(market or load_market(), acceptance_from_store(url))
