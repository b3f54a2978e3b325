"""What pushing an applicant to a bank is worth to the facilitator, in expectation.

For a loan of amount ``A`` over ``n`` monthly installments the average balance is
``A (n + 1) / (2 n)`` for ``n / 12`` years (equal installments), so the service fee is
``A (n + 1) / (2 n) * n / 12 * (apr - price)`` = ``A (n + 1) / 24 * (apr - price)``. The
facilitator bears ``loss_share`` of the bank's expected loss ``pd * lgd * A``. A joint loan
puts ``joint_share`` of ``A`` on the facilitator's own books: it earns ``apr`` less its own
cost of funds on that part and bears all of that part's loss. The bank accepts with
probability ``p``; a refused push costs ``push_cost``:

    profit = p * (fee - loss) - (1 - p) * push_cost
"""

from __future__ import annotations

from zhudai.acquisition.terms import Candidate, FunderTerms, Market


def balance_years(c: Candidate) -> float:
    """Average balance over the life, per unit of amount, times the life in years."""
    return (c.term_months + 1) / 24.0


def accepted_value(market: Market, funder: FunderTerms, c: Candidate) -> float:
    """The facilitator's expected profit on the loan once the bank funds it."""
    life = c.amount * balance_years(c)
    loss = c.pd * market.lgd * c.amount
    if c.product not in funder.joint_products:
        return life * (c.apr - funder.price_for(c.product)) - funder.loss_share * loss
    s = market.joint_share
    fee = life * (
        (1 - s) * (c.apr - funder.price_for(c.product)) + s * (c.apr - market.own_cost_of_funds)
    )
    return fee - ((1 - s) * funder.loss_share + s) * loss


def expected_profit(market: Market, funder: FunderTerms, c: Candidate, p_accept: float) -> float:
    """The push's expected profit given the bank's acceptance probability."""
    return p_accept * accepted_value(market, funder, c) - (1 - p_accept) * market.push_cost
