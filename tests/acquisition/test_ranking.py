"""The value rule in the live pipeline: funders tried by the push's expected profit, learned
acceptance from the store's funder decisions, the pipeline routing by it when configured."""

from __future__ import annotations

from typing import Any

import pytest

from zhudai.acquisition.acceptance import AcceptanceModel, FunderDecision
from zhudai.acquisition.economics import expected_profit
from zhudai.acquisition.ranking import ValueRanking, acceptance_from_store
from zhudai.acquisition.terms import Candidate, FunderTerms, Market, load_market
from zhudai.demo import DemoContext
from zhudai.origination.catalogue import FunderAppetite
from zhudai.origination.factory import build_service, fraud_engine_from_home
from zhudai.origination.routing import RoutingRequest
from zhudai.settings import Settings, get_settings


def _appetite(i: int, code: str) -> FunderAppetite:
    return FunderAppetite(i, code, code, 0.0, 0.24, 0.05, None, None, None)


def _terms(code: str, price: float, **kw: Any) -> FunderTerms:
    return FunderTerms(
        code=code,
        name=code,
        price=price,
        daily_quota=1e9,
        monthly_remaining=1e9,
        loss_share=0.5,
        tier1_capital=1e12,
        **kw,
    )


REQUEST = RoutingRequest(
    "A1",
    12000.0,
    11,
    0.2,
    "cash_installment",
    "app_store",
    "B",
    650.0,
    0.05,
    "浙江",
    30,
    2,
    "engineer",
)


def test_value_order_and_exclusions() -> None:
    market = Market(
        funders=(_terms("cheap", 0.08), _terms("dear", 0.15), _terms("picky", 0.05, min_score=700))
    )
    accept = AcceptanceModel().fit(
        [FunderDecision("cheap", 0.05, False)] * 30
        + [FunderDecision("cheap", 0.05, True)] * 3
        + [FunderDecision("dear", 0.05, True)] * 30
    )
    ranking = ValueRanking(market, accept)
    funders = [
        _appetite(1, "cheap"),
        _appetite(2, "dear"),
        _appetite(3, "picky"),
        _appetite(4, "unknown"),
    ]
    order = [f.code for f in ranking.rank(funders, REQUEST)]
    c = Candidate(
        application_id="A1",
        amount=12000.0,
        term_months=11,
        apr=0.2,
        product="cash_installment",
        channel="app_store",
        grade="B",
        score=650.0,
        pd=0.05,
        province="浙江",
        age=30,
        multi_lending=2,
        occupation="engineer",
    )
    values = {
        f.code: expected_profit(market, f, c, accept.predict(f.code, 0.05))
        for f in market.funders[:2]
    }
    # the cheap bank refuses most pushes, so the dearer one is worth more; picky refuses the
    # score, unknown has no declared terms: neither is tried
    assert values["dear"] > values["cheap"]
    assert order == sorted(values, key=lambda k: -values[k])
    assert ranking.rank(funders, RoutingRequest(**{**REQUEST.__dict__, "pd": None})) == ()


def test_acceptance_is_learned_from_the_store(home: Settings) -> None:
    model = acceptance_from_store()
    assert model.rates_  # the demo's banks decided on its recommendations
    for rate in model.rates_.values():
        assert 0 < rate < 1


def test_pipeline_routes_by_value_when_configured(
    home: Settings, demo_run: DemoContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHUDAI_FUNDER_ROUTING", "value")
    get_settings.cache_clear()
    service = build_service(get_settings(), fraud=fraud_engine_from_home(home.home))
    assert isinstance(service.ranking, ValueRanking)
    market = load_market()
    routed = 0
    for n, raw in enumerate(demo_run.artifacts["requests"][:60]):
        answer = service.decide({**raw, "application_id": f"VAL{n}"})
        if answer.decision == "approve":
            routed += 1
            assert answer.funder in {f.code for f in market.funders}
    assert routed > 0
