"""Channel economics on the demo's store: every figure recounted from the store by hand, the
total the sum of its groups, FPD the loan book's own, and the budget moves conserve spend."""

from __future__ import annotations

import json
import re
from datetime import date

import polars as pl
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from zhudai.acquisition.channel_economics import (
    ChannelCost,
    book_as_of,
    budget_recommendation,
    economics,
    load_channel_costs,
    priced_applications,
    summarise,
)
from zhudai.acquisition.cli import app
from zhudai.acquisition.terms import FunderTerms, Market, load_market
from zhudai.exceptions import InvalidInputError
from zhudai.loans.analytics import fpd, read_book
from zhudai.settings import Settings
from zhudai.store.db import get_engine
from zhudai.store.models import Application, ApplicationStatus, Channel, Funder, Loan


@pytest.fixture
def as_of(home: Settings) -> date:
    day = book_as_of()
    assert day is not None  # the demo closes the book
    return day


def _by_hand(channel: str) -> dict[str, float]:
    """The channel's counts, cost and revenue straight from the store and the YAML files."""
    cost = load_channel_costs()[channel]
    banks = {f.code: f for f in load_market().funders}
    with get_engine().connect() as conn:
        apps = conn.execute(
            select(Application.id, Application.status)
            .join(Channel, Channel.id == Application.channel_id)
            .where(Channel.code == channel)
        ).all()
        ids = {a.id for a in apps}
        loans = [
            r
            for r in conn.execute(
                select(
                    Loan.application_id,
                    Loan.principal,
                    Loan.apr,
                    Loan.term_months,
                    Loan.product_code,
                    Funder.code,
                ).join(Funder, Funder.id == Loan.funder_id, isouter=True)
            )
            if r.application_id in ids
        ]
    approved = sum(1 for a in apps if a.status == ApplicationStatus.APPROVED)
    funded = len({r.application_id for r in loans})
    revenue = sum(
        float(r.principal)
        * (r.term_months + 1)
        / 24
        * (r.apr - banks[r.code].price_for(r.product_code))
        for r in loans
        if r.code in banks
    )
    acquisition = (
        cost.per_lead * len(apps)
        + cost.per_approval * approved
        + cost.per_funded * funded
        + cost.revenue_share * revenue
    )
    return {
        "applications": len(apps),
        "approved": approved,
        "funded": funded,
        "revenue": revenue,
        "acquisition_cost": acquisition,
    }


def test_figures_recount_from_the_store(as_of: date) -> None:
    table = economics("channel", as_of=as_of)
    for channel in ("app_store", "ota_partner", "bank_cobrand", "offline_agent"):
        row = table.filter(pl.col("channel") == channel).to_dicts()[0]
        hand = _by_hand(channel)
        for key, value in hand.items():
            assert row[key] == pytest.approx(value, rel=1e-9), (channel, key)
        assert row["approval_rate"] == pytest.approx(hand["approved"] / hand["applications"])
        assert row["cost_per_funded"] == pytest.approx(hand["acquisition_cost"] / hand["funded"])
        assert row["profit"] == pytest.approx(
            row["revenue"] - row["expected_loss"] - row["acquisition_cost"]
        )
        assert row["roi"] == pytest.approx(row["profit"] / row["acquisition_cost"])


def test_every_grouping_adds_up_to_the_same_total(as_of: date) -> None:
    totals = []
    for by in ("channel", "product", "funder"):
        table = economics(by, as_of=as_of)
        groups, total = table.filter(pl.col(by) != "all"), table.filter(pl.col(by) == "all")
        for col in (
            "applications",
            "approved",
            "funded",
            "revenue",
            "acquisition_cost",
            "expected_loss",
            "profit",
        ):
            assert total[col][0] == pytest.approx(groups[col].sum()), (by, col)
        totals.append(total.drop(by, "fpd7_rate", "fpd30_rate").row(0))
    assert totals[0] == pytest.approx(totals[1]) and totals[1] == pytest.approx(totals[2])
    book = fpd(read_book(), as_of, by=("channel",))
    joined = economics("channel", as_of=as_of).join(book, on="channel", suffix="_book")
    assert joined.height == book.height
    assert (joined["fpd30_rate"] - joined["fpd30_rate_book"]).abs().max() == pytest.approx(0.0)


