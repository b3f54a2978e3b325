"""The contracts of allocation: what a partner bank declares it funds, what an approved
applicant brings, and the market they meet in (the facilitator's own economics).

A bank's terms are configuration the facilitator receives from the bank (appetite, quotas,
price) plus the regulatory caps that bind the partnership (金规〔2025〕9号 and the 2021
notice on internet loans, see ``../shared/domain.md``): the bank's partner list, one
partner's balance at most 25% of the bank's tier-1 net capital, joint loans at most 50% of the
bank's internet loans, and the platform's own share of every joint loan at least 30%.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhudai.exceptions import InvalidInputError
from zhudai.parsing import parse_input, read_yaml_mapping

#: One partner's balance at most this share of the bank's tier-1 net capital (2021 notice).
PARTNER_BALANCE_CAP = 0.25
#: Joint (co-funded) loans at most this share of the bank's internet loans (2021 notice).
JOINT_SHARE_OF_INTERNET_LOANS = 0.50
#: The platform funds at least this share of each joint loan (2021 notice).
MIN_PLATFORM_JOINT_SHARE = 0.30

_Share = Field(ge=0, le=1)


class FunderTerms(BaseModel):
    """A partner bank as it declared itself; ``None`` restricts nothing of that kind.

    Parameters
    ----------
    price : float
        The annual rate the bank keeps (its price of funds); the facilitator earns the rest of
        the borrower's all-in APR as its service fee. ``product_prices`` overrides it per
        product (supply-chain finance is priced far below consumer credit).
    loss_share : float
        Share of the bank's credit losses the facilitator bears (a guarantee or a
        credit-enhancement arrangement; 0 when the bank carries its own risk).
    max_push_rejection : float, optional
        The most of the facilitator's pushes the bank will see itself refuse (in expectation,
        by the facilitator's acceptance model): banks watch their rejection-after-push rate and
        cut the quota of a partner that pushes what they refuse.
    tier1_capital, outstanding, internet_loans, joint_outstanding : float
        What the regulatory caps are computed from: the bank's tier-1 net capital, the
        balance it already holds with this facilitator, its internet loans in total and the
        joint loans among them (CNY).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=80)
    price: float = Field(ge=0, le=0.24)
    product_prices: dict[str, float] = Field(default_factory=dict)
    max_apr: float = Field(0.24, gt=0, le=0.24)
    min_score: float | None = None
    grades: frozenset[str] | None = None
    products: frozenset[str] | None = None
    provinces: frozenset[str] | None = None
    partner_channels: frozenset[str] | None = None
    min_age: int = Field(18, ge=18, le=70)
    max_age: int = Field(60, ge=18, le=80)
    max_multi_lending: int | None = Field(None, ge=0)
    excluded_occupations: frozenset[str] = frozenset()
    daily_quota: float = Field(gt=0)
    monthly_remaining: float = Field(gt=0)
    loss_share: float = _Share
    tier1_capital: float = Field(gt=0)
    outstanding: float = Field(0.0, ge=0)
    joint_products: frozenset[str] = frozenset()
    max_push_rejection: float | None = Field(None, gt=0, le=1)
    internet_loans: float = Field(0.0, ge=0)
    joint_outstanding: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _ages(self) -> FunderTerms:
        bad = {k: v for k, v in self.product_prices.items() if not 0 <= v <= 0.24}
        if bad:
            raise ValueError(f"product_prices must be in [0, 0.24]; got {bad}")
        if self.min_age > self.max_age:
            raise ValueError(f"min_age {self.min_age} is above max_age {self.max_age}")
        return self

    def price_for(self, product: str) -> float:
        """The bank's price for ``product`` (its ``product_prices`` entry, else ``price``)."""
        return self.product_prices.get(product, self.price)

    @property
    def balance_room(self) -> float:
        """New balance the partnership cap still allows (25% of tier-1 minus what is held)."""
        return max(PARTNER_BALANCE_CAP * self.tier1_capital - self.outstanding, 0.0)

    @property
    def joint_room(self) -> float:
        """How far new loans may move the bank's joint loans above half of all its new
        loans: ``joint_new - 50% * all_new <= 50% * internet_loans - joint_outstanding``
        (negative: the bank is over its cap and takes no joint loan)."""
        return JOINT_SHARE_OF_INTERNET_LOANS * self.internet_loans - self.joint_outstanding

    @property
    def capacity(self) -> float:
        """The most the bank can take today: its daily quota, what is left of its monthly
        quota and the partnership balance cap, whichever binds first."""
        return min(self.daily_quota, self.monthly_remaining, self.balance_room)


class Candidate(BaseModel):
    """An applicant the facilitator approved, waiting for a funder.

    ``pd`` is the facilitator's own probability of default (its A-card or model), the
    quantity allocation trades against price; ``score`` and ``grade`` are what banks'
    appetites are written in.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    application_id: str = Field(min_length=1, max_length=64)
    amount: float = Field(gt=0)
    term_months: int = Field(ge=1, le=60)
    apr: float = Field(gt=0, le=0.24)
    product: str
    channel: str
    grade: str | None = None
    score: float | None = None
    pd: float = Field(ge=0, le=1)
    province: str | None = None
    age: int | None = Field(None, ge=0, le=120)
    multi_lending: int | None = Field(None, ge=0)
    occupation: str | None = None


class Market(BaseModel):
    """The partner banks and the facilitator's own economics on one day.

    Parameters
    ----------
    push_cost : float
        What a push the bank then refuses costs the facilitator (the data bought, the
        applicant lost, and the bank's trust: the rejection-after-push rate it watches).
    lgd : float
        Loss given default on a defaulted loan's amount.
    own_cost_of_funds : float
        The facilitator's cost of the capital it puts into joint loans.
    joint_share : float
        The platform's share of every joint loan (at least 30%).
    joint_budget : float
        The facilitator's own capital available for joint loans today (CNY).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    funders: tuple[FunderTerms, ...] = Field(min_length=1)
    push_cost: float = Field(30.0, ge=0)
    lgd: float = Field(0.6, gt=0, le=1)
    own_cost_of_funds: float = Field(0.06, ge=0, le=0.24)
    joint_share: float = Field(MIN_PLATFORM_JOINT_SHARE, ge=MIN_PLATFORM_JOINT_SHARE, le=1)
    joint_budget: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _unique_codes(self) -> Market:
        codes = [f.code for f in self.funders]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"funder codes must be unique; repeated {dup}")
        return self

    def by_price(self) -> tuple[FunderTerms, ...]:
        """Funders cheapest first: the real-time router's order."""
        return tuple(sorted(self.funders, key=lambda f: (f.price, f.code)))


SHIPPED_MARKET = Path(__file__).with_name("market.yaml")


def load_market(path: str | Path | None = None, *, scale: float = 1.0) -> Market:
    """The market from a YAML file (the package's default partner banks when ``path`` is
    None); ``scale`` multiplies every quota and capital figure, to fit a simulated day."""
    if not scale > 0:
        raise InvalidInputError("scale", f"must be positive; got {scale}")
    raw = read_yaml_mapping(Path(path) if path else SHIPPED_MARKET, "market")
    for f in raw.get("funders") or []:
        if isinstance(f, dict):
            for key in _SCALED:
                if isinstance(f.get(key), int | float):
                    f[key] = f[key] * scale
    if isinstance(raw.get("joint_budget"), int | float):
        raw["joint_budget"] *= scale
    return parse_input(Market, raw)


_SCALED = (
    "daily_quota",
    "monthly_remaining",
    "tier1_capital",
    "outstanding",
    "internet_loans",
    "joint_outstanding",
)