def _tiny() -> pl.DataFrame:
    """Three applications by hand: a funded judged-bad loan, a funded young loan of the same
    channel and product, and a refusal; one funder with price 0.10 and loss share 0.5."""
    apps = pl.DataFrame(
        {
            "application_id": [1, 2, 3],
            "channel": ["web", "web", "web"],
            "store_cost": [9.0, 9.0, 9.0],
            "product": ["cash", "cash", "cash"],
            "approved": [True, True, False],
        }
    )
    loans = pl.DataFrame(
        {
            "application_id": [1, 2],
            "principal": [12000.0, 6000.0],
            "apr": [0.2, 0.2],
            "term_months": [11, 11],
            "product": ["cash", "cash"],
            "funder": ["b", "b"],
        }
    )
    labels = pl.DataFrame(
        {"application_id": [1], "bad": [1]}, schema={"application_id": pl.Int64, "bad": pl.Int8}
    )
    market = Market(
        funders=(
            FunderTerms(
                code="b",
                name="B",
                price=0.1,
                daily_quota=1,
                monthly_remaining=1,
                loss_share=0.5,
                tier1_capital=1,
            ),
        ),
        lgd=0.6,
    )
    costs = {"web": ChannelCost(per_lead=10, per_approval=5, per_funded=100, revenue_share=0.1)}
    return priced_applications(apps, loans, labels, market, costs)


def test_economics_by_hand() -> None:
    row = summarise(_tiny(), "channel").filter(pl.col("channel") == "web").to_dicts()[0]
    revenue = 12000 * 0.5 * 0.1 + 6000 * 0.5 * 0.1  # 600 + 300
    cost = 3 * 10 + 2 * 5 + 2 * 100 + 0.1 * revenue  # 30 + 10 + 200 + 90
    loss = 0.6 * 12000 * 0.5 * 1.0 + 0.6 * 6000 * 0.5 * 1.0  # the young loan at its cell's rate 1.0
    assert (row["applications"], row["approved"], row["funded"]) == (3, 2, 2)
    assert row["revenue"] == pytest.approx(revenue)
    assert row["acquisition_cost"] == pytest.approx(cost)
    assert row["expected_loss"] == pytest.approx(loss)
    assert row["profit"] == pytest.approx(revenue - loss - cost)
    assert row["bad_rate"] == pytest.approx(1.0)  # over judged loans only


def test_no_judged_peer_means_unknown_loss() -> None:
    rows = _tiny().with_columns(bad=pl.lit(None, dtype=pl.Float64))
    row = summarise(rows, "channel").row(0, named=True)
    assert row["expected_loss"] is None and row["profit"] is None and row["roi"] is None
    assert row["revenue"] > 0  # what is known stays


def test_budget_moves_conserve_spend(as_of: date) -> None:
    table = economics("channel", as_of=as_of)
    moves = budget_recommendation(table, 0.25)
    rated = table.filter((pl.col("channel") != "all") & pl.col("roi").is_not_null())
    assert len(moves) == rated.height
    median = float(rated["roi"].median())
    gives = [m for m in moves if m.roi < median or m.roi < 0]
    takes = [m for m in moves if m.roi > median and m.roi > 0]
    for m in moves:
        assert (m.change < 0) == (m in gives)
        assert m.change <= 0 or m.roi > 0  # a loss-making channel never receives
        assert m.projected_profit_change == pytest.approx(m.change * m.roi)
    cut = sum(m.change for m in gives)
    assert cut == pytest.approx(-0.25 * sum(m.spend for m in gives))
    assert sum(m.change for m in moves) == pytest.approx(0.0 if takes else cut, abs=1e-6)
    with pytest.raises(InvalidInputError, match="shift"):
        budget_recommendation(table, 0)


def test_budget_by_hand() -> None:
    table = pl.DataFrame(
        {
            "channel": ["a", "b", "c", "d", "all"],
            "roi": [2.0, 1.0, -0.5, -1.0, 0.1],
            "acquisition_cost": [100.0, 300.0, 200.0, 400.0, 1000.0],
        }
    )
    moves = {m.channel: m for m in budget_recommendation(table, 0.5)}
    # median -0.5 ... 1.0 -> 0.25: a and b take, c and d give half of 600 = 300, split 1:3
    assert moves["c"].change == -100.0 and moves["d"].change == -200.0
    assert moves["a"].change == pytest.approx(75.0) and moves["b"].change == pytest.approx(225.0)
    losing = table.with_columns(pl.col("roi") - 3.0)  # every channel loses money: only cuts
    assert all(m.change < 0 for m in budget_recommendation(losing, 0.5))


def test_cli_report(as_of: date, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "acq.html"
    result = CliRunner().invoke(app, ["report", "--by", "all", "--out", str(out)])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.strip().splitlines()[-1])
    assert line["as_of"] == as_of.isoformat() and set(line["tables"]) == {
        "channel",
        "product",
        "funder",
    }
    page = out.read_text()
    assert "Budget recommendation" in page and "Plotly.newPlot" in page
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)  # nothing fetched
    bad = CliRunner().invoke(app, ["report", "--by", "region"])
    assert bad.exit_code != 0


def test_cost_model_file_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "c.yaml"
    f.write_text("app_store: {per_lead: -1}\n")
    with pytest.raises(InvalidInputError, match="per_lead"):
        load_channel_costs(f)
    assert load_channel_costs()["ota_partner"] == ChannelCost(per_lead=5.0, revenue_share=0.2)
